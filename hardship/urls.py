from django.urls import include, path

from hardship.views import files, income, spot_checks, standards

app_name = "hardship"

urlpatterns = [
    path("files/", files.file_list, name="file_list"),
    path("files/export.<slug:fmt>", files.file_export, name="file_export"),
    path("files/export-full.<slug:fmt>", files.file_export_full, name="file_export_full"),
    path("files/find/", files.file_find_by_id, name="file_find_by_id"),
    path("files/new/", files.file_new, name="file_new"),
    path("files/new/form/", files.file_create, name="file_create"),
    path("files/<int:pk>/", files.file_detail, name="file_detail"),
    path("files/<int:pk>/edit/", files.file_edit, name="file_edit"),
    path("files/<int:pk>/card/", files.file_card, name="file_card"),
    path("files/<int:pk>/record/", files.household_record, name="household_record"),
    path("files/<int:pk>/reveal-id/", files.file_reveal_id, name="file_reveal_id"),
    path("files/<int:pk>/do/<slug:action>/", files.file_action, name="file_action"),
    path("transfers/", files.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/decide/", files.transfer_decide, name="transfer_decide"),
    path("changes/", files.change_request_list, name="change_request_list"),
    path("changes/<int:pk>/decide/", files.change_request_decide, name="change_request_decide"),
    path("files/<int:pk>/income/", income.file_income, name="file_income"),
    path("reviews/", files.review_queue, name="review_queue"),
    path("reviews/may-exit/", income.may_exit_list, name="may_exit"),
    path("spot-checks/<int:unit_pk>/", spot_checks.spot_check_page, name="yearly_sample"),
    path(
        "spot-checks/<int:unit_pk>/draw/",
        spot_checks.spot_check_draw_view,
        name="yearly_sample_draw",
    ),
    path(
        "spot-checks/files/<int:pk>/verified/",
        spot_checks.spot_check_file_verified,
        name="yearly_sample_verified",
    ),
    path("standards/", standards.living_standard_list, name="living_standard_list"),
    path("standards/new/", standards.living_standard_new, name="living_standard_new"),
    path("standards/<int:pk>/", standards.living_standard_edit, name="living_standard_edit"),
    path("imports/", include("hardship.urls_imports")),
    path("", include("hardship.urls_attachments")),
    path("", include("hardship.urls_pipeline")),
]
