"""Writes of the report emails that people make: schedules, opt-outs, resuming a recipient.

The outbox's own writes (dispatch, claim, send, sweep, resend) are in mailings/outbox.py.
"""

from django.db import transaction
from django.utils import timezone

from mailings.choices import EmailKind, OutboxStatus
from mailings.models import (
    CampaignProgressSchedule,
    EmailOptOut,
    EmailSchedule,
    MailRecipient,
    OutboxEmail,
)
from mailings.schedules import DEFAULTS
from mailings.selectors import may_set_progress_schedule
from people.models import User
from visits.models import Campaign


def email_schedules_ensure(*, using: str = "default") -> None:
    """Create the schedule of each kind that has none yet, from ``schedules.DEFAULTS``.

    Existing rows are left alone: admins may have changed them.
    """
    for kind, default in DEFAULTS.items():
        EmailSchedule.objects.using(using).get_or_create(
            kind=kind,
            defaults={
                "enabled": default.enabled,
                "weekday": default.weekday,
                "day_of_month": default.day_of_month,
                "hour": default.hour,
                "minute": default.minute,
            },
        )


def email_opt_outs_set(*, user: User, opted_out: set[str]) -> User:
    """Save the kinds of email ``user`` does not want.

    Side effects: EmailOptOut rows added or removed.
    """
    unknown = set(opted_out) - set(EmailKind.values)
    if unknown:
        raise ValueError(f"unknown kinds of email: {sorted(unknown)}")
    with transaction.atomic():
        EmailOptOut.objects.filter(user=user).exclude(kind__in=opted_out).delete()
        for kind in opted_out:
            EmailOptOut.objects.get_or_create(user=user, kind=kind)
    return user


def campaign_progress_schedule_set(
    *, campaign: Campaign, by: User, frequency: str, weekday: int, hour: int
) -> CampaignProgressSchedule:
    """Set how often ``campaign``'s progress is emailed to its organiser's approvers.

    Raises PermissionDenied unless ``by`` works for the organiser (see
    ``may_set_progress_schedule``). Side effects: the CampaignProgressSchedule row.
    """
    may_set_progress_schedule(by, campaign).enforce()
    with transaction.atomic():
        schedule, _ = CampaignProgressSchedule.objects.update_or_create(
            campaign=campaign,
            defaults={"frequency": frequency, "weekday": weekday, "hour": hour, "updated_by": by},
        )
    return schedule


def mail_recipient_resume(*, user_id: int) -> int:
    """Resume sending to a paused recipient; their paused emails are sent again.

    Returns how many emails were put back in the queue. Side effects: the
    MailRecipient row reset; paused OutboxEmail rows back to pending; one
    Celery message per email after commit.
    """
    from mailings.outbox import enqueue_after_commit

    with transaction.atomic():
        MailRecipient.objects.filter(pk=user_id).update(
            paused_at=None, consecutive_failures=0, last_error=""
        )
        paused = OutboxEmail.objects.filter(recipient_id=user_id, status=OutboxStatus.PAUSED)
        ids = list(paused.values_list("pk", flat=True))
        paused.update(status=OutboxStatus.PENDING, next_attempt_at=timezone.now())
        enqueue_after_commit(ids)
    return len(ids)
