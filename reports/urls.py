"""The figures' pages (namespace "reports"): a unit's home page with its dashboard, and the
summary reports. Mounted at the site's root: a unit's page is the home page."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("reports/", views.report_index, name="index"),
    path("reports/campaigns/<int:pk>/", views.campaign_report, name="campaign_report"),
]
