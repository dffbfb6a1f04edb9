"""Responses to signed-in people are never kept by browsers or proxies; the server's time
over each answer, when asked for."""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from common.statements import statements_counted


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


class ServerTimingMiddleware:
    """Say in a ``Server-Timing`` header how long the server took to answer, and how much of
    that was the database (with its number of queries), when ``SERVER_TIMING`` is on.

    It measures the server's part of a page alone, not the network or the browser's drawing:
    the browser walk of a campaign reads it to report each page's time (README, "The campaign
    walk"). Off by default in production: a query count could tell a page that found
    something outside the reader's branch from one that found nothing, where both answer 404.
    First in the middleware, so the time covers the sign-in, access and session work too.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.SERVER_TIMING:
            return self.get_response(request)
        started = time.perf_counter()
        with statements_counted() as database:
            response = self.get_response(request)
        app = (time.perf_counter() - started) * 1000
        db = database.seconds * 1000
        response["Server-Timing"] = (
            f'app;dur={app:.1f}, db;dur={db:.1f};desc="{database.count} queries"'
        )
        return response
