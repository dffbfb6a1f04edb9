"""The people bench/load.py sends at a web node (Locust user classes; run by bench/load.py).

``Caseworker`` signs in once and then works as a caseworker does through a day: the file list
and its search, a file's page, logging a visit, proposing a payment, the home page, with a
few seconds of reading between pages. ``PlainVisitor`` is the baseline: the same number of
people asking for the sign-in page, which touches no data. The accounts and the password
come from the environment bench/load.py sets (LOAD_USERNAMES, LOAD_PASSWORD).
"""

import itertools
import os
import random
import re
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from locust import HttpUser, between, task

CHINA = ZoneInfo("Asia/Shanghai")  # the app's day, which the visit date must not pass
USERNAMES = itertools.cycle(os.environ.get("LOAD_USERNAMES", "").split(","))
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
# Two-character name searches and a pinyin one, as caseworkers type them.
SEARCHES = ["王", "张伟", "李", "刘芳", "chen", "wang"]
FILE_LINK = re.compile(r'href="/files/(\d+)/"')
ERRORS = re.compile(r'class="(?:field__error|form-errors)"[^>]*>(.*?)</(?:p|div)>\s*(?!<p)', re.S)
TAGS = re.compile(r"<[^>]+>|\s+")


class FormFields(HTMLParser):
    """The fields a browser would submit from the page's form that posts to ``action`` (its own
    address when it names none; the header's sign-out form posts elsewhere): hidden and filled inputs, checked boxes, the selected (else first)
    option, textareas. Enough to submit a Django form as a person who accepts its defaults."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: dict[str, str] = {}
        self._in_post_form = False
        self._select: str | None = None
        self._select_has_value = False
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_post_form = (a.get("method") or "").lower() == "post" and (
                a.get("action") or self.action
            ) == self.action
        if not self._in_post_form or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in self.fields):
                    self.fields[name] = a.get("value", "on")
            elif kind not in ("file", "submit", "button"):
                self.fields.setdefault(name, a.get("value") or "")
        elif tag == "select":
            self._select, self._select_has_value = name, False
        elif tag == "textarea":
            self._textarea = name
            self.fields.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data.strip()


class OptionPicker(FormFields):
    """FormFields, with a select's chosen option: the one marked selected, else the first, as a
    browser submits it."""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "option" and self._select and self._in_post_form:
            value = a.get("value") or ""
            if "selected" in a or not self._select_has_value:
                self.fields[self._select] = value
                self._select_has_value = True
            return
        super().handle_starttag(tag, attrs)


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = OptionPicker(action)
    parser.feed(html)
    return parser.fields


class Caseworker(HttpUser):
    wait_time = between(2, 6)  # reading a page before the next click

    def on_start(self) -> None:
        self.username = next(USERNAMES)
        self.file_ids: list[str] = []
        self.sign_in()

    def sign_in(self) -> None:
        self.client.get("/accounts/login/", name="sign-in page")
        self.client.post(
            "/accounts/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="sign in",
        )

    def post_form(self, url: str, overrides: dict[str, str], name: str) -> None:
        page = self.client.get(url, name=f"{name} (form)")
        if page.status_code != 200:
            return
        data = form_fields(page.text, url) | overrides
        with self.client.post(
            url,
            data,
            headers={"Referer": f"{self.host}{url}"},
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            # A saved form redirects; a form shown again means it was refused.
            if response.status_code != 302:
                refusal = ERRORS.search(response.text)
                why = TAGS.sub(" ", refusal.group(1)).strip() if refusal else "?"
                response.failure(f"refused: {why}")

    def a_file(self) -> str | None:
        return random.choice(self.file_ids) if self.file_ids else None

    @task(4)
    def file_list(self) -> None:
        # Households on file: the ones a caseworker visits and pays.
        params = {"status": "on_file"}
        if random.random() < 0.5:
            params["q"] = random.choice(SEARCHES)
        response = self.client.get("/files/", params=params, name="file list / search")
        found = FILE_LINK.findall(response.text)
        if found:
            self.file_ids = found[:20]

    @task(3)
    def file_page(self) -> None:
        if file_id := self.a_file():
            self.client.get(f"/files/{file_id}/", name="a file's page")

    @task(1)
    def log_visit(self) -> None:
        if file_id := self.a_file():
            self.post_form(
                f"/visits/files/{file_id}/visits/new/",
                {
                    "visited_on": datetime.now(CHINA).date().isoformat(),
                    "people_reached": "1",
                    "findings": "家中生活基本稳定，冬季取暖需要帮助。",
                },
                name="log a visit",
            )

    @task(1)
    def propose_payment(self) -> None:
        if file_id := self.a_file():
            self.post_form(
                f"/funds/files/{file_id}/payments/new/",
                {"purpose": "special", "amount": "300", "description": "冬季取暖补贴"},
                name="propose a payment",
            )

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="home page (dashboard)")


class PlainVisitor(HttpUser):
    """The baseline: a page that touches no data, at the same pace."""

    wait_time = between(2, 6)

    @task
    def sign_in_page(self) -> None:
        self.client.get("/accounts/login/", name="sign-in page (baseline)")
