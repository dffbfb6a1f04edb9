"""When report emails go out: every default in this one place, and the "is it due?" rules.

The beat entry ``send-due-emails`` (config/settings.py) only ticks every few
minutes; what is due on a tick is decided here, from the ``EmailSchedule`` rows
(one per kind, edited in Django admin, created from ``DEFAULTS`` below) and,
for campaign progress, from each campaign's ``CampaignProgressSchedule`` set by
its organiser.

Each due email has a *period key* (``2026-W49``, ``2026-10``,
``campaign-12-2026-11-30``). The outbox is unique on (recipient, kind, period),
so however many ticks, or beat processes, see the same occasion, each person
gets one email for it.

An occasion stays due for ``CATCH_UP`` after its scheduled moment, so a tick
missed while the beat or the database was down is made up; after that it is
let go rather than sent days late.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from mailings.choices import EmailKind, ProgressFrequency, Weekday


@dataclass(frozen=True)
class ScheduleDefault:
    enabled: bool
    weekday: int = Weekday.MONDAY
    day_of_month: int = 1
    hour: int = 8
    minute: int = 0


# The schedule of each kind as first installed; admins change the rows afterwards.
DEFAULTS: dict[str, ScheduleDefault] = {
    # Monday 08:00: the caseworker's week starts with what is waiting for them.
    EmailKind.WEEKLY_DIGEST: ScheduleDefault(enabled=True, weekday=Weekday.MONDAY, hour=8),
    # The 1st at 08:30, reporting the month before: the tallies of the last
    # month are refreshed overnight (reports.refresh_all_figures at 02:07).
    EmailKind.MONTHLY_REPORT: ScheduleDefault(enabled=True, day_of_month=1, hour=8, minute=30),
    # Checked on every tick; each campaign's organiser sets when (CampaignProgressSchedule).
    # The row is only the master switch.
    EmailKind.CAMPAIGN_PROGRESS: ScheduleDefault(enabled=True, hour=0),
}

# A campaign's progress schedule when its organiser has not set one yet.
CAMPAIGN_PROGRESS_DEFAULT = {
    "frequency": ProgressFrequency.OFF,
    "weekday": Weekday.MONDAY,
    "hour": 9,
}

# How long after its scheduled moment an occasion is still sent.
CATCH_UP = timedelta(days=1)

# Sending: failures back off exponentially from RETRY_FIRST up to RETRY_LONGEST;
# after PAUSE_AFTER_FAILURES failures in a row a recipient is paused until an
# admin resumes them (their address is likely wrong, or their mailbox gone).
RETRY_FIRST = timedelta(minutes=5)
RETRY_LONGEST = timedelta(hours=6)
PAUSE_AFTER_FAILURES = 5
# A pending email whose message has not been taken this long after it was due is
# assumed lost with the broker and sent again (harmless if not: the claim decides).
PENDING_LOST_AFTER = timedelta(minutes=30)
# Monthly report PDFs are kept this long, so a resend can attach the same file.
REPORT_KEEP = timedelta(days=92)


@dataclass(frozen=True)
class Occasion:
    """One due mailing: its kind, its period key, the moment it was scheduled for."""

    kind: str
    period: str
    scheduled_at: datetime
    campaign_id: int | None = None


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _due(scheduled_at: datetime, now: datetime) -> bool:
    return scheduled_at <= now < scheduled_at + CATCH_UP


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_occasion(*, weekday: int, hour: int, minute: int, now: datetime) -> Occasion | None:
    """The weekly digest's latest occasion, if it is due at ``now``."""
    today = timezone.localtime(now).date()
    scheduled = _at(today - timedelta(days=(today.weekday() - weekday) % 7), hour, minute)
    if scheduled > now:
        scheduled -= timedelta(days=7)
    if not _due(scheduled, now):
        return None
    return Occasion(
        EmailKind.WEEKLY_DIGEST, week_key(timezone.localtime(scheduled).date()), scheduled
    )


def monthly_occasion(
    *, day_of_month: int, hour: int, minute: int, now: datetime
) -> Occasion | None:
    """The monthly report's latest occasion, if due; its period is the month before it."""
    from reports.periods import Period

    today = timezone.localtime(now).date()
    scheduled = _at(today.replace(day=day_of_month), hour, minute)
    if scheduled > now:
        previous = today.replace(day=1) - timedelta(days=1)
        scheduled = _at(previous.replace(day=day_of_month), hour, minute)
    if not _due(scheduled, now):
        return None
    period = Period.previous_month(timezone.localtime(scheduled).date())
    return Occasion(EmailKind.MONTHLY_REPORT, period.slug, scheduled)


def campaign_occasion(
    *, campaign_id: int, frequency: str, weekday: int, hour: int, now: datetime
) -> Occasion | None:
    """A campaign's latest progress occasion under its organiser's schedule, if due."""
    if frequency == ProgressFrequency.OFF:
        return None
    today = timezone.localtime(now).date()
    if frequency == ProgressFrequency.DAILY:
        step, day = timedelta(days=1), today
    else:
        step, day = timedelta(days=7), today - timedelta(days=(today.weekday() - weekday) % 7)
    scheduled = _at(day, hour, 0)
    if scheduled > now:
        scheduled -= step
    if not _due(scheduled, now):
        return None
    on = timezone.localtime(scheduled).date()
    return Occasion(
        EmailKind.CAMPAIGN_PROGRESS, f"campaign-{campaign_id}-{on:%Y-%m-%d}", scheduled, campaign_id
    )


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before the next try after ``attempts`` failed ones: 5, 10, 20 … minutes."""
    return min(RETRY_FIRST * (2 ** max(attempts - 1, 0)), RETRY_LONGEST)
