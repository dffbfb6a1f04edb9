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
- ``outbox_send_batch`` (one task per batch of up to ``BATCH_SIZE`` rows, a
  unit's people together) *claims* the batch's rows with one conditional
  UPDATE, pending/failed → sending, committed before anything is sent. Only
  the call whose UPDATE changed a row sends it; a second message for the same
  rows (a duplicate, a redelivery, a retry) finds them "sending" or "sent"
  and does nothing. It builds every message, then hands them to the SMTP
  server over one connection, then marks the accepted ones "sent" together.
  Each row is still its own email: its recipient's standing and right to
  receive it are checked for it, and one failing does not stop the others.
- If the process dies after claiming, the batch's rows stay "sending" and
  nothing sends them again; ``outbox_sweep`` marks rows "sending" for longer
  than any task may run (the Celery hard time limit) as "uncertain", for an
  admin to check and, if they wish, send again. (A batch stopped by an
  exception rather than a kill records what it sent and puts back the rows it
  never handed over.)
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

Tasks are enqueued after commit; they carry only the rows' ids.
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
    outbox_emails_to_send,
    weekly_digest_recipients,
)
from people.models import User

logger = logging.getLogger(__name__)
Status = OutboxStatus

# Rows enqueued again by one sweep at most; the next tick takes the rest.
SWEEP_LIMIT = 5000
# Rows one send task claims and sends together: its statements are paid once per batch,
# not once per email. A hundred keeps a batch's work to seconds (a unit's report
# rendered, say) and spreads a month's emails over many tasks, so several workers share them.
BATCH_SIZE = 100


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
        # By unit: a send task then takes a unit's people together (builders.py keeps the
        # unit's last report and message at hand).
        people = _recipients(occasion).order_by("unit_id", "pk")
        people = people.values_list("pk", "email", "is_paused")
        created += _insert(occasion=occasion, people=list(people), now=now)
    pending = set(
        OutboxEmail.objects.filter(pk__in=created, status=Status.PENDING).values_list(
            "pk", flat=True
        )
    )
    # In the order made, a unit's people together: a batch then shares its unit's message.
    enqueue_after_commit([pk for pk in created if pk in pending], queue=queue)
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
    """Send one task message per batch of outbox rows once the transaction commits."""
    if ids:
        transaction.on_commit(lambda: _enqueue(ids, queue=queue))


def outbox_batches(ids: list[int]) -> list[list[int]]:
    """``ids`` in batches of ``BATCH_SIZE``, in the order given (a unit's people together)."""
    return [ids[start : start + BATCH_SIZE] for start in range(0, len(ids), BATCH_SIZE)]


def _enqueue(ids: list[int], *, queue: str | None = None) -> None:
    from mailings.tasks import send_emails

    options = {"queue": queue} if queue else {}
    for batch in outbox_batches(ids):
        try:
            send_emails.apply_async((batch,), **options)
        except Exception:
            # The rows stay pending; the sweep sends the messages again.
            logger.warning("Could not enqueue outbox emails; the sweep will.")
            return


# ---------------------------------------------------------------------- sending


def outbox_send(*, email_id: int, now: datetime | None = None) -> str:
    """Claim one row and send its email; returns the outcome (a status, or "nothing to do").

    A batch of one: see ``outbox_send_batch``.
    """
    return outbox_send_batch(email_ids=[email_id], now=now)[email_id]


def outbox_send_batch(*, email_ids: list[int], now: datetime | None = None) -> dict[int, str]:
    """Claim the rows of ``email_ids`` that are due and send their emails over one connection.

    Returns each id's outcome: a status, or "nothing to do" for a row another call
    has claimed, already sent, or not yet due. Call it outside any transaction, as
    the task does: the claim must be committed before any email leaves. Side
    effects: the rows' status and times; one email at most per row; the
    recipients' failure counts (reset on success, increased on failure).

    What it costs the database, however many rows: the claim, the rows with their
    recipients' standing, and the mark of the sent ones (with the end of their
    recipients' runs of failures); one statement more for each of "paused" and
    "skipped" if any row ends so; a failed row is recorded on its own, as it was
    before batches, since it may pause its recipient. Building a message may read
    more (a unit's first monthly report works its figures out: builders.py).

    If the worker dies mid-batch: the claimed rows stay "sending" and no call sends
    them again; the sweep marks them "uncertain" for an admin to send again, as it
    does a single email. So that this touches as few emails as can be, every
    message is built (a report rendered) before the first one leaves, and an error
    that stops the batch without killing the process (a SystemExit, say) still
    records the rows sent and gives back the ones not yet handed to the server.
    """
    now = now or timezone.now()
    outcomes = dict.fromkeys(email_ids, "nothing to do")
    claimed = _claim(email_ids, now=now)
    if not claimed:
        return outcomes
    # In the order given: a unit's people together, as the dispatch lined them up.
    position = {pk: n for n, pk in enumerate(email_ids)}
    rows = sorted(outbox_emails_to_send(email_ids=claimed), key=lambda row: position[row.pk])
    batch = _Batch(rows)
    try:
        to_send = [(email, message) for email in rows if (message := batch.built(email, now))]
        batch.send(to_send, now=now)
    except BaseException:
        # Not one email's failure (those are recorded as they happen) but the batch's end:
        # a SystemExit, say. Record what is known, then let it go on.
        try:
            batch.record()
        except Exception:
            logger.exception("Could not record a stopped batch of outbox emails.")
        raise
    batch.record()
    outcomes.update(batch.outcomes)
    return outcomes


def _claim(email_ids: list[int], *, now: datetime) -> list[int]:
    """Claim the due rows among ``email_ids`` (pending or failed) in one statement: "sending".

    One statement outside any transaction is its own transaction: committed before
    anything is sent, which is the guarantee. Rows another call is claiming at the
    same moment are skipped, not waited for: that call sends them. (A row locked by
    anything else, an admin putting it back, say, is skipped too; it stays pending,
    and the sweep enqueues it again if nothing else does.)
    """
    table = OutboxEmail._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table}
            SET status = %s, attempts = attempts + 1, claimed_at = %s, last_error = ''
            WHERE id IN (
                SELECT id FROM {table}
                WHERE id = ANY(%s) AND status IN (%s, %s)
                  AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,  # noqa: S608 - the table name is our own; every value is a parameter
            [Status.SENDING, now, list(email_ids), Status.PENDING, Status.FAILED, now],
        )
        return [row[0] for row in cursor.fetchall()]


class _Batch:
    """What became of each claimed row of one batch, written once the batch is done."""

    def __init__(self, rows: list[OutboxEmail]) -> None:
        self.outcomes: dict[int, str] = {}
        # Claimed and not yet handed to the server, nor ended otherwise.
        self.unsent: dict[int, OutboxEmail] = {email.pk: email for email in rows}
        self.sent: list[tuple[OutboxEmail, str]] = []

    def built(self, email: OutboxEmail, now: datetime):
        """The row's message, or None when it ends here (paused, skipped, failed)."""
        from mailings.builders import NotForThisRecipient

        if email.recipient_paused:
            return self._ended(email, Status.PAUSED)
        if not email.recipient_wanted:
            return self._ended(email, Status.SKIPPED)
        try:
            return _build(email, email.recipient)
        except NotForThisRecipient:
            return self._ended(email, Status.SKIPPED)
        except Exception as error:
            # Our fault, not the address's: back off, but do not count it against the recipient.
            logger.exception("Could not build outbox email %s", email.pk)
            _fail(email, error, now=now, count_against_recipient=False)
            return self._ended(email, Status.FAILED)

    def _ended(self, email: OutboxEmail, outcome: str) -> None:
        del self.unsent[email.pk]
        self.outcomes[email.pk] = outcome

    def send(self, to_send: list, *, now: datetime) -> None:
        """Hand each message to the server, over one connection while it holds."""
        from django.core.mail import get_connection

        backend = get_connection()
        try:
            for email, message in to_send:
                # Gone from "unsent" before it is handed over: if the process stops inside,
                # whether it left is unknown, and the row must stay "sending".
                del self.unsent[email.pk]
                try:
                    # Opens the connection if it is not open (first, or after a failure), and
                    # keeps it open: send_messages closes only a connection it opened itself.
                    backend.open()
                    backend.send_messages([message])
                except Exception as error:
                    logger.warning("Outbox email %s failed: %s", email.pk, error)
                    # The connection may be broken (a refused recipient leaves it usable, a
                    # dropped one does not): the next message opens a new one.
                    _close_quietly(backend)
                    _fail(email, error, now=now, count_against_recipient=True)
                    self.outcomes[email.pk] = Status.FAILED
                    continue
                self.sent.append((email, message.subject))
                self.outcomes[email.pk] = Status.SENT
        finally:
            _close_quietly(backend)

    def record(self) -> None:
        """Write the outcomes not yet written: one statement each for sent, paused, skipped;
        the rows never handed to the server back to pending, if the batch stopped early."""
        for status in (Status.PAUSED, Status.SKIPPED):
            ids = [pk for pk, outcome in self.outcomes.items() if outcome == status]
            if ids:
                OutboxEmail.objects.filter(pk__in=ids, status=Status.SENDING).update(
                    status=status, last_error=""
                )
        if self.sent:
            _mark_sent(self.sent)
            self.sent = []
        if self.unsent:
            # Never handed over: given back, pending, for a redelivery of the batch to claim or
            # else the sweep to enqueue again.
            OutboxEmail.objects.filter(pk__in=list(self.unsent), status=Status.SENDING).update(
                status=Status.PENDING, attempts=F("attempts") - 1
            )
            self.unsent = {}


def _close_quietly(backend) -> None:
    try:
        backend.close()
    except Exception as error:
        logger.info("Closing the mail connection failed: %s", error)


def _build(email: OutboxEmail, recipient: User):
    from mailings.builders import email_message

    # The recipient's address now, which the admin may have corrected since the row was made
    # (written with the row's outcome).
    if recipient.email and recipient.email != email.address:
        email.address = recipient.email
    # Checked as it is built, where a failure is the content's: a bad subject must not pause
    # everyone it was meant for. The message was written out in full once, when it was built
    # for all the recipients sharing it, and each copy's address as it is addressed
    # (builders.py); writing out every copy again here cost as much as sending it.
    return email_message(email=email, recipient=recipient)


def _mark_sent(sent: list[tuple[OutboxEmail, str]]) -> None:
    """Mark the rows sent ("uncertain" too: a send slower than the sweep's timeout still ends as
    sent) and end their recipients' runs of failures, in one statement for the batch."""
    outbox, health = OutboxEmail._meta.db_table, MailRecipient._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH sent AS (
                UPDATE {outbox} AS outbox
                SET status = %s, sent_at = %s, subject = done.subject, address = done.address,
                    last_error = ''
                FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS done(id, subject, address)
                WHERE outbox.id = done.id AND outbox.status IN (%s, %s)
                RETURNING outbox.recipient_id
            )
            UPDATE {health} SET consecutive_failures = 0
            WHERE user_id IN (SELECT recipient_id FROM sent) AND consecutive_failures > 0
            """,  # noqa: S608 - the table names are our own; every value is a parameter
            [
                Status.SENT,
                timezone.now(),
                [email.pk for email, _subject in sent],
                [subject[:255] for _email, subject in sent],
                [email.address for email, _subject in sent],
                Status.SENDING,
                Status.UNCERTAIN,
            ],
        )


def _fail(email: OutboxEmail, error: Exception, *, now: datetime, count_against_recipient: bool):
    message = (str(error) or error.__class__.__name__)[:2000]
    logger.debug("".join(traceback.format_exception(error)))
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk, status=Status.SENDING).update(
            status=Status.FAILED,
            address=email.address,
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
