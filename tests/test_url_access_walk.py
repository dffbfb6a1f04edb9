"""Walk every URL pattern: each view must declare an access rule, and the rule must hold.

A new view that forgets to say who may see it fails here before it ships; the
middleware also refuses it at run time (see the last test).
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.urls.exceptions import NoReverseMatch

from people.access import BRANCH, PUBLIC, access_rule_of

EXEMPT_NAMESPACES = {"admin"}
# password_link: the one-time link a person opens before they have a password to sign in with.
# health_deep checks its own caller (a superuser, or the monitoring token) and answers 404 else.
EXPECTED_PUBLIC = {"login", "logout", "set_language", "password_link", "health", "health_deep"}


def walk(patterns, prefix="", namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = (entry.namespace,) if entry.namespace else ()
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), namespaces + namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, namespaces


def example_url(route: str) -> str:
    """Turn a route into a concrete URL, filling every converter with a plausible value."""
    url = re.sub(r"<int:\w+>", "1", route)
    url = re.sub(r"<(?:str|slug):\w+>", "x", url)
    url = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", url)
    url = re.sub(r"<path:\w+>", "x", url)
    url = url.lstrip("^").rstrip("$").replace("\\Z", "")
    return "/" + url


ALL_VIEWS = [
    pytest.param(route, pattern, namespaces, id=route or "/")
    for route, pattern, namespaces in walk(get_resolver().url_patterns)
]
APP_VIEWS = [p for p in ALL_VIEWS if not set(p.values[2]) & EXEMPT_NAMESPACES]


@pytest.mark.parametrize(("route", "pattern", "namespaces"), APP_VIEWS)
def test_every_view_declares_an_access_rule(route, pattern, namespaces):
    assert access_rule_of(pattern.callback) in (PUBLIC, BRANCH), (
        f"{route} ({pattern.name}) declares no access rule: decorate it with "
        "people.access.public or people.access.branch_view"
    )


def test_only_the_expected_views_are_public():
    public = {p.values[1].name for p in APP_VIEWS if access_rule_of(p.values[1].callback) == PUBLIC}

    assert public == EXPECTED_PUBLIC


def is_public(view) -> bool:
    # Django admin's own login and logout pages mark themselves login_not_required.
    return access_rule_of(view) == PUBLIC or getattr(view, "login_required", True) is False


@pytest.mark.parametrize(("route", "pattern", "namespaces"), ALL_VIEWS)
def test_an_anonymous_visitor_reaches_no_private_view(client, db, route, pattern, namespaces):
    if is_public(pattern.callback):
        return
    url = example_url(route)

    response = client.get(url)

    assert response.status_code in (302, 404), f"{url} answered {response.status_code}"
    if response.status_code == 302:
        assert "login" in response.url, f"{url} redirected to {response.url}"


@pytest.mark.parametrize(("route", "pattern", "namespaces"), APP_VIEWS)
def test_a_signed_in_sibling_gets_nothing_from_another_branchs_ids(
    sibling_client, tree, route, pattern, namespaces
):
    if access_rule_of(pattern.callback) == PUBLIC or "<" not in route:
        return
    # Fill every id with one from the 湖北 branch the sibling must not see.
    url = example_url(re.sub(r"<int:\w+>", str(tree.wuhan.pk), route))

    response = sibling_client.get(url)
    if response.status_code == 405:
        # A POST-only view answers every GET alike, ids of any branch or none; what it does
        # with another branch's id is what the POST shows.
        response = sibling_client.post(url)

    assert response.status_code == 404, f"{url} answered {response.status_code}"


def undeclared_view(request):
    from django.http import HttpResponse

    return HttpResponse("secret")


urlpatterns = [
    path("undeclared/", undeclared_view, name="undeclared"),
    path("", include("config.urls")),
]


@pytest.mark.urls(__name__)
def test_the_middleware_refuses_a_view_without_an_access_rule(caseworker_client):
    response = caseworker_client.get("/undeclared/")

    assert response.status_code == 404
    assert b"secret" not in response.content


def test_example_urls_resolve():
    for param in APP_VIEWS:
        try:
            get_resolver().resolve(example_url(param.values[0]))
        except NoReverseMatch:  # pragma: no cover - a broken example is a test bug
            pytest.fail(param.values[0])
