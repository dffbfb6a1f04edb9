"""Responses to signed-in people are never kept by browsers or proxies."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class NoStoreForSignedInMiddleware:
    """Mark every response to a signed-in person ``Cache-Control: no-store``.

    Nearly every page behind the sign-in holds personal data (names, addresses,
    phones, masked or revealed ID numbers, incomes), and so do the downloads and
    progress answers. Marking each view would leave the next one forgotten; one
    middleware keeps it complete, at the cost of no browser cache for pages that
    would not need it, which a caseworker's pages barely use anyway.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        already = "no-store" in response.get("Cache-Control", "")
        if user is not None and user.is_authenticated and not already:
            add_never_cache_headers(response)
        return response
