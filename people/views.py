"""Signing in and out (with a second factor for administrators), the language switch, and a
person's own profile and password."""

from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.i18n import set_language

from common.errors import RuleBroken
from common.forms import show_refusal
from people.access import branch_view, public
from people.forms import EnrolmentForm, LanguageForm, SecondFactorForm
from people.profile import profile_settings
from people.selectors import second_factor_required
from people.services import (
    second_factor_confirm,
    second_factor_device_for_enrolment,
    second_factor_verify,
    user_language_set,
    user_password_set,
)

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


@branch_view()
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change(request: HttpRequest) -> HttpResponse:
    """A person changes their own password, giving the current one. Nobody else can."""
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = user_password_set(
            user=request.user, password=form.cleaned_data["new_password1"], through_link=False
        )
        # Stay signed in here (and verified); other sessions of this person end.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect("people:profile")
    return render(
        request,
        "people/password_change.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


class PasswordLinkView(auth_views.PasswordResetConfirmView):
    """Where the one-time link an administrator sent lands: the person sets their password.

    Django's view checks the token, moves it out of the address into the session (so it does
    not leak through the Referer header) and refuses a used or expired link.
    """

    template_name = "people/password_link.html"
    success_url = reverse_lazy("people:login")

    def form_valid(self, form):
        user_password_set(
            user=form.user, password=form.cleaned_data["new_password1"], through_link=True
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, _("Your password is set. Sign in with it."))
        return HttpResponseRedirect(self.get_success_url())


password_link = public(PasswordLinkView.as_view())


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@branch_view()
@sensitive_post_parameters("token")
@never_cache
def second_factor(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for superusers and unit administrators.

    With an authenticator already set up, it asks for its code (or a recovery code). On the
    first sign-in it sets one up: a QR code and the key to type in, then the app's first code,
    then the recovery codes, shown this once.
    """
    from django_otp import login as otp_login
    from django_otp import user_has_device

    user = request.user
    next_url = _next_url(request)
    if not second_factor_required(user) or user.is_verified():
        return redirect(next_url)
    data = request.POST if request.method == "POST" else None
    if user_has_device(user, confirmed=True):
        form = SecondFactorForm(data)
        if data is not None and form.is_valid():
            device = second_factor_verify(user=user, token=form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                return redirect(next_url)
            form.add_error(
                "token", _("That code is not right, or was used already. Wait for a new one.")
            )
        return render(
            request,
            "people/second_factor_verify.html",
            {"form": form, "next": next_url},
            status=400 if data is not None else 200,
        )
    device = second_factor_device_for_enrolment(user=user)
    form = EnrolmentForm(data)
    if data is not None and form.is_valid():
        try:
            codes = second_factor_confirm(
                user=user, device=device, token=form.cleaned_data["token"]
            )
        except RuleBroken as refusal:
            show_refusal(form, refusal)
        else:
            otp_login(request, device)
            return render(request, "people/recovery_codes.html", {"codes": codes, "next": next_url})
    return render(
        request,
        "people/second_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": _qr_code_svg(device.config_url),
            "secret": b32encode(device.bin_key).decode(),
        },
        status=400 if data is not None else 200,
    )


def _qr_code_svg(text: str) -> str:
    """``text`` as an SVG QR code (markup the page embeds: made here, never from input)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return image.to_string(encoding="unicode")
