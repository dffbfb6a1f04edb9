"""A send task sends a batch of outbox rows: one claim, one read, one mark, one connection.

Each row is still its own email: sent at most once, checked for its own recipient,
failing or being paused on its own.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mailings.builders import forget_recent
from mailings.choices import OutboxStatus
from mailings.models import MailRecipient, OutboxEmail
from mailings.outbox import (
    outbox_batches,
    outbox_dispatch,
    outbox_send,
    outbox_send_batch,
    outbox_sweep,
)
from mailings.tasks import send_emails
from people.models import User
from tests.factories import UserFactory
from tests.mailings.conftest import attachments_of
from tests.mailings.test_builders import FIRST_OF_DECEMBER, html_of, reports_only
from tests.mailings.test_shared_messages import SENDING_TABLES, approvers_of, tables

pytestmark = pytest.mark.usefixtures("standards")
NOTHING = "nothing to do"


@pytest.fixture
def approvers(tree, approver, rendered_reports):
    """Approvers of two units, one of them reading English, and only monthly reports due."""
    reports_only()
    return [approver, *approvers_of(tree.wuhan, 2), *approvers_of(tree.hunan, 2, language="en")]


def as_sent(messages) -> dict[str, tuple]:
    """What each address was sent, everything a reader sees."""
    return {
        message.to[0]: (
            message.subject,
            message.body,
            html_of(message),
            attachments_of(message),
            message.extra_headers,
        )
        for message in messages
    }


def statuses() -> dict[str, str]:
    return dict(OutboxEmail.objects.values_list("address", "status"))


def test_the_dispatch_lines_a_units_people_up_together_in_batches(tree, approver, monkeypatch):
    import mailings.outbox

    reports_only()
    for n, unit in enumerate((tree.hunan, tree.wuhan, tree.hunan, tree.wuhan)):
        UserFactory(unit=unit, is_approver=True, email=f"ap{n}@example.org")
    monkeypatch.setattr(mailings.outbox, "BATCH_SIZE", 2)

    batches = outbox_batches(outbox_dispatch(now=FIRST_OF_DECEMBER))

    unit_of = dict(OutboxEmail.objects.values_list("pk", "recipient__unit"))
    in_order = [unit_of[pk] for batch in batches for pk in batch]
    assert [len(batch) for batch in batches] == [2, 2, 1]
    # Each unit's people one after another: a batch shares their message.
    assert [unit for n, unit in enumerate(in_order) if n == 0 or in_order[n - 1] != unit] == sorted(
        {tree.wuhan.pk, tree.hunan.pk}
    )


def test_a_batch_sends_what_one_by_one_sent(approvers):
    for email_id in outbox_dispatch(now=FIRST_OF_DECEMBER):
        outbox_send(email_id=email_id, now=FIRST_OF_DECEMBER)
    one_by_one, rows_one_by_one = as_sent(mail.outbox), statuses()
    OutboxEmail.objects.all().delete()
    forget_recent()
    mail.outbox.clear()

    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    outcomes = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)

    assert outcomes == dict.fromkeys(ids, OutboxStatus.SENT)
    assert as_sent(mail.outbox) == one_by_one
    assert len(one_by_one) == 5
    assert statuses() == rows_one_by_one


def test_each_row_of_a_batch_is_checked_for_its_own_recipient(approvers, caseworker):
    approver, *others = approvers
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    others[0].is_approver = False  # no longer an approver since the rows were made
    others[0].save(update_fields=["is_approver"])
    MailRecipient.objects.create(user=others[1], paused_at=FIRST_OF_DECEMBER)

    outcomes = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)

    assert sorted(outcomes.values()) == ["paused", "sent", "sent", "sent", "skipped"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [approver.email, others[2].email, others[3].email]
    )
    assert statuses()[others[0].email] == OutboxStatus.SKIPPED
    assert statuses()[others[1].email] == OutboxStatus.PAUSED


def test_a_failing_recipient_does_not_stop_the_others_and_is_counted(approvers, settings):
    approver, refused, *others = approvers
    refused.email = "refused@example.org"
    refused.save(update_fields=["email"])
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    settings.EMAIL_BACKEND = "tests.mailings.backends.RefusesSome"

    outcomes = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)

    row = OutboxEmail.objects.get(recipient=refused)
    assert sorted(outcomes.values()) == ["failed", "sent", "sent", "sent", "sent"]
    assert outcomes[row.pk] == OutboxStatus.FAILED
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [approver.email, *(other.email for other in others)]
    )
    assert row.status == OutboxStatus.FAILED
    assert "no such mailbox" in row.last_error
    assert row.next_attempt_at == FIRST_OF_DECEMBER + timedelta(minutes=5)
    assert MailRecipient.objects.get(user=refused).consecutive_failures == 1
    assert list(MailRecipient.objects.values_list("user", flat=True)) == [refused.pk]


def test_an_address_no_header_can_hold_fails_alone_and_is_not_counted(approvers):
    approver, broken, *others = approvers
    User.objects.filter(pk=broken.pk).update(email="x@example.org\nBcc: someone@example.org")
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)

    outcomes = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)

    row = OutboxEmail.objects.get(recipient=broken)
    assert outcomes[row.pk] == OutboxStatus.FAILED
    assert "newlines" in row.last_error
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [approver.email, *(other.email for other in others)]
    )
    assert not MailRecipient.objects.filter(user=broken).exists()


def test_a_batchs_statements_do_not_grow_with_its_emails(tree, approver, rendered_reports):
    approvers_of(tree.wuhan, 7)
    reports_only()
    first, *ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    outbox_send(email_id=first, now=FIRST_OF_DECEMBER)  # works the unit's report out
    MailRecipient.objects.create(user=approver, consecutive_failures=2)  # a run to end
    sizes, statements = [1, 2, 4], []

    for size in sizes:
        batch, ids = ids[:size], ids[size:]
        with CaptureQueriesContext(connection) as captured:
            outcomes = outbox_send_batch(email_ids=batch, now=FIRST_OF_DECEMBER)
        assert list(outcomes.values()) == [OutboxStatus.SENT] * size
        statements.append([query["sql"] for query in captured.captured_queries])

    # The claim, the rows with their recipients' standing, the mark (with the end of any run
    # of failures): however many emails the batch holds.
    assert [len(sqls) for sqls in statements] == [3, 3, 3]
    assert [tables(sqls) <= SENDING_TABLES for sqls in statements] == [True] * 3
    assert len(mail.outbox) == 8
    assert rendered_reports == [(tree.wuhan.pk, "2026-11")]


def test_a_batch_delivered_again_sends_nothing_twice(approvers, settings):
    _approver, refused, *_others = approvers
    refused.email = "refused@example.org"
    refused.save(update_fields=["email"])
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    settings.EMAIL_BACKEND = "tests.mailings.backends.RefusesSome"
    outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)

    redelivered = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER + timedelta(minutes=1))
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER + timedelta(minutes=5))
    again = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER + timedelta(hours=1))

    row = OutboxEmail.objects.get(recipient=refused)
    assert redelivered == dict.fromkeys(ids, NOTHING)  # the failed row is not due yet
    assert retried == {**dict.fromkeys(ids, NOTHING), row.pk: OutboxStatus.SENT}
    assert again == dict.fromkeys(ids, NOTHING)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        OutboxEmail.objects.values_list("address", flat=True)
    )
    assert set(statuses().values()) == {OutboxStatus.SENT}
    assert MailRecipient.objects.get(user=refused).consecutive_failures == 0


def test_a_batch_stopped_mid_way_never_sends_an_email_twice(approvers, settings):
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)
    settings.EMAIL_BACKEND = "tests.mailings.backends.DiesOnTheSecond"

    with pytest.raises(SystemExit):
        outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    after = dict(OutboxEmail.objects.values_list("pk", "status"))
    redelivered = outbox_send_batch(email_ids=ids, now=FIRST_OF_DECEMBER + timedelta(minutes=1))
    swept = outbox_sweep(now=FIRST_OF_DECEMBER + timedelta(hours=2))

    # The first was accepted and recorded; whether the second left is unknown, so it is never
    # sent again but left to an admin; the three never handed over go out on the redelivery.
    first, second, *rest = ids
    assert after == {
        first: OutboxStatus.SENT,
        second: OutboxStatus.SENDING,
        **dict.fromkeys(rest, OutboxStatus.PENDING),
    }
    assert redelivered == {
        first: NOTHING,
        second: NOTHING,
        **dict.fromkeys(rest, OutboxStatus.SENT),
    }
    assert swept["uncertain"] == 1
    assert OutboxEmail.objects.get(pk=second).status == OutboxStatus.UNCERTAIN
    assert len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5
    assert list(OutboxEmail.objects.filter(pk__in=rest).values_list("attempts", flat=True)) == [
        1,
        1,
        1,
    ]


def test_the_send_task_counts_what_became_of_its_batch(approvers):
    ids = outbox_dispatch(now=FIRST_OF_DECEMBER)

    first = send_emails(ids)
    second = send_emails(ids)

    assert first == {"sent": 5}
    assert second == {NOTHING: 5}
