from django.urls import path

from hardship.views import units

app_name = "hardship"

urlpatterns = [
    path("", units.home, name="home"),
    path("units/<int:pk>/", units.unit_detail, name="unit_detail"),
]
