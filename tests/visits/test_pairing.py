"""Pairing (结对帮扶): the double pairing of each household, its history, cadres' households."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from common.errors import RuleBroken
from hardship.choices import FileStatus
from tests.factories import UnionUnitFactory, UserFactory, open_file
from tests.visits.test_visits import household, on_file, today
from visits.choices import PairingRole
from visits.models import Cadre, EnterprisePairing, Pairing
from visits.selectors import (
    cadre_enterprises,
    cadre_households,
    cadres_with_counts,
    file_helpers,
    files_without_current_helper,
)
from visits.services import (
    cadre_create,
    enterprise_pairing_end,
    enterprise_pairing_start,
    pairing_end,
    pairing_start,
)

LEADING = PairingRole.LEADING_CADRE
HELPER = PairingRole.RESPONSIBLE_HELPER


@pytest.fixture
def file(caseworker, tree):
    return household(by=caseworker, unit=tree.jiangan)


@pytest.fixture
def leader(caseworker, tree):
    return cadre_create(
        by=caseworker, unit=tree.wuhan, name="王书记", position="副主席", is_leading_cadre=True
    )


@pytest.fixture
def helper(caseworker, tree):
    return cadre_create(by=caseworker, unit=tree.jiangan, name="刘帮扶")


def days_ago(n: int):
    return today() - timedelta(days=n)


# ---------------------------------------------------------------- cadres


def test_a_caseworker_adds_a_cadre_linked_to_a_user_of_the_branch(caseworker, tree):
    account = UserFactory(unit=tree.jiangan, full_name="赵磊")

    cadre = cadre_create(by=caseworker, unit=tree.jiangan, name="赵磊", user=account)

    assert cadre.user == account


def test_a_cadre_cannot_be_added_outside_the_branch_or_with_an_outsiders_account(
    caseworker, sibling, tree
):
    with pytest.raises(PermissionDenied):
        cadre_create(by=caseworker, unit=tree.hunan, name="黄主席")
    with pytest.raises(RuleBroken) as refused:
        cadre_create(by=caseworker, unit=tree.wuhan, name="黄主席", user=sibling)

    assert list(refused.value.message_dict) == ["user"]
    assert Cadre.objects.count() == 0


# ---------------------------------------------------------------- pairing households


def test_the_double_pairing_gives_a_household_a_leading_cadre_and_a_helper(
    file, caseworker, leader, helper
):
    pairing_start(file=file, cadre=leader, role=LEADING, starts_on=days_ago(30), by=caseworker)
    pairing_start(file=file, cadre=helper, role=HELPER, starts_on=days_ago(30), by=caseworker)

    helpers = file_helpers(file=file)

    assert helpers.leading_cadre.cadre == leader
    assert helpers.helper.cadre == helper


def test_pairing_someone_new_ends_the_current_pairing_the_day_before_and_keeps_it(
    file, caseworker, helper, tree
):
    successor = cadre_create(by=caseworker, unit=tree.jiangan, name="陈接任")
    first = pairing_start(
        file=file, cadre=helper, role=HELPER, starts_on=days_ago(100), by=caseworker
    )

    second = pairing_start(
        file=file, cadre=successor, role=HELPER, starts_on=days_ago(10), by=caseworker
    )

    first.refresh_from_db()
    assert first.ends_on == days_ago(11)
    assert second.ends_on is None
    helpers = file_helpers(file=file)
    assert helpers.helper == second
    assert [p.cadre.name for p in helpers.history] == ["陈接任", "刘帮扶"]
    assert Pairing.objects.count() == 2


def test_a_new_pairing_must_start_after_the_current_one_and_after_earlier_ones(
    file, caseworker, helper, tree
):
    other = cadre_create(by=caseworker, unit=tree.jiangan, name="陈接任")
    third = cadre_create(by=caseworker, unit=tree.jiangan, name="张第三")
    pairing_start(file=file, cadre=helper, role=HELPER, starts_on=days_ago(50), by=caseworker)

    with pytest.raises(RuleBroken) as same_day:
        pairing_start(file=file, cadre=other, role=HELPER, starts_on=days_ago(50), by=caseworker)
    pairing_start(file=file, cadre=other, role=HELPER, starts_on=days_ago(20), by=caseworker)
    with pytest.raises(RuleBroken) as overlapping:
        # The first pairing ran until 21 days ago; a third cannot start before the second.
        pairing_start(file=file, cadre=third, role=HELPER, starts_on=days_ago(30), by=caseworker)

    assert list(same_day.value.message_dict) == ["starts_on"]
    assert list(overlapping.value.message_dict) == ["starts_on"]


def test_a_pairing_is_not_recorded_in_advance(file, caseworker, helper):
    with pytest.raises(RuleBroken) as refused:
        pairing_start(
            file=file, cadre=helper, role=HELPER, starts_on=today() + timedelta(days=1),
            by=caseworker,
        )  # fmt: skip

    assert list(refused.value.message_dict) == ["starts_on"]


def test_only_a_leading_cadre_takes_the_leading_role_and_nobody_takes_both(
    file, caseworker, leader, helper
):
    with pytest.raises(RuleBroken) as not_leading:
        pairing_start(file=file, cadre=helper, role=LEADING, starts_on=today(), by=caseworker)
    pairing_start(file=file, cadre=leader, role=LEADING, starts_on=today(), by=caseworker)
    with pytest.raises(RuleBroken) as both:
        pairing_start(file=file, cadre=leader, role=HELPER, starts_on=today(), by=caseworker)
    with pytest.raises(RuleBroken) as again:
        pairing_start(file=file, cadre=leader, role=LEADING, starts_on=today(), by=caseworker)

    assert list(not_leading.value.message_dict) == ["cadre"]
    assert list(both.value.message_dict) == ["cadre"]
    assert list(again.value.message_dict) == ["cadre"]


def test_only_households_on_file_are_paired(caseworker, helper):
    application = open_file(by=caseworker)

    with pytest.raises(RuleBroken):
        pairing_start(file=application, cadre=helper, role=HELPER, starts_on=today(), by=caseworker)

    assert Pairing.objects.count() == 0


def test_a_sibling_branch_can_neither_pair_its_households_nor_use_our_cadres(
    file, caseworker, sibling, helper, tree
):
    theirs = household(by=sibling)
    their_cadre = cadre_create(by=sibling, unit=tree.hunan, name="湖南干部")

    with pytest.raises(PermissionDenied):
        pairing_start(file=file, cadre=their_cadre, role=HELPER, starts_on=today(), by=sibling)
    with pytest.raises(PermissionDenied):
        pairing_start(file=theirs, cadre=helper, role=HELPER, starts_on=today(), by=caseworker)
    with pytest.raises(RuleBroken) as foreign_cadre:
        pairing_start(file=file, cadre=their_cadre, role=HELPER, starts_on=today(), by=caseworker)

    assert list(foreign_cadre.value.message_dict) == ["cadre"]


def test_ending_a_pairing_keeps_it_as_history(file, caseworker, helper):
    pairing = pairing_start(
        file=file, cadre=helper, role=HELPER, starts_on=days_ago(40), by=caseworker
    )

    pairing_end(pairing=pairing, ends_on=days_ago(1), by=caseworker)

    pairing.refresh_from_db()
    assert pairing.ends_on == days_ago(1)
    assert file_helpers(file=file).helper is None
    assert file_helpers(file=file).history == [pairing]
    with pytest.raises(RuleBroken):
        pairing_end(pairing=pairing, ends_on=today(), by=caseworker)


def test_a_pairing_cannot_end_before_it_began_or_in_the_future(file, caseworker, helper):
    pairing = pairing_start(
        file=file, cadre=helper, role=HELPER, starts_on=days_ago(5), by=caseworker
    )

    with pytest.raises(RuleBroken) as before:
        pairing_end(pairing=pairing, ends_on=days_ago(6), by=caseworker)
    with pytest.raises(RuleBroken) as future:
        pairing_end(pairing=pairing, ends_on=today() + timedelta(days=3), by=caseworker)

    assert list(before.value.message_dict) == ["ends_on"]
    assert list(future.value.message_dict) == ["ends_on"]


def test_the_pairings_of_a_household_that_left_the_record_can_still_be_ended(
    file, caseworker, helper
):
    pairing = pairing_start(file=file, cadre=helper, role=HELPER, starts_on=today(), by=caseworker)
    on_file(file, status=FileStatus.EXITED, exit_reason="reemployed", ended_on=today())

    pairing_end(pairing=pairing, ends_on=today(), by=caseworker)

    pairing.refresh_from_db()
    assert pairing.ends_on == today()


# ---------------------------------------------------------------- a cadre's households


def test_a_cadre_has_many_households_and_enterprises(caseworker, leader, tree):
    files = [household(by=caseworker, unit=tree.jiangan) for _ in range(3)]
    for f in files:
        pairing_start(file=f, cadre=leader, role=LEADING, starts_on=days_ago(3), by=caseworker)
    pairing_end(pairing=Pairing.objects.get(file=files[0]), ends_on=days_ago(1), by=caseworker)
    enterprise_pairing_start(
        cadre=leader, unit=tree.jiangan, enterprise_name="武汉江岸车辆厂",
        credit_code="91420102MA4K5L8X08", starts_on=days_ago(10), by=caseworker,
    )  # fmt: skip

    current = list(cadre_households(cadre=leader, user=caseworker))
    past = list(cadre_households(cadre=leader, user=caseworker, current=False))
    counted = cadres_with_counts(user=caseworker).get(pk=leader.pk)

    assert sorted(p.file_id for p in current) == sorted(f.pk for f in files[1:])
    assert [p.file_id for p in past] == [files[0].pk]
    assert (counted.household_count, counted.enterprise_count) == (2, 1)


def test_a_cadres_households_outside_the_viewers_branch_are_not_shown(caseworker, tree):
    """The city caseworker pairs a street's cadre with a household of that street and one of
    another district; the street's caseworker sees the cadre, and only their own household."""
    jianghan = UnionUnitFactory(name="江汉区总工会", code="HB-WH-JH", level=4, parent=tree.wuhan)
    cadre = cadre_create(by=caseworker, unit=tree.dazhi, name="大智干部")
    here = household(by=caseworker, unit=tree.dazhi)
    elsewhere = household(by=caseworker, unit=jianghan)
    for f in (here, elsewhere):
        pairing_start(file=f, cadre=cadre, role=HELPER, starts_on=today(), by=caseworker)
    dazhi_caseworker = UserFactory(unit=tree.dazhi)

    shown = list(cadre_households(cadre=cadre, user=dazhi_caseworker))
    counted = cadres_with_counts(user=dazhi_caseworker).get(pk=cadre.pk)

    assert [p.file_id for p in shown] == [here.pk]
    assert counted.household_count == 1


def test_enterprise_pairings_are_checked_and_ended(caseworker, leader, tree, sibling):
    with pytest.raises(RuleBroken) as bad_code:
        enterprise_pairing_start(
            cadre=leader, unit=tree.wuhan, enterprise_name="某厂", credit_code="123",
            starts_on=today(), by=caseworker,
        )  # fmt: skip
    pairing = enterprise_pairing_start(
        cadre=leader, unit=tree.wuhan, enterprise_name="某厂", starts_on=days_ago(9), by=caseworker
    )
    with pytest.raises(RuleBroken) as twice:
        enterprise_pairing_start(
            cadre=leader, unit=tree.wuhan, enterprise_name="某厂", starts_on=today(), by=caseworker
        )
    with pytest.raises(PermissionDenied):
        enterprise_pairing_end(enterprise_pairing=pairing, ends_on=today(), by=sibling)

    enterprise_pairing_end(enterprise_pairing=pairing, ends_on=today(), by=caseworker)

    assert list(bad_code.value.message_dict) == ["credit_code"]
    assert list(twice.value.message_dict) == ["enterprise_name"]
    assert EnterprisePairing.objects.get().ends_on == today()
    assert list(cadre_enterprises(cadre=leader, user=caseworker)) == [pairing]


# ---------------------------------------------------------------- coverage


def test_coverage_lists_households_on_file_without_a_current_helper(
    caseworker, sibling, leader, helper, tree
):
    paired_both, leader_only, nobody, ended = (
        household(by=caseworker, unit=tree.jiangan) for _ in range(4)
    )
    open_file(by=caseworker)  # an application: not on file, not counted
    household(by=sibling)  # a sibling's household: not ours to count
    for f in (paired_both, leader_only):
        pairing_start(file=f, cadre=leader, role=LEADING, starts_on=days_ago(5), by=caseworker)
    pairing_start(file=paired_both, cadre=helper, role=HELPER, starts_on=days_ago(5), by=caseworker)
    old = pairing_start(file=ended, cadre=helper, role=HELPER, starts_on=days_ago(5), by=caseworker)
    pairing_end(pairing=old, ends_on=days_ago(1), by=caseworker)

    def missing(kind):
        return sorted(
            files_without_current_helper(user=caseworker, missing=kind).values_list("pk", flat=True)
        )

    assert missing("any") == sorted([nobody.pk, ended.pk])
    assert missing(HELPER) == sorted([leader_only.pk, nobody.pk, ended.pk])
    assert missing(LEADING) == sorted([nobody.pk, ended.pk])
