from django.urls import include, path

from hardship.views import documents, files, units

app_name = "hardship"

urlpatterns = [
    path("", units.home, name="home"),
    path("units/<int:pk>/", units.unit_detail, name="unit_detail"),
    path("files/", files.file_list, name="file_list"),
    path("files/export.<slug:fmt>", files.file_export, name="file_export"),
    path("files/find/", files.file_find_by_id, name="file_find_by_id"),
    path("files/new/", files.file_new, name="file_new"),
    path("files/new/form/", files.file_create, name="file_create"),
    path("files/<int:pk>/", files.file_detail, name="file_detail"),
    path("files/<int:pk>/edit/", files.file_edit, name="file_edit"),
    path("files/<int:pk>/card/", files.file_card, name="file_card"),
    path("files/<int:pk>/reveal-id/", files.file_reveal_id, name="file_reveal_id"),
    path("files/<int:pk>/do/<slug:action>/", files.file_action, name="file_action"),
    path("transfers/", files.transfer_list, name="transfer_list"),
    path("transfers/<int:pk>/decide/", files.transfer_decide, name="transfer_decide"),
    path("reviews/", files.review_queue, name="review_queue"),
    path("documents/<int:pk>/", documents.document_detail, name="document_detail"),
    path("documents/<int:pk>/status/", documents.document_status, name="document_status"),
    path("documents/<int:pk>/download/", documents.document_download, name="document_download"),
    path("documents/<int:pk>/retry/", documents.document_retry_view, name="document_retry"),
    path("imports/", include("hardship.urls_imports")),
    path("", include("hardship.urls_attachments")),
]
