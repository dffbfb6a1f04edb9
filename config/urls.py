from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from documents import health

admin.site.site_header = _("Warmth administration")
admin.site.site_title = _("Warmth administration")
admin.site.index_title = _("Union units, users and records")

urlpatterns = [
    path("", include("people.urls")),
    path("admin/", admin.site.urls),
    path("documents/", include("documents.urls")),
    path("visits/", include("visits.urls")),
    path("funds/", include("funds.urls")),
    path("mailings/", include("mailings.urls")),
    path("audit/", include("audit.urls")),
    path("health/", health.health, name="health"),
    path("health/deep/", health.health_deep, name="health_deep"),
    path("", include("reports.urls")),
    path("", include("hardship.urls")),
]
