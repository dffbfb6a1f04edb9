"""Follow-ups (跟踪督办): closed with a resolution and a return visit, cancelled with a reason,
and listed when overdue per caseworker and per unit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from tests.factories import UserFactory
from tests.visits.test_visits import follow_up, household, log, on_file, today
from visits.choices import FollowUpStatus, VisitKind
from visits.models import FollowUp
from visits.selectors import (
    file_timeline,
    my_follow_ups,
    overdue_by_owner,
    overdue_by_unit,
    overdue_follow_ups,
)
from visits.services import follow_up_cancel, follow_up_close


def days_ago(n: int):
    return today() - timedelta(days=n)


@pytest.fixture
def file(caseworker, tree):
    """A household on file since two months ago, so visits can be dated in the past."""
    return on_file(
        household(by=caseworker, unit=tree.jiangan),
        created_at=timezone.now() - timedelta(days=60),
    )


def raise_follow_up(file, by, owner=None, *, visited_days_ago=0, due_in_days=14, **more):
    visit = log(
        file, by, visited_on=days_ago(visited_days_ago),
        follow_ups=[follow_up(owner or by, due_in_days=due_in_days, **more)],
    )  # fmt: skip
    return visit.follow_ups.get()


# ---------------------------------------------------------------- closing


def test_a_follow_up_is_closed_with_its_resolution_and_return_visit(file, caseworker):
    item = raise_follow_up(file, caseworker, visited_days_ago=10)
    call = log(file, caseworker, kind=VisitKind.PHONE, findings="电话回访：报销已到账。")

    follow_up_close(
        follow_up=item, by=caseworker, resolution="协调医保中心，已报销。", return_visit=call
    )

    item.refresh_from_db()
    assert item.status == FollowUpStatus.DONE
    assert item.resolution == "协调医保中心，已报销。"
    assert item.return_visit == call
    assert item.closed_by == caseworker
    assert item.closed_at is not None


def test_a_follow_up_that_needs_a_return_visit_is_not_closed_without_one(file, caseworker):
    item = raise_follow_up(file, caseworker)

    with pytest.raises(RuleBroken) as refused:
        follow_up_close(follow_up=item, by=caseworker, resolution="已解决")

    assert list(refused.value.message_dict) == ["return_visit"]
    item.refresh_from_db()
    assert item.status == FollowUpStatus.OPEN


def test_a_follow_up_without_return_visit_closes_with_a_resolution_alone(file, caseworker):
    item = raise_follow_up(file, caseworker, needs_return_visit=False)

    with pytest.raises(RuleBroken) as no_resolution:
        follow_up_close(follow_up=item, by=caseworker, resolution="  ")
    follow_up_close(follow_up=item, by=caseworker, resolution="已办理低保。")

    assert list(no_resolution.value.message_dict) == ["resolution"]
    item.refresh_from_db()
    assert (item.status, item.return_visit) == (FollowUpStatus.DONE, None)


def test_the_return_visit_is_a_later_visit_to_the_same_household(file, caseworker, tree):
    item = raise_follow_up(file, caseworker, visited_days_ago=5)
    earlier = log(file, caseworker, visited_on=days_ago(8))
    other_household = log(household(by=caseworker, unit=tree.jiangan), caseworker)

    refusals = []
    for candidate in (item.visit, earlier, other_household):
        with pytest.raises(RuleBroken) as refused:
            follow_up_close(follow_up=item, by=caseworker, resolution="好", return_visit=candidate)
        refusals.append(list(refused.value.message_dict))

    assert refusals == [["return_visit"]] * 3


def test_a_closed_follow_up_is_not_closed_or_cancelled_again(file, caseworker):
    item = raise_follow_up(file, caseworker, needs_return_visit=False)
    follow_up_close(follow_up=item, by=caseworker, resolution="已解决")

    with pytest.raises(RuleBroken):
        follow_up_close(follow_up=item, by=caseworker, resolution="再次")
    with pytest.raises(RuleBroken):
        follow_up_cancel(follow_up=item, by=caseworker, reason="再次")


def test_a_follow_up_is_cancelled_only_with_a_reason(file, caseworker):
    item = raise_follow_up(file, caseworker)

    with pytest.raises(RuleBroken) as no_reason:
        follow_up_cancel(follow_up=item, by=caseworker, reason="")
    follow_up_cancel(follow_up=item, by=caseworker, reason="户主已迁居外省。")

    assert list(no_reason.value.message_dict) == ["reason"]
    item.refresh_from_db()
    assert (item.status, item.cancel_reason) == (FollowUpStatus.CANCELLED, "户主已迁居外省。")


def test_a_sibling_branch_cannot_close_or_cancel_our_follow_ups(file, caseworker, sibling):
    item = raise_follow_up(file, caseworker, needs_return_visit=False)

    with pytest.raises(PermissionDenied):
        follow_up_close(follow_up=item, by=sibling, resolution="x")
    with pytest.raises(PermissionDenied):
        follow_up_cancel(follow_up=item, by=sibling, reason="x")


def test_a_follow_up_raised_before_the_exit_gets_its_return_call_afterwards(file, caseworker):
    item = raise_follow_up(file, caseworker, visited_days_ago=20)
    on_file(file, status=FileStatus.EXITED, exit_reason="reemployed", ended_on=days_ago(3))

    call = log(file, caseworker, kind=VisitKind.PHONE, findings="电话回访：已就业，收入稳定。")
    follow_up_close(follow_up=item, by=caseworker, resolution="已就业。", return_visit=call)

    assert FollowUp.objects.get().status == FollowUpStatus.DONE


# ---------------------------------------------------------------- lists


def test_my_follow_ups_are_the_open_ones_i_own_overdue_first(file, caseworker, second_caseworker):
    later = raise_follow_up(file, caseworker, visited_days_ago=1, due_in_days=20)
    overdue = raise_follow_up(file, caseworker, visited_days_ago=30, due_in_days=-3)
    raise_follow_up(file, caseworker, second_caseworker)  # someone else's
    done = raise_follow_up(file, caseworker, needs_return_visit=False)
    follow_up_close(follow_up=done, by=caseworker, resolution="已解决")

    assert list(my_follow_ups(user=caseworker)) == [overdue, later]


def test_overdue_follow_ups_are_counted_per_caseworker_and_per_unit_in_the_branch(
    file, caseworker, second_caseworker, sibling, tree
):
    dazhi_file = on_file(
        household(by=caseworker, unit=tree.dazhi), created_at=timezone.now() - timedelta(days=60)
    )
    raise_follow_up(file, caseworker, visited_days_ago=30, due_in_days=-5)
    raise_follow_up(file, caseworker, second_caseworker, visited_days_ago=30, due_in_days=-2)
    raise_follow_up(dazhi_file, caseworker, visited_days_ago=30, due_in_days=-9)
    raise_follow_up(file, caseworker, visited_days_ago=1, due_in_days=3)  # not yet due
    theirs = on_file(household(by=sibling), created_at=timezone.now() - timedelta(days=60))
    raise_follow_up(theirs, sibling, visited_days_ago=30, due_in_days=-5)  # could leak

    by_owner = {row["owner__username"]: row["count"] for row in overdue_by_owner(user=caseworker)}
    by_unit = {row["file__unit__name"]: row["count"] for row in overdue_by_unit(user=caseworker)}
    dazhi_user = UserFactory(unit=tree.dazhi)

    assert by_owner == {"wuhan.cw": 2, "wuhan.cw2": 1}
    assert by_unit == {"江岸区总工会": 2, "大智街道工会": 1}
    assert overdue_follow_ups(user=caseworker).count() == 3
    assert overdue_follow_ups(user=caseworker, unit=tree.dazhi).count() == 1
    assert overdue_follow_ups(user=caseworker, owner=second_caseworker).count() == 1
    assert overdue_follow_ups(user=dazhi_user).count() == 1
    assert overdue_follow_ups(user=sibling).count() == 1


def test_the_timeline_merges_visits_help_and_closed_follow_ups_newest_first(file, caseworker):
    from visits.services import help_service_record

    item = raise_follow_up(file, caseworker, visited_days_ago=9, needs_return_visit=False)
    help_service_record(
        file=file, by=caseworker, kind="job_referral", provided_on=days_ago(4),
        provider="江岸区人社局", person_times=1,
    )  # fmt: skip
    follow_up_close(follow_up=item, by=caseworker, resolution="已解决")

    section = file_timeline(file=file)

    assert [entry.kind for entry in section.timeline] == ["follow_up_done", "help", "visit"]
    assert section.open_follow_ups == []
