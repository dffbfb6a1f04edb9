"""The summary reports' pages (namespace "reports")."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("campaigns/<int:pk>/", views.campaign_report, name="campaign_report"),
]
