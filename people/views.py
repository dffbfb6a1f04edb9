"""Signing in and out, the language switch, and a person's own profile."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.i18n import set_language

from people.access import branch_view, public
from people.forms import LanguageForm
from people.profile import profile_settings
from people.services import user_language_set

login_view = public(
    auth_views.LoginView.as_view(
        template_name="registration/login.html", redirect_authenticated_user=True
    )
)
logout_view = public(auth_views.LogoutView.as_view())
set_language_view = public(set_language)


@branch_view()
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in person: who they are, and their settings (the emails they get and in
    which language); each app above adds its own part (people/profile.py)."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    language = LanguageForm(data, initial={"language": user.language})
    parts = [(part, part.form(user, data)) for part in profile_settings()]
    forms = [language, *(form for _part, form in parts)]
    # Every form checked, not just up to the first invalid one: each shows its own errors.
    valid = [form.is_valid() for form in forms]
    if data is not None and all(valid):
        with transaction.atomic():
            user_language_set(user=user, language=language.cleaned_data["language"])
            for part, form in parts:
                part.save(user, form)
        messages.success(request, _("Your email settings are saved."))
        return redirect("people:profile")
    return render(
        request,
        "people/profile.html",
        {
            "language_form": language,
            "parts": [(part.template, form) for part, form in parts],
            "has_errors": any(form.errors for form in forms),
            "profile_user": user,
        },
        status=400 if data is not None else 200,
    )
