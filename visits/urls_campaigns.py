"""Campaign and visit-list pages, included into visits/urls.py (namespace "visits")."""

from django.urls import path

from visits.views import campaigns

urlpatterns = [
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/correct/", campaigns.campaign_correct_view, name="campaign_correct"),
    path("campaigns/<int:pk>/build/", campaigns.campaign_build, name="campaign_build"),
    path(
        "campaigns/<int:pk>/approve-lists/",
        campaigns.campaign_approve_lists,
        name="campaign_approve_lists",
    ),
    path(
        "campaigns/<int:pk>/lists/document/<slug:kind>/",
        campaigns.campaign_lists_document,
        name="campaign_lists_document",
    ),
    path("campaigns/<int:pk>/unvisited/", campaigns.campaign_unvisited, name="campaign_unvisited"),
    path("lists/<int:pk>/", campaigns.visit_list_detail, name="visit_list_detail"),
    path("lists/<int:pk>/approve/", campaigns.visit_list_approve_view, name="visit_list_approve"),
    path(
        "lists/<int:pk>/document/<slug:kind>/",
        campaigns.visit_list_document,
        name="visit_list_document",
    ),
]
