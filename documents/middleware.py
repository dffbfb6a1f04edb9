"""Turn a refused document request (the person's hourly allowance) into a message."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from documents.services import TooManyRequests


class DocumentAllowanceMiddleware:
    """Every page that asks for a document or job refuses the same way: back where the
    person came from, with the reason, instead of an error page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, TooManyRequests):
            return None
        for message in exception.messages:
            messages.error(request, message)
        back = request.headers.get("referer", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return redirect(back)
