from django.test import RequestFactory

from config.security import client_ip


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "10.1.1.1"


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )

    # 6.6.6.6 was written by the client itself; only the proxy's entry counts.
    assert client_ip(request) == "203.0.113.7"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert client_ip(request) == "10.0.0.2"
