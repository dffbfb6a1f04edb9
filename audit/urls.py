from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_page, name="audit_page"),
    path("export.csv", views.audit_export, name="audit_export"),
]
