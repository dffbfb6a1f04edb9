"""Public notice and civil-affairs check URLs, included by hardship/urls.py in its namespace."""

from django.urls import path

from hardship.views import pipeline

urlpatterns = [
    path("notices/", pipeline.notice_list, name="notice_list"),
    path("notices/new/", pipeline.notice_new, name="notice_new"),
    path("notices/<int:pk>/", pipeline.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/sheet.pdf", pipeline.notice_sheet, name="notice_sheet"),
    path("notices/<int:pk>/objections/", pipeline.notice_object, name="notice_object"),
    path("notices/<int:pk>/approve/", pipeline.notice_approve, name="notice_approve"),
    path("objections/<int:pk>/decide/", pipeline.objection_decide, name="objection_decide"),
    path("checks/", pipeline.check_list, name="check_list"),
    path("checks/request/", pipeline.check_request, name="check_request"),
    path("checks/results/", pipeline.check_results, name="check_results"),
    path("checks/<int:pk>/decide/", pipeline.check_decide, name="check_decide"),
]
