"""Working days by the holiday calendar: a plain function, tried over a holiday and an
adjusted Saturday."""

from datetime import date

import pytest

from hardship.models import CalendarDay
from hardship.pipeline import is_working_day, mask_name, notice_end, working_days_end


def test_five_working_days_from_a_monday_end_on_friday():
    assert working_days_end(date(2026, 3, 2), 5, holidays=set(), adjusted=set()) == date(2026, 3, 6)


def test_a_weekend_start_counts_from_monday():
    assert working_days_end(date(2026, 3, 7), 1, holidays=set(), adjusted=set()) == date(2026, 3, 9)


def test_a_holiday_on_a_weekday_is_skipped():
    # Thursday 1 October 2026 to Saturday 3 October are holidays: from Wednesday 30
    # September two working days end on Friday 2 October without them, on Monday 5 with them.
    holidays = {date(2026, 10, 1), date(2026, 10, 2)}
    assert working_days_end(date(2026, 9, 30), 2, holidays=holidays, adjusted=set()) == date(
        2026, 10, 5
    )


def test_an_adjusted_saturday_counts_as_a_working_day():
    saturday = date(2026, 10, 10)
    assert not is_working_day(saturday, holidays=set(), adjusted=set())
    assert is_working_day(saturday, holidays=set(), adjusted={saturday})
    # Friday 9 October, then the worked Saturday: two working days end on Saturday.
    assert working_days_end(date(2026, 10, 9), 2, holidays=set(), adjusted={saturday}) == saturday


def test_a_count_below_one_is_refused():
    with pytest.raises(ValueError):
        working_days_end(date(2026, 3, 2), 0, holidays=set(), adjusted=set())


@pytest.mark.django_db
def test_the_notice_end_follows_the_calendar_administrators_keep():
    CalendarDay.objects.update_or_create(
        day=date(2030, 4, 1), defaults={"name": "假日", "is_working_day": False}
    )
    CalendarDay.objects.create(day=date(2030, 4, 6), name="调休上班", is_working_day=True)
    # Monday 1 April 2030 is a holiday, Saturday 6 April worked: 2,3,4,5,6 are five days.
    assert notice_end(date(2030, 4, 1), 5) == date(2030, 4, 6)


def test_a_name_keeps_only_its_first_and_last_character():
    assert mask_name("张建国") == "张*国"
    assert mask_name("李明") == "李*"
    assert mask_name("欧阳志明") == "欧**明"
    assert mask_name("王") == "王"


@pytest.mark.django_db
def test_the_settings_form_refuses_a_minimum_below_the_unit_above(tree):
    from hardship.admin import PipelineSettingsForm
    from hardship.models import PipelineSettings

    PipelineSettings.objects.create(unit=tree.hubei, notice_minimum_days=7)
    form = PipelineSettingsForm(
        data={"unit": tree.wuhan.pk, "notice_minimum_days": "5", "check_columns": '["name", "x"]'}
    )

    assert not form.is_valid()
    assert "7" in form.errors["notice_minimum_days"][0]
    assert "check_columns" in form.errors
