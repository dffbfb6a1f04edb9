"""Request facts that security decisions rest on."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the machine that sent the request.

    ``X-Forwarded-For`` is trusted only for the number of reverse proxies the
    deployment declares (``TRUSTED_PROXY_COUNT``), read from the right, where our
    own proxies append. Anything a client writes further left is ignored, so a
    forged header cannot escape the login throttle.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote_addr
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote_addr
    return forwarded[-proxies]
