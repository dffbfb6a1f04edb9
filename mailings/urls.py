from django.urls import path

from mailings import views

app_name = "mailings"

urlpatterns = [
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
]
