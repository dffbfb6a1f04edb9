"""Aid funds: a double-entry ledger, receipts, allocations down the tree, budgets, disbursements.

The ledger (``Account``, ``LedgerTransaction``, ``Entry``) is the record of
money; the other models are the business documents that caused each movement
and point to its transaction. Every fund keeps five kinds of account: two
hold its money (available, reserved for approved payments) and three say where
money came from or went (received by source, paid out by purpose, allocated
down). Every transaction balances within each fund it touches, so a fund's
statement always reconciles: opening + in − out = closing.

What the database itself guarantees, whatever code path writes:
- the entries of a transaction sum to zero (a statement trigger on INSERT);
- entries and transactions are never updated or deleted (triggers);
- an account's ``balance`` moves with every entry written (the same trigger);
- a fund's available and reserved money, and a budget's remainder, never go
  below zero (CHECK constraints): concurrent approvals queue on the account
  row, and the one that would overdraw fails.
"""

from decimal import Decimal

import pghistory
import pgtrigger
from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.crypto import EncryptedCharField, HashedIdField
from common.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from documents.uploads import StoredUpload
from funds.choices import (
    ASSET_ACCOUNTS,
    BANK_OPEN,
    AccountKind,
    BankLineStatus,
    BatchStatus,
    DisbursementStatus,
    FundKind,
    PaymentMethod,
    Purpose,
    ReceiptSource,
    TransactionKind,
)
from hardship.choices import SchoolStage
from hardship.models import HardshipFile, HouseholdMember, PublicNoticeEntry
from people.models import UnionUnit, User
from visits.models import Campaign, Visit

# Two places, yuan. Ledger sums of a province run far past a household's figures.
AMOUNT = {"max_digits": 12, "decimal_places": 2}
BALANCE = {"max_digits": 16, "decimal_places": 2}
# One payment or receipt above this is a typing error (a province's whole winter
# campaign is a few hundred million yuan).
LARGEST_AMOUNT = Decimal("1000000000")


def _optional(to, verbose_name, *, related_name: str = "+") -> models.ForeignKey:
    """A protected, optional key: who did a later step of a row's life, or what it belongs to."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
    )


def _positive(field: str) -> Q:
    return Q(**{f"{field}__gt": 0}) & Q(**{f"{field}__lte": LARGEST_AMOUNT})


class Fund(models.Model):
    """Money a unit holds for one purpose (送温暖资金, 帮扶资金, 金秋助学资金…)."""

    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="funds"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind of fund"), max_length=10, choices=FundKind.choices)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("A fund no longer in use takes no new payments.")
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        ordering = ["unit__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="fund_name_unique_in_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("funds:fund_detail", kwargs={"pk": self.pk})


class Account(models.Model):
    """One account of a fund's ledger; ``balance`` is the sum of its entries, kept on write."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind of account"), max_length=10, choices=AccountKind.choices)
    source = models.CharField(_("source"), max_length=10, choices=ReceiptSource.choices, blank=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, blank=True)
    balance = models.DecimalField(_("balance"), default=Decimal(0), **BALANCE)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["fund", "kind", "source", "purpose"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "kind", "source", "purpose"], name="one_account_per_fund_and_kind"
            ),
            # The fund's own money never goes below zero, whatever runs at once.
            models.CheckConstraint(
                condition=~Q(kind__in=ASSET_ACCOUNTS) | Q(balance__gte=0),
                name="fund_money_never_negative",
            ),
            models.CheckConstraint(
                condition=(Q(kind=AccountKind.INCOME) & ~Q(source=""))
                | (~Q(kind=AccountKind.INCOME) & Q(source="")),
                name="income_account_has_a_source",
            ),
            models.CheckConstraint(
                condition=(Q(kind=AccountKind.PAID_OUT) & ~Q(purpose=""))
                | (~Q(kind=AccountKind.PAID_OUT) & Q(purpose="")),
                name="paid_out_account_has_a_purpose",
            ),
        ]

    def __str__(self) -> str:
        detail = self.get_source_display() or self.get_purpose_display()
        label = self.get_kind_display()
        return f"{self.fund_id} {label}{' · ' + detail if detail else ''}"


class LedgerTransaction(models.Model):
    """One movement of money: balanced entries, written once, never changed.

    A mistake is corrected by a reversal, a new transaction of the opposite
    entries that names the one it reverses; a transaction is reversed at most
    once, and a reversal is never itself reversed.
    """

    kind = models.CharField(_("kind"), max_length=12, choices=TransactionKind.choices)
    fund = models.ForeignKey(
        Fund,
        verbose_name=_("fund"),
        on_delete=models.PROTECT,
        related_name="transactions",
        help_text=_("The fund the movement was made from or into (for listing)."),
    )
    posted_at = models.DateTimeField(_("posted"), db_index=True)
    by = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["fund", "-posted_at"], name="ledger_txn_fund_posted")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=TransactionKind.REVERSAL) & Q(reverses__isnull=False))
                | (~Q(kind=TransactionKind.REVERSAL) & Q(reverses__isnull=True)),
                name="reversal_names_what_it_reverses",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_transaction_is_never_changed",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


# Runs once per INSERT statement on entries: the transactions it touched must
# balance, and the accounts it touched take the new entries into their balance.
# Accounts are locked in id order first, so two transactions touching the same
# accounts queue instead of deadlocking; the CHECK on account balances then
# refuses the one that would overdraw a fund.
ENTRY_INSERT_FUNCTION = """
    IF EXISTS (
        SELECT 1 FROM funds_entry e
        WHERE e.transaction_id IN (SELECT DISTINCT transaction_id FROM new_entries)
        GROUP BY e.transaction_id
        HAVING SUM(e.amount) <> 0 OR COUNT(*) < 2
    ) THEN
        RAISE EXCEPTION 'ledger transaction does not balance'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balances';
    END IF;
    PERFORM 1 FROM funds_account
        WHERE id IN (SELECT DISTINCT account_id FROM new_entries)
        ORDER BY id FOR UPDATE;
    UPDATE funds_account AS account
        SET balance = account.balance + moved.amount
        FROM (SELECT account_id, SUM(amount) AS amount FROM new_entries GROUP BY account_id) AS moved
        WHERE account.id = moved.account_id;
    RETURN NULL;
"""


class Entry(models.Model):
    """One line of a transaction: an amount into (positive) or out of (negative) an account."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("amount"), **BALANCE)
    # The transaction's time, copied so that a period's sums read one index.
    posted_at = models.DateTimeField(_("posted"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        # By the key, not the relation: ordering by the relation would join the transactions
        # (and their ordering) into every sum, defeating the covering index (bench/ledger.py).
        ordering = ["transaction_id", "id"]
        indexes = [
            models.Index(
                fields=["account", "posted_at"], include=["amount"], name="entry_account_posted"
            ),
            # A month's entries across every account (the statistics' refresh) without a
            # b-tree over ten million rows that would slow every posting.
            BrinIndex(fields=["posted_at"], name="entry_posted_at_brin"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_moves_money"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_entry_is_never_changed",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
            pgtrigger.Trigger(
                name="ledger_entries_balance_and_post",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_entries"),
                func=ENTRY_INSERT_FUNCTION,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.account_id} {self.amount}"


# ====================================================================== money in and down


class Receipt(models.Model):
    """Money received into a fund from outside the union tree (or the unit's own)."""

    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="receipts"
    )
    source = models.CharField(_("source"), max_length=10, choices=ReceiptSource.choices)
    amount = models.DecimalField(_("amount (yuan)"), **AMOUNT)
    received_on = models.DateField(_("received on"))
    donor = models.CharField(
        _("donor"), max_length=100, blank=True, help_text=_("Who gave it (for donations).")
    )
    reference = models.CharField(
        _("document number"), max_length=60, blank=True, help_text=_("Voucher or bank slip.")
    )
    notes = models.TextField(_("notes"), max_length=NOTE_MAX_LENGTH, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="receipt"
    )
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=_positive("amount"), name="receipt_amount_sane"),
            models.CheckConstraint(
                condition=~Q(source=ReceiptSource.DONATION) | ~Q(donor=""),
                name="donation_names_its_donor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.amount}"


class Allocation(models.Model):
    """Money a unit sends down (下拨) from its fund to a child unit's fund."""

    from_fund = models.ForeignKey(
        Fund, verbose_name=_("from fund"), on_delete=models.PROTECT, related_name="allocations_out"
    )
    to_fund = models.ForeignKey(
        Fund, verbose_name=_("to fund"), on_delete=models.PROTECT, related_name="allocations_in"
    )
    amount = models.DecimalField(_("amount (yuan)"), **AMOUNT)
    allocated_on = models.DateField(_("allocated on"))
    notes = models.TextField(_("notes"), max_length=NOTE_MAX_LENGTH, blank=True)
    transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="allocation"
    )
    allocated_by = models.ForeignKey(
        User, verbose_name=_("allocated by"), on_delete=models.PROTECT, related_name="+"
    )
    allocated_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    received_by = _optional(User, _("receipt confirmed by"))
    received_at = models.DateTimeField(_("receipt confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-allocated_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=_positive("amount"), name="allocation_amount_sane"),
            models.CheckConstraint(
                condition=~Q(from_fund=F("to_fund")), name="allocation_goes_elsewhere"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_fund_id} → {self.to_fund_id} {self.amount}"


# Runs for each budget row written: a split commits its parent by the child's amount,
# so the child budgets of a parent never sum above what the parent has committed,
# whether a child is added or raised, or the parent's commitment falls.
BUDGET_WRITE_FUNCTION = """
    IF NEW.parent_id IS NOT NULL AND (
        TG_OP = 'INSERT'
        OR NEW.amount IS DISTINCT FROM OLD.amount
        OR NEW.parent_id IS DISTINCT FROM OLD.parent_id
    ) AND (SELECT committed FROM funds_budget WHERE id = NEW.parent_id) < (
        SELECT SUM(amount) FROM funds_budget WHERE parent_id = NEW.parent_id
    ) THEN
        RAISE EXCEPTION 'child budgets above what their parent budget committed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'child_budgets_within_parent';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.committed < OLD.committed AND NEW.committed < (
        SELECT COALESCE(SUM(amount), 0) FROM funds_budget WHERE parent_id = NEW.id
    ) THEN
        RAISE EXCEPTION 'child budgets above what their parent budget committed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'child_budgets_within_parent';
    END IF;
    RETURN NULL;
"""


class Budget(models.Model):
    """What a unit may spend from a fund in a campaign; a unit can split it among its children.

    ``committed`` is what approved and paid payments, and child budgets, take
    from it; the database refuses any write that takes more than ``amount``.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="budgets"
    )
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="budgets"
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="budgets"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    amount = models.DecimalField(_("budget (yuan)"), **AMOUNT)
    committed = models.DecimalField(_("committed (yuan)"), default=Decimal(0), **AMOUNT)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        ordering = ["campaign", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit", "fund"], name="one_budget_per_unit_fund_campaign"
            ),
            models.CheckConstraint(condition=_positive("amount"), name="budget_amount_sane"),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=F("amount")),
                name="budget_never_overspent",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="child_budgets_within_parent",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.After,
                level=pgtrigger.Row,
                func=BUDGET_WRITE_FUNCTION,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit.name} · {self.amount}"

    @property
    def remainder(self) -> Decimal:
        return self.amount - self.committed


# ====================================================================== money out


class AidRule(models.Model):
    """Caps on what one household may receive for a purpose, kept by administrators.

    Enforced by ``funds.rules``; where ``override_allowed``, an approver may
    approve a payment that breaks a cap, with a reason that is kept.
    """

    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, unique=True)
    per_payment_cap = models.DecimalField(
        _("at most per payment (yuan)"), null=True, blank=True, **AMOUNT
    )
    per_year_cap = models.DecimalField(
        _("at most per household a year (yuan)"), null=True, blank=True, **AMOUNT
    )
    override_allowed = models.BooleanField(
        _("an approver may override"),
        default=False,
        help_text=_("An approver may approve a payment above these caps, giving a reason."),
    )

    class Meta:
        verbose_name = _("aid rule")
        verbose_name_plural = _("aid rules")
        ordering = ["purpose"]
        constraints = [
            models.CheckConstraint(
                condition=Q(per_payment_cap__isnull=True) | Q(per_payment_cap__gt=0),
                name="aid_rule_payment_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(per_year_cap__isnull=True) | Q(per_year_cap__gt=0),
                name="aid_rule_year_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.get_purpose_display()


# Who set each grant and when, old → new, is kept by database triggers (the unit
# administrators' pages in funds/standards.py show the latest changes).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="SchoolingStandardEvent",
    meta={
        "verbose_name": _("change of a schooling grant"),
        "verbose_name_plural": _("changes of schooling grants"),
    },
)
class SchoolingStandard(models.Model):
    """The campaign's schooling grant for a student at a school stage (金秋助学 standard)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="schooling_standards"
    )
    school_stage = models.CharField(_("school stage"), max_length=12, choices=SchoolStage.choices)
    amount = models.DecimalField(_("grant (yuan)"), **AMOUNT)

    class Meta:
        verbose_name = _("schooling standard")
        verbose_name_plural = _("schooling standards")
        ordering = ["campaign", "school_stage"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "school_stage"], name="one_grant_per_stage_and_campaign"
            ),
            models.CheckConstraint(condition=_positive("amount"), name="schooling_grant_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.school_stage} {self.amount}"


class DisbursementBatch(models.Model):
    """The payments a caseworker proposed in one step for the frozen visit lists of a branch."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.PROTECT)
    budget = models.ForeignKey(
        Budget, verbose_name=_("budget"), on_delete=models.PROTECT, null=True, blank=True
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PROPOSED
    )
    # Households of the lists left out, each with its reason, for the approver to review
    # (the first EXCEPTIONS_KEPT of them; ``left_out`` counts them all).
    exceptions = models.JSONField(_("left out"), default=list, blank=True)
    left_out = models.PositiveIntegerField(_("households left out"), default=0)
    proposed_by = models.ForeignKey(
        User, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = _optional(User, _("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("batch of payments")
        verbose_name_plural = _("batches of payments")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit.name} #{self.pk}"


# Corrections of a payment (its amount, fund, purpose, method, reference, reasons) are kept by
# database triggers with who made them; its life (proposed, approved, paid, ended) is in its
# own columns. Status changes alone write no event: a province's batch approves 700,000
# payments at once, and their history is the batch's.
@pghistory.track(
    pghistory.UpdateEvent(
        condition=pghistory.AnyChange(
            "file", "fund", "purpose", "amount", "description", "school_stage",
            "out_of_pocket", "override_reason", "method", "bank_reference", "end_reason",
        ),
    ),
    model_name="DisbursementEvent",
    meta={
        "verbose_name": _("correction of a payment"),
        "verbose_name_plural": _("corrections of payments"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="disbursement_event_at")],
    },
)  # fmt: skip
class Disbursement(models.Model):
    """A payment (发放) of aid to a household on file, from a fund, with its life.

    proposed → approved (by an approver of the unit, never the proposer; the
    money is reserved) → paid (cash against the roster signature, or bank
    transfer); or rejected, or cancelled with a reason (a reservation is
    released).
    """

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="disbursements",
    )
    # The unit that pays and whose approvers decide; the file is in its branch.
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(
        Fund, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="disbursements"
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    amount = models.DecimalField(_("amount (yuan)"), **AMOUNT)
    aid_year = models.PositiveSmallIntegerField(_("year of aid"))
    description = models.CharField(
        _("what it is for"), max_length=200, blank=True, help_text=_("Goods, care card, …")
    )
    campaign = _optional(Campaign, _("campaign"), related_name="disbursements")
    budget = _optional(Budget, _("budget"), related_name="disbursements")
    visit = _optional(Visit, _("visit"), related_name="disbursements")
    batch = _optional(DisbursementBatch, _("batch"), related_name="disbursements")
    # Schooling grants: the student, and their ID hash (checked across all files).
    student = _optional(HouseholdMember, _("student"))
    student_id_hash = HashedIdField(blank=True)
    school_stage = models.CharField(
        _("school stage"), max_length=12, choices=SchoolStage.choices, blank=True
    )
    # Schooling grants: the public notice (公示) the grant was listed on, when its unit asks for one.
    notice_entry = _optional(PublicNoticeEntry, _("public notice"), related_name="grants")
    # Medical aid: the out-of-pocket cost it may not exceed.
    out_of_pocket = models.DecimalField(
        _("out-of-pocket medical cost (yuan)"), null=True, blank=True, **AMOUNT
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.PROPOSED,
    )
    # Rules the proposal breaks (funds.rules codes), and the approver's override of them.
    broken_rules = models.JSONField(_("rules broken"), default=list, blank=True)
    override_reason = models.TextField(
        _("reason for the override"), max_length=REASON_MAX_LENGTH, blank=True
    )
    # A key the proposing form carries, so a double submit makes one payment.
    request_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    proposed_by = models.ForeignKey(
        User, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"))
    approved_by = _optional(User, _("approved by"))
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_by = _optional(User, _("paid by"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    method = models.CharField(_("paid by"), max_length=6, choices=PaymentMethod.choices, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    ended_by = _optional(User, _("rejected or cancelled by"))
    ended_at = models.DateTimeField(_("rejected or cancelled"), null=True, blank=True)
    end_reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)
    reservation = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payment = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The signed roster: the line is ticked when the household's signature is seen.
    signed_at = models.DateTimeField(_("signature checked"), null=True, blank=True)
    signed_checked_by = _optional(User, _("signature checked by"))

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["file", "aid_year", "purpose"], name="disb_file_year_purpose"),
            models.Index(fields=["campaign", "unit", "status"], name="disb_campaign_unit"),
            models.Index(fields=["student_id_hash", "aid_year"], name="disb_student_year"),
            models.Index(fields=["fund", "status"], name="disb_fund_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=_positive("amount"), name="disbursement_amount_sane"),
            # One visit-money payment per household and campaign, double submits included.
            models.UniqueConstraint(
                fields=["file", "campaign"],
                condition=Q(purpose=Purpose.VISIT_MONEY)
                & Q(
                    status__in=[
                        DisbursementStatus.PROPOSED,
                        DisbursementStatus.APPROVED,
                        DisbursementStatus.PAID,
                    ]
                ),
                name="one_visit_money_per_household_and_campaign",
            ),
            models.CheckConstraint(
                condition=~Q(status=DisbursementStatus.APPROVED)
                | (Q(approved_by__isnull=False) & Q(reservation__isnull=False)),
                name="approved_payment_is_reserved",
            ),
            models.CheckConstraint(
                condition=~Q(status=DisbursementStatus.PAID)
                | (Q(payment__isnull=False) & ~Q(method="")),
                name="paid_payment_has_its_transaction",
            ),
            models.CheckConstraint(
                condition=~Q(approved_by=F("proposed_by")), name="approver_is_not_the_proposer"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[DisbursementStatus.REJECTED, DisbursementStatus.CANCELLED])
                | ~Q(end_reason=""),
                name="ended_payment_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(method=PaymentMethod.BANK) | ~Q(bank_reference=""),
                name="bank_transfer_has_a_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.get_purpose_display()} {self.amount}"

    def get_absolute_url(self) -> str:
        return reverse("funds:disbursement_detail", kwargs={"pk": self.pk})


class RosterScan(StoredUpload):
    """The scan of a signed paper roster (发放花名册/签领表), uploaded for a campaign and unit."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("signed roster scan")
        verbose_name_plural = _("signed roster scans")
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["campaign", "unit"], name="roster_scan_campaign_unit")]

    def upload_folder(self) -> str:
        return f"rosters/{self.campaign_id}"


# ====================================================================== bank payments in bulk


class BankFileLayout(models.Model):
    """The columns of the payment file a unit's bank accepts (银行代发文件格式).

    ``columns`` is a list of ``{"key": …, "header": …}`` in file order, the keys among
    ``funds.bank.BANK_FILE_COLUMNS`` and the header the bank's template names the column
    (empty: ours). A unit without a layout uses the nearest unit's above it, else ours.
    """

    unit = models.OneToOneField(
        UnionUnit,
        verbose_name=_("union unit"),
        on_delete=models.PROTECT,
        related_name="bank_file_layout",
    )
    columns = models.JSONField(
        _("columns of the payment file"),
        default=list,
        help_text=_(
            'In file order, for example [{"key": "serial", "header": "序号"}, '
            '{"key": "account", "header": "收款账号"}]. Keys: serial, name, account, bank, '
            "amount, memo, id_number, unit."
        ),
    )

    class Meta:
        verbose_name = _("bank payment file layout")
        verbose_name_plural = _("bank payment file layouts")
        ordering = ["unit__path"]

    def __str__(self) -> str:
        return str(self.unit)


class BankPaymentRun(models.Model):
    """One payment file sent to the bank for an approved batch: the lines it holds.

    Made with full account numbers, so who made it and why is kept; each download of
    its file (the first included) is a ``BankFileExport``.
    """

    batch = models.ForeignKey(
        DisbursementBatch,
        verbose_name=_("batch"),
        on_delete=models.PROTECT,
        related_name="bank_runs",
    )
    made_by = models.ForeignKey(
        User, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(_("made"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank payment file")
        verbose_name_plural = _("bank payment files")
        ordering = ["batch", "made_at", "id"]

    def __str__(self) -> str:
        return f"{self.batch_id} #{self.pk}"


class BankFileExport(models.Model):
    """One download of a bank payment file with full account numbers: who, why, how many lines.

    The sibling of ``hardship.models.FullIdExport`` for account numbers; append-only.
    """

    run = models.ForeignKey(
        BankPaymentRun,
        verbose_name=_("bank payment file"),
        on_delete=models.PROTECT,
        related_name="exports",
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    row_count = models.PositiveIntegerField(_("rows"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export with full account numbers")
        verbose_name_plural = _("exports with full account numbers")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="bankfileexport_user_at")]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="bank_file_export_reason_given"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="bank_file_export_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.row_count} {self.at:%Y-%m-%d %H:%M}"


class BankPaymentLine(models.Model):
    """One payment as sent to the bank: the account it went to, and what the bank answered.

    A payment keeps every line it had: a failed line re-issued to a corrected account
    stays (re-issued) beside its successor; one switched to cash stays too.
    """

    run = models.ForeignKey(
        BankPaymentRun,
        verbose_name=_("bank payment file"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    disbursement = models.ForeignKey(
        Disbursement,
        verbose_name=_("disbursement"),
        on_delete=models.PROTECT,
        related_name="bank_lines",
    )
    # The line's reference in the payment file and the bank's result file: "W12-0007", a
    # letter first, so that no spreadsheet reads it as a date or a number.
    reference = models.CharField(_("payment reference"), max_length=20, blank=True)
    account = EncryptedCharField(_("account number"))
    account_masked = models.CharField(_("account"), max_length=20)
    bank_name = models.CharField(_("bank"), max_length=50, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), **AMOUNT)
    status = models.CharField(
        _("status"), max_length=10, choices=BankLineStatus.choices, default=BankLineStatus.SENT
    )
    bank_reference = models.CharField(_("bank reference"), max_length=60, blank=True)
    failure_reason = models.CharField(_("reason it failed"), max_length=200, blank=True)
    settled_by = _optional(User, _("result recorded by"))
    settled_at = models.DateTimeField(_("result recorded"), null=True, blank=True)
    # Who re-issued it or switched it to cash, and why.
    decided_by = _optional(User, _("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The failed line this one re-issues to a corrected account.
    reissue_of = models.OneToOneField(
        "self",
        verbose_name=_("re-issues"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reissued_as",
    )

    class Meta:
        verbose_name = _("bank payment line")
        verbose_name_plural = _("bank payment lines")
        ordering = ["run", "id"]
        constraints = [
            # A payment is with the bank once at most: never sent twice, never paid twice.
            models.UniqueConstraint(
                fields=["disbursement"],
                condition=Q(status__in=BANK_OPEN),
                name="one_open_bank_line_per_payment",
            ),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="bank_line_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(status=BankLineStatus.QUEUED, run__isnull=True, reference="")
                | (~Q(status=BankLineStatus.QUEUED) & Q(run__isnull=False) & ~Q(reference="")),
                name="bank_line_sent_in_a_file",
            ),
            models.CheckConstraint(
                condition=~Q(status=BankLineStatus.PAID) | ~Q(bank_reference=""),
                name="bank_line_paid_has_a_reference",
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[
                        BankLineStatus.FAILED,
                        BankLineStatus.REISSUED,
                        BankLineStatus.CASH,
                    ]
                )
                | ~Q(failure_reason=""),
                name="bank_line_failure_has_a_reason",
            ),
            models.CheckConstraint(condition=_positive("amount"), name="bank_line_amount_sane"),
        ]

    def __str__(self) -> str:
        return self.reference or f"{self.disbursement_id} {self.account_masked}"
