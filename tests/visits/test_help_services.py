"""Help beyond money (帮扶服务): recorded on the file, checked by kind, counted in person-times."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from tests.factories import open_file
from tests.visits.test_visits import campaign, household, log, on_file, today
from visits.choices import HelpKind, VisitKind
from visits.models import HelpService
from visits.selectors import help_person_times, visit_figures
from visits.services import help_service_record


def days_ago(n: int):
    return today() - timedelta(days=n)


@pytest.fixture
def file(caseworker, tree):
    return on_file(
        household(by=caseworker, unit=tree.jiangan, is_migrant_worker=True),
        created_at=timezone.now() - timedelta(days=90),
    )


def record(file, by, **overrides) -> HelpService:
    arguments = {
        "kind": HelpKind.JOB_REFERRAL,
        "provided_on": today(),
        "provider": "江岸区人力资源市场",
        "person_times": 1,
    }
    arguments.update(overrides)
    return help_service_record(file=file, by=by, **arguments)


def test_skills_training_records_its_hours_and_certificate(file, caseworker):
    service = record(
        file, caseworker, kind=HelpKind.TRAINING, provider="武汉市职业技能培训中心",
        training_hours=48, certificate="育婴员（五级）", outcome="育婴员培训班，已结业。",
    )  # fmt: skip

    assert (service.training_hours, service.certificate) == (48, "育婴员（五级）")


def test_training_without_hours_and_hours_on_other_help_are_refused(file, caseworker):
    with pytest.raises(RuleBroken) as no_hours:
        record(file, caseworker, kind=HelpKind.TRAINING)
    with pytest.raises(RuleBroken) as misplaced:
        record(file, caseworker, kind=HelpKind.PLACEMENT, training_hours=8, certificate="x")

    assert list(no_hours.value.message_dict) == ["training_hours"]
    assert sorted(misplaced.value.message_dict) == ["certificate", "training_hours"]
    assert HelpService.objects.count() == 0


def test_recovered_wages_are_recorded_for_wage_arrears_and_legal_aid_only(file, caseworker):
    arrears = record(
        file, caseworker, kind=HelpKind.WAGE_ARREARS, provider="区法律援助中心",
        amount_recovered=Decimal("23600"), person_times=1,
    )  # fmt: skip
    legal = record(file, caseworker, kind=HelpKind.LEGAL_AID, provider="区法律援助中心")
    with pytest.raises(RuleBroken) as missing_amount:
        record(file, caseworker, kind=HelpKind.WAGE_ARREARS, provider="区法律援助中心")
    with pytest.raises(RuleBroken) as misplaced:
        record(file, caseworker, kind=HelpKind.MEDICAL, amount_recovered=Decimal("5"))

    assert arrears.amount_recovered == Decimal("23600")
    assert legal.amount_recovered is None
    assert list(missing_amount.value.message_dict) == ["amount_recovered"]
    assert list(misplaced.value.message_dict) == ["amount_recovered"]


def test_help_is_dated_neither_in_the_future_nor_before_the_file(file, caseworker):
    with pytest.raises(RuleBroken) as future:
        record(file, caseworker, provided_on=today() + timedelta(days=1))
    with pytest.raises(RuleBroken) as before:
        record(file, caseworker, provided_on=days_ago(365))

    assert list(future.value.message_dict) == ["provided_on"]
    assert list(before.value.message_dict) == ["provided_on"]


def test_help_from_a_visit_takes_the_visits_campaign(file, caseworker, approver, tree):
    spring = campaign(tree.wuhan, approver, name="春送岗位")
    visit = log(file, caseworker, campaign=spring, visited_on=days_ago(3))

    service = record(file, caseworker, visit=visit, kind=HelpKind.JOB_FAIR)

    assert (service.visit, service.campaign) == (visit, spring)


def test_help_cannot_come_from_another_households_visit_or_before_the_visit(file, caseworker, tree):
    other = log(household(by=caseworker, unit=tree.jiangan), caseworker)
    visit = log(file, caseworker, visited_on=days_ago(2))

    with pytest.raises(RuleBroken) as elsewhere:
        record(file, caseworker, visit=other)
    with pytest.raises(RuleBroken) as earlier:
        record(file, caseworker, visit=visit, provided_on=days_ago(5))

    assert list(elsewhere.value.message_dict) == ["visit"]
    assert list(earlier.value.message_dict) == ["visit"]


def test_an_exited_household_takes_help_given_until_it_left_the_record(file, caseworker):
    on_file(file, status=FileStatus.EXITED, exit_reason="reemployed", ended_on=days_ago(10))

    placement = record(file, caseworker, kind=HelpKind.PLACEMENT, provided_on=days_ago(12))
    with pytest.raises(RuleBroken) as afterwards:
        record(file, caseworker, kind=HelpKind.PLACEMENT, provided_on=days_ago(2))

    assert placement.kind == HelpKind.PLACEMENT
    assert list(afterwards.value.message_dict) == ["provided_on"]


def test_applications_take_no_help_and_strangers_record_none(file, caseworker, sibling):
    with pytest.raises(RuleBroken):
        record(open_file(by=caseworker), caseworker)
    with pytest.raises(PermissionDenied):
        record(file, sibling)


# ---------------------------------------------------------------- person-times


def test_help_is_counted_in_person_times_by_kind_within_the_branch_and_period(
    file, caseworker, sibling, tree
):
    second = on_file(
        household(by=caseworker, unit=tree.dazhi), created_at=timezone.now() - timedelta(days=90)
    )
    record(file, caseworker, kind=HelpKind.TRAINING, training_hours=40, person_times=2)
    record(second, caseworker, kind=HelpKind.TRAINING, training_hours=16, person_times=1)
    record(file, caseworker, kind=HelpKind.WAGE_ARREARS, provider="劳动监察大队",
           amount_recovered=Decimal("8000"))  # fmt: skip
    record(file, caseworker, kind=HelpKind.JOB_REFERRAL, provided_on=days_ago(60))  # before
    theirs = on_file(household(by=sibling), created_at=timezone.now() - timedelta(days=90))
    record(theirs, sibling, kind=HelpKind.TRAINING, training_hours=8, person_times=5)  # sibling

    figures = {
        row.kind: row
        for row in help_person_times(user=caseworker, starts_on=days_ago(30), ends_on=today())
    }
    dazhi_only = {
        row.kind: row.person_times
        for row in help_person_times(
            user=caseworker, unit=tree.dazhi, starts_on=days_ago(30), ends_on=today()
        )
    }

    assert list(figures) == list(HelpKind.values)
    training = figures[HelpKind.TRAINING]
    assert (training.records, training.households, training.person_times) == (2, 2, 3)
    assert figures[HelpKind.WAGE_ARREARS].amount == Decimal("8000")
    assert figures[HelpKind.JOB_REFERRAL].person_times == 0
    assert dazhi_only[HelpKind.TRAINING] == 1
    assert sum(dazhi_only.values()) == 1


def test_visits_are_counted_in_household_visits_and_person_times_by_kind(file, caseworker, tree):
    log(file, caseworker, people_reached=3, cash_amount=Decimal("800"))
    log(file, caseworker, kind=VisitKind.PHONE, people_reached=1)
    log(household(by=caseworker, unit=tree.jiangan), caseworker, people_reached=2)

    figures = {
        row.kind: row
        for row in visit_figures(user=caseworker, starts_on=days_ago(7), ends_on=today())
    }

    home = figures[VisitKind.HOME]
    assert (home.records, home.households, home.person_times, home.amount) == (
        2,
        2,
        5,
        Decimal("800"),
    )
    assert figures[VisitKind.PHONE].records == 1
    assert figures[VisitKind.COLLECTIVE].records == 0
