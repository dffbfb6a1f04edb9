"""Bulk visit money: a branch's frozen lists proposed in one step, approved in one step."""

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from common.errors import RuleBroken
from funds.batches import (
    ABOVE_PAYMENT_CAP,
    ALREADY_PROPOSED,
    NO_STANDARD,
    NOT_ON_FILE,
    batch_approve,
    batch_figures,
    batch_propose,
    batch_reject,
)
from funds.choices import BatchStatus, DisbursementStatus, Purpose
from funds.ledger import NotEnoughMoney
from funds.models import AidRule, Disbursement, DisbursementBatch, LedgerTransaction
from funds.selectors import fund_balance, ledger_problems
from funds.services import DisbursementInput, budget_set, disbursement_propose
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from tests.visits.test_visit_lists import on_file
from tests.workers import ROOT, database_url_for_other_processes
from visits.campaigns import campaign_create, visit_list_approve, visit_lists_build
from visits.models import VisitList

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(tree):
    return UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)


@pytest.fixture
def winter(approver, tree):
    today = timezone.localdate()
    return campaign_create(
        by=approver, season="winter", year=today.year, name="冬送温暖",
        starts_on=today, ends_on=today, organiser=tree.wuhan,
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
    )  # fmt: skip


def households(caseworker, unit, categories):
    return [
        on_file(
            open_file(by=caseworker, unit=unit, name=f"户{n}",
                      id_number=make_id_number(sequence=7001 + 2 * n)),
            category=category,
        )
        for n, category in enumerate(categories)
    ]  # fmt: skip


def frozen_lists(winter, tree, approver):
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    for visit_list in VisitList.objects.filter(campaign=winter):
        visit_list_approve(visit_list=visit_list, by=approver)


def list_a_newcomer(tree, winter, caseworker, approver, *, number: int) -> HardshipFile:
    """A household of a new community of 大智, put on the campaign's lists after the first
    lists were frozen (its new list built and approved): new work for another batch."""
    community = UnionUnitFactory(
        name=f"新社区{number}", code=f"DZ-N{number}", level=6, parent=tree.dazhi
    )
    newcomer = on_file(
        open_file(by=caseworker, unit=community, name=f"新户{number}",
                  id_number=make_id_number(sequence=7901 + 2 * number)),
        category="deep",
    )  # fmt: skip
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    visit_list_approve(
        visit_list=VisitList.objects.get(campaign=winter, unit=community), by=approver
    )
    return newcomer


def test_a_branchs_frozen_lists_are_proposed_at_the_standard_and_approved_at_once(
    tree, community, funded, winter, caseworker, approver
):
    files = households(caseworker, community, ["deep", "relative", "relative", "accident"])
    frozen_lists(winter, tree, approver)

    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    amounts = dict(Disbursement.objects.filter(batch=batch).values_list("file_id", "amount"))
    assert amounts == {files[0].pk: Decimal("1000"), files[1].pk: 800, files[2].pk: 800}
    assert batch.left_out == 1
    assert batch.exceptions == [{"file": files[3].pk, "name": "户3", "reason": NO_STANDARD}]
    figures = batch_figures(batch)
    assert (figures.payments, figures.total) == (3, Decimal("2600"))
    assert fund_balance(funded).available == Decimal("100000")  # nothing moves yet

    batch_approve(batch=batch, by=approver)

    assert set(Disbursement.objects.values_list("status", flat=True)) == {"approved"}
    reservation = LedgerTransaction.objects.get(kind="reservation")
    assert set(Disbursement.objects.values_list("reservation", flat=True)) == {reservation.pk}
    balance = fund_balance(funded)
    assert (balance.available, balance.reserved) == (Decimal("97400"), Decimal("2600"))
    assert ledger_problems() == []


def test_lists_not_yet_frozen_take_no_payments(tree, community, funded, winter, caseworker):
    households(caseworker, community, ["deep"])
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    with pytest.raises(RuleBroken, match="approve these first"):
        batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    assert DisbursementBatch.objects.count() == 0


def test_households_that_break_a_rule_are_left_out_with_why(
    tree, community, funded, winter, caseworker, approver
):
    exited, paid_already, costly, fine = households(
        caseworker, community, ["deep", "relative", "deep", "relative"]
    )
    frozen_lists(winter, tree, approver)
    HardshipFile.objects.filter(pk=exited.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )
    disbursement_propose(
        proposal=DisbursementInput(file=paid_already, fund=funded, purpose=Purpose.VISIT_MONEY,
                                   amount=Decimal("500"), campaign=winter),
        by=caseworker,
    )  # fmt: skip
    AidRule.objects.filter(purpose=Purpose.VISIT_MONEY).update(per_payment_cap=Decimal("900"))

    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    assert list(Disbursement.objects.filter(batch=batch).values_list("file_id", flat=True)) == [
        fine.pk
    ]
    reasons = {row["file"]: row["reason"] for row in batch.exceptions}
    assert reasons == {
        exited.pk: NOT_ON_FILE,
        paid_already.pk: ALREADY_PROPOSED,
        costly.pk: ABOVE_PAYMENT_CAP,
    }


def test_a_second_proposal_with_nothing_new_is_refused_and_makes_no_batch(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep", "relative"])
    frozen_lists(winter, tree, approver)
    batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    with pytest.raises(RuleBroken, match="Nothing new to propose") as refused:
        batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    assert "2 left out" in str(refused.value)
    assert Disbursement.objects.count() == 2
    assert DisbursementBatch.objects.count() == 1


def test_a_proposal_after_new_households_were_listed_takes_only_the_new_ones(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep", "relative"])
    frozen_lists(winter, tree, approver)
    batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    newcomer = list_a_newcomer(tree, winter, caseworker, approver, number=1)

    again = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    assert list(again.disbursements.values_list("file_id", flat=True)) == [newcomer.pk]
    assert again.left_out == 2
    assert {row["reason"] for row in again.exceptions} == {ALREADY_PROPOSED}


def test_the_refusal_names_the_lists_still_to_approve(tree, community, funded, winter, caseworker):
    households(caseworker, community, ["deep"])
    visit_lists_build(campaign=winter, unit=tree.wuhan)

    with pytest.raises(RuleBroken, match="approve these first: 大智路社区联合工会"):
        batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)


def test_a_batch_beyond_the_budget_approves_nothing(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep", "deep"])
    frozen_lists(winter, tree, approver)
    budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="1500", by=approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    with pytest.raises(NotEnoughMoney, match="budget"):
        batch_approve(batch=batch, by=approver)

    assert set(Disbursement.objects.values_list("status", flat=True)) == {"proposed"}
    assert fund_balance(funded).reserved == 0
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED


def test_the_proposer_cannot_approve_their_batch_and_a_rejected_batch_pays_nobody(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep"])
    frozen_lists(winter, tree, approver)
    caseworker.is_approver = True
    caseworker.save(update_fields=["is_approver"])
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    with pytest.raises(PermissionDenied):
        batch_approve(batch=batch, by=caseworker)

    batch_reject(batch=batch, by=approver, reason="名单需复核")
    assert set(Disbursement.objects.values_list("status", flat=True)) == {"rejected"}
    with pytest.raises(RuleBroken, match="decided already"):
        batch_approve(batch=batch, by=approver)


# ---------------------------------------------------------------- killed half-way

KILLED_BATCH = """
import django, sys
django.setup()
from funds.batches import batch_propose
from funds.models import Fund
from people.models import UnionUnit, User
from visits.models import Campaign
print("ready", flush=True)
batch_propose(campaign=Campaign.objects.get(), unit=UnionUnit.objects.get(code="HB-WH-JA"),
              fund=Fund.objects.get(), by=User.objects.get(username="wuhan.cw"))
print("finished", flush=True)
"""


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_mid_batch_leaves_no_half_written_batch(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep", "relative", "deep"])
    frozen_lists(winter, tree, approver)
    # Hold a lock the batch's INSERT needs, so the process is killed inside its transaction.
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("LOCK TABLE funds_disbursement IN SHARE MODE")
        process = subprocess.Popen(
            [sys.executable, "-c", KILLED_BATCH],
            cwd=ROOT,
            env=os.environ | {"DATABASE_URL": database_url_for_other_processes()},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout.readline().strip() == "ready"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                    "'funds_disbursement'::regclass"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the batch never reached its INSERT")
            # The batch row is written, its INSERT is waiting: kill it there.
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            cursor.execute("ROLLBACK")

    assert DisbursementBatch.objects.count() == 0
    assert Disbursement.objects.count() == 0
    assert ledger_problems() == []


def test_a_file_that_left_the_record_before_approval_is_rejected_not_paid(
    tree, community, funded, winter, caseworker, approver
):
    stays, leaves = households(caseworker, community, ["deep", "relative"])
    frozen_lists(winter, tree, approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    HardshipFile.objects.filter(pk=leaves.pk).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )

    batch_approve(batch=batch, by=approver)

    rejected = Disbursement.objects.get(file=leaves)
    assert (rejected.status, rejected.end_reason) == (
        DisbursementStatus.REJECTED,
        "The file is no longer on record.",
    )
    assert Disbursement.objects.get(file=stays).status == DisbursementStatus.APPROVED
    assert fund_balance(funded).reserved == Decimal("1000")
    assert ledger_problems() == []


def test_an_approver_below_the_paying_unit_cannot_approve_its_money(
    tree, community, funded, winter, caseworker, approver
):
    households(caseworker, community, ["deep"])
    frozen_lists(winter, tree, approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    county_approver = UserFactory(
        username="ja.ap", unit=tree.jiangan, is_caseworker=False, is_approver=True
    )

    with pytest.raises(PermissionDenied):
        batch_approve(batch=batch, by=county_approver)
    assert fund_balance(funded).reserved == 0
