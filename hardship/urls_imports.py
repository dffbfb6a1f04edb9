"""The spreadsheet import's pages, included by hardship/urls.py under ``imports/``."""

from django.urls import path

from hardship.views import imports

urlpatterns = [
    path("", imports.import_start, name="import_start"),
    path("template/", imports.import_template, name="import_template"),
    path("<int:pk>/", imports.import_detail, name="import_detail"),
    path("<int:pk>/columns/", imports.import_mapping, name="import_mapping"),
    path("<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
]
