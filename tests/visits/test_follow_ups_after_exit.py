"""Households out of hardship get calls six and twelve months after their exit: follow-ups for
their paired helper, created by a daily task that never creates one twice."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UserFactory
from tests.visits.test_visits import household, log, today
from visits.choices import FollowUpKind, FollowUpStatus, PairingRole, VisitKind
from visits.models import FollowUp
from visits.services import (
    cadre_create,
    follow_up_close,
    follow_ups_after_exit_create,
    months_after,
    pairing_start,
)
from visits.tasks import follow_ups_after_exit_create as task

pytestmark = pytest.mark.django_db


def exit_on(file: HardshipFile, day: date) -> HardshipFile:
    HardshipFile.objects.filter(pk=file.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed", ended_on=day
    )
    file.refresh_from_db()
    return file


@pytest.fixture
def file(caseworker, tree):
    return household(by=caseworker, unit=tree.jiangan)


@pytest.fixture
def helper_user(tree):
    return UserFactory(username="jiangan.helper", full_name="刘帮扶", unit=tree.jiangan)


@pytest.fixture
def paired(file, caseworker, helper_user, tree):
    cadre = cadre_create(by=caseworker, unit=tree.jiangan, name="刘帮扶", user=helper_user)
    pairing_start(file=file, cadre=cadre, role=PairingRole.RESPONSIBLE_HELPER,
                  starts_on=today() - timedelta(days=100), by=caseworker)  # fmt: skip
    return file


# ---------------------------------------------------------------- due dates


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 6, date(2028, 8, 29)),
        (date(2026, 7, 15), 6, date(2027, 1, 15)),
        (date(2026, 3, 31), -12, date(2025, 3, 31)),
    ],
)
def test_due_dates_move_by_calendar_months_and_stop_at_the_months_end(day, months, due):
    assert months_after(day, months) == due


def test_an_exit_on_31_august_is_called_on_the_last_day_of_february_and_on_31_august(
    paired, helper_user
):
    exit_on(paired, date(2025, 8, 31))

    follow_ups_after_exit_create(today=date(2025, 9, 1))

    calls = FollowUp.objects.filter(file=paired).order_by("due_on")
    assert [(c.kind, c.due_on) for c in calls] == [
        (FollowUpKind.AFTER_EXIT_6, date(2026, 2, 28)),
        (FollowUpKind.AFTER_EXIT_12, date(2026, 8, 31)),
    ]
    assert {c.owner for c in calls} == {helper_user}
    assert all(c.visit is None and c.exited_on == date(2025, 8, 31) for c in calls)
    assert all(c.status == FollowUpStatus.OPEN for c in calls)
    assert "电话回访" in calls[0].problem  # written in the union's language, whoever runs it


def test_an_exit_on_29_february_is_called_on_29_august_and_28_february(paired):
    exit_on(paired, date(2028, 2, 29))

    follow_ups_after_exit_create(today=date(2028, 3, 1))

    assert sorted(FollowUp.objects.filter(file=paired).values_list("due_on", flat=True)) == [
        date(2028, 8, 29),
        date(2029, 2, 28),
    ]


# ---------------------------------------------------------------- idempotence


def test_running_twice_creates_each_call_once(paired):
    exit_on(paired, today() - timedelta(days=1))

    first = follow_ups_after_exit_create()
    second = follow_ups_after_exit_create()

    assert (first, second) == (2, 0)
    assert FollowUp.objects.filter(file=paired).count() == 2


def test_the_task_calls_the_same_service(paired):
    exit_on(paired, today() - timedelta(days=1))
    assert task() == 2
    assert task() == 0


def test_the_database_refuses_a_second_call_of_a_kind_for_one_exit(paired, caseworker):
    exit_on(paired, today() - timedelta(days=1))
    follow_ups_after_exit_create()
    with pytest.raises(IntegrityError):
        FollowUp.objects.create(
            file=paired, kind=FollowUpKind.AFTER_EXIT_6, exited_on=paired.ended_on,
            owner=caseworker, due_on=today(), problem="再打一次",
        )  # fmt: skip


def test_a_call_after_exit_names_no_visit_and_a_visits_follow_up_names_one(paired, caseworker):
    with pytest.raises(IntegrityError):
        FollowUp.objects.create(
            file=paired, kind=FollowUpKind.AFTER_EXIT_6, owner=caseworker, due_on=today(),
            problem="无出档日期",
        )  # fmt: skip


def test_the_task_is_scheduled_daily():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task.name]
    assert len(entries) == 1


def test_a_second_exit_after_a_reopening_gets_its_own_calls(paired):
    exit_on(paired, date(2025, 1, 10))
    follow_ups_after_exit_create(today=date(2025, 1, 11))
    exit_on(paired, date(2026, 3, 5))
    follow_ups_after_exit_create(today=date(2026, 3, 6))
    assert FollowUp.objects.filter(file=paired).count() == 4


# ---------------------------------------------------------------- who, and which households


def test_without_a_helper_who_signs_in_the_caseworker_who_entered_the_file_calls(file, caseworker):
    exit_on(file, today() - timedelta(days=1))
    follow_ups_after_exit_create()
    assert set(FollowUp.objects.filter(file=file).values_list("owner", flat=True)) == {
        caseworker.pk
    }


def test_households_still_on_file_or_reopened_get_no_calls(file):
    follow_ups_after_exit_create()
    assert not FollowUp.objects.filter(file=file).exists()


def test_long_past_exits_are_not_handed_long_overdue_calls(paired):
    exit_on(paired, today() - timedelta(days=800))
    assert follow_ups_after_exit_create() == 0


def test_an_exit_nine_months_ago_gets_only_the_call_still_ahead(paired):
    exit_on(paired, months_after(today(), -9))
    follow_ups_after_exit_create()
    assert list(FollowUp.objects.filter(file=paired).values_list("kind", flat=True)) == [
        FollowUpKind.AFTER_EXIT_12
    ]


# ---------------------------------------------------------------- working on the call


def test_the_helper_closes_the_call_with_a_phone_call_logged_after_the_exit(paired, helper_user):
    exit_on(paired, today() - timedelta(days=1))
    follow_ups_after_exit_create()
    call = FollowUp.objects.filter(file=paired).order_by("due_on").first()
    phone = log(paired, helper_user, kind=VisitKind.PHONE)

    follow_up_close(
        follow_up=call, by=helper_user, resolution="已再就业，生活稳定", return_visit=phone
    )

    call.refresh_from_db()
    assert call.status == FollowUpStatus.DONE


def test_the_file_page_and_the_call_page_show_the_call(client, paired, helper_user):
    exit_on(paired, today() - timedelta(days=1))
    follow_ups_after_exit_create()
    call = FollowUp.objects.filter(file=paired).order_by("due_on").first()
    client.force_login(helper_user)

    file_page = client.get(paired.get_absolute_url()).content.decode()
    call_page = client.get(reverse("visits:follow_up_detail", args=[call.pk]))

    assert reverse("visits:follow_up_detail", args=[call.pk]) in file_page
    assert call_page.status_code == 200
    assert 'data-testid="follow-up-kind"' in call_page.content.decode()


def test_a_sibling_gets_404_from_the_call_page(sibling_client, paired):
    exit_on(paired, today() - timedelta(days=1))
    follow_ups_after_exit_create()
    call = FollowUp.objects.filter(file=paired).first()
    assert sibling_client.get(reverse("visits:follow_up_detail", args=[call.pk])).status_code == 404
