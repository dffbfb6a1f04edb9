"""When emails are due: the defaults in mailings/schedules.py and the period keys."""

from datetime import datetime, timedelta

from mailings.choices import EmailKind, ProgressFrequency
from mailings.models import EmailSchedule
from mailings.schedules import (
    CATCH_UP,
    DEFAULTS,
    campaign_occasion,
    monthly_occasion,
    retry_delay,
    weekly_occasion,
)
from tests.mailings.conftest import BEIJING


def local(*args) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


def test_every_kind_has_its_schedule_row_from_the_defaults(db):
    rows = {
        s.kind: (s.enabled, s.weekday, s.day_of_month, s.hour, s.minute)
        for s in EmailSchedule.objects.all()
    }

    assert rows == {
        kind: (d.enabled, d.weekday, d.day_of_month, d.hour, d.minute)
        for kind, d in DEFAULTS.items()
    }
    assert set(rows) == set(EmailKind.values)


def test_the_weekly_digest_is_due_from_monday_eight_for_a_day():
    before = weekly_occasion(weekday=0, hour=8, minute=0, now=local(2026, 11, 30, 7, 59))
    on_time = weekly_occasion(weekday=0, hour=8, minute=0, now=local(2026, 11, 30, 8, 0))
    late = weekly_occasion(weekday=0, hour=8, minute=0, now=local(2026, 11, 30, 8, 0) + CATCH_UP)

    assert before is None
    assert on_time.period == "2026-W49"
    assert late is None


def test_the_monthly_report_on_the_first_reports_the_month_before():
    occasion = monthly_occasion(day_of_month=1, hour=8, minute=30, now=local(2027, 1, 1, 9, 0))

    assert occasion.kind == EmailKind.MONTHLY_REPORT
    assert occasion.period == "2026-12"
    assert monthly_occasion(day_of_month=1, hour=8, minute=30, now=local(2027, 1, 1, 8, 0)) is None


def test_a_weekly_campaign_email_is_keyed_by_its_day():
    friday = local(2026, 12, 4, 9, 30)

    occasion = campaign_occasion(
        campaign_id=12, frequency=ProgressFrequency.WEEKLY, weekday=4, hour=9, now=friday
    )
    off = campaign_occasion(
        campaign_id=12, frequency=ProgressFrequency.OFF, weekday=4, hour=9, now=friday
    )

    assert occasion.period == "campaign-12-2026-12-04"
    assert occasion.campaign_id == 12
    assert off is None


def test_retries_back_off_exponentially_up_to_a_ceiling():
    assert [retry_delay(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (5, 10, 20)]
    assert retry_delay(30) == timedelta(hours=6)
