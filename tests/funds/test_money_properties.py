"""The money invariants hold under every sequence of actions anyone can take.

A Hypothesis state machine drives random sequences of what people do with money
— receipts, allocations down with their confirmation and reversal, budgets set,
raised and split, payments proposed one by one or as a campaign's batch,
approved, rejected, cancelled, paid, and roster lines ticked — each by a random
person of several units and roles, allowed or not. Everything goes through the
services, so it proves what people can reach. A refusal (PermissionDenied,
RuleBroken or another ValidationError) is a valid answer; any other exception
fails. After every step ``check_ledger``'s logic and the invariants below must
hold.

The world (units, people, funds, a campaign, households on frozen visit lists,
signed roster scans) is built once per test; each example runs inside a
savepoint that is rolled back at its end, so examples start alike and quickly.
Examples per run: the Hypothesis profile (tests/conftest.py, ``HYPOTHESIS_PROFILE``).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from funds.batches import batch_approve, batch_propose, batch_reject
from funds.choices import (
    ASSET_ACCOUNTS,
    AccountKind,
    BatchStatus,
    DisbursementStatus,
    FundKind,
    PaymentMethod,
    Purpose,
    ReceiptSource,
)
from funds.models import (
    Account,
    Allocation,
    Budget,
    Disbursement,
    DisbursementBatch,
    Fund,
    LedgerTransaction,
)
from funds.rosters import roster_lines_sign, roster_scan_upload
from funds.selectors import ledger_problems
from funds.services import (
    DisbursementInput,
    allocation_confirm_receipt,
    allocation_make,
    budget_set,
    budget_split,
    disbursement_approve,
    disbursement_cancel,
    disbursement_pay,
    disbursement_propose,
    disbursement_reject,
    fund_create,
    ledger_correct,
    receipt_record,
)
from people.models import UnionUnit, User
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from tests.visits.test_visit_lists import on_file
from tests.visits.test_visits import pdf_bytes
from visits.campaigns import campaign_create, visit_list_approve, visit_lists_build
from visits.models import Campaign, VisitList

pytestmark = pytest.mark.django_db

Status = DisbursementStatus
# What a person may be told instead of having their way: never a crash.
REFUSALS = (PermissionDenied, ValidationError)

# Amounts around the caps (visit money: 3,000 a time, 6,000 a year) and the funds' money.
amounts = st.one_of(
    st.integers(min_value=1, max_value=4000).map(Decimal),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000"), places=2),
    st.sampled_from([Decimal("3000"), Decimal("6000"), Decimal("50000")]),
)
PEOPLE = ["wuhan.caseworker", "wuhan.approver", "wuhan.approver2", "wuhan.viewer",
          "jiangan.caseworker", "jiangan.approver", "hunan.approver", "hunan.caseworker"]  # fmt: skip
people = st.sampled_from(PEOPLE)
# Two times in three someone whose role fits the action, so sequences get past the first step.
_caseworker = st.sampled_from(["wuhan.caseworker", "jiangan.caseworker"])
_approver = st.sampled_from(["wuhan.approver", "wuhan.approver2", "jiangan.approver"])
caseworkers = st.one_of(_caseworker, _caseworker, people)
approvers = st.one_of(_approver, _approver, people)
fund_names = st.sampled_from(["wuhan", "wuhan", "jiangan", "hanyang", "hunan"])
# Proposals mostly from the city's fund, which pays every household here.
paying_funds = st.sampled_from(["wuhan", "wuhan", "wuhan", "jiangan", "hanyang", "hunan"])
unit_names = st.sampled_from(["wuhan", "jiangan", "dazhi", "community", "hanyang", "hunan"])
# Every source, the higher union's included (refused: it arrives as an allocation).
sources = st.sampled_from(ReceiptSource.values)
# Purposes that need nothing beyond an amount (living, medical and schooling aid need
# standards, costs and students, tested on their own in test_disbursements.py).
purposes = st.sampled_from([Purpose.VISIT_MONEY, Purpose.GOODS, Purpose.SPECIAL])
# Allocations down, and across or up (refused).
ALLOCATION_PAIRS = [("wuhan", "jiangan"), ("wuhan", "hanyang"), ("jiangan", "wuhan"),
                    ("wuhan", "hunan"), ("hanyang", "jiangan")]  # fmt: skip
# Split to a unit directly below the parent budget's unit (picked by the same index).
BELOW = "below"
# An index into the rows of a kind as they stand (taken modulo their number).
picks = st.integers(min_value=0, max_value=50)


@dataclass
class World:
    units: dict[str, UnionUnit]
    people: dict[str, User]
    funds: dict[str, Fund]
    campaign: Campaign
    files: list


def build_world(tree) -> World:
    hanyang = UnionUnitFactory(name="汉阳区总工会", code="HB-WH-HY", level=4, parent=tree.wuhan)
    community = UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)
    units = {
        "wuhan": tree.wuhan, "jiangan": tree.jiangan, "dazhi": tree.dazhi,
        "community": community, "hanyang": hanyang, "hunan": tree.hunan,
    }  # fmt: skip

    def person(username, unit, **roles):
        return UserFactory(username=username, unit=units[unit], **roles)

    approving = {"is_caseworker": False, "is_approver": True}
    people = {
        "wuhan.caseworker": person("wuhan.caseworker", "wuhan"),
        "wuhan.approver": person("wuhan.approver", "wuhan", **approving),
        "wuhan.approver2": person("wuhan.approver2", "wuhan", **approving),
        "wuhan.viewer": person("wuhan.viewer", "wuhan", is_caseworker=False, is_viewer=True),
        "jiangan.caseworker": person("jiangan.caseworker", "jiangan"),
        "jiangan.approver": person("jiangan.approver", "jiangan", **approving),
        "hunan.approver": person("hunan.approver", "hunan", **approving),
        "hunan.caseworker": person("hunan.caseworker", "hunan"),
    }
    opener = people["wuhan.approver"]
    funds = {
        "wuhan": fund_create(
            unit=units["wuhan"], name="送温暖资金", kind=FundKind.WARMTH, by=opener
        ),
        "jiangan": fund_create(
            unit=units["jiangan"], name="送温暖资金", kind=FundKind.WARMTH, by=opener
        ),
        "hanyang": fund_create(unit=hanyang, name="送温暖资金", kind=FundKind.WARMTH, by=opener),
        "hunan": fund_create(
            unit=units["hunan"],
            name="湖南资金",
            kind=FundKind.WARMTH,
            by=people["hunan.approver"],
        ),
    }
    today = timezone.localdate()
    # Money to start from, so that short sequences reach approvals and payments.
    for fund, amount in (("wuhan", "100000"), ("jiangan", "20000")):
        receipt_record(
            fund=funds[fund], source=ReceiptSource.GOVERNMENT, amount=Decimal(amount),
            received_on=today, by=opener,
        )  # fmt: skip
    campaign = campaign_create(
        by=opener, season="winter", year=today.year, name="冬送温暖",
        starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=30),
        organiser=units["wuhan"],
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
    )  # fmt: skip
    caseworker = people["wuhan.caseworker"]
    homes = [("community", "deep"), ("community", "relative"), ("dazhi", "relative"),
             ("jiangan", "deep"), ("hanyang", "relative")]  # fmt: skip
    files = [
        on_file(
            open_file(by=caseworker, unit=units[unit], name=f"户{n}",
                      id_number=make_id_number(sequence=8001 + 2 * n)),
            category=category,
        )
        for n, (unit, category) in enumerate(homes)
    ]  # fmt: skip
    visit_lists_build(campaign=campaign, unit=units["wuhan"])
    for visit_list in VisitList.objects.filter(campaign=campaign):
        visit_list_approve(visit_list=visit_list, by=opener)
    for unit in ("wuhan", "jiangan", "hanyang"):
        roster_scan_upload(
            campaign=campaign, unit=units[unit], by=caseworker,
            upload=SimpleUploadedFile("签领表.pdf", pdf_bytes(), content_type="application/pdf"),
        )  # fmt: skip
    return World(units, people, funds, campaign, files)


def _nth(queryset, index):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


class MoneyActions(RuleBasedStateMachine):
    """Random people doing random things with money; the invariants hold after each."""

    world: World  # set by the test before running
    accepted: set[str]  # the services that did what they were asked, over all examples

    def __init__(self):
        super().__init__()
        # A savepoint per example: everything it wrote is rolled back in teardown.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    def attempt(self, action, *args, **kwargs):
        try:
            action(*args, **kwargs)
        except REFUSALS as e:
            import sys

            print(action.__name__, getattr(e, "messages", e), file=sys.stderr)
            return
        self.accepted.add(action.__name__)

    def person(self, name: str) -> User:
        return self.world.people[name]

    # ------------------------------------------------------------ money in and down

    @rule(who=caseworkers, fund=fund_names, source=sources, amount=amounts)
    def receive(self, who, fund, source, amount):
        self.attempt(
            receipt_record, fund=self.world.funds[fund], source=source, amount=amount,
            received_on=timezone.localdate(), by=self.person(who), donor="爱心企业",
        )  # fmt: skip

    @rule(who=approvers, pair=st.sampled_from(ALLOCATION_PAIRS), amount=amounts)
    def allocate_down(self, who, pair, amount):
        source, target = pair
        self.attempt(
            allocation_make, from_fund=self.world.funds[source],
            to_fund=self.world.funds[target], amount=amount,
            allocated_on=timezone.localdate(), by=self.person(who),
        )  # fmt: skip

    @rule(who=caseworkers, index=picks)
    def confirm_allocation(self, who, index):
        allocation = _nth(Allocation.objects.select_related("to_fund__unit", "transaction"), index)
        if allocation is not None:
            self.attempt(allocation_confirm_receipt, allocation=allocation, by=self.person(who))

    @rule(who=approvers, index=picks)
    def reverse_movement(self, who, index):
        movement = _nth(LedgerTransaction.objects.select_related("fund__unit"), index)
        if movement is not None:
            self.attempt(ledger_correct, original=movement, by=self.person(who), reason="录入错误")

    # ------------------------------------------------------------ budgets

    @initialize()
    def budget_the_campaign(self):
        """The city's budget for the campaign and a first payment approved, as a campaign starts."""
        budget_set(
            campaign=self.world.campaign, unit=self.world.units["wuhan"],
            fund=self.world.funds["wuhan"], amount=Decimal("30000"),
            by=self.person("wuhan.approver"),
        )  # fmt: skip
        first = disbursement_propose(
            proposal=DisbursementInput(
                file=self.world.files[0], fund=self.world.funds["wuhan"],
                purpose=Purpose.VISIT_MONEY, amount=Decimal("1000"),
                campaign=self.world.campaign,
            ),
            by=self.person("wuhan.caseworker"),
        )  # fmt: skip
        disbursement_approve(disbursement=first, by=self.person("wuhan.approver"))

    @rule(who=approvers, unit=unit_names, fund=fund_names, amount=amounts)
    def set_budget(self, who, unit, fund, amount):
        self.attempt(
            budget_set, campaign=self.world.campaign, unit=self.world.units[unit],
            fund=self.world.funds[fund], amount=amount, by=self.person(who),
        )  # fmt: skip

    @rule(who=approvers, index=picks, amount=amounts)
    def raise_budget(self, who, index, amount):
        budget = _nth(Budget.objects.select_related("unit", "fund", "campaign"), index)
        if budget is not None:
            self.attempt(
                budget_set, campaign=budget.campaign, unit=budget.unit, fund=budget.fund,
                amount=budget.amount + amount, by=self.person(who),
            )  # fmt: skip

    @rule(who=approvers, index=picks, unit=unit_names | st.just(BELOW), amount=amounts)
    def split_budget(self, who, index, unit, amount):
        parent = _nth(Budget.objects.select_related("unit", "fund", "campaign"), index)
        if parent is None:
            return
        below = _nth(UnionUnit.objects.filter(parent=parent.unit), index)
        target = below if unit == BELOW and below else self.world.units.get(unit, parent.unit)
        self.attempt(budget_split, parent=parent, unit=target, amount=amount, by=self.person(who))

    # ------------------------------------------------------------ payments

    @rule(who=caseworkers, home=picks, fund=paying_funds, purpose=purposes, amount=amounts,
          in_campaign=st.booleans())  # fmt: skip
    def propose_payment(self, who, home, fund, purpose, amount, in_campaign):
        file = self.world.files[home % len(self.world.files)]
        file.refresh_from_db()
        self.attempt(
            disbursement_propose,
            proposal=DisbursementInput(
                file=file, fund=self.world.funds[fund], purpose=purpose, amount=amount,
                campaign=self.world.campaign if in_campaign else None, description="米面油",
            ),
            by=self.person(who),
        )  # fmt: skip

    @rule(who=caseworkers, unit=unit_names, fund=fund_names)
    def propose_batch(self, who, unit, fund):
        self.attempt(
            batch_propose, campaign=self.world.campaign, unit=self.world.units[unit],
            fund=self.world.funds[fund], by=self.person(who),
        )  # fmt: skip

    @rule(who=approvers, index=picks, override=st.booleans())
    def approve_payment(self, who, index, override):
        payment = _nth(Disbursement.objects.all(), index)
        if payment is not None:
            self.attempt(
                disbursement_approve, disbursement=payment, by=self.person(who),
                override_reason="特殊困难，经集体研究" if override else "",
            )  # fmt: skip

    @rule(who=approvers, index=picks)
    def reject_payment(self, who, index):
        payment = _nth(Disbursement.objects.all(), index)
        if payment is not None:
            self.attempt(
                disbursement_reject, disbursement=payment, by=self.person(who), reason="不符"
            )

    @rule(who=people, index=picks)
    def cancel_payment(self, who, index):
        payment = _nth(Disbursement.objects.all(), index)
        if payment is not None:
            self.attempt(
                disbursement_cancel, disbursement=payment, by=self.person(who), reason="撤回"
            )

    @rule(who=caseworkers, index=picks, method=st.sampled_from(PaymentMethod.values))
    def pay(self, who, index, method):
        payment = _nth(Disbursement.objects.all(), index)
        if payment is not None:
            self.attempt(
                disbursement_pay, disbursement=payment, by=self.person(who), method=method,
                bank_reference="HB2026" if method == PaymentMethod.BANK else "",
            )  # fmt: skip

    @rule(who=approvers, index=picks, approve=st.booleans())
    def decide_batch(self, who, index, approve):
        batch = _nth(DisbursementBatch.objects.all(), index)
        if batch is None:
            return
        if approve:
            self.attempt(batch_approve, batch=batch, by=self.person(who))
        else:
            self.attempt(batch_reject, batch=batch, by=self.person(who), reason="名单有误")

    @rule(who=caseworkers, indexes=st.lists(picks, min_size=1, max_size=4))
    def tick_roster_lines(self, who, indexes):
        payments = list(Disbursement.objects.order_by("pk"))
        if payments:
            chosen = [payments[index % len(payments)] for index in indexes]
            self.attempt(roster_lines_sign, disbursements=chosen, by=self.person(who))

    # ------------------------------------------------------------ what must always hold

    @invariant()
    def check_ledger_passes(self):
        assert ledger_problems() == []

    @invariant()
    def money_and_budgets_never_go_below_zero_nor_beyond_their_parent(self):
        assert not Account.objects.filter(kind__in=ASSET_ACCOUNTS, balance__lt=0).exists()
        for budget in Budget.objects.all():
            children = budget.children.aggregate(total=Sum("amount"))["total"] or 0
            assert 0 <= children <= budget.committed <= budget.amount, budget

    @invariant()
    def every_payment_carries_the_movements_of_its_state(self):
        payments = Disbursement.objects.all()
        assert not payments.filter(status=Status.APPROVED, reservation__isnull=True).exists()
        assert not payments.filter(
            Q(status=Status.PAID) & (Q(payment__isnull=True) | Q(reservation__isnull=True))
        ).exists()
        assert not payments.filter(
            Q(status__in=[Status.PROPOSED, Status.REJECTED]) & ~Q(payment=None)
        ).exists()
        # A line ticked as signed for was paid; a payment is approved by someone else.
        assert not payments.filter(signed_at__isnull=False).exclude(status=Status.PAID).exists()
        assert not payments.filter(approved_by=F("proposed_by")).exists()
        # A decided batch leaves no payment waiting.
        assert not payments.filter(
            batch__status__in=[BatchStatus.APPROVED, BatchStatus.REJECTED], status=Status.PROPOSED
        ).exists()

    @invariant()
    def a_funds_money_is_what_came_in_less_what_went_out(self):
        for fund in Fund.objects.all():
            balances = dict(
                fund.accounts.values("kind")
                .annotate(total=Sum("balance"))
                .values_list("kind", "total")
            )
            held = balances.get(AccountKind.AVAILABLE, 0) + balances.get(AccountKind.RESERVED, 0)
            came_in = -balances.get(AccountKind.INCOME, 0)
            went_out = balances.get(AccountKind.PAID_OUT, 0) + balances.get(
                AccountKind.ALLOCATED_DOWN, 0
            )
            assert held == came_in - went_out, fund


def test_money_invariants_hold_under_any_sequence_of_actions(tree, standards, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    MoneyActions.world = build_world(tree)
    MoneyActions.accepted = set()

    run_state_machine_as_test(MoneyActions)

    # Not only refusals: the sequences reached money moving in, down and out.
    assert len(MoneyActions.accepted) >= 5, MoneyActions.accepted
