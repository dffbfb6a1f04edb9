from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from hardship import views as hardship_views

admin.site.site_header = _("Warmth administration")
admin.site.site_title = _("Warmth administration")
admin.site.index_title = _("Union units, users and records")

urlpatterns = [
    path("accounts/login/", hardship_views.login_view, name="login"),
    path("accounts/logout/", hardship_views.logout_view, name="logout"),
    path("i18n/setlang/", hardship_views.set_language_view, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("hardship.urls")),
]
