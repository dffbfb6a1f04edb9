"""Every string a person sees is translated: Chinese complete, English complete."""

import gettext
import html
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


def download_names() -> dict[str, str]:
    """Every download's name, built from Chinese data by the function its page or job uses."""
    from datetime import date

    from funds.models import Fund
    from funds.rosters import Roster, fund_statement_file_name
    from hardship.checks import check_request_file_name
    from hardship.exporting import export_file_name
    from hardship.file_card import file_card_file_name
    from hardship.household_record import household_record_file_name
    from hardship.models import HardshipFile, PublicNotice
    from hardship.notices import notice_sheet_file_name
    from people.models import UnionUnit
    from reports.documents import campaign_report_file_name, periodic_report_file_name
    from reports.periods import Period
    from visits.documents import Selection
    from visits.models import Campaign

    unit = UnionUnit(name="江岸区总工会", code="HB-WH-JA")
    campaign = Campaign(name="2026年冬送温暖", organiser=unit)
    file = HardshipFile(file_number="420102-2026-0000007", unit=unit)
    fund = Fund(name="送温暖资金", unit=unit)
    first, last = date(2026, 11, 1), date(2026, 11, 30)
    return {
        "file card": file_card_file_name(file),
        "household record": household_record_file_name(file),
        "file export (xlsx)": export_file_name("xlsx"),
        "file export (csv)": export_file_name("csv"),
        "check request": check_request_file_name(),
        "notice sheet": notice_sheet_file_name(PublicNotice(starts_on=first)),
        "visit list": Selection(unit=unit, campaign=campaign, helper=None, rows=[]).file_name(
            "pdf"
        ),
        "roster": Roster(campaign=campaign, unit=unit, lines=[]).file_name("xlsx"),
        "fund statement": fund_statement_file_name(fund, first_day=first, last_day=last),
        "campaign report": campaign_report_file_name(campaign),
        "monthly report": periodic_report_file_name(unit=unit, period=Period.month(2026, 11)),
        "quarterly report": periodic_report_file_name(unit=unit, period=Period.quarter(2026, 4)),
        "yearly report": periodic_report_file_name(unit=unit, period=Period.year(2026)),
        "report of the year so far": periodic_report_file_name(
            unit=unit, period=Period.year_to_date(date(2026, 11, 5))
        ),
    }


def test_download_names_in_the_chinese_ui_have_no_english_words():
    from django.utils import translation

    with translation.override("zh-hans"):
        names = download_names()

    english = {
        what: name
        for what, name in names.items()
        # The extension is the file's type, not a word the reader is meant to read.
        if re.findall(r"[A-Za-z]{3,}", name.rsplit(".", 1)[0])
    }
    assert english == {}
    assert all(CJK.search(name) for name in names.values())


@pytest.fixture
def signed_in_elsewhere(superuser):
    """A sign-in record and a change in each history, so their lists have rows to label."""
    from axes.models import AccessAttempt, AccessLog

    AccessLog.objects.create(username="wuhan.cw", ip_address="10.0.0.8", user_agent="Chrome")
    AccessAttempt.objects.create(
        username="wuhan.cw", ip_address="10.0.0.9", user_agent="Chrome", failures_since_start=2
    )


def test_django_admin_in_chinese_shows_no_english_words(
    client, superuser, caseworker, signed_in_elsewhere, tree
):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import open_file

    open_file(by=caseworker, unit=tree.jiangan, name="陈桂兰")
    app = TOTPDevice.objects.create(user=caseworker, name="手机", confirmed=True)
    codes = StaticDevice.objects.create(user=caseworker, name="备用码", confirmed=True)
    codes.token_set.create(token="12345678")
    client.force_login(superuser)
    pages = [
        reverse("admin:index"),
        reverse("admin:otp_totp_totpdevice_changelist"),
        reverse("admin:otp_totp_totpdevice_add"),
        reverse("admin:otp_totp_totpdevice_change", args=[app.pk]),
        reverse("admin:otp_static_staticdevice_changelist"),
        reverse("admin:otp_static_staticdevice_add"),
        reverse("admin:otp_static_staticdevice_change", args=[codes.pk]),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:axes_accesslog_changelist"),
        reverse("admin:axes_accessfailurelog_changelist"),
        reverse("admin:hardship_hardshipfileevent_changelist"),
        reverse("admin:hardship_householdmemberevent_changelist"),
        reverse("admin:people_accountevent_changelist"),
    ]
    # Data, not labels: user names, a browser's own name, unit codes, and what axes records
    # as "<unknown>" for a test client's sign-in, which sends no browser name; the name the
    # factories give a caseworker's authenticator.
    data = {superuser.username, caseworker.username, "wuhan", "Chrome", "ACFTU", "unknown"}
    data |= {"test", "authenticator"}
    for url in pages:
        text = html.unescape(visible_text(client.get(url).content.decode()))
        words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"English"} - data
        assert words == set(), f"{url}: {sorted(words)}"


def test_admin_never_shows_a_second_factor_secret(client, superuser, caseworker):
    """Whoever reads a device's key or recovery codes can sign in as its owner."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    app = TOTPDevice.objects.create(user=caseworker, name="手机", confirmed=True)
    codes = StaticDevice.objects.create(user=caseworker, name="备用码", confirmed=True)
    codes.token_set.create(token="73915246")
    client.force_login(superuser)

    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[app.pk])).content.decode()
    assert app.key not in page
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[app.pk]))
    assert config.status_code == 403
    page = client.get(reverse("admin:otp_static_staticdevice_change", args=[codes.pk]))
    assert "73915246" not in page.content.decode()


def test_admin_offers_no_groups_of_django_permissions(client, superuser):
    """Roles and units say what a person may do; a group page would grant nothing."""
    client.force_login(superuser)
    assert "/admin/auth/group/" not in client.get(reverse("admin:index")).content.decode()
    assert client.get("/admin/auth/group/").status_code == 404


def test_every_string_in_the_source_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    """A string marked for translation but never extracted shows in English to everyone:
    extract the project afresh (as ``make messages`` does) and look for each in the .po.

    From a copy of the sources: makemessages writes beside the nearest ``locale`` folder."""
    import shutil

    from django.core.management import call_command

    root = LOCALE.parent.parent.parent
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(
            ".*", "var", "tests", "bench", "locale", "node_modules", "__pycache__", "*.pyc"
        ),
    )
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    settings.LOCALE_PATHS = [copy / "locale"]
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    fresh = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(LOCALE / "django.po"))}

    missing = [e.msgid for e in fresh if (e.msgctxt, e.msgid) not in known]

    assert missing == [], "run make messages and translate these"
