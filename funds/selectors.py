"""Reads of the funds app: balances, statements, a household's aid, the ledger's invariants;
and who may do what (``may_<verb>_<thing>``), asked both by the pages and by the services.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.rules import ALLOWED, Decision, refuse
from funds.choices import (
    ASSET_ACCOUNTS,
    BANK_HOLDS,
    AccountKind,
    BatchStatus,
    DisbursementStatus,
    Purpose,
    TransactionKind,
)
from funds.models import (
    Account,
    Allocation,
    BankPaymentLine,
    Budget,
    Disbursement,
    DisbursementBatch,
    Entry,
    Fund,
    LedgerTransaction,
    RosterScan,
)
from funds.rules import file_not_on_record, household_of
from hardship.models import HardshipFile
from hardship.pipeline import UnitPipeline, entry_hold, pipeline_settings_for
from people.access import has_any_role, is_in_branch, may_act_as, scope_to_user
from people.models import Role, UnionUnit, User
from visits.campaigns import campaigns_for_user
from visits.models import Campaign, VisitList
from visits.selectors import visit_lists_awaiting_approval

ZERO = Decimal(0)


def funds_visible_to(user: User) -> QuerySet[Fund]:
    """The funds of ``user``'s branch."""
    return scope_to_user(Fund.objects.select_related("unit"), user=user, unit_path="unit__path")


def disbursements_visible_to(user: User) -> QuerySet[Disbursement]:
    """Payments of households in ``user``'s branch."""
    return scope_to_user(
        Disbursement.objects.select_related("file", "fund", "unit", "campaign"),
        user=user,
        unit_path="file__unit__path",
    )


@dataclass
class FundBalance:
    available: Decimal = ZERO
    reserved: Decimal = ZERO

    @property
    def held(self) -> Decimal:
        """Money in the fund, free or reserved for approved payments."""
        return self.available + self.reserved


def fund_balance(fund: Fund) -> FundBalance:
    """The fund's money now, read off its two asset accounts (kept on every write)."""
    balance = FundBalance()
    for kind, amount in Account.objects.filter(fund=fund, kind__in=ASSET_ACCOUNTS).values_list(
        "kind", "balance"
    ):
        setattr(balance, kind, amount)
    return balance


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Statement:
    """A fund's period: opening + received − paid out − allocated down = closing."""

    fund: Fund
    first_day: date
    last_day: date
    opening: Decimal
    closing: Decimal
    received: dict[str, Decimal] = field(default_factory=dict)  # by source
    paid_out: dict[str, Decimal] = field(default_factory=dict)  # by purpose
    allocated_down: Decimal = ZERO

    @property
    def total_in(self) -> Decimal:
        return sum(self.received.values(), ZERO)

    @property
    def total_out(self) -> Decimal:
        return sum(self.paid_out.values(), ZERO) + self.allocated_down

    @property
    def reconciles(self) -> bool:
        return self.opening + self.total_in - self.total_out == self.closing


def fund_statement(fund: Fund, *, first_day: date, last_day: date) -> Statement:
    """The fund's movements from ``first_day`` to ``last_day`` (local dates, both included).

    Every transaction balances within the fund, so what came in and went out
    through its nominal accounts is what moved its money: the statement
    reconciles by construction, and ``reconciles`` checks it did.
    """
    start, end = _start_of(first_day), _start_of(last_day + timedelta(days=1))
    accounts = {account.pk: account for account in Account.objects.filter(fund=fund)}
    asset_ids = [pk for pk, account in accounts.items() if account.kind in ASSET_ACCOUNTS]
    before = Entry.objects.filter(account_id__in=asset_ids, posted_at__lt=start)
    opening = before.aggregate(total=Sum("amount"))["total"] or ZERO
    moved = (
        Entry.objects.filter(account_id__in=accounts, posted_at__gte=start, posted_at__lt=end)
        .values("account_id")
        .annotate(total=Sum("amount"))
    )
    statement = Statement(fund, first_day, last_day, opening=opening, closing=opening)
    for row in moved:
        account, total = accounts[row["account_id"]], row["total"]
        if account.kind in ASSET_ACCOUNTS:
            statement.closing += total
        elif account.kind == AccountKind.INCOME:
            statement.received[account.source] = -total
        elif account.kind == AccountKind.PAID_OUT:
            statement.paid_out[account.purpose] = total
        elif account.kind == AccountKind.ALLOCATED_DOWN:
            statement.allocated_down = total
    return statement


def household_aid(file: HardshipFile) -> QuerySet[Disbursement]:
    """Every payment proposed for the household, all funds and years, newest first: under this
    file, and those approved or paid under its earlier (exited, closed) files, found as the
    yearly caps find them (``funds.rules.household_of``)."""
    return (
        Disbursement.objects.filter(
            Q(file=file)
            | (
                household_of(file)
                & Q(status__in=(DisbursementStatus.APPROVED, DisbursementStatus.PAID))
            )
        )
        .select_related("fund", "fund__unit", "campaign", "file")
        .order_by("-aid_year", "-proposed_at", "-pk")
    )


# ---------------------------------------------------------------- invariants


def ledger_problems(*, limit: int = 50) -> list[str]:
    """Every broken invariant of the ledger (empty when it holds), at most ``limit`` of each kind.

    - each transaction has two entries or more, summing to zero;
    - each account's balance is the sum of its entries;
    - each fund's accounts sum to zero, and its money accounts are not negative;
    - reversals reverse something other than a reversal;
    - each budget commits no more than its amount, and exactly its approved
      and paid payments and its child budgets;
    - each fund's reserved money is exactly its approved, unpaid payments.
    """
    problems: list[str] = []
    unbalanced = (
        Entry.objects.values("transaction_id")
        .annotate(total=Sum("amount"), lines=Count("id"))
        .filter(~Q(total=0) | Q(lines__lt=2))
        .order_by("transaction_id")[:limit]
    )
    problems += [
        f"transaction {row['transaction_id']}: {row['lines']} entries summing to {row['total']}"
        for row in unbalanced
    ]
    empty = LedgerTransaction.objects.filter(entries__isnull=True).values_list("pk", flat=True)
    problems += [f"transaction {pk}: no entries" for pk in empty[:limit]]
    drifted = (
        Account.objects.annotate(total=Sum("entries__amount", default=ZERO))
        .exclude(balance=F("total"))
        .values_list("pk", "balance", "total")[:limit]
    )
    problems += [
        f"account {pk}: balance {balance} but its entries sum to {total}"
        for pk, balance, total in drifted
    ]
    lopsided = (
        Account.objects.values("fund_id")
        .annotate(total=Sum("balance"))
        .exclude(total=0)
        .values_list("fund_id", "total")[:limit]
    )
    problems += [f"fund {pk}: its accounts sum to {total}, not zero" for pk, total in lopsided]
    negative = Account.objects.filter(kind__in=ASSET_ACCOUNTS, balance__lt=0)
    problems += [f"account {a.pk}: negative balance {a.balance}" for a in negative[:limit]]
    double = LedgerTransaction.objects.filter(
        kind=TransactionKind.REVERSAL, reverses__kind=TransactionKind.REVERSAL
    ).values_list("pk", flat=True)
    problems += [f"transaction {pk}: reverses a reversal" for pk in double[:limit]]
    problems += _budget_problems(limit)
    problems += _reservation_problems(limit)
    return problems


def _budget_problems(limit: int) -> list[str]:
    spent = Q(disbursements__status__in=[DisbursementStatus.APPROVED, DisbursementStatus.PAID])
    budgets = Budget.objects.annotate(
        payments=Sum("disbursements__amount", filter=spent, default=ZERO),
    )
    children = dict(
        Budget.objects.filter(parent__isnull=False)
        .values("parent_id")
        .annotate(total=Sum("amount"))
        .values_list("parent_id", "total")
    )
    problems = []
    for budget in budgets.iterator():
        expected = budget.payments + children.get(budget.pk, ZERO)
        if budget.committed != expected:
            problems.append(
                f"budget {budget.pk}: committed {budget.committed} but its payments and "
                f"child budgets come to {expected}"
            )
        if budget.committed > budget.amount:
            problems.append(f"budget {budget.pk}: {budget.committed} committed of {budget.amount}")
        if len(problems) >= limit:
            break
    return problems


def _reservation_problems(limit: int) -> list[str]:
    approved = dict(
        Disbursement.objects.filter(status=DisbursementStatus.APPROVED)
        .values("fund_id")
        .annotate(total=Sum("amount"))
        .values_list("fund_id", "total")
    )
    reserved = dict(
        Account.objects.filter(kind=AccountKind.RESERVED).values_list("fund_id", "balance")
    )
    problems = []
    for fund_id in sorted(set(approved) | set(reserved)):
        if approved.get(fund_id, ZERO) != reserved.get(fund_id, ZERO):
            problems.append(
                f"fund {fund_id}: {reserved.get(fund_id, ZERO)} reserved but approved unpaid "
                f"payments come to {approved.get(fund_id, ZERO)}"
            )
        if len(problems) >= limit:
            break
    return problems


# ---------------------------------------------------------------- pages


def funds_with_balances(user: User) -> QuerySet[Fund]:
    """The funds of ``user``'s branch, each with ``available`` and ``reserved`` (one query)."""
    money = "accounts__balance"
    return funds_visible_to(user).annotate(
        available=Sum(money, filter=Q(accounts__kind=AccountKind.AVAILABLE), default=ZERO),
        reserved=Sum(money, filter=Q(accounts__kind=AccountKind.RESERVED), default=ZERO),
    )


def fund_recent_receipts(fund: Fund, *, limit: int = 10) -> list:
    """The fund's latest receipts, newest first."""
    # With each one's reversal, if any, so the page can say so without a query per row.
    return list(
        fund.receipts.select_related(
            "recorded_by", "transaction__reversed_by", "transaction__fund__unit"
        ).order_by("-received_on", "-id")[:limit]
    )


def fund_recent_allocations(fund: Fund, *, limit: int = 10) -> list:
    """The fund's latest allocations, down to child units and in from above, newest first."""
    return list(
        Allocation.objects.filter(Q(from_fund=fund) | Q(to_fund=fund))
        .select_related(
            "from_fund__unit",
            "to_fund__unit",
            "allocated_by",
            "transaction__reversed_by",
            "transaction__fund__unit",
        )
        .order_by("-allocated_on", "-id")[:limit]
    )


def allocation_targets(*, fund: Fund, user: User) -> QuerySet[Fund]:
    """Active funds of the units directly below ``fund``'s unit, within ``user``'s branch."""
    return (
        funds_visible_to(user)
        .filter(unit__parent_id=fund.unit_id, is_active=True)
        .order_by("unit__path", "name")
    )


def funds_for_payment(*, file: HardshipFile, user: User) -> QuerySet[Fund]:
    """Active funds that may pay ``file``'s household: its unit's or above, in ``user``'s branch."""
    return (
        funds_visible_to(user)
        .filter(unit_id__in=[*file.unit.ancestor_ids, file.unit_id], is_active=True)
        .order_by("-unit__path", "name")
    )


def disbursements_waiting(user: User) -> QuerySet[Disbursement]:
    """Proposed payments of ``user``'s branch decided by a unit in it, oldest first."""
    return (
        scope_to_user(disbursements_visible_to(user), user=user, unit_path="unit__path")
        .filter(status=DisbursementStatus.PROPOSED)
        .select_related("proposed_by", "file__unit")
        .order_by("proposed_at", "id")
    )


def file_funds_context(*, file: HardshipFile, user: User) -> dict:
    """What ``funds/file_section.html`` needs on the page of ``file`` (fetched for ``user``).

    Payments under the household's earlier files are shown to whoever sees this file — they
    are this household's history — but link to their own page only where ``user`` may open
    it (an earlier file may be held by another branch).
    """
    history = list(household_aid(file).select_related("proposed_by"))
    earlier = [p.pk for p in history if p.file_id != file.pk]
    openable = (
        set(disbursements_visible_to(user).filter(pk__in=earlier).values_list("pk", flat=True))
        if earlier
        else set()
    )
    for payment in history:
        payment.openable = payment.file_id == file.pk or payment.pk in openable
    return {
        "aid_history": history,
        "aid_under_other_files": bool(earlier),
        "can_propose_payment": may_propose_payment(user, file),
    }


# ---------------------------------------------------------------- who may do what
#
# One predicate per action, asked by the page that offers it (a Decision is true when
# allowed) and enforced by the service that does it (``may_x(by, obj).enforce()``), so the
# two cannot disagree. Each answers "may this person do this to this record now"; what
# the person types in (amounts, reasons, the fund chosen) the services check themselves.

Status = DisbursementStatus
MONEY_IN = (Role.CASEWORKER, Role.APPROVER)
FUND_OPENERS = (Role.APPROVER, Role.UNIT_ADMIN)
# Who handles the paper roster and ticks the signatures: those who may pay.
SIGNERS = (Role.CASEWORKER, Role.APPROVER)


def fund_in_use(fund: Fund) -> Decision:
    """Whether money may still move through ``fund``."""
    if not fund.is_active:
        return refuse(_("This fund is no longer in use."))
    return ALLOWED


def _fund_in_branch(user: User, fund: Fund) -> Decision:
    if not is_in_branch(user, fund.unit):
        return refuse(_("This fund is not in your unit's branch."), denied=True)
    return ALLOWED


def may_open_fund(user: User, unit: UnionUnit | None) -> Decision:
    """Open a fund for ``unit`` (None: for some unit of the user's branch, as the funds list
    asks before the unit is chosen)."""
    if not (decision := may_act_as(user, *FUND_OPENERS)):
        return decision
    if unit is not None and not is_in_branch(user, unit):
        return refuse(_("This unit is not in your branch."), denied=True)
    return ALLOWED


def may_record_receipt(user: User, fund: Fund) -> Decision:
    """Record money received into ``fund``."""
    if not (decision := may_act_as(user, *MONEY_IN)):
        return decision
    if not (decision := _fund_in_branch(user, fund)):
        return decision
    return fund_in_use(fund)


def may_allocate_down(user: User, fund: Fund) -> Decision:
    """Send money from ``fund`` down to a fund of a unit directly below."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not (decision := _fund_in_branch(user, fund)):
        return decision
    return fund_in_use(fund)


def _reversed(movement: LedgerTransaction) -> bool:
    # The page's rows carry ``reversed_by`` already (select_related); elsewhere one query.
    return hasattr(movement, "reversed_by")


def may_confirm_allocation(user: User, allocation: Allocation) -> Decision:
    """Confirm, for the receiving unit, that ``allocation`` arrived."""
    if not (decision := may_act_as(user, *MONEY_IN)):
        return decision
    if not (decision := _fund_in_branch(user, allocation.to_fund)):
        return decision
    if _reversed(allocation.transaction):
        return refuse(_("This allocation has been reversed: nothing arrived to confirm."))
    if allocation.received_at is not None:
        return refuse(_("Its receipt has been confirmed already."))
    return ALLOWED


def may_reverse_movement(user: User, movement: LedgerTransaction) -> Decision:
    """Reverse a mistaken receipt or allocation (冲正); payments are undone by cancelling."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not (decision := _fund_in_branch(user, movement.fund)):
        return decision
    if movement.kind == TransactionKind.REVERSAL:
        return refuse(_("A reversal cannot itself be reversed; record the movement again."))
    if movement.kind not in (TransactionKind.RECEIPT, TransactionKind.ALLOCATION):
        return refuse(
            _("Reservations and payments are corrected on their payment, by cancelling it.")
        )
    if _reversed(movement):
        return refuse(_("This movement has been reversed already."))
    return ALLOWED


def may_set_budget(user: User, campaign: Campaign) -> Decision:
    """Set budgets of ``campaign``, one the user sees: organised by their unit, one above it
    or one of their branch (``campaigns_for_user``). The fund, of their branch, the service
    checks."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    organiser, unit = campaign.organiser, user.unit
    sees = user.is_superuser or (
        unit is not None and (unit.is_in_branch_of(organiser) or organiser.is_in_branch_of(unit))
    )
    if not sees:
        return refuse(_("The campaign was not found."), denied=True)
    return ALLOWED


def may_split_budget(user: User, budget: Budget) -> Decision:
    """Give units directly below part of ``budget``."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, budget.unit):
        return refuse(_("This budget is not in your unit's branch."), denied=True)
    return ALLOWED


def may_propose_payment(user: User, file: HardshipFile) -> Decision:
    """Propose a payment to ``file``'s household (from a fund the service checks)."""
    if not (decision := may_act_as(user, Role.CASEWORKER)):
        return decision
    if not is_in_branch(user, file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    not_on_record = file_not_on_record(file)
    if not_on_record:
        return refuse(not_on_record.message)
    return ALLOWED


def _payment_is(disbursement: Disbursement, *statuses: str) -> Decision:
    if disbursement.status not in statuses:
        return refuse(
            _("This cannot be done to a payment that is “%(status)s”.")
            % {"status": disbursement.get_status_display()}
        )
    return ALLOWED


def _may_decide_payment(user: User, disbursement: Disbursement) -> Decision:
    # The paying unit's approvers decide, never the one who proposed it.
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, disbursement.unit):
        return refuse(_("This payment is not in your unit's branch."), denied=True)
    if disbursement.proposed_by_id == user.pk:
        return refuse(
            _("A payment is approved by someone other than who proposed it."), denied=True
        )
    return _payment_is(disbursement, Status.PROPOSED)


def may_approve_payment(user: User, disbursement: Disbursement) -> Decision:
    """Approve a proposed payment (its money is reserved: the service checks there is enough)."""
    if not (decision := _may_decide_payment(user, disbursement)):
        return decision
    return fund_in_use(disbursement.fund)


def may_reject_payment(user: User, disbursement: Disbursement) -> Decision:
    """Refuse a proposed payment."""
    return _may_decide_payment(user, disbursement)


def may_cancel_payment(user: User, disbursement: Disbursement) -> Decision:
    """Withdraw a payment not yet paid: its proposer, or an approver of the paying unit."""
    deciding = is_in_branch(user, disbursement.unit) and has_any_role(user, Role.APPROVER)
    if not (deciding or disbursement.proposed_by_id == user.pk):
        return refuse(_("Only its proposer or an approver may cancel a payment."), denied=True)
    if not (decision := _payment_is(disbursement, Status.PROPOSED, Status.APPROVED)):
        return decision
    return bank_hold(disbursement)


def may_pay_payment(
    user: User, disbursement: Disbursement, *, pipeline: UnitPipeline | None = None
) -> Decision:
    """Record an approved payment as paid; a schooling grant only once its public notice
    passed without objection, where the paying unit asks for one (``pipeline``: the paying
    unit's settings, when the caller has read them already)."""
    if not (decision := may_act_as(user, *MONEY_IN)):
        return decision
    if not is_in_branch(user, disbursement.unit):
        return refuse(_("This payment is not in your unit's branch."), denied=True)
    if not (decision := _payment_is(disbursement, Status.APPROVED)):
        return decision
    if not (decision := bank_hold(disbursement)):
        return decision
    return grant_notice_passed(disbursement, pipeline=pipeline)


def bank_hold(disbursement: Disbursement) -> Decision:
    """Whether ``disbursement`` is free of the bank: a payment in a payment file (or waiting
    for one, or failed and not yet re-issued or switched to cash) is paid or ended only through
    the bank's result, so it can never be paid twice.

    A set-wise caller (a roster's sheet) annotates ``bank_held`` on the rows it locked, so a
    sheet of any size is checked in one query (``bank_held_annotation``).
    """
    held = getattr(disbursement, "bank_held", None)
    if held is None:
        held = BankPaymentLine.objects.filter(
            disbursement=disbursement, status__in=BANK_HOLDS
        ).exists()
    if held:
        return refuse(_("This payment is with the bank: it is settled by the bank's result file."))
    return ALLOWED


def bank_held_annotation() -> Exists:
    """``bank_held`` for a queryset of payments: whether each is with the bank (``bank_hold``)."""
    return Exists(
        BankPaymentLine.objects.filter(disbursement=OuterRef("pk"), status__in=BANK_HOLDS)
    )


def grant_notice_passed(
    disbursement: Disbursement, *, pipeline: UnitPipeline | None = None
) -> Decision:
    """Whether a schooling grant's public notice lets it be paid (other payments: always)."""
    if disbursement.purpose != Purpose.SCHOOLING:
        return ALLOWED
    if not (pipeline or pipeline_settings_for(disbursement.unit)).notice_for_grants:
        return ALLOWED
    hold = entry_hold(disbursement.notice_entry)
    return refuse(hold) if hold else ALLOWED


def may_propose_batch(user: User, campaign: Campaign, unit: UnionUnit) -> Decision:
    """Propose ``campaign``'s visit money for the households on ``unit``'s branch's lists, all
    of them approved (frozen). The fund, and the user's reach over it, the service checks."""
    if not (decision := may_act_as(user, Role.CASEWORKER)):
        return decision
    if not is_in_branch(user, unit):
        return refuse(_("This unit is not in your branch."), denied=True)
    if not unit.is_in_branch_of(campaign.organiser):
        return refuse(_("The unit is not covered by this campaign."))
    if not VisitList.objects.filter(campaign=campaign, unit__path__startswith=unit.path).exists():
        return refuse(_("There are no visit lists of this campaign for this unit yet."))
    awaiting = list(
        visit_lists_awaiting_approval(campaign=campaign, unit=unit).values_list(
            "unit__name", flat=True
        )[: LISTS_NAMED + 1]
    )
    if awaiting:
        named = pgettext("between names in a list", ", ").join(awaiting[:LISTS_NAMED])
        if len(awaiting) > LISTS_NAMED:
            named += "…"
        return refuse(
            _(
                "Payments are proposed for approved (frozen) visit lists: approve these "
                "first: %(lists)s."
            )
            % {"lists": named}
        )
    return ALLOWED


# How many lists still waiting for approval a refusal names (the page links to all of them).
LISTS_NAMED = 5


def _may_decide_batch(user: User, batch: DisbursementBatch) -> Decision:
    # The paying unit's approvers decide, as for a single payment: an approver below it
    # does not spend a fund or budget of the unit above.
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    payer = batch.budget.unit if batch.budget_id else batch.fund.unit
    if not is_in_branch(user, payer):
        return refuse(_("This batch is not in your unit's branch."), denied=True)
    if batch.proposed_by_id == user.pk:
        return refuse(
            _("A payment is approved by someone other than who proposed it."), denied=True
        )
    if batch.status != BatchStatus.PROPOSED:
        return refuse(_("This batch has been decided already."))
    return ALLOWED


def may_approve_batch(user: User, batch: DisbursementBatch) -> Decision:
    """Approve every proposed payment of ``batch`` at once."""
    if not (decision := _may_decide_batch(user, batch)):
        return decision
    return fund_in_use(batch.fund)


def may_reject_batch(user: User, batch: DisbursementBatch) -> Decision:
    """Refuse the whole of ``batch``."""
    return _may_decide_batch(user, batch)


def may_upload_roster_scan(user: User, unit: UnionUnit) -> Decision:
    """Keep the scan of the signed paper roster of ``unit`` (for any campaign)."""
    if not has_any_role(user, *SIGNERS):
        return refuse(_("Only a caseworker or an approver may do this."), denied=True)
    if not is_in_branch(user, unit):
        return refuse(_("This roster is not in your unit's branch."), denied=True)
    return ALLOWED


def may_tick_roster_lines(user: User, campaign: Campaign | None, unit: UnionUnit) -> Decision:
    """Tick lines of the roster of (``campaign``, ``unit``) as signed for: once its scan is kept."""
    if not (decision := may_upload_roster_scan(user, unit)):
        return decision
    if campaign is None:
        return refuse(_("Only payments of a campaign are on a roster."))
    if not RosterScan.objects.filter(campaign=campaign, unit=unit).exists():
        return refuse(_("Upload the scan of the signed roster before ticking its lines."))
    return ALLOWED


def may_print_roster(user: User, campaign: Campaign, unit: UnionUnit) -> Decision:
    """Print the roster of (``campaign``, ``unit``): whoever may see it."""
    if not user.is_active or not is_in_branch(user, unit):
        return refuse(_("The roster was not found."), denied=True)
    if not campaigns_for_user(user=user).filter(pk=campaign.pk).exists():
        return refuse(_("The roster was not found."), denied=True)
    return ALLOWED


def may_print_statement(user: User, fund: Fund) -> Decision:
    """Print ``fund``'s statement of a period: whoever may see the fund."""
    if not user.is_active:
        return refuse(_("This fund is not in your unit's branch."), denied=True)
    return _fund_in_branch(user, fund)


# ---------------------------------------------------------------- batches of payments


def funds_for_batch(*, unit, campaign, user: User) -> QuerySet[Fund]:
    """Active funds that may pay the visit money of ``unit``'s branch in ``campaign``.

    A fund of ``unit`` or a unit above it, that ``user`` may draw on: in their
    branch, or budgeted for the campaign to a unit of their branch covering ``unit``.
    """
    units = [*unit.ancestor_ids, unit.pk]
    budgeted = scope_to_user(
        Budget.objects.filter(campaign=campaign, unit_id__in=units),
        user=user,
        unit_path="unit__path",
    ).values("fund_id")
    reachable = Q(pk__in=budgeted)
    if user.is_superuser:
        reachable = Q()
    elif user.unit is not None:
        reachable |= Q(unit__path__startswith=user.unit.path)
    return (
        Fund.objects.select_related("unit")
        .filter(reachable, unit_id__in=units, is_active=True)
        .order_by("-unit__path", "name")
    )


def budgeted_fund_for_batch(*, unit, campaign, funds: QuerySet[Fund]) -> Fund | None:
    """The fund to offer first for ``campaign``'s visit money in ``unit``'s branch: the one the
    nearest budget of the campaign at or above ``unit`` names, when ``funds`` offers it."""
    budget = (
        Budget.objects.filter(
            campaign=campaign, unit_id__in=[*unit.ancestor_ids, unit.pk], fund__in=funds
        )
        .order_by("-unit__path")
        .select_related("fund")
        .first()
    )
    return budget.fund if budget else None


def batches_visible_to(user: User, *, status: str = ""):
    """The batches of ``user``'s branch with their payments and total, waiting ones first."""
    from django.db.models import Case, IntegerField, Value, When

    counted = ~Q(
        disbursements__status__in=[DisbursementStatus.REJECTED, DisbursementStatus.CANCELLED]
    )
    batches = scope_to_user(
        DisbursementBatch.objects.select_related("campaign", "unit", "fund__unit", "proposed_by"),
        user=user,
        unit_path="unit__path",
    )
    if status:
        batches = batches.filter(status=status)
    return batches.annotate(
        payments=Count("disbursements", filter=counted),
        total=Sum("disbursements__amount", filter=counted, default=ZERO),
        waiting_first=Case(
            When(status=BatchStatus.PROPOSED, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        ),
    ).order_by("waiting_first", "-proposed_at", "-id")


# ---------------------------------------------------------------- money by unit

# Imported here, with the section, so that its lines stay apart from the others'.
from django.db.models import Value  # noqa: E402
from django.db.models.functions import StrIndex, Substr  # noqa: E402

from funds.choices import ReceiptSource  # noqa: E402


@dataclass
class UnitMoney:
    """One row of ``money_by_unit``: a unit's funds (``own``) or a whole branch's, for a period.

    ``received`` is by source from outside the row's branch; ``from_higher`` is
    what was allocated into the row's top unit from the unit above it;
    ``allocated_down`` is what the top unit sent to its own child units (shown
    on the ``own`` row only: within a branch it is internal). ``held`` is the
    money the funds hold now, available and reserved.
    """

    unit: UnionUnit
    own: bool = False
    received: dict[str, Decimal] = field(default_factory=dict)  # by source, higher union apart
    from_higher: Decimal = ZERO
    paid_out: dict[str, Decimal] = field(default_factory=dict)  # by purpose
    allocated_down: Decimal = ZERO
    held: Decimal = ZERO

    @property
    def total_received(self) -> Decimal:
        return sum(self.received.values(), self.from_higher)

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid_out.values(), ZERO)


@dataclass
class MoneyByUnit:
    """A unit's branch for a period: its own funds, each child's branch, and the whole branch."""

    unit: UnionUnit
    first_day: date
    last_day: date
    own: UnitMoney
    children: list[UnitMoney]
    total: UnitMoney

    @property
    def rows(self) -> list[UnitMoney]:
        return [self.own, *self.children]

    @property
    def sources(self) -> list[str]:
        """The outside sources any row received money from, in the choices' order."""
        present = {source for row in self.rows for source in row.received}
        return [source for source in ReceiptSource.values if source in present]

    @property
    def purposes(self) -> list[str]:
        """The purposes any row paid money for, in the choices' order."""
        present = {purpose for row in self.rows for purpose in row.paid_out}
        return [purpose for purpose in Purpose.values if purpose in present]


def _top_unit_path(unit_path: str, path: str):
    """The path of the row a fund of the unit at ``path`` belongs to, below ``unit_path``.

    ``unit_path`` itself for the unit's own funds, else its child's path (the
    prefix up to the first ``/`` after ``unit_path``): ``/1/7/`` + ``52/60/`` →
    ``/1/7/52/``.
    """
    rest = Substr(path, len(unit_path) + 1)
    return Substr(path, 1, len(unit_path) + StrIndex(rest, Value("/")))


def money_by_unit(*, unit: UnionUnit, first_day: date, last_day: date) -> MoneyByUnit:
    """Money in, out and held for ``unit``'s funds and for each child unit's whole branch.

    Three queries, however many children: the children, the period's entries
    summed per row (one GROUP BY over ``funds_entry`` joined to its account,
    fund and unit, the branch chosen by its path prefix and the period by the
    ``(account, posted_at) INCLUDE amount`` index), and the balances now.

    Allocations between units of one branch are internal to it and are counted
    once. A child's allocation to its own children moves money within the
    child's branch, so neither its "allocated down" nor the grandchild's
    "received from the higher union" appears in the child's row. What a row
    does show as received from the higher union is only what came into its top
    unit from the unit above it, from outside its branch: for a child row that
    is ``unit``'s allocation to it, which ``unit``'s own row shows as
    allocated down. The whole branch's total applies the same rule one level
    up: the money from outside (every row's outside sources) plus only what
    came into ``unit`` from above; its own allocations to the children stay
    inside and are not counted again.
    """
    start, end = _start_of(first_day), _start_of(last_day + timedelta(days=1))
    children = list(UnionUnit.objects.filter(parent=unit).order_by("path"))
    own = UnitMoney(unit=unit, own=True)
    rows = {unit.path: own} | {child.path: UnitMoney(unit=child) for child in children}
    tops = [unit.pk, *(child.pk for child in children)]

    unit_path = "account__fund__unit__path"
    moved = (
        Entry.objects.filter(
            **{f"{unit_path}__startswith": unit.path},
            posted_at__gte=start,
            posted_at__lt=end,
        )
        .filter(
            # Outside money, wherever in the branch it came in.
            Q(account__kind=AccountKind.INCOME) & ~Q(account__source=ReceiptSource.HIGHER_UNION)
            # Money from above, only into a row's top unit: deeper down it is internal.
            | Q(account__kind=AccountKind.INCOME, account__fund__unit_id__in=tops)
            | Q(account__kind=AccountKind.PAID_OUT)
            # Allocations down, only the unit's own, to its children.
            | Q(account__kind=AccountKind.ALLOCATED_DOWN, account__fund__unit_id=unit.pk)
        )
        .annotate(row=_top_unit_path(unit.path, unit_path))
        .values("row", "account__kind", "account__source", "account__purpose")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for line in moved:
        row, kind, total = rows[line["row"]], line["account__kind"], line["total"]
        if kind == AccountKind.PAID_OUT:
            row.paid_out[line["account__purpose"]] = total
        elif kind == AccountKind.ALLOCATED_DOWN:
            row.allocated_down += total
        elif line["account__source"] == ReceiptSource.HIGHER_UNION:
            row.from_higher -= total  # income accounts are credited: a negative sum
        else:
            row.received[line["account__source"]] = -total

    held = (
        Account.objects.filter(fund__unit__path__startswith=unit.path, kind__in=ASSET_ACCOUNTS)
        .annotate(row=_top_unit_path(unit.path, "fund__unit__path"))
        .values("row")
        .annotate(total=Sum("balance"))
        .order_by()
    )
    for line in held:
        rows[line["row"]].held = line["total"]

    total = UnitMoney(unit=unit, from_higher=own.from_higher)
    for row in rows.values():
        for source, amount in row.received.items():
            total.received[source] = total.received.get(source, ZERO) + amount
        for purpose, amount in row.paid_out.items():
            total.paid_out[purpose] = total.paid_out.get(purpose, ZERO) + amount
        total.held += row.held
    return MoneyByUnit(
        unit=unit,
        first_day=first_day,
        last_day=last_day,
        own=own,
        children=[rows[child.path] for child in children],
        total=total,
    )
