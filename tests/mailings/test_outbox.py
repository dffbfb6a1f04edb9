"""The outbox: one row per person and occasion, claimed before sending, sent at most once."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from mailings.choices import EmailKind, OutboxStatus
from mailings.models import EmailOptOut, MailRecipient, OutboxEmail
from mailings.outbox import outbox_dispatch, outbox_resend, outbox_send, outbox_sweep
from mailings.schedules import PAUSE_AFTER_FAILURES
from mailings.services import mail_recipient_resume
from tests.factories import UserFactory
from tests.mailings.conftest import MONDAY_0805, only_weekly_digests

NEXT_MONDAY = MONDAY_0805 + timedelta(days=7)


@pytest.fixture
def weekly(caseworker, second_caseworker):
    """Two caseworkers with addresses, and only the weekly digest switched on."""
    second_caseworker.email = "wuhan.cw2@example.org"
    second_caseworker.save(update_fields=["email"])
    only_weekly_digests()
    return caseworker, second_caseworker


def send_all(ids, now=MONDAY_0805):
    return [outbox_send(email_id=pk, now=now) for pk in ids]


# ---------------------------------------------------------------------- the unique key


def test_a_second_dispatch_for_the_same_week_creates_nothing_and_sends_nothing(weekly):
    first = outbox_dispatch(now=MONDAY_0805)
    send_all(first)

    second = outbox_dispatch(now=MONDAY_0805 + timedelta(minutes=5))
    send_all(second)

    assert len(first) == 2
    assert second == []
    assert OutboxEmail.objects.count() == 2
    assert len(mail.outbox) == 2
    assert set(OutboxEmail.objects.values_list("period", flat=True)) == {"2026-W49"}


def test_nothing_is_dispatched_before_the_scheduled_moment_or_after_the_catch_up(weekly):
    assert outbox_dispatch(now=MONDAY_0805 - timedelta(minutes=10)) == []
    assert outbox_dispatch(now=MONDAY_0805 + timedelta(days=2)) == []


def test_the_next_week_is_a_new_occasion(weekly):
    outbox_dispatch(now=MONDAY_0805)

    created = outbox_dispatch(now=NEXT_MONDAY)

    assert len(created) == 2
    assert set(OutboxEmail.objects.values_list("period", flat=True)) == {"2026-W49", "2026-W50"}


@pytest.mark.django_db(transaction=True)
def test_two_dispatches_racing_create_each_email_once(tree, caseworker, second_caseworker):
    from config.celery import app

    second_caseworker.email = "wuhan.cw2@example.org"
    second_caseworker.save(update_fields=["email"])
    for n in range(20):
        UserFactory(unit=tree.wuhan, email=f"cw{n}@example.org")
    only_weekly_digests()
    queue = "test-mailings-race"  # the send tasks' messages go here, and are purged below
    start = threading.Barrier(2)
    created: list[list[int]] = []

    def dispatch():
        try:
            start.wait()
            created.append(outbox_dispatch(now=MONDAY_0805, queue=queue))
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(queue)

    every = created[0] + created[1]
    assert len(every) == 22
    assert len(set(every)) == 22
    assert OutboxEmail.objects.count() == 22


# ---------------------------------------------------------------------- who gets a row


def test_opted_out_inactive_and_addressless_people_get_no_email(weekly, tree):
    caseworker, second = weekly
    EmailOptOut.objects.create(user=second, kind=EmailKind.WEEKLY_DIGEST)
    UserFactory(unit=tree.wuhan, email="gone@example.org", is_active=False)
    UserFactory(unit=tree.wuhan, email="")

    send_all(outbox_dispatch(now=MONDAY_0805))

    assert list(OutboxEmail.objects.values_list("recipient", flat=True)) == [caseworker.pk]
    assert [m.to for m in mail.outbox] == [["wuhan.cw@example.org"]]


def test_an_opt_out_made_after_the_dispatch_skips_the_email(weekly):
    caseworker, _ = weekly
    ids = outbox_dispatch(now=MONDAY_0805)
    EmailOptOut.objects.create(user=caseworker, kind=EmailKind.WEEKLY_DIGEST)

    send_all(ids)

    assert OutboxEmail.objects.get(recipient=caseworker).status == OutboxStatus.SKIPPED
    assert [m.to for m in mail.outbox] == [["wuhan.cw2@example.org"]]


# ---------------------------------------------------------------------- claim, then send


def test_an_email_whose_process_died_after_sending_is_never_sent_again(weekly, settings):
    _caseworker, second = weekly
    EmailOptOut.objects.create(user=second, kind=EmailKind.WEEKLY_DIGEST)
    [email_id] = outbox_dispatch(now=MONDAY_0805)
    settings.EMAIL_BACKEND = "tests.mailings.backends.SendsThenDies"

    with pytest.raises(SystemExit):
        outbox_send(email_id=email_id, now=MONDAY_0805)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    redelivered = outbox_send(email_id=email_id, now=MONDAY_0805 + timedelta(minutes=1))
    swept = outbox_sweep(now=MONDAY_0805 + timedelta(hours=2))
    retried = outbox_send(email_id=email_id, now=MONDAY_0805 + timedelta(hours=3))

    email = OutboxEmail.objects.get(pk=email_id)
    assert len(mail.outbox) == 1
    assert redelivered == "nothing to do"
    assert retried == "nothing to do"
    assert swept["uncertain"] == 1
    assert email.status == OutboxStatus.UNCERTAIN
    assert email.attempts == 1


def test_a_row_still_being_sent_is_not_marked_uncertain_before_the_task_time_limit(weekly):
    _caseworker, _ = weekly
    ids = outbox_dispatch(now=MONDAY_0805)
    OutboxEmail.objects.filter(pk=ids[0]).update(
        status=OutboxStatus.SENDING, claimed_at=MONDAY_0805
    )

    swept = outbox_sweep(now=MONDAY_0805 + timedelta(minutes=10))

    assert swept["uncertain"] == 0
    assert OutboxEmail.objects.get(pk=ids[0]).status == OutboxStatus.SENDING


def test_a_message_delivered_twice_sends_once(weekly):
    ids = outbox_dispatch(now=MONDAY_0805)

    outcomes = send_all(ids) + send_all(ids)

    assert outcomes == ["sent", "sent", "nothing to do", "nothing to do"]
    assert len(mail.outbox) == 2


# ---------------------------------------------------------------------- failures


def test_a_failure_backs_off_then_pauses_the_recipient_after_the_limit(weekly, settings):
    caseworker, second = weekly
    EmailOptOut.objects.create(user=second, kind=EmailKind.WEEKLY_DIGEST)
    [email_id] = outbox_dispatch(now=MONDAY_0805)
    settings.EMAIL_BACKEND = "tests.mailings.backends.Refuses"
    now = MONDAY_0805
    waits = []

    for _ in range(PAUSE_AFTER_FAILURES):
        assert outbox_send(email_id=email_id, now=now) in ("failed", "paused")
        email = OutboxEmail.objects.get(pk=email_id)
        if email.status == OutboxStatus.FAILED:
            assert outbox_send(email_id=email_id, now=now) == "nothing to do"  # not due yet
            waits.append(email.next_attempt_at - now)
            now = email.next_attempt_at

    email = OutboxEmail.objects.get(pk=email_id)
    health = MailRecipient.objects.get(user=caseworker)
    assert waits == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert email.status == OutboxStatus.PAUSED
    assert "no such mailbox" in email.last_error
    assert health.consecutive_failures == PAUSE_AFTER_FAILURES
    assert health.paused_at is not None
    assert outbox_send(email_id=email_id, now=now + timedelta(days=1)) == "nothing to do"
    assert mail.outbox == []


def test_a_paused_recipient_gets_a_paused_row_and_is_sent_to_once_resumed(weekly):
    caseworker, second = weekly
    EmailOptOut.objects.create(user=second, kind=EmailKind.WEEKLY_DIGEST)
    MailRecipient.objects.create(user=caseworker, consecutive_failures=5, paused_at=MONDAY_0805)

    created = outbox_dispatch(now=MONDAY_0805)
    email = OutboxEmail.objects.get(recipient=caseworker)
    assert email.status == OutboxStatus.PAUSED
    assert send_all(created) == ["nothing to do"]

    assert mail_recipient_resume(user_id=caseworker.pk) == 1
    assert send_all(created, now=None) == ["sent"]  # due from the moment of resuming
    assert MailRecipient.objects.get(user=caseworker).consecutive_failures == 0
    assert len(mail.outbox) == 1


def test_a_success_resets_the_recipients_failures(weekly, settings):
    caseworker, _ = weekly
    ids = outbox_dispatch(now=MONDAY_0805)
    settings.EMAIL_BACKEND = "tests.mailings.backends.Refuses"
    send_all(ids)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    send_all(ids, now=MONDAY_0805 + timedelta(minutes=5))

    assert MailRecipient.objects.get(user=caseworker).consecutive_failures == 0
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_the_sweep_enqueues_failed_rows_due_and_pending_rows_whose_message_was_lost(
    weekly, django_capture_on_commit_callbacks
):
    ids = outbox_dispatch(now=MONDAY_0805)
    OutboxEmail.objects.filter(pk=ids[0]).update(
        status=OutboxStatus.FAILED, next_attempt_at=MONDAY_0805 + timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks() as soon:
        early = outbox_sweep(now=MONDAY_0805 + timedelta(minutes=1))
    with django_capture_on_commit_callbacks() as later:
        late = outbox_sweep(now=MONDAY_0805 + timedelta(hours=1))

    assert early["enqueued"] == 0
    assert soon == []
    assert late["enqueued"] == 2
    assert len(later) == 1


# ---------------------------------------------------------------------- send again


def test_an_admins_send_again_sends_exactly_once_more(weekly, client, superuser):
    _caseworker, second = weekly
    EmailOptOut.objects.create(user=second, kind=EmailKind.WEEKLY_DIGEST)
    [email_id] = outbox_dispatch(now=MONDAY_0805)
    send_all([email_id])
    client.force_login(superuser)

    response = client.post(
        reverse("admin:mailings_outboxemail_changelist"),
        {"action": "send_again", "_selected_action": [email_id]},
    )
    send_all([email_id, email_id], now=None)  # due from the moment it was put back

    email = OutboxEmail.objects.get(pk=email_id)
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    assert email.status == OutboxStatus.SENT
    assert email.resent_count == 1
    assert email.resent_by == superuser
    page = client.get(reverse("admin:mailings_outboxemail_changelist")).content.decode()
    assert '<td class="field-resent">1' in page  # "resent once", in either language


def test_send_again_leaves_a_pending_or_sending_email_alone(weekly, superuser):
    ids = outbox_dispatch(now=MONDAY_0805)

    assert outbox_resend(email_id=ids[0], by=superuser) is False
    assert OutboxEmail.objects.get(pk=ids[0]).resent_count == 0


def test_a_caseworker_cannot_reach_the_outbox_in_admin(caseworker_client):
    response = caseworker_client.get(reverse("admin:mailings_outboxemail_changelist"))

    assert response.status_code == 302
