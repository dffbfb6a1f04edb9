"""Each email is built as its recipient: their branch only, their language, masked ID numbers."""

from datetime import datetime, time, timedelta

import pytest
from django.core import mail

from hardship.models import HardshipFile
from mailings.choices import EmailKind
from mailings.models import CampaignProgressSchedule, EmailOptOut, OutboxEmail
from mailings.outbox import outbox_dispatch, outbox_send
from tests.factories import UserFactory, make_id_number
from tests.mailings.conftest import MONDAY_0805, attachments_of, set_schedule
from tests.visits.test_visits import campaign, follow_up, household, list_row, log, today
from visits.models import FollowUp

pytestmark = pytest.mark.usefixtures("standards")
NEXT_MONDAY = MONDAY_0805 + timedelta(days=7)
# The 1st of December 2026, 08:35 in Beijing: the monthly report of November is due.
FIRST_OF_DECEMBER = MONDAY_0805 + timedelta(days=1, minutes=30)


def digests_only():
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)


def reports_only():
    set_schedule(EmailKind.WEEKLY_DIGEST, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)


def dispatch_and_send(now) -> dict[str, mail.EmailMultiAlternatives]:
    """Dispatch what is due at ``now`` and send it; the messages by address."""
    for email_id in outbox_dispatch(now=now):
        outbox_send(email_id=email_id, now=now)
    return {m.to[0]: m for m in mail.outbox}


def html_of(message) -> str:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


def review_due(file: HardshipFile, days: int = 3) -> HardshipFile:
    HardshipFile.objects.filter(pk=file.pk).update(review_due_on=today() + timedelta(days=days))
    return file


@pytest.fixture
def wuhan_and_yichang(tree, caseworker):
    """A household due for review in 武汉's branch and one in 宜昌's, both listed unvisited."""
    yichang_cw = UserFactory(unit=tree.yichang)
    wuhan_file = review_due(
        household(
            by=caseworker, unit=tree.jiangan, name="江岸户主", id_number=make_id_number(sequence=11)
        )
    )
    yichang_file = review_due(
        household(
            by=yichang_cw, unit=tree.yichang, name="宜昌户主", id_number=make_id_number(sequence=13)
        )
    )
    drive = campaign(tree.hubei, caseworker, name="湖北冬送温暖")
    list_row(drive, wuhan_file)
    list_row(drive, yichang_file)
    return wuhan_file, yichang_file


# ---------------------------------------------------------------------- the weekly digest


def test_the_digest_lists_the_recipients_branch_with_masked_id_numbers(
    wuhan_and_yichang, caseworker
):
    wuhan_file, _ = wuhan_and_yichang
    digests_only()

    message = dispatch_and_send(MONDAY_0805)["wuhan.cw@example.org"]

    for body in (message.body, html_of(message)):
        assert "江岸户主" in body
        assert wuhan_file.file_number in body
        assert wuhan_file.id_number_masked in body
        assert wuhan_file.id_number not in body
        assert "宜昌户主" not in body
        assert "湖北冬送温暖" in body
    assert "http://localhost:8000/files/" in message.body


def test_the_digest_lists_the_recipients_overdue_follow_ups(tree, caseworker):
    file = household(by=caseworker, unit=tree.jiangan, name="逾期户主")
    log(file, caseworker, follow_ups=[follow_up(caseworker, problem="医保报销未到账")])
    FollowUp.objects.update(due_on=today() - timedelta(days=3))
    digests_only()

    message = dispatch_and_send(MONDAY_0805)["wuhan.cw@example.org"]

    assert "逾期户主" in message.body
    assert "逾期督办 (1)" in message.body


def test_a_caseworker_moved_to_another_unit_gets_the_new_units_households_next_week(
    wuhan_and_yichang, caseworker, tree
):
    digests_only()
    first = dispatch_and_send(MONDAY_0805)["wuhan.cw@example.org"]
    caseworker.unit = tree.yichang
    caseworker.save(update_fields=["unit"])
    mail.outbox.clear()

    second = dispatch_and_send(NEXT_MONDAY)["wuhan.cw@example.org"]

    assert "江岸户主" in first.body
    assert "宜昌户主" not in first.body
    assert "宜昌户主" in second.body
    assert "江岸户主" not in second.body
    assert "宜昌市总工会" in second.body


def test_a_sibling_branchs_caseworker_never_receives_another_branchs_names(
    wuhan_and_yichang, sibling, tree
):
    hunan_file = review_due(
        household(
            by=sibling, unit=tree.changsha, name="长沙户主", id_number=make_id_number(sequence=17)
        )
    )
    digests_only()

    message = dispatch_and_send(MONDAY_0805)["hunan.cw@example.org"]

    for body in (message.body, html_of(message)):
        assert "长沙户主" in body
        assert hunan_file.id_number_masked in body
        for name in ("江岸户主", "宜昌户主", "湖北冬送温暖", "武汉"):
            assert name not in body


def test_the_digest_is_in_chinese_for_a_chinese_reader_and_english_for_an_english_one(
    caseworker, second_caseworker
):
    second_caseworker.email = "english@example.org"
    second_caseworker.language = "en"
    second_caseworker.save(update_fields=["email", "language"])
    digests_only()

    messages = dispatch_and_send(MONDAY_0805)
    chinese, english = messages["wuhan.cw@example.org"], messages["english@example.org"]

    assert "逾期督办" in chinese.body
    assert "逾期督办" in html_of(chinese)
    assert 'lang="zh-hans"' in html_of(chinese)
    assert chinese.extra_headers["Content-Language"] == "zh-hans"
    assert "Overdue follow-ups" in english.body
    assert "Overdue follow-ups" in html_of(english)
    assert "逾期督办" not in english.body + html_of(english)
    assert 'lang="en"' in html_of(english)
    assert english.subject.startswith("Your week in Warmth")


# ---------------------------------------------------------------------- the monthly report


def test_the_monthly_report_goes_to_each_approver_with_the_pdf_rendered_once_per_unit(
    tree, approver, rendered_reports
):
    UserFactory(unit=tree.wuhan, is_approver=True, is_caseworker=False, email="ap2@example.org")
    UserFactory(unit=tree.hunan, is_approver=True, is_caseworker=False, email="hn@example.org")
    reports_only()

    messages = dispatch_and_send(FIRST_OF_DECEMBER)

    assert sorted(messages) == ["ap2@example.org", "hn@example.org", "wuhan.ap@example.org"]
    assert sorted(rendered_reports) == sorted(
        [(tree.wuhan.pk, "2026-11"), (tree.hunan.pk, "2026-11")]
    )
    for message in messages.values():
        [(name, content, mimetype)] = attachments_of(message)
        assert content.startswith(b"%PDF-1.4")
        assert mimetype == "application/pdf"
        assert name.endswith("-2026-11.pdf")
        assert message.body
        assert html_of(message)
    assert set(OutboxEmail.objects.values_list("period", flat=True)) == {"2026-11"}


def test_the_monthly_report_names_the_recipients_unit_only(tree, approver, rendered_reports):
    UserFactory(unit=tree.hunan, is_approver=True, is_caseworker=False, email="hn@example.org")
    reports_only()

    messages = dispatch_and_send(FIRST_OF_DECEMBER)

    hunan = messages["hn@example.org"]
    assert "湖南省总工会" in hunan.subject
    assert "武汉" not in hunan.subject + hunan.body + html_of(hunan)
    assert "武汉市总工会" in messages["wuhan.ap@example.org"].subject


def test_a_caseworker_gets_no_monthly_report(caseworker, rendered_reports):
    reports_only()

    assert outbox_dispatch(now=FIRST_OF_DECEMBER) == []


# ---------------------------------------------------------------------- campaign progress


def test_campaign_progress_goes_to_the_organisers_approvers_on_its_schedule(
    tree, caseworker, approver
):
    UserFactory(unit=tree.jiangan, is_approver=True, is_caseworker=False, email="ja@example.org")
    drive = campaign(tree.wuhan, caseworker, name="武汉冬送温暖")
    list_row(drive, household(by=caseworker, unit=tree.jiangan, name="江岸户主"))
    CampaignProgressSchedule.objects.create(campaign=drive, frequency="daily", hour=8)
    set_schedule(EmailKind.WEEKLY_DIGEST, enabled=False)
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)
    EmailOptOut.objects.create(user=caseworker, kind=EmailKind.WEEKLY_DIGEST)

    messages = dispatch_and_send(MONDAY_0805)

    assert list(messages) == ["wuhan.ap@example.org"]
    message = messages["wuhan.ap@example.org"]
    assert "武汉冬送温暖" in message.subject
    assert "江岸区总工会" in html_of(message)
    assert OutboxEmail.objects.get().period == f"campaign-{drive.pk}-2026-11-30"


def test_the_monthly_report_prints_money_and_counts_as_people_read_them(
    tree, approver, rendered_reports
):
    from decimal import Decimal

    from django.utils import timezone

    from funds.choices import FundKind, ReceiptSource
    from funds.services import fund_create, receipt_record

    fund = fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    receipt_record(
        fund=fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("1234567.50"),
        received_on=timezone.localdate(), by=approver,
    )  # fmt: skip
    reports_only()
    # The report of the month the money came in this very day, whenever the test runs.
    today = timezone.localdate()
    first_of_next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    moment = timezone.make_aware(datetime.combine(first_of_next_month, time(8, 35)))

    message = dispatch_and_send(moment)["wuhan.ap@example.org"]

    for text in (message.body, html_of(message)):
        assert "1,234,567.5" in text
        assert "1234567" not in text
