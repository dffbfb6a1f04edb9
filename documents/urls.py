"""A generated document's page, its progress for the bar, its download and retry."""

from django.urls import path

from documents import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>/", views.document_detail, name="document_detail"),
    path("<int:pk>/status/", views.document_status, name="document_status"),
    path("<int:pk>/download/", views.document_download, name="document_download"),
    path("<int:pk>/retry/", views.document_retry_view, name="document_retry"),
]
