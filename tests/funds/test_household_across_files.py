"""A household is one household across its files: the yearly cap and the one-visit-money
rule count aid paid under an earlier, closed file of the same worker (by ID number hash)."""

import pytest

from common.errors import RuleBroken
from funds.choices import Purpose
from funds.rules import PER_YEAR_CAP
from funds.services import disbursement_approve
from hardship.choices import CloseReason, FileStatus
from hardship.models import HardshipFile
from hardship.services import hardship_file_close
from tests.factories import make_id_number, open_file
from tests.funds.test_disbursements import propose

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
