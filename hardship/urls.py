from django.urls import path

from hardship import views

app_name = "hardship"

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
]
