"""Writes of the funds app: money in, down and out, each one transaction.

Every movement of money goes through ``funds.ledger.ledger_post``. Approval
and payment reserve and spend inside one database transaction, so a fund's
available money and a budget's remainder cannot go below zero whatever runs
at the same time (the CHECK constraints settle races; the rows of the budget
and the household are locked first, so caps hold too).
"""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from common.crypto import keyed_hash
from common.errors import RuleBroken
from funds.choices import (
    RECORDABLE_SOURCES,
    AccountKind,
    DisbursementStatus,
    PaymentMethod,
    Purpose,
    ReceiptSource,
    TransactionKind,
)
from funds.ledger import Line, NotEnoughMoney, account_for, fund_accounts_open, ledger_post
from funds.ledger import ledger_reverse as _ledger_reverse
from funds.models import (
    LARGEST_AMOUNT,
    Allocation,
    Budget,
    Disbursement,
    Fund,
    LedgerTransaction,
    Receipt,
)
from funds.rules import PaymentProposal, payment_rules_check, rules_blocking
from funds.selectors import (
    bank_held_annotation,
    fund_in_use,
    may_allocate_down,
    may_approve_payment,
    may_cancel_payment,
    may_confirm_allocation,
    may_open_fund,
    may_pay_payment,
    may_propose_payment,
    may_record_receipt,
    may_reject_payment,
    may_reverse_movement,
    may_set_budget,
    may_split_budget,
)
from hardship.models import HardshipFile, HouseholdMember
from hardship.pipeline import pipeline_settings_for
from people.access import is_in_branch
from people.models import UnionUnit, User
from visits.models import Campaign, Visit

CENT = Decimal("0.01")
Status = DisbursementStatus


# ---------------------------------------------------------------- checks


def money_check(amount, *, field: str = "amount") -> Decimal:
    """``amount`` as yuan with two places, or RuleBroken saying what is wrong with it."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        raise RuleBroken({field: _("Enter an amount in yuan, such as 1000 or 1000.50.")}) from None
    if not value.is_finite():
        raise RuleBroken({field: _("Enter an amount in yuan, such as 1000 or 1000.50.")})
    if value <= 0:
        raise RuleBroken({field: _("The amount must be more than zero.")})
    if value != value.quantize(CENT):
        raise RuleBroken({field: _("Amounts are in yuan and fen: at most two decimal places.")})
    if value > LARGEST_AMOUNT:
        raise RuleBroken(
            {
                field: _("An amount above %(largest)s yuan is not accepted.")
                % {"largest": "1,000,000,000"}
            }
        )
    return value


def _require_open_fund(fund: Fund) -> None:
    """For a fund the person chose (the one acted on is checked by its ``may_…`` predicate)."""
    fund_in_use(fund).enforce()


# ---------------------------------------------------------------- funds, money in and down


def fund_create(*, unit: UnionUnit, name: str, kind: str, by: User) -> Fund:
    """Open a fund for ``unit``. Side effects: the fund and its ledger accounts."""
    may_open_fund(by, unit).enforce()
    with transaction.atomic():
        if Fund.objects.filter(unit=unit, name=name).exists():
            raise RuleBroken({"name": _("This unit has a fund of that name already.")})
        fund = Fund.objects.create(unit=unit, name=name, kind=kind, created_by=by)
        fund_accounts_open(fund)
    return fund


def receipt_record(
    *,
    fund: Fund,
    source: str,
    amount,
    received_on: date,
    by: User,
    donor: str = "",
    reference: str = "",
    notes: str = "",
) -> Receipt:
    """Record money received into ``fund``.

    Side effects: a receipt, and a ledger transaction into the fund's available
    money from its account of that source.
    """
    may_record_receipt(by, fund).enforce()
    amount = money_check(amount)
    if source not in RECORDABLE_SOURCES:
        raise RuleBroken(
            {"source": _("Money from the higher union arrives as its allocation, not a receipt.")}
        )
    if source == ReceiptSource.DONATION and not donor.strip():
        raise RuleBroken({"donor": _("Name the donor of a donation.")})
    if received_on > timezone.localdate():
        raise RuleBroken({"received_on": _("Money cannot be received in the future.")})
    with transaction.atomic():
        posted = ledger_post(
            kind=TransactionKind.RECEIPT,
            fund=fund,
            by=by,
            memo=f"{ReceiptSource(source).label} {donor}".strip(),
            lines=[
                Line(account_for(fund, AccountKind.AVAILABLE), amount),
                Line(account_for(fund, AccountKind.INCOME, source=source), -amount),
            ],
        )
        return Receipt.objects.create(
            fund=fund,
            source=source,
            amount=amount,
            received_on=received_on,
            donor=donor.strip(),
            reference=reference.strip(),
            notes=notes,
            transaction=posted,
            recorded_by=by,
        )


def allocation_make(
    *, from_fund: Fund, to_fund: Fund, amount, allocated_on: date, by: User, notes: str = ""
) -> Allocation:
    """Send money down from ``from_fund`` to a fund of a child unit.

    Raises NotEnoughMoney when the fund's available money does not cover it.
    Side effects: an allocation, and one transaction that moves the money out of
    the parent fund (as allocated down) and into the child's (as received from
    the higher union), each fund balancing on its own.
    """
    may_allocate_down(by, from_fund).enforce()
    _require_open_fund(to_fund)
    amount = money_check(amount)
    if to_fund.unit.parent_id != from_fund.unit_id:
        raise RuleBroken({"to_fund": _("Money is allocated to a fund of a unit directly below.")})
    if allocated_on > timezone.localdate():
        raise RuleBroken({"allocated_on": _("Money cannot be allocated in the future.")})
    with transaction.atomic():
        posted = ledger_post(
            kind=TransactionKind.ALLOCATION,
            fund=from_fund,
            by=by,
            memo=_("Allocated to %(unit)s") % {"unit": to_fund.unit.name},
            lines=[
                Line(account_for(from_fund, AccountKind.AVAILABLE), -amount),
                Line(account_for(from_fund, AccountKind.ALLOCATED_DOWN), amount),
                Line(
                    account_for(to_fund, AccountKind.INCOME, source=ReceiptSource.HIGHER_UNION),
                    -amount,
                ),
                Line(account_for(to_fund, AccountKind.AVAILABLE), amount),
            ],
        )
        return Allocation.objects.create(
            from_fund=from_fund,
            to_fund=to_fund,
            amount=amount,
            allocated_on=allocated_on,
            notes=notes,
            transaction=posted,
            allocated_by=by,
        )


def allocation_confirm_receipt(*, allocation: Allocation, by: User) -> Allocation:
    """The child unit confirms the allocation arrived. Side effect: who and when, on the row."""
    may_confirm_allocation(by, allocation).enforce()
    with transaction.atomic():
        # Conditional, so that two confirming at once confirm it once.
        updated = Allocation.objects.filter(pk=allocation.pk, received_at__isnull=True).update(
            received_by=by, received_at=timezone.now()
        )
        if not updated:
            raise RuleBroken(_("Its receipt has been confirmed already."))
    allocation.refresh_from_db()
    return allocation


def ledger_correct(*, original: LedgerTransaction, by: User, reason: str) -> LedgerTransaction:
    """Reverse a mistaken receipt or allocation (the only movements corrected by hand).

    Payments are undone through their disbursement's life, never here. Raises
    NotEnoughMoney when the money has been spent meanwhile. Side effect: a
    reversing transaction naming the original.
    """
    may_reverse_movement(by, original).enforce()
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the movement is reversed.")})
    with transaction.atomic():
        return _ledger_reverse(original=original, by=by, memo=reason.strip())


# ---------------------------------------------------------------- budgets


def budget_set(*, campaign: Campaign, unit: UnionUnit, fund: Fund, amount, by: User) -> Budget:
    """Give ``unit`` a budget for ``campaign`` from ``fund`` (a fund of the unit or above it).

    Side effect: a budget row, or the existing one's amount changed (never below
    what it has committed).
    """
    may_set_budget(by, campaign).enforce()
    if not is_in_branch(by, fund.unit):
        raise PermissionDenied(_("This fund is not in your unit's branch."))
    amount = money_check(amount)
    if not unit.is_in_branch_of(fund.unit):
        raise RuleBroken({"unit": _("A budget is spent in the branch of the fund's unit.")})
    if not unit.is_in_branch_of(campaign.organiser):
        raise RuleBroken({"unit": _("The unit is not covered by this campaign.")})
    with transaction.atomic():
        budget, created = Budget.objects.select_for_update().get_or_create(
            campaign=campaign,
            unit=unit,
            fund=fund,
            defaults={"amount": amount, "created_by": by},
        )
        if not created:
            if amount < budget.committed:
                raise RuleBroken(
                    {
                        "amount": _("%(committed)s yuan of this budget is committed already.")
                        % {"committed": f"{budget.committed:,.2f}"}
                    }
                )
            change = amount - budget.amount
            if budget.parent_id and change > 0:
                # The parent commits a raise before the child grows, a release after it
                # shrinks: the database refuses child budgets above what their parent committed.
                _budget_commit_beside_amount(budget.parent, change)
            budget.amount = amount
            budget.save(update_fields=["amount"])
            if budget.parent_id and change < 0:
                _budget_commit(budget.parent, change)
    return budget


def budget_split(*, parent: Budget, unit: UnionUnit, amount, by: User) -> Budget:
    """Give a child unit part of ``parent``'s budget, which commits that much of it.

    Side effects: the child budget; the parent's committed amount grows (refused
    when the parent's remainder does not cover it).
    """
    may_split_budget(by, parent).enforce()
    amount = money_check(amount)
    if unit.parent_id != parent.unit_id:
        raise RuleBroken({"unit": _("A budget is split among the units directly below.")})
    with transaction.atomic():
        if Budget.objects.filter(campaign=parent.campaign, unit=unit, fund=parent.fund).exists():
            raise RuleBroken({"unit": _("This unit has a budget from this fund already.")})
        _budget_commit_beside_amount(parent, amount)
        return Budget.objects.create(
            campaign=parent.campaign,
            unit=unit,
            fund=parent.fund,
            parent=parent,
            amount=amount,
            created_by=by,
        )


def _budget_commit_beside_amount(parent: Budget, amount: Decimal) -> None:
    try:
        _budget_commit(parent, amount)
    except NotEnoughMoney as short:
        # The parent's remainder does not cover the amount asked for: say so beside it.
        raise NotEnoughMoney({"amount": short.messages}) from None


def _budget_commit(budget: Budget, amount: Decimal) -> None:
    try:
        with transaction.atomic():
            Budget.objects.filter(pk=budget.pk).update(committed=F("committed") + amount)
    except IntegrityError as error:
        if "budget_never_overspent" in str(error):
            raise NotEnoughMoney(
                _("The budget of %(unit)s for this campaign does not cover this.")
                % {"unit": budget.unit.name}
            ) from None
        raise


def budget_for(*, campaign: Campaign | None, fund: Fund, unit: UnionUnit) -> Budget | None:
    """The budget a payment of ``unit``'s branch from ``fund`` in ``campaign`` draws on.

    The nearest budget at or above ``unit``. None when the campaign budgets this
    fund nowhere (then only the fund's money limits it); RuleBroken when it
    budgets it, but not for this unit's part of the tree.
    """
    if campaign is None:
        return None
    budgets = Budget.objects.filter(campaign=campaign, fund=fund)
    if not budgets.exists():
        return None
    covering = [
        budget for budget in budgets.select_related("unit") if unit.is_in_branch_of(budget.unit)
    ]
    if not covering:
        raise RuleBroken(
            _("The campaign's budget from this fund does not cover %(unit)s.") % {"unit": unit.name}
        )
    return max(covering, key=lambda budget: len(budget.unit.path))


# ---------------------------------------------------------------- disbursements


@dataclass
class DisbursementInput:
    file: HardshipFile
    fund: Fund
    purpose: str
    amount: Decimal
    campaign: Campaign | None = None
    visit: Visit | None = None
    student: HouseholdMember | None = None
    out_of_pocket: Decimal | None = None
    description: str = ""
    request_key: uuid.UUID | None = None


def disbursement_propose(*, proposal: DisbursementInput, by: User) -> Disbursement:
    """Propose a payment to a household on file.

    Rules that can never be broken refuse it; caps an approver may override are
    recorded on it as broken, for the approver to decide. A double submit (the
    same ``request_key``) answers with the payment the first one made. Side
    effect: a proposed disbursement; no money moves until approval.
    """
    file = proposal.file
    may_propose_payment(by, file).enforce()
    fund = proposal.fund
    _require_open_fund(fund)
    amount = money_check(proposal.amount)
    if not file.unit.is_in_branch_of(fund.unit):
        raise RuleBroken({"fund": _("This fund cannot pay households of this unit.")})
    campaign = proposal.campaign
    if campaign is not None and not file.unit.is_in_branch_of(campaign.organiser):
        raise RuleBroken({"campaign": _("The household is not covered by this campaign.")})
    if proposal.visit is not None and proposal.visit.file_id != file.pk:
        raise RuleBroken({"visit": _("The visit is not this household's.")})
    if proposal.purpose == Purpose.GOODS and not proposal.description.strip():
        raise RuleBroken({"description": _("Name the goods handed over.")})
    out_of_pocket = (
        money_check(proposal.out_of_pocket, field="out_of_pocket")
        if proposal.out_of_pocket is not None
        else None
    )
    budget = budget_for(campaign=campaign, fund=fund, unit=file.unit)
    # The unit that pays and decides: the budget's, else the fund's.
    unit = budget.unit if budget else fund.unit
    if not (is_in_branch(by, fund.unit) or (budget and is_in_branch(by, budget.unit))):
        raise PermissionDenied(_("This fund is not in your unit's branch."))
    aid_year = campaign.year if campaign else timezone.localdate().year
    with transaction.atomic():
        # One household's proposals queue here, so caps are counted one at a time.
        HardshipFile.objects.select_for_update().filter(pk=file.pk).first()
        if proposal.request_key:
            # Looked up after the lock: a twin submit waiting behind us finds our payment.
            earlier = Disbursement.objects.filter(request_key=proposal.request_key).first()
            if earlier is not None:
                if (earlier.file_id, earlier.proposed_by_id) != (file.pk, by.pk):
                    raise RuleBroken(_("This form has been used already; open it again."))
                return earlier
        broken = payment_rules_check(
            PaymentProposal(
                file=file,
                purpose=proposal.purpose,
                amount=amount,
                aid_year=aid_year,
                campaign_id=campaign.pk if campaign else None,
                student=proposal.student,
                out_of_pocket=out_of_pocket,
            )
        )
        blocking = rules_blocking(broken, override=True)
        if blocking:
            raise RuleBroken([rule.message for rule in blocking])
        try:
            with transaction.atomic():
                return Disbursement.objects.create(
                    file=file,
                    unit=unit,
                    fund=fund,
                    purpose=proposal.purpose,
                    amount=amount,
                    aid_year=aid_year,
                    description=proposal.description.strip(),
                    campaign=campaign,
                    budget=budget,
                    visit=proposal.visit,
                    student=proposal.student,
                    student_id_hash=_student_id_hash(proposal.student),
                    school_stage=proposal.student.school_stage if proposal.student else "",
                    out_of_pocket=out_of_pocket,
                    broken_rules=[rule.code for rule in broken],
                    request_key=proposal.request_key,
                    proposed_by=by,
                    proposed_at=timezone.now(),
                )
        except IntegrityError as error:
            text = str(error)
            if proposal.request_key and "request_key" in text:
                return Disbursement.objects.get(request_key=proposal.request_key)
            if "one_visit_money_per_household_and_campaign" in text:
                raise RuleBroken(
                    _("This household has visit money in this campaign already.")
                ) from None
            raise


def _lock(disbursement: Disbursement) -> Disbursement:
    return (
        Disbursement.objects.select_for_update(of=("self",))
        .select_related("file", "fund", "unit", "budget", "student", "campaign")
        .get(pk=disbursement.pk)
    )


def disbursement_approve(
    *, disbursement: Disbursement, by: User, override_reason: str = ""
) -> Disbursement:
    """Approve a proposed payment and reserve its money in the fund (and its budget).

    The rules are checked again; caps the rules allow to override need
    ``override_reason``, which is kept. Raises NotEnoughMoney when the fund's
    available money or the budget's remainder does not cover it. Side effects:
    a reservation transaction (available → reserved), the budget committed.
    """
    with transaction.atomic():
        disbursement = _lock(disbursement)
        may_approve_payment(by, disbursement).enforce()
        # Approvals for one household queue here, so its caps are counted one at a time.
        HardshipFile.objects.select_for_update().filter(pk=disbursement.file_id).first()
        broken = _rules_now(disbursement)
        override = bool(override_reason.strip())
        blocking = rules_blocking(broken, override=override)
        if blocking:
            raise RuleBroken([rule.message for rule in blocking])
        if disbursement.budget_id:
            _budget_commit(disbursement.budget, disbursement.amount)
        reservation = _reserve(
            disbursement.fund, disbursement.amount, by=by, memo=str(disbursement)
        )
        disbursement.status = Status.APPROVED
        disbursement.approved_by = by
        disbursement.approved_at = timezone.now()
        disbursement.reservation = reservation
        disbursement.broken_rules = [rule.code for rule in broken]
        disbursement.override_reason = override_reason.strip() if broken else ""
        disbursement.save(
            update_fields=[
                "status",
                "approved_by",
                "approved_at",
                "reservation",
                "broken_rules",
                "override_reason",
            ]
        )
    return disbursement


def _rules_now(disbursement: Disbursement):
    return payment_rules_check(
        PaymentProposal(
            file=disbursement.file,
            purpose=disbursement.purpose,
            amount=disbursement.amount,
            aid_year=disbursement.aid_year,
            campaign_id=disbursement.campaign_id,
            student=disbursement.student,
            out_of_pocket=disbursement.out_of_pocket,
            disbursement_id=disbursement.pk,
        )
    )


def _reserve(fund: Fund, amount: Decimal, *, by: User, memo: str) -> LedgerTransaction:
    return ledger_post(
        kind=TransactionKind.RESERVATION,
        fund=fund,
        by=by,
        memo=memo,
        lines=[
            Line(account_for(fund, AccountKind.AVAILABLE), -amount),
            Line(account_for(fund, AccountKind.RESERVED), amount),
        ],
    )


def disbursement_reject(*, disbursement: Disbursement, by: User, reason: str) -> Disbursement:
    """Refuse a proposed payment, with a reason. No money had moved."""
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the payment is rejected.")})
    with transaction.atomic():
        disbursement = _lock(disbursement)
        may_reject_payment(by, disbursement).enforce()
        _end(disbursement, Status.REJECTED, by=by, reason=reason)
    return disbursement


def disbursement_cancel(*, disbursement: Disbursement, by: User, reason: str) -> Disbursement:
    """Withdraw a payment not yet paid (its proposer or an approver), with a reason.

    Side effects: for an approved payment, a release transaction (reserved →
    available) and its budget uncommitted.
    """
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the payment is cancelled.")})
    with transaction.atomic():
        disbursement = _lock(disbursement)
        may_cancel_payment(by, disbursement).enforce()
        if disbursement.status == Status.APPROVED:
            # Budget before accounts, in the order approval takes them, so the two never deadlock.
            if disbursement.budget_id:
                Budget.objects.filter(pk=disbursement.budget_id).update(
                    committed=F("committed") - disbursement.amount
                )
            fund = disbursement.fund
            disbursement.release = ledger_post(
                kind=TransactionKind.RELEASE,
                fund=fund,
                by=by,
                memo=reason.strip(),
                lines=[
                    Line(account_for(fund, AccountKind.RESERVED), -disbursement.amount),
                    Line(account_for(fund, AccountKind.AVAILABLE), disbursement.amount),
                ],
            )
        _end(disbursement, Status.CANCELLED, by=by, reason=reason)
    return disbursement


def _end(disbursement: Disbursement, status: str, *, by: User, reason: str) -> None:
    disbursement.status = status
    disbursement.ended_by = by
    disbursement.ended_at = timezone.now()
    disbursement.end_reason = reason.strip()
    disbursement.save(update_fields=["status", "ended_by", "ended_at", "end_reason", "release"])


def disbursement_pay(
    *, disbursement: Disbursement, by: User, method: str, bank_reference: str = ""
) -> Disbursement:
    """Record an approved payment as paid: cash against the roster signature, or a transfer.

    Side effect: a payment transaction (reserved → paid out for its purpose).
    """
    if method not in PaymentMethod.values:
        raise RuleBroken({"method": _("Choose how it was paid.")})
    if method == PaymentMethod.BANK and not bank_reference.strip():
        raise RuleBroken({"bank_reference": _("Enter the bank's reference for a transfer.")})
    with transaction.atomic():
        disbursement = _lock(disbursement)
        may_pay_payment(by, disbursement).enforce()
        fund = disbursement.fund
        disbursement.payment = ledger_post(
            kind=TransactionKind.PAYMENT,
            fund=fund,
            by=by,
            memo=str(disbursement),
            lines=[
                Line(account_for(fund, AccountKind.RESERVED), -disbursement.amount),
                Line(
                    account_for(fund, AccountKind.PAID_OUT, purpose=disbursement.purpose),
                    disbursement.amount,
                ),
            ],
        )
        disbursement.status = Status.PAID
        disbursement.paid_by = by
        disbursement.paid_at = timezone.now()
        disbursement.method = method
        disbursement.bank_reference = bank_reference.strip()
        disbursement.save(
            update_fields=["status", "payment", "paid_by", "paid_at", "method", "bank_reference"]
        )
    return disbursement


def _bulk_payment_memo(method: str, count: int) -> str:
    if method == PaymentMethod.BANK:
        return _("Bank result file: %(count)s payments by transfer") % {"count": count}
    return _("Signed roster: %(count)s payments in cash") % {"count": count}


# What paying a set of payments reads of each (``disbursements_pay``).
PAY_COLUMNS = (
    "unit", "fund", "campaign", "notice_entry", "purpose", "amount", "status", "signed_at",
)  # fmt: skip


def disbursements_locked(ids, *, file_names: bool = False) -> list[Disbursement]:
    """The payments ``ids`` locked, in id order (two people paying the same ones queue, not
    deadlock), with what ``disbursements_pay`` reads: their ``PAY_COLUMNS``, ``bank_held``,
    their units and campaigns (one query each, not a row of each for every payment), and
    their households' names when ``file_names``. A province's roster or result file is
    thousands of payments: whole rows of the household and the units made most of its time.
    """
    payments = Disbursement.objects.select_for_update(of=("self",))
    if file_names:
        payments = payments.select_related("file").only(*PAY_COLUMNS, "file__name")
    else:
        payments = payments.only(*PAY_COLUMNS)
    locked = list(
        payments.filter(pk__in=ids).annotate(bank_held=bank_held_annotation()).order_by("pk")
    )
    units = UnionUnit.objects.in_bulk({payment.unit_id for payment in locked})
    campaigns = Campaign.objects.in_bulk({payment.campaign_id for payment in locked} - {None})
    for payment in locked:
        payment.unit, payment.campaign = units[payment.unit_id], campaigns.get(payment.campaign_id)
    return locked


def disbursements_pay(
    *, disbursements: list[Disbursement], by: User, method: str, now, also: dict | None = None
) -> None:
    """Record approved ``disbursements`` as paid by ``method``, set-wise: a roster's sheets or
    a bank's result file of any size is a fixed number of statements.

    The caller holds them locked in its transaction (``disbursements_locked``). Each is
    held to the rule for one payment (``may_pay_payment``) first, the paying unit's pipeline
    settings read once per unit; one refusal refuses them all. Side effects: one payment
    transaction (reserved → paid out) per fund and purpose, and one UPDATE per group making
    its payments paid, with the fields of ``also`` (values or expressions); the objects
    updated to match (but for expressions).
    """
    also = also or {}
    schooling = [d for d in disbursements if d.purpose == Purpose.SCHOOLING]
    # A schooling grant's notice, its entry and objections: three queries for any number.
    prefetch_related_objects(schooling, "notice_entry__notice", "notice_entry__objections")
    units = {d.unit_id: d.unit for d in schooling}
    pipelines = {pk: pipeline_settings_for(unit) for pk, unit in units.items()}
    for disbursement in disbursements:
        may_pay_payment(by, disbursement, pipeline=pipelines.get(disbursement.unit_id)).enforce()
    groups: dict[tuple, list[Disbursement]] = {}
    for disbursement in disbursements:
        groups.setdefault((disbursement.fund_id, disbursement.purpose), []).append(disbursement)
    funds = Fund.objects.in_bulk({fund_id for fund_id, _purpose in groups})
    for (fund_id, purpose), group in sorted(groups.items()):
        fund = funds[fund_id]
        total = sum((d.amount for d in group), Decimal(0))
        payment = ledger_post(
            kind=TransactionKind.PAYMENT,
            fund=fund,
            by=by,
            memo=_bulk_payment_memo(method, len(group)),
            lines=[
                Line(account_for(fund, AccountKind.RESERVED), -total),
                Line(account_for(fund, AccountKind.PAID_OUT, purpose=purpose), total),
            ],
        )
        fields = {
            "status": Status.PAID, "payment": payment, "paid_by": by, "paid_at": now,
            "method": method, **also,
        }  # fmt: skip
        Disbursement.objects.filter(pk__in=[d.pk for d in group]).update(**fields)
        plain = {k: v for k, v in fields.items() if not hasattr(v, "resolve_expression")}
        for disbursement in group:
            for name, value in plain.items():
                setattr(disbursement, name, value)


def _student_id_hash(student: HouseholdMember | None) -> str:
    # Hashed afresh under the current key: the member's own hash may still be under the
    # previous one while ID_HASH_KEY is being rotated.
    if student is None:
        return ""
    return keyed_hash(student.id_number) if student.id_number else student.id_hash
