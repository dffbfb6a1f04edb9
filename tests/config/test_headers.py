"""Every page carries a Content-Security-Policy without 'unsafe-inline' and a Permissions-Policy,
and nothing the browser is sent needs 'unsafe-inline': no inline script, <style>, style="" or
on…="" handler in the templates or in the pages rendered from them.

tests/browser/test_content_security_policy.py proves the pages still work under the policy.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import include, path

from people.access import public
from tests.test_url_access_walk import ALL_VIEWS, example_url

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Never served to a browser: PDFs are drawn by WeasyPrint, emails read in mail clients (which
# ignore stylesheets, so their styles are inline on purpose).
NOT_BROWSER_TEMPLATES = ("pdf", "mailings/email")
# Data a script reads (json_script); the browser never runs it, so the policy allows it.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineCodeFinder(HTMLParser):
    """Collect what a policy without 'unsafe-inline' would refuse."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        line = self.getpos()[0]
        if tag == "style":
            self.found.append(f"line {line}: <style>")
        script_type = (attributes.get("type") or "").lower()
        if tag == "script" and not attributes.get("src") and script_type not in DATA_SCRIPT_TYPES:
            self.found.append(f"line {line}: inline <script>")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"line {line}: style={value!r} on <{tag}>")
            elif name.startswith("on") and re.fullmatch(r"on[a-z]+", name):
                self.found.append(f"line {line}: {name}= on <{tag}>")
            elif name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append(f"line {line}: javascript: URL on <{tag}>")


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.found


def browser_templates() -> list[Path]:
    return sorted(
        template
        for template in TEMPLATES.rglob("*.html")
        if not template.relative_to(TEMPLATES).as_posix().startswith(NOT_BROWSER_TEMPLATES)
    )


def assert_policies(response, url: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    assert directives, f"{url} has no Content-Security-Policy"
    assert "unsafe-inline" not in policy, f"{url}: {policy}"
    assert "unsafe-eval" not in policy, f"{url}: {policy}"
    assert directives.get("default-src") == "'self'", f"{url}: {policy}"
    assert directives.get("script-src") == "'self'", f"{url}: {policy}"
    assert directives.get("style-src") == "'self'", f"{url}: {policy}"
    assert directives.get("object-src") == "'none'", f"{url}: {policy}"
    assert directives.get("frame-ancestors") == "'none'", f"{url}: {policy}"
    assert directives.get("form-action") == "'self'", f"{url}: {policy}"
    assert directives.get("base-uri") == "'self'", f"{url}: {policy}"
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions, f"{url}: {permissions}"


def test_the_templates_a_browser_gets_hold_no_inline_script_or_style():
    offences = {
        template.relative_to(TEMPLATES).as_posix(): found
        for template in browser_templates()
        if (found := inline_code(template.read_text()))
    }

    assert offences == {}


def test_the_inline_code_finder_finds_what_the_policy_refuses():
    html = (
        '<style>p{}</style><script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href=" JavaScript:void(0)">a</a><script src="/static/js/menu.js"></script>'
        '<script id="d" type="application/json">{}</script>'
    )

    assert len(inline_code(html)) == 5


def test_no_admin_page_needs_the_inline_style_django_adds_without_action_bars():
    # Django's change_list.html writes a <style> block when a ModelAdmin turns off the action
    # bar both at the top and at the bottom; the policy would refuse it.
    without_bars = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        if not model_admin.actions_on_top and not model_admin.actions_on_bottom
    ]

    assert without_bars == []


def raise_an_error(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("broken/", public(raise_an_error)),
    path("", include("config.urls")),
]


@pytest.mark.urls(__name__)
def test_the_server_error_page_carries_the_policies_and_needs_no_inline_style(db):
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    assert response.status_code == 500
    assert_policies(response, "/broken/")
    assert inline_code(response.content.decode()) == []


def test_the_not_found_and_sign_in_pages_carry_the_policies(client, db):
    for url in ("/no-such-page/", "/accounts/login/", "/admin/login/"):
        response = client.get(url)

        assert_policies(response, url)
        assert inline_code(response.content.decode()) == [], url


def test_a_refused_form_carries_the_policies(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert_policies(response, "/accounts/login/")
    assert inline_code(response.content.decode()) == []


def test_every_page_carries_the_policies_and_needs_no_inline_code(caseworker, superuser, tree):
    # Every URL pattern, as someone who may see it: admin as a superuser, the rest as 武汉's
    # caseworker, every id that of 武汉 (its dashboard, money by unit and admin page render in
    # full; the rest answer their 404 page or a redirect, which must carry the policies too).
    # One test over all of them: each pattern's own database setup cost a second.
    caseworker_client, superuser_client = Client(), Client()
    caseworker_client.force_login(caseworker)
    superuser_client.force_login(superuser)
    checked, rendered = 0, 0
    for param in ALL_VIEWS:
        route, _pattern, namespaces = param.values
        client = superuser_client if "admin" in namespaces else caseworker_client
        url = example_url(re.sub(r"<(?:int|path):\w+>", str(tree.wuhan.pk), route))

        response = client.get(url)

        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        assert_policies(response, url)
        checked += 1
        if response.status_code == 200:
            assert inline_code(response.content.decode()) == [], url
            rendered += 1

    # The walk reached pages, not only refusals (a walk that renders nothing proves nothing).
    assert checked > len(ALL_VIEWS) / 2
    assert rendered > 20
