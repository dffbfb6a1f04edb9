"""The outbox: every report email is a row first, then sent by claiming the row.

The guarantee: **each email is sent at most once — never twice.** An email
that may or may not have gone out is shown to admins as "uncertain" instead of
being sent again; only an admin's "send again" sends it once more.

How:
- ``outbox_dispatch`` (the beat's ``mailings.dispatch_due_emails`` tick) works
  out which occasions are due (mailings/schedules.py) and inserts one row per
  recipient with ``INSERT … ON CONFLICT DO NOTHING`` on the unique key
  (recipient, kind, period). Only rows this call inserted are enqueued, so a
  duplicate tick, or two beat processes racing, creates nothing and sends
  nothing. Opted-out, inactive and address-less people get no row; a paused
  recipient gets one with status "paused".
- ``outbox_send`` (one task per row) *claims* the row with a conditional
  UPDATE, pending/failed → sending, committed before anything is sent. Only
  the call whose UPDATE changed the row sends; a second message for the same
  row (a duplicate, a redelivery, a retry) finds it "sending" or "sent" and
  does nothing. After the SMTP server accepted the message the row is marked
  "sent".
- If the process dies between the SMTP send and that mark, the row stays
  "sending" and nothing sends it again; ``outbox_sweep`` marks rows "sending"
  for longer than any task may run (the Celery hard time limit) as
  "uncertain", for an admin to check and, if they wish, send again.
- A failed send (the SMTP server refused, the connection broke before the
  message was accepted) leaves the row "failed" with the error and the next
  attempt time, backing off exponentially; the sweep enqueues it again when
  that time comes. The recipient's failures in a row are counted; after
  ``PAUSE_AFTER_FAILURES`` they are paused, with their waiting emails, until an
  admin resumes them. A failure to build the message (its templates, its
  headers: anything before it is handed to the server) is the content's fault,
  backs off the same way, and is never counted against the recipient.
- Messages lost while the broker was down: the sweep enqueues pending rows
  left untaken for ``PENDING_LOST_AFTER``. A spare message is harmless: the
  claim decides.

Tasks are enqueued after commit; they carry only the row's id.
"""

import logging
import traceback
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from mailings.choices import EmailKind, OutboxStatus
from mailings.models import CampaignProgressSchedule, MailRecipient, OutboxEmail
from mailings.schedules import (
    PAUSE_AFTER_FAILURES,
    PENDING_LOST_AFTER,
    REPORT_KEEP,
    Occasion,
    campaign_occasion,
    monthly_occasion,
    retry_delay,
    weekly_occasion,
)
from mailings.selectors import (
    campaign_progress_recipients,
    email_schedule,
    monthly_report_recipients,
    outbox_email_to_send,
    weekly_digest_recipients,
)
from people.models import User

logger = logging.getLogger(__name__)
Status = OutboxStatus

# Rows enqueued again by one sweep at most; the next tick takes the rest.
SWEEP_LIMIT = 5000


# ---------------------------------------------------------------------- dispatch


def due_occasions(*, now: datetime) -> list[Occasion]:
    """The occasions due at ``now`` under the schedules in the database."""
    occasions = []
    weekly = email_schedule(kind=EmailKind.WEEKLY_DIGEST)
    if weekly.enabled:
        occasions.append(
            weekly_occasion(weekday=weekly.weekday, hour=weekly.hour, minute=weekly.minute, now=now)
        )
    monthly = email_schedule(kind=EmailKind.MONTHLY_REPORT)
    if monthly.enabled:
        occasions.append(
            monthly_occasion(
                day_of_month=monthly.day_of_month,
                hour=monthly.hour,
                minute=monthly.minute,
                now=now,
            )
        )
    if email_schedule(kind=EmailKind.CAMPAIGN_PROGRESS).enabled:
        today = timezone.localtime(now).date()
        schedules = (
            CampaignProgressSchedule.objects.exclude(frequency="off")
            .filter(campaign__starts_on__lte=today, campaign__ends_on__gte=today)
            .values_list("campaign_id", "frequency", "weekday", "hour")
        )
        for campaign_id, frequency, weekday, hour in schedules:
            occasions.append(
                campaign_occasion(
                    campaign_id=campaign_id,
                    frequency=frequency,
                    weekday=weekday,
                    hour=hour,
                    now=now,
                )
            )
    return [o for o in occasions if o is not None]


def _recipients(occasion: Occasion):
    if occasion.kind == EmailKind.WEEKLY_DIGEST:
        return weekly_digest_recipients()
    if occasion.kind == EmailKind.MONTHLY_REPORT:
        return monthly_report_recipients()
    from visits.models import Campaign

    campaign = Campaign.objects.get(pk=occasion.campaign_id)
    return campaign_progress_recipients(campaign=campaign)


def outbox_dispatch(*, now: datetime | None = None, queue: str | None = None) -> list[int]:
    """Create the rows of every due occasion that are missing, and enqueue them after commit.

    Returns the ids of the rows this call created (and will send); a second call
    for the same occasions returns none. ``queue`` names the Celery queue of the
    send tasks (default: the default queue). Side effects: OutboxEmail rows;
    one Celery message per pending row created.
    """
    now = now or timezone.now()
    created: list[int] = []
    for occasion in due_occasions(now=now):
        # By unit: the send tasks then take a unit's people one after another (builders.py
        # keeps the unit's last report at hand).
        people = _recipients(occasion).order_by("unit_id", "pk")
        people = people.values_list("pk", "email", "is_paused")
        created += _insert(occasion=occasion, people=list(people), now=now)
    to_send = list(
        OutboxEmail.objects.filter(pk__in=created, status=Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    enqueue_after_commit(to_send, queue=queue)
    return created


def _insert(*, occasion: Occasion, people: list[tuple[int, str, bool]], now: datetime) -> list[int]:
    """Insert one row per person unless they have one for the occasion; the new rows' ids."""
    if not people:
        return []
    statuses = [Status.PAUSED if paused else Status.PENDING for _pk, _email, paused in people]
    table = OutboxEmail._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (recipient_id, address, status, kind, period, campaign_id,
                                 subject, attempts, last_error, next_attempt_at, created_at,
                                 resent_count)
            SELECT person.id, person.email, person.status, %s, %s, %s::bigint, '', 0, '', %s, %s, 0
            FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS person(id, email, status)
            ON CONFLICT (recipient_id, kind, period) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is our own; every value is a parameter
            [
                occasion.kind,
                occasion.period,
                occasion.campaign_id,
                now,
                now,
                [pk for pk, _email, _paused in people],
                [email for _pk, email, _paused in people],
                [str(s) for s in statuses],
            ],
        )
        return [row[0] for row in cursor.fetchall()]


def enqueue_after_commit(ids: list[int], *, queue: str | None = None) -> None:
    """Send one task message per outbox row once the transaction commits."""
    if ids:
        transaction.on_commit(lambda: _enqueue(ids, queue=queue))


def _enqueue(ids: list[int], *, queue: str | None = None) -> None:
    from mailings.tasks import send_email

    options = {"queue": queue} if queue else {}
    for email_id in ids:
        try:
            send_email.apply_async((email_id,), **options)
        except Exception:
            # The row stays pending; the sweep sends the message again.
            logger.warning("Could not enqueue outbox email %s; the sweep will.", email_id)
            return


# ---------------------------------------------------------------------- sending


def outbox_send(*, email_id: int, now: datetime | None = None) -> str:
    """Claim one row and send its email; returns the outcome (a status, or "nothing to do").

    Call it outside any transaction, as the task does: the claim must be
    committed before the email leaves. Side effects: the row's status and
    times; one email at most; the recipient's failure count (reset on
    success, increased on failure).
    """
    from mailings.builders import NotForThisRecipient

    now = now or timezone.now()
    claimable = OutboxEmail.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=email_id,
        status__in=[Status.PENDING, Status.FAILED],
    )
    # The claim commits on its own, before anything is sent: that is the guarantee. One
    # UPDATE outside any transaction is its own transaction (autocommit).
    claimed = claimable.update(
        status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, last_error=""
    )
    if not claimed:
        return "nothing to do"
    email = outbox_email_to_send(email_id=email_id)
    recipient = email.recipient
    if email.recipient_paused:
        _set(email, Status.PAUSED, error="")
        return Status.PAUSED
    if not email.recipient_wanted:
        _set(email, Status.SKIPPED, error="")
        return Status.SKIPPED
    try:
        message = _build(email, recipient)
    except NotForThisRecipient:
        _set(email, Status.SKIPPED, error="")
        return Status.SKIPPED
    except Exception as error:
        # Our fault, not the address's: back off, but do not count it against the recipient.
        logger.exception("Could not build outbox email %s", email.pk)
        _fail(email, error, now=now, count_against_recipient=False)
        return Status.FAILED
    try:
        message.send()
    except Exception as error:
        logger.warning("Outbox email %s failed: %s", email.pk, error)
        _fail(email, error, now=now, count_against_recipient=True)
        return Status.FAILED
    _mark_sent(email, subject=message.subject)
    return Status.SENT


def _build(email: OutboxEmail, recipient: User):
    from mailings.builders import email_message

    # The recipient's address now, which the admin may have corrected since the row was made.
    if recipient.email and recipient.email != email.address:
        email.address = recipient.email
        OutboxEmail.objects.filter(pk=email.pk).update(address=recipient.email)
    message = email_message(email=email, recipient=recipient)
    # The headers checked here, where a failure is the content's: a bad subject must not
    # pause everyone it was meant for. (The body was written out in full when it was built,
    # once for all the recipients sharing it: builders.py.)
    message.message()
    return message


def _set(email: OutboxEmail, status: str, *, error: str) -> None:
    OutboxEmail.objects.filter(pk=email.pk, status=Status.SENDING).update(
        status=status, last_error=error
    )


def _mark_sent(email: OutboxEmail, *, subject: str) -> None:
    """Mark the row sent ("uncertain" too: a send slower than the sweep's timeout still ends as
    sent) and end the recipient's run of failures, in one statement: each send pays for it."""
    outbox, health = OutboxEmail._meta.db_table, MailRecipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH sent AS (
                UPDATE {outbox} SET status = %s, sent_at = %s, subject = %s, last_error = ''
                WHERE id = %s AND status IN (%s, %s)
                RETURNING recipient_id
            )
            UPDATE {health} SET consecutive_failures = 0
            WHERE user_id = %s AND consecutive_failures > 0
            """,  # noqa: S608 - the table names are our own; every value is a parameter
            [
                Status.SENT,
                timezone.now(),
                subject[:255],
                email.pk,
                Status.SENDING,
                Status.UNCERTAIN,
                email.recipient_id,
            ],
        )


def _fail(email: OutboxEmail, error: Exception, *, now: datetime, count_against_recipient: bool):
    message = (str(error) or error.__class__.__name__)[:2000]
    logger.debug("".join(traceback.format_exception(error)))
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk, status=Status.SENDING).update(
            status=Status.FAILED,
            last_error=message,
            next_attempt_at=now + retry_delay(email.attempts),
        )
        if count_against_recipient:
            _count_failure(email.recipient_id, message=message, now=now)


def _count_failure(user_id: int, *, message: str, now: datetime) -> None:
    """Count one more failure in a row for the recipient; pause them at the limit."""
    health, _ = MailRecipient.objects.select_for_update().get_or_create(user_id=user_id)
    health.consecutive_failures += 1
    health.last_error = message
    health.last_failure_at = now
    fields = ["consecutive_failures", "last_error", "last_failure_at"]
    if health.consecutive_failures >= PAUSE_AFTER_FAILURES and health.paused_at is None:
        health.paused_at = now
        fields.append("paused_at")
        OutboxEmail.objects.filter(
            recipient_id=user_id, status__in=[Status.PENDING, Status.FAILED]
        ).update(status=Status.PAUSED)
        logger.warning("Email to user %s paused after %s failures.", user_id, PAUSE_AFTER_FAILURES)
    health.save(update_fields=fields)


# ---------------------------------------------------------------------- sweep and resend


def outbox_sweep(*, now: datetime | None = None, queue: str | None = None) -> dict[str, int]:
    """Mark stale "sending" rows uncertain; enqueue failed rows now due and lost pending ones.

    Side effects: rows to "uncertain"; Celery messages; old report PDFs deleted.
    """
    from mailings.models import MonthlyReportFile

    now = now or timezone.now()
    # No task runs longer than the hard time limit: a row "sending" for longer was
    # claimed by a worker that died, and whether its email left is unknown.
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    uncertain = OutboxEmail.objects.filter(status=Status.SENDING, claimed_at__lt=stale).update(
        status=Status.UNCERTAIN,
        last_error="The worker stopped after claiming this email: it may have been sent.",
    )
    due = OutboxEmail.objects.filter(
        Q(status=Status.FAILED, next_attempt_at__lte=now)
        | Q(status=Status.PENDING, next_attempt_at__lt=now - PENDING_LOST_AFTER)
    ).order_by("next_attempt_at")
    ids = list(due.values_list("pk", flat=True)[:SWEEP_LIMIT])
    enqueue_after_commit(ids, queue=queue)
    MonthlyReportFile.objects.filter(created_at__lt=now - REPORT_KEEP).delete()
    return {"uncertain": uncertain, "enqueued": len(ids)}


def outbox_resend(*, email_id: int, by: User) -> bool:
    """Send a sent, uncertain, failed or skipped email once more (an admin's decision).

    The row records that it was resent, by whom and when. Returns whether it
    was put back. Side effects: the row to pending; one Celery message after commit.
    """
    now = timezone.now()
    with transaction.atomic():
        updated = OutboxEmail.objects.filter(
            pk=email_id,
            status__in=[Status.SENT, Status.UNCERTAIN, Status.FAILED, Status.SKIPPED],
        ).update(
            status=Status.PENDING,
            next_attempt_at=now,
            last_error="",
            resent_count=F("resent_count") + 1,
            resent_at=now,
            resent_by=by,
        )
        if updated:
            enqueue_after_commit([email_id])
    return bool(updated)
