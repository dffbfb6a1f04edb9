"""Walk every URL pattern with hostile input: no answer may be a 500.

The demo world is loaded once per test process, and a person of the top unit
holding every role crawls it (GET only), following links and form actions, to
find for each URL pattern a concrete URL with real ids and every form that
posts to it. Each pattern's test then sends, signed in as that person:

- for every parameter of every GET form on the page and of every link to it (the
  view's filters), hostile values of its kind while the others keep their usual
  values, and then every parameter set to the same hostile value at once;
- to every POST form of the pattern, each field in turn set to hostile values
  of its kind while the others keep what the page offered, and then every field
  set to the same hostile value at once.

Any status but 500 is accepted: refusing, ignoring or explaining bad input are
all fine, crashing is not. Every test runs in a transaction rolled back at its
end, so a post that succeeds changes nothing for the next one.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from people.models import UnionUnit, User
from tests.factories import SignedInClient
from tests.test_url_access_walk import APP_VIEWS, example_url

pytestmark = pytest.mark.django_db

# One fixed small set, so the walk's runtime stays predictable.
HOSTILE = {
    "huge": "9" * 40,
    "negative": "-99999999999",
    "far_past": "0001-01-01",
    "far_future": "9999-12-31",
    "not_a_number": "abc",
    "empty": "",
    "long": "x" * 100_000,
    "control": "a\x01\x07\x1b\x7fb",
    "nul": "a\x00b",
    "line_breaks": "line\r\nbreak\n",
}
# What each kind of field is sent when it is the only hostile one in its form.
BY_KIND = {
    "number": ("huge", "not_a_number"),
    "date": ("far_past", "far_future"),
    "choice": ("huge", "not_a_number"),
    "text": ("long", "nul"),
}
# A query parameter typed as text is often a date, an id or a period in disguise.
BY_KIND_IN_QUERY = {**BY_KIND, "text": ("long", "nul", "far_future", "not_a_number", "huge")}
# Where no page links to a view (the demo holds no such row in a state that offers the
# action), its ids are those of the first row of the model it acts on.
OBJECTS = {
    "attachments/<int:pk>/": "hardship.Attachment",
    # Linked only from a fund's page, and the crawl takes a few pages a pattern: which funds
    # it reads depends on the order their list comes in, so the link is not always met.
    "funds/allocations/<int:pk>/reverse/": "funds.Allocation",
    "funds/receipts/<int:pk>/reverse/": "funds.Receipt",
    "documents/<int:pk>/": "documents.GeneratedDocument",
    "documents/<int:pk>/download/": "documents.GeneratedDocument",
    "documents/<int:pk>/retry/": "documents.GeneratedDocument",
    "documents/<int:pk>/status/": "documents.GeneratedDocument",
    "funds/allocations/<int:pk>/confirm/": "funds.Allocation",
    "funds/batches/<int:pk>/": "funds.DisbursementBatch",
    "funds/batches/<int:pk>/approve/": "funds.DisbursementBatch",
    "funds/batches/<int:pk>/reject/": "funds.DisbursementBatch",
    "funds/payments/<int:pk>/pay/": "funds.Disbursement",
    "funds/rosters/scans/<int:pk>/": "funds.RosterScan",
    "imports/<int:pk>/": "hardship.ImportBatch",
    "imports/<int:pk>/columns/": "hardship.ImportBatch",
    "imports/<int:pk>/confirm/": "hardship.ImportBatch",
    "mailings/campaigns/<int:pk>/progress/": "visits.Campaign",
    "spot-checks/files/<int:pk>/verified/": "hardship.SpotCheckFile",
    "transfers/<int:pk>/decide/": "hardship.FileTransfer",
    "visits/enterprise-pairings/<int:pk>/end/": "visits.EnterprisePairing",
    "visits/pairings/<int:pk>/end/": "visits.Pairing",
    "visits/photos/<int:pk>/": "visits.VisitPhoto",
}
# Views that neither a link nor a row reaches in the demo world, and why. They are
# still sent hostile input, at their example URL (ids 1).
UNREACHED = {
    "accounts/password-link/<uidb64>/<token>/": "reached only by the link an administrator emails",
    "funds/batches/new/<int:campaign_pk>/<int:unit_pk>/": "offered only once visit lists are approved",
    "funds/batches/<int:pk>/": "the demo proposes no batch",
    "funds/batches/<int:pk>/approve/": "the demo proposes no batch",
    "funds/batches/<int:pk>/reject/": "the demo proposes no batch",
    "funds/batches/<int:pk>/bank/": "the demo proposes no batch",
    "funds/batches/<int:pk>/bank/export/": "the demo proposes no batch",
    "funds/batches/<int:pk>/bank/results/": "the demo proposes no batch",
    "funds/bank/files/<int:pk>/download/": "the demo sends no payment file",
    "funds/bank/lines/<int:pk>/cash/": "the demo sends no payment file",
    "funds/bank/lines/<int:pk>/reissue/": "the demo sends no payment file",
    "attachments/<int:pk>/": "the demo uploads no proof",
    "documents/<int:pk>/": "the demo generates no document",
    "documents/<int:pk>/download/": "the demo generates no document",
    "documents/<int:pk>/retry/": "the demo generates no document",
    "documents/<int:pk>/status/": "the demo generates no document",
    "funds/rosters/scans/<int:pk>/": "the demo uploads no roster scan",
    "funds/schooling-grants/<int:pk>/": "the demo sets no schooling grant",
    "imports/<int:pk>/": "the demo imports no spreadsheet",
    "imports/<int:pk>/columns/": "the demo imports no spreadsheet",
    "imports/<int:pk>/confirm/": "the demo imports no spreadsheet",
    "spot-checks/files/<int:pk>/verified/": "the demo draws no spot check",
    "transfers/<int:pk>/decide/": "the demo transfers no file",
    "changes/<int:pk>/decide/": "the demo proposes no change to a file on record",
    "visits/enterprise-pairings/<int:pk>/end/": "the demo pairs no enterprise",
    "visits/photos/<int:pk>/": "the demo takes no photo",
    "notices/<int:pk>/approve/": "the crawl opens one notice, the running one (newest first)",
}
# How many concrete URLs per pattern the crawl visits: enough to find every form.
URLS_PER_PATTERN = 1


@dataclass
class FormField:
    name: str
    kind: str
    value: str


@dataclass
class Form:
    method: str
    action: str
    fields: list[FormField] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)

    def baseline(self) -> dict[str, str]:
        return {f.name: f.value for f in self.fields}

    def kinds_of_field(self) -> list[FormField]:
        """One field of each name, rows of a formset counted once (``members-3-name``)."""
        seen, fields = set(), []
        for form_field in self.fields:
            shape = re.sub(r"-\d+-", "-N-", form_field.name)
            if shape not in seen:
                seen.add(shape)
                fields.append(form_field)
        return fields


class FormParser(HTMLParser):
    """Collect links and forms with their fields and the values the page put in them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "button" and self.forms and attrs.get("name"):
            self.forms[-1].buttons[attrs["name"]] = attrs.get("value", "")
        elif tag == "form":
            self.forms.append(
                Form(
                    method=(attrs.get("method") or "get").lower(), action=attrs.get("action") or ""
                )
            )
        elif not self.forms or not attrs.get("name"):
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "submit":
                self.forms[-1].buttons[attrs["name"]] = attrs.get("value", "")
            if kind in ("submit", "button", "reset", "image", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" not in attrs and self._has(attrs["name"]):
                    return
                value = attrs.get("value", "on") if "checked" in attrs else ""
                self._add(FormField(attrs["name"], "choice", value))
                return
            kinds = {"number": "number", "date": "date", "datetime-local": "date", "month": "date"}
            self._add(FormField(attrs["name"], kinds.get(kind, "text"), attrs.get("value", "")))
            if kind == "hidden" and re.search(
                r"(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$", attrs["name"]
            ):
                self.forms[-1].fields[-1].kind = "number"
        elif tag == "select":
            self._select = FormField(attrs["name"], "choice", "")
            self._add(self._select)
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            if "selected" in attrs or (not self._select.value and value):
                self._select.value = value
        elif tag == "textarea":
            self._textarea = FormField(attrs["name"], "text", "")
            self._add(self._textarea)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def _has(self, name):
        return any(f.name == name for f in self.forms[-1].fields)

    def _add(self, form_field):
        fields = self.forms[-1].fields
        for i, existing in enumerate(fields):
            if existing.name == form_field.name:
                if form_field.value and not existing.value:
                    fields[i] = form_field
                return
        fields.append(form_field)


def route_of(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


@dataclass
class Site:
    user_pk: int
    urls: dict[str, list[str]] = field(default_factory=dict)
    get_forms: dict[str, list[Form]] = field(default_factory=dict)
    post_forms: dict[str, list[Form]] = field(default_factory=dict)


APP_ROUTES = {p.values[0] for p in APP_VIEWS}


def crawl(client: Client, site: Site) -> None:
    """Follow links and form actions from the home page and every id-free page."""
    queue = ["/"] + [example_url(r) for r in sorted(APP_ROUTES) if "<" not in r]
    seen = set()
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        route = route_of(path)
        if path in seen or route not in APP_ROUTES:
            continue
        if (
            path not in site.urls.get(route, [])
            and len(site.urls.get(route, [])) >= URLS_PER_PATTERN
        ):
            continue
        seen.add(path)
        site.urls.setdefault(route, [])
        if path not in site.urls[route]:
            site.urls[route].append(path)
        response = client.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = FormParser()
        parser.feed(response.content.decode())
        for link in parser.links:
            target = urljoin(path, link)
            if not target.startswith("/") or target.startswith("//"):
                continue
            queue.append(target)
            # A link's query parameters are filters its view reads, like a GET form's.
            parts = urlsplit(target)
            link_route = route_of(parts.path)
            if parts.query and link_route in APP_ROUTES:
                form = Form("get", parts.path, [
                    FormField(name, "text", value) for name, value in parse_qsl(parts.query)
                ])  # fmt: skip
                known = site.get_forms.setdefault(link_route, [])
                if not any(
                    {f.name for f in k.fields} == {f.name for f in form.fields} for k in known
                ):
                    known.append(form)
        for form in parser.forms:
            action = urlsplit(urljoin(path, form.action or path)).path
            action_route = route_of(action)
            if action_route not in APP_ROUTES:
                continue
            form.action = action
            forms = site.post_forms if form.method == "post" else site.get_forms
            known = forms.setdefault(action_route, [])
            names = {f.name for f in form.fields}
            if not any({f.name for f in k.fields} == names for k in known):
                known.append(form)
            if form.method == "post" and action not in site.urls.get(action_route, []):
                site.urls.setdefault(action_route, []).append(action)
            else:
                queue.append(action)


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker):
    """The demo world, committed for this module's tests and emptied after them."""
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0)
        top = UnionUnit.objects.filter(parent__isnull=True).order_by("path").first()
        user = User.objects.create_user(
            username="walk.everything",
            password="Walk-Everything-42",
            full_name="全权测试",
            unit=top,
            is_caseworker=True,
            is_approver=True,
            is_viewer=True,
            is_unit_admin=True,
        )
        site = Site(user_pk=user.pk)
        client = SignedInClient(raise_request_exception=False)
        client.force_login(user)
        crawl(client, site)
        for route, label in OBJECTS.items():
            row = apps.get_model(label).objects.order_by("pk").first()
            if route not in site.urls and row is not None:
                site.urls[route] = [example_url(re.sub(r"<int:\w+>", str(row.pk), route))]
    yield site
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        from importlib import import_module

        import_module("hardship.migrations.0002_causes").add_causes(apps, None)
        import_module("funds.migrations.0002_default_aid_rules").add_rules(apps, None)


@pytest.fixture
def walker(site, db):
    client = SignedInClient(raise_request_exception=False)
    client.force_login(User.objects.get(pk=site.user_pk))
    return client


def test_the_crawl_reaches_every_view_but_the_known_few(site):
    unreached = {r for r in APP_ROUTES if r not in site.urls}

    assert sorted(unreached) == sorted(UNREACHED), " ".join(sorted(unreached))


def _check(response, what):
    assert response.status_code != 500, f"{what} answered 500"


def _show(value: str) -> str:
    return repr(value if len(value) < 40 else value[:20] + f"…({len(value)} chars)")


@pytest.mark.parametrize(("route", "pattern", "namespaces"), APP_VIEWS)
def test_no_hostile_input_makes_a_view_answer_500(site, walker, route, pattern, namespaces):
    urls = site.urls.get(route) or [example_url(route)]
    url = urls[0]
    failures = []

    def send(method, target, data):
        response = getattr(walker, method)(target, data)
        if response.status_code == 500:
            failures.append(
                f"{method.upper()} {target} {{{', '.join(f'{k}: {_show(v)}' for k, v in data.items())}}}"
            )

    # Ids in the path that are not numbers, or far too large.
    if "<" in route:
        for bad in ("99999999999999999999", "x" * 300):
            target = "/" + re.sub(r"<(?:int|slug|str):\w+>", bad, route)
            if route_of(urlsplit(target).path) is not None:
                send("get", target, {})

    for target in urls:
        send("get", target, {})

    # Every filter the page knows, one at a time beside the others' usual values with
    # values of its kind, then all at once with every hostile value.
    for form in site.get_forms.get(route, []):
        target = url if route_of(form.action) != route else form.action
        for form_field in form.kinds_of_field():
            for key in BY_KIND_IN_QUERY[form_field.kind]:
                send("get", target, {**form.baseline(), form_field.name: HOSTILE[key]})
        for value in HOSTILE.values():
            send("get", target, {f.name: value for f in form.fields})

    # Every field of every form posting here: each alone with values of its kind, then all
    # at once with every hostile value, pressing each of the form's named buttons in turn.
    forms = site.post_forms.get(route) or [Form("post", url)]
    for form in forms:
        for form_field in form.kinds_of_field():
            for key in BY_KIND[form_field.kind]:
                send("post", form.action, {**form.baseline(), form_field.name: HOSTILE[key]})
        for button in [{}, *({name: value} for name, value in form.buttons.items())]:
            for value in HOSTILE.values():
                everything = {f.name: value for f in form.fields} or {"x": value}
                send("post", form.action, {**everything, **button})

    assert not failures, "\n".join(failures)
