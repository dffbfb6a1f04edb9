"""Every string a person sees is translated: Chinese complete, English complete."""

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from tests.factories import UnionUnitFactory, UserFactory

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def test_every_source_string_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))

    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_the_source_catalogue():
    po = polib.pofile(str(LOCALE / "django.po"))
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def compiled_text(entry):
        if entry.msgctxt:
            return compiled.pgettext(entry.msgctxt, entry.msgid)
        return compiled.gettext(entry.msgid)

    stale = [
        e.msgid
        for e in po.translated_entries()
        if not e.msgid_plural and compiled_text(e) != e.msgstr
    ]
    assert stale == [], "run `make messages` to recompile django.mo"


def visible_text(html: str) -> str:
    html = re.sub(r"<option[^>]*lang=\"zh-hans\"[^>]*>.*?</option>", "", html)  # the switch itself
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return html


@pytest.fixture
def english_world(client, db):
    """A tree and a user whose data is all Latin, so any Chinese on the page is UI text."""
    national = UnionUnitFactory(name="National", code="N", level=1)
    province = UnionUnitFactory(name="Province A", code="PA", level=2, parent=national)
    UnionUnitFactory(name="City A1", code="PA-1", level=3, parent=province)
    user = UserFactory(username="english.user", full_name="Li Jianguo", unit=province)
    client.cookies["warmth_language"] = "en"
    return client, user, province


def test_signed_in_pages_in_english_contain_no_chinese(english_world):
    client, user, province = english_world
    client.force_login(user)

    for url in [reverse("reports:home"), reverse("reports:unit_detail", args=[province.pk]),
                reverse("reports:unit_detail", args=[999_999])]:  # fmt: skip
        text = visible_text(client.get(url).content.decode())
        assert CJK.findall(text) == [], f"{url}: {text}"


def test_the_sign_in_page_in_english_contains_no_chinese(english_world):
    client, _, _ = english_world

    text = visible_text(client.get(reverse("people:login")).content.decode())

    assert CJK.findall(text) == []


def test_the_chinese_pages_show_no_english_words(caseworker_client, tree):
    for url in [reverse("reports:home"), reverse("reports:unit_detail", args=[tree.jiangan.pk])]:
        text = visible_text(caseworker_client.get(url).content.decode())
        # Unit codes (HB-WH) are data; the English option of the switch is its own name.
        words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"English"}
        assert words == set(), f"{url}: {words}"
