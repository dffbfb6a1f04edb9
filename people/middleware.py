"""Language choice (Simplified Chinese unless the person chose otherwise), and the second
factor administrators sign in with."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from people.selectors import second_factor_required


class ChosenLanguageMiddleware:
    """Activate the language from the language switch's cookie, else Chinese.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and
    an English-language browser in a union office would then show English to
    a caseworker who never asked for it. The UI is Chinese by default; English
    is a deliberate choice made with the switch in the page header.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = dict(settings.LANGUAGES)
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class SecondFactorMiddleware:
    """Send a superuser or unit administrator who has signed in with only a password to the
    second-factor page, for every page of the application and of Django admin alike.

    They can change other people's accounts, so a stolen password alone must not be enough.
    Only the pages needed to finish (or abandon) signing in are left open. Runs after
    django-otp's OTPMiddleware, which tells whether this session is verified.
    """

    OPEN_VIEWS = frozenset(
        {"people:second_factor", "people:logout", "people:set_language", "people:login",
         "admin:logout"}
    )  # fmt: skip

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        user = request.user
        if not second_factor_required(user) or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.OPEN_VIEWS:
            return None
        target = reverse("people:second_factor")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
