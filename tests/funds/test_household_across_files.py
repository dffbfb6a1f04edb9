"""A household is one household across its files: the yearly cap and the one-visit-money
rule count aid paid under an earlier, closed file of the same worker (by ID number hash)."""

from decimal import Decimal

import pytest

from common.errors import RuleBroken
from funds.choices import Purpose
from funds.models import SchoolingStandard
from funds.rules import PER_YEAR_CAP
from funds.selectors import household_aid
from funds.services import disbursement_approve, disbursement_reject
from hardship.choices import CloseReason, FileStatus, SchoolStage
from hardship.models import HardshipFile, HouseholdMember
from hardship.services import hardship_file_close
from tests.factories import UserFactory, make_id_number, open_file
from tests.funds.test_disbursements import propose, student_household

pytestmark = pytest.mark.django_db


def reopened_as_new_file(old: HardshipFile, caseworker, approver) -> HardshipFile:
    """The old file closed, and the same worker entered again in a new file on record."""
    hardship_file_close(file=old, by=approver, reason=CloseReason.INELIGIBLE)
    new = open_file(by=caseworker, unit=old.unit, id_number=old.id_number)
    HardshipFile.objects.filter(pk=new.pk).update(status=FileStatus.ON_FILE, category=old.category)
    new.refresh_from_db()
    return new


def test_the_yearly_cap_counts_aid_paid_under_a_closed_file_of_the_same_worker(
    funded, family, caseworker, approver
):
    for _ in range(2):
        disbursement_approve(
            disbursement=propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS,
                                 description="棉被、米面油"),
            by=approver,
        )  # fmt: skip
    new = reopened_as_new_file(family, caseworker, approver)
    third = propose(caseworker, new, funded, "100", purpose=Purpose.GOODS, description="棉衣")
    assert third.broken_rules == [PER_YEAR_CAP]
    with pytest.raises(RuleBroken, match=r"6,000.00"):
        disbursement_approve(disbursement=third, by=approver)


def test_another_worker_is_not_counted(funded, family, caseworker, approver):
    for _ in range(2):
        disbursement_approve(
            disbursement=propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS,
                                 description="棉被、米面油"),
            by=approver,
        )  # fmt: skip
    stranger = open_file(
        by=caseworker, unit=family.unit, id_number=make_id_number(sequence=777), name="李明"
    )
    HardshipFile.objects.filter(pk=stranger.pk).update(
        status=FileStatus.ON_FILE, category=family.category
    )
    stranger.refresh_from_db()
    other = propose(caseworker, stranger, funded, "100", purpose=Purpose.GOODS, description="棉衣")
    assert other.broken_rules == []


def test_one_visit_money_per_campaign_counts_the_closed_file(
    funded, family, winter, caseworker, approver
):
    propose(caseworker, family, funded, "500", campaign=winter)
    new = reopened_as_new_file(family, caseworker, approver)
    with pytest.raises(RuleBroken):
        propose(caseworker, new, funded, "500", campaign=winter)


# ---------------------------------------------------------------- the household's aid history


def test_the_file_page_shows_aid_paid_under_the_households_closed_earlier_file(
    client, funded, family, caseworker, approver
):
    earlier = propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS,
                      description="棉被、米面油")  # fmt: skip
    disbursement_approve(disbursement=earlier, by=approver)
    refused = propose(caseworker, family, funded, "50", purpose=Purpose.GOODS, description="毛巾")
    disbursement_reject(disbursement=refused, by=approver, reason="重复申报")
    new = reopened_as_new_file(family, caseworker, approver)
    client.force_login(caseworker)

    body = client.get(new.get_absolute_url()).content.decode()

    assert earlier.get_absolute_url() in body
    assert 'data-testid="earlier-file"' in body
    assert family.file_number in body
    # Only what reached the household counts in its history: not the refused proposal.
    assert refused.get_absolute_url() not in body


def test_aid_of_another_worker_is_not_in_the_history(funded, family, caseworker, approver):
    disbursement_approve(
        disbursement=propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS,
                             description="棉被"),
        by=approver,
    )  # fmt: skip
    stranger = open_file(
        by=caseworker, unit=family.unit, id_number=make_id_number(sequence=779), name="李明"
    )
    assert list(household_aid(stranger)) == []


def test_an_earlier_file_in_another_branch_is_named_but_not_linked(
    client, funded, family, caseworker, approver, tree
):
    paid = propose(caseworker, family, funded, "3000", purpose=Purpose.GOODS, description="棉被")
    disbursement_approve(disbursement=paid, by=approver)
    hardship_file_close(file=family, by=approver, reason=CloseReason.MOVED)
    HardshipFile.objects.filter(pk=family.pk).update(unit=tree.yichang)
    new = open_file(by=caseworker, unit=tree.jiangan, id_number=family.id_number)
    jiangan = UserFactory(username="jiangan.cw", unit=tree.jiangan)
    client.force_login(jiangan)

    body = client.get(new.get_absolute_url()).content.decode()

    assert paid.get_absolute_url() not in body
    assert family.file_number not in body
    assert 'data-testid="earlier-file"' in body


def test_the_file_page_costs_one_more_query_for_aid_under_earlier_files(
    client, funded, family, caseworker, approver, django_assert_max_num_queries
):
    new_only = open_file(by=caseworker, unit=family.unit, id_number=make_id_number(sequence=781))
    client.force_login(caseworker)
    with django_assert_max_num_queries(60) as alone:
        client.get(new_only.get_absolute_url())
    for _ in range(3):
        disbursement_approve(
            disbursement=propose(caseworker, family, funded, "100", purpose=Purpose.GOODS,
                                 description="米面油"),
            by=approver,
        )  # fmt: skip
    new = reopened_as_new_file(family, caseworker, approver)
    with django_assert_max_num_queries(len(alone.captured_queries) + 1):
        client.get(new.get_absolute_url())


# ---------------------------------------------------------------- one grant per student


def test_one_schooling_grant_a_year_counts_a_grant_under_an_exited_earlier_file(
    tree, funded, winter, caseworker, approver
):
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    student_id = make_id_number(birth="20070301", sequence=88)
    first = student_household(caseworker, tree.jiangan, name="陈桂兰", id_number=student_id,
                              sequence=401)  # fmt: skip
    grant = propose(caseworker, first, funded, "5000", purpose=Purpose.SCHOOLING,
                    campaign=winter, student=HouseholdMember.objects.get(file=first))  # fmt: skip
    disbursement_approve(disbursement=grant, by=approver)
    # The father's household came out of hardship; the mother's, with the same student (entered
    # with the ID number, as a caseworker would), is now on file.
    HardshipFile.objects.filter(pk=first.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )
    second = student_household(caseworker, tree.jiangan, name="王芳", id_number=student_id,
                               sequence=403)  # fmt: skip

    with pytest.raises(RuleBroken, match="schooling grant in"):
        propose(caseworker, second, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
                student=HouseholdMember.objects.get(file=second))  # fmt: skip
