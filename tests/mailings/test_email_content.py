"""What people type into names never silences the people the emails are for.

A line break in a unit's or a campaign's name used to make every email naming
it fail (BadHeaderError), each failure counted against its recipient, and after
five they were paused. Subjects and file names are now built from one-line text,
and a message that cannot be built is the content's fault, not the recipient's.
"""

from datetime import timedelta

import pytest
from django.core import mail

from mailings.builders import one_line
from mailings.choices import EmailKind, OutboxStatus
from mailings.models import CampaignProgressSchedule, EmailOptOut, MailRecipient, OutboxEmail
from mailings.outbox import outbox_dispatch, outbox_send
from mailings.schedules import PAUSE_AFTER_FAILURES
from people.models import UnionUnit, User
from tests.mailings.conftest import MONDAY_0805, attachments_of, only_weekly_digests, set_schedule
from tests.visits.test_visits import campaign, household, list_row

pytestmark = pytest.mark.usefixtures("standards")
FIRST_OF_DECEMBER = MONDAY_0805 + timedelta(days=1, minutes=30)


def failures_of(user) -> int:
    health = MailRecipient.objects.filter(user=user).first()
    return health.consecutive_failures if health else 0


def headers_of(message) -> list[str]:
    """The names of every header of the message and of each of its parts."""
    return [name for part in message.message().walk() for name in part]


def test_one_line_turns_line_breaks_and_control_characters_into_single_spaces():
    assert one_line("武汉\r\n冬送\t温暖\x00\x1b\u2028Bcc: x@example.org\u2029 ") == (
        "武汉 冬送 温暖 Bcc: x@example.org"
    )


def test_a_campaign_name_with_a_line_break_is_sent_with_a_one_line_subject(
    tree, caseworker, approver
):
    drive = campaign(tree.wuhan, caseworker, name="武汉冬送温暖\r\nBcc: someone@example.org")
    list_row(drive, household(by=caseworker, unit=tree.jiangan, name="江岸户主"))
    CampaignProgressSchedule.objects.create(campaign=drive, frequency="daily", hour=8)
    set_schedule(EmailKind.WEEKLY_DIGEST, enabled=False)
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)

    [email_id] = outbox_dispatch(now=MONDAY_0805)
    outcome = outbox_send(email_id=email_id, now=MONDAY_0805)

    assert outcome == OutboxStatus.SENT
    [message] = mail.outbox
    assert "武汉冬送温暖 Bcc: someone@example.org" in message.subject
    assert message.bcc == []
    assert "Bcc" not in headers_of(message)
    assert "\n" not in OutboxEmail.objects.get(pk=email_id).subject
    assert failures_of(approver) == 0


def test_a_unit_name_and_code_with_line_breaks_still_send_the_monthly_report(
    tree, approver, rendered_reports
):
    UnionUnit.objects.filter(pk=tree.wuhan.pk).update(
        name="武汉市\n总工会", code="4201\nBcc: someone@example.org"
    )
    set_schedule(EmailKind.WEEKLY_DIGEST, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)

    [email_id] = outbox_dispatch(now=FIRST_OF_DECEMBER)
    outcome = outbox_send(email_id=email_id, now=FIRST_OF_DECEMBER)

    assert outcome == OutboxStatus.SENT
    [message] = mail.outbox
    assert "武汉市 总工会" in message.subject
    [(name, _content, _mimetype)] = attachments_of(message)
    assert name == "4201 Bcc: someone@example.org-2026-11.pdf"
    assert "Bcc" not in headers_of(message)
    assert failures_of(approver) == 0


def test_a_message_that_cannot_be_built_is_never_counted_against_its_recipient(
    caseworker, second_caseworker
):
    # A header we write from stored data that no form would accept (ten characters at most): building the message
    # fails each time, which is no reason to stop sending this person anything.
    only_weekly_digests()
    EmailOptOut.objects.create(user=second_caseworker, kind=EmailKind.WEEKLY_DIGEST)
    User.objects.filter(pk=caseworker.pk).update(language="en\nX-A: b")
    [email_id] = outbox_dispatch(now=MONDAY_0805)
    now = MONDAY_0805
    outcomes = []

    for _ in range(PAUSE_AFTER_FAILURES + 1):
        outcomes.append(outbox_send(email_id=email_id, now=now))
        now = OutboxEmail.objects.get(pk=email_id).next_attempt_at

    email = OutboxEmail.objects.get(pk=email_id)
    assert outcomes == [OutboxStatus.FAILED] * (PAUSE_AFTER_FAILURES + 1)
    assert email.status == OutboxStatus.FAILED
    assert "newlines" in email.last_error
    assert failures_of(caseworker) == 0
    assert not MailRecipient.objects.filter(user=caseworker, paused_at__isnull=False).exists()
    assert mail.outbox == []
