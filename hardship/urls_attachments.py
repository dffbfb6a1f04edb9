"""Attachment URLs, included by hardship/urls.py inside its "hardship" namespace."""

from django.urls import path

from hardship.views import attachments

urlpatterns = [
    path(
        "files/<int:file_pk>/attachments/",
        attachments.attachment_upload,
        name="attachment_upload",
    ),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
]
