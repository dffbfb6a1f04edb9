from django.urls import path

from mailings import views

app_name = "mailings"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
]
