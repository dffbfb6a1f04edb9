from django.urls import include, path

from visits.views import visits

app_name = "visits"

urlpatterns = [
    # Visits and their photos
    path("files/<int:file_pk>/visits/new/", visits.visit_create, name="visit_create"),
    path("visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("photos/<int:pk>/", visits.visit_photo, name="visit_photo"),
    # Follow-ups
    path("follow-ups/", visits.follow_up_mine, name="follow_up_mine"),
    path("follow-ups/overdue/", visits.follow_up_overdue, name="follow_up_overdue"),
    path("follow-ups/<int:pk>/", visits.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/close/", visits.follow_up_close, name="follow_up_close"),
    path("follow-ups/<int:pk>/cancel/", visits.follow_up_cancel, name="follow_up_cancel"),
    # Cadres and pairing
    path("cadres/", visits.cadre_list, name="cadre_list"),
    path("cadres/new/", visits.cadre_new, name="cadre_new"),
    path("cadres/<int:pk>/", visits.cadre_detail, name="cadre_detail"),
    path(
        "cadres/<int:pk>/enterprises/new/",
        visits.enterprise_pairing_new,
        name="enterprise_pairing_new",
    ),
    path(
        "enterprise-pairings/<int:pk>/end/",
        visits.enterprise_pairing_end,
        name="enterprise_pairing_end",
    ),
    path("files/<int:file_pk>/pairings/", visits.file_pairings, name="file_pairings"),
    path("pairings/<int:pk>/end/", visits.pairing_end, name="pairing_end"),
    path("pairings/coverage/", visits.pairing_coverage, name="pairing_coverage"),
    # Help beyond money
    path("files/<int:file_pk>/help/new/", visits.help_service_new, name="help_service_new"),
    path("figures/", visits.figures, name="figures"),
    # Campaigns and their visit lists
    path("", include("visits.urls_campaigns")),
]
