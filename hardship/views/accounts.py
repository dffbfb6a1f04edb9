"""Signing in and out, and the language switch: the only pages open to anyone."""

from django.contrib.auth import views as auth_views
from django.views.i18n import set_language

from hardship.access import public

login_view = public(
    auth_views.LoginView.as_view(
        template_name="registration/login.html", redirect_authenticated_user=True
    )
)
logout_view = public(auth_views.LogoutView.as_view())
set_language_view = public(set_language)
