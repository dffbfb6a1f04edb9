from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from hardship.views import accounts

admin.site.site_header = _("Warmth administration")
admin.site.site_title = _("Warmth administration")
admin.site.index_title = _("Union units, users and records")

urlpatterns = [
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("i18n/setlang/", accounts.set_language_view, name="set_language"),
    path("admin/", admin.site.urls),
    path("visits/", include("visits.urls")),
    path("funds/", include("funds.urls")),
    path("mailings/", include("mailings.urls")),
    path("reports/", include("reports.urls")),
    path("", include("hardship.urls")),
]
