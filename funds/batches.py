"""Bulk payments: a campaign's visit money for every household on a branch's frozen visit lists.

A caseworker proposes, in one step, the campaign's standard for each
household's category; an approver reviews the batch's totals and the
households left out (with why), then approves it in one step. Both are single
SQL statements inside one database transaction each, so a province's 200,000
households take seconds, and a process killed half-way leaves nothing behind:
the transaction never committed.

The rules are the ones ``funds.rules`` applies to one payment, written as SQL
over the whole list: only households on file; one visit-money payment per
household and campaign (the database's unique key, ``ON CONFLICT DO NOTHING``);
the campaign's standard for the category; the per-payment and yearly caps. A
household a cap would stop is left out here, to be proposed on its own with an
approver's override.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from common.statistics import statistics_refresh_after_bulk_write, statistics_refresh_if_stale
from funds.choices import BatchStatus, DisbursementStatus, Purpose
from funds.models import AidRule, Disbursement, DisbursementBatch, Fund
from funds.selectors import may_approve_batch, may_propose_batch, may_reject_batch
from funds.services import (
    _budget_commit,
    _require_open_fund,
    _reserve,
    budget_for,
)
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.access import is_in_branch
from people.models import UnionUnit, User
from visits.models import Campaign, VisitList, VisitListRow

# The households left out that a batch keeps by name; beyond these it counts them.
EXCEPTIONS_KEPT = 2000

NOT_ON_FILE = "not_on_file"
NO_STANDARD = "no_standard"
ALREADY_PROPOSED = "already_proposed"
ABOVE_PAYMENT_CAP = "above_payment_cap"
ABOVE_YEAR_CAP = "above_year_cap"
# The tables a proposal reads: their statistics are brought up to date first when stale (a
# campaign's lists were just built, the households may have just been loaded).
PROPOSAL_READS = [
    model._meta.db_table
    for model in (VisitListRow, VisitList, UnionUnit, HardshipFile, Disbursement)
]


def exception_reason_label(code: str) -> str:
    """What a reason a household was left out means, for the page."""
    return {
        NOT_ON_FILE: _("The file is no longer on record."),
        NO_STANDARD: _("The campaign sets no standard for the household's category."),
        ALREADY_PROPOSED: _("The household has visit money in this campaign already."),
        ABOVE_PAYMENT_CAP: _("The standard is above the cap for one payment."),
        ABOVE_YEAR_CAP: _("The standard would take the household above the yearly cap."),
    }.get(code, code)


@dataclass
class BatchFigures:
    payments: int
    total: Decimal
    by_category: list[dict]


def batch_figures(batch: DisbursementBatch) -> BatchFigures:
    """How many payments, how much, and per category, for the approver's review."""
    lines = Disbursement.objects.filter(batch=batch).exclude(
        status__in=[DisbursementStatus.REJECTED, DisbursementStatus.CANCELLED]
    )
    totals = lines.aggregate(payments=Count("id"), total=Sum("amount"))
    by_category = list(
        lines.values("file__category")
        .annotate(payments=Count("id"), total=Sum("amount"))
        .order_by("file__category")
    )
    return BatchFigures(totals["payments"], totals["total"] or Decimal(0), by_category)


def batch_propose(
    *, campaign: Campaign, unit: UnionUnit, fund: Fund, by: User
) -> DisbursementBatch:
    """Propose the campaign's visit money for every household on ``unit``'s frozen lists.

    Every list of the campaign in ``unit``'s branch must be approved (frozen).
    Side effects: a batch, one proposed disbursement per household that keeps
    the rules, the households left out recorded on the batch with their
    reasons; an ANALYZE of the tables it reads that changed in bulk since their last
    one, and of the payments it wrote. No money moves until approval. RuleBroken, and no
    batch, when no household is left to propose.
    """
    may_propose_batch(by, campaign, unit).enforce()
    _require_open_fund(fund)
    if not unit.is_in_branch_of(fund.unit):
        raise RuleBroken({"fund": _("This fund cannot pay households of this unit.")})
    budget = budget_for(campaign=campaign, fund=fund, unit=unit)
    payer = budget.unit if budget else fund.unit
    if not (is_in_branch(by, fund.unit) or (budget and is_in_branch(by, budget.unit))):
        raise PermissionDenied(_("This fund is not in your unit's branch."))
    rule = AidRule.objects.filter(purpose=Purpose.VISIT_MONEY).first()
    # Outside the transaction, so the lock an ANALYZE takes is not held while it runs.
    statistics_refresh_if_stale(tables=PROPOSAL_READS)
    with transaction.atomic():
        batch = DisbursementBatch.objects.create(
            campaign=campaign, unit=unit, fund=fund, budget=budget, purpose=Purpose.VISIT_MONEY,
            proposed_by=by,
        )  # fmt: skip
        proposed = _insert_payments(batch=batch, payer=payer, rule=rule)
        # The query for who was left out asks whether each household has visit money
        # outside this batch: planned on statistics that predate the insert, it probed the
        # payments once per household.
        statistics_refresh_after_bulk_write(table=Disbursement._meta.db_table, rows=proposed)
        exceptions, left_out = _left_out(batch=batch, rule=rule)
        if not proposed:
            # An empty batch would only send the approver a page with nothing to approve.
            raise RuleBroken(
                _(
                    "Nothing new to propose: every household on these lists already has "
                    "visit money proposed or paid in this campaign, or breaks a rule "
                    "(%(left_out)s left out). No batch was made."
                )
                % {"left_out": left_out}
            )
        batch.exceptions = exceptions
        batch.left_out = left_out
        batch.save(update_fields=["exceptions", "left_out"])
    return batch


# The rows of the branch's lists, each with its standard, what the household has had
# this year, and whether it has visit money in the campaign outside this batch. Shared
# by the INSERT and by the query for what was left out, so the two never disagree.
_CANDIDATES = """
    SELECT row.file_id, row.visit_id, row.name, file.status, file.category,
           standard.amount AS standard,
           COALESCE(this_year.total, 0) AS this_year,
           EXISTS (
               SELECT 1 FROM funds_disbursement other
               WHERE other.file_id = row.file_id AND other.campaign_id = %(campaign)s
                 AND other.purpose = %(purpose)s AND other.status IN (%(proposed)s, %(approved)s, %(paid)s)
                 AND (other.batch_id IS NULL OR other.batch_id <> %(batch)s)
           ) AS already
    FROM visits_visitlistrow row
    JOIN visits_visitlist list ON list.id = row.visit_list_id
    JOIN people_unionunit list_unit ON list_unit.id = list.unit_id
    JOIN hardship_hardshipfile file ON file.id = row.file_id
    LEFT JOIN visits_campaignaidstandard standard
        ON standard.campaign_id = row.campaign_id AND standard.category = file.category
    LEFT JOIN (
        SELECT file_id, SUM(amount) AS total FROM funds_disbursement
        WHERE purpose = %(purpose)s AND aid_year = %(year)s AND status IN (%(proposed)s, %(approved)s, %(paid)s)
          AND (batch_id IS NULL OR batch_id <> %(batch)s)
        GROUP BY file_id
    ) this_year ON this_year.file_id = row.file_id
    WHERE row.campaign_id = %(campaign)s AND list_unit.path LIKE %(branch)s
"""


def _keeps_rules(rule: AidRule | None) -> str:
    conditions = [
        f"candidate.status = '{FileStatus.ON_FILE}'",
        "candidate.standard IS NOT NULL AND candidate.standard > 0",
        "NOT candidate.already",
    ]
    if rule and rule.per_payment_cap is not None:
        conditions.append("candidate.standard <= %(payment_cap)s")
    if rule and rule.per_year_cap is not None:
        conditions.append("candidate.this_year + candidate.standard <= %(year_cap)s")
    return " AND ".join(conditions)


def _params(batch: DisbursementBatch, rule: AidRule | None) -> dict:
    return {
        "campaign": batch.campaign_id,
        "purpose": Purpose.VISIT_MONEY,
        "proposed": DisbursementStatus.PROPOSED,
        "approved": DisbursementStatus.APPROVED,
        "paid": DisbursementStatus.PAID,
        "batch": batch.pk,
        "year": batch.campaign.year,
        "branch": batch.unit.path + "%",
        "payment_cap": rule.per_payment_cap if rule else None,
        "year_cap": rule.per_year_cap if rule else None,
    }


def _insert_payments(*, batch: DisbursementBatch, payer: UnionUnit, rule: AidRule | None) -> int:
    sql = f"""
        INSERT INTO funds_disbursement
            (file_id, unit_id, fund_id, purpose, amount, aid_year, description, campaign_id,
             budget_id, visit_id, batch_id, student_id_hash, school_stage, status,
             broken_rules, override_reason, proposed_by_id, proposed_at, method,
             bank_reference, end_reason)
        SELECT candidate.file_id, %(payer)s, %(fund)s, %(purpose)s, candidate.standard,
               %(year)s, '', %(campaign)s, %(budget)s, candidate.visit_id, %(batch)s, '', '',
               %(proposed)s, %(no_rules)s, '', %(by)s, %(now)s, '', '', ''
        FROM ({_CANDIDATES}) candidate
        WHERE {_keeps_rules(rule)}
        ORDER BY candidate.file_id
        ON CONFLICT DO NOTHING
    """  # noqa: S608 - our own SQL; every value is a parameter
    params = _params(batch, rule) | {
        "payer": payer.pk,
        "fund": batch.fund_id,
        "budget": batch.budget_id,
        "no_rules": "[]",
        "by": batch.proposed_by_id,
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _left_out(*, batch: DisbursementBatch, rule: AidRule | None) -> tuple[list[dict], int]:
    # The rows that break a rule, read from the same candidates as the INSERT: one pass,
    # whatever the planner believes. Asking instead which rows have no payment in the
    # batch probed the just-inserted payments once per household, and with statistics
    # that predate the insert that went quadratic (a province's proposal never ended).
    sql = f"""
        SELECT candidate.file_id, candidate.name, candidate.status, candidate.standard,
               candidate.this_year, candidate.already
        FROM ({_CANDIDATES}) candidate
        WHERE NOT COALESCE({_keeps_rules(rule)}, false)
        ORDER BY candidate.file_id
    """  # noqa: S608 - our own SQL; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(batch, rule))
        rows = cursor.fetchall()
    exceptions = [
        {
            "file": file_id,
            "name": name,
            "reason": _reason(status, standard, this_year, already, rule),
        }
        for file_id, name, status, standard, this_year, already in rows[:EXCEPTIONS_KEPT]
    ]
    return exceptions, len(rows)


def _reason(status, standard, this_year, already, rule: AidRule | None) -> str:
    if status != FileStatus.ON_FILE:
        return NOT_ON_FILE
    if standard is None or standard <= 0:
        return NO_STANDARD
    if already:
        return ALREADY_PROPOSED
    if rule and rule.per_payment_cap is not None and standard > rule.per_payment_cap:
        return ABOVE_PAYMENT_CAP
    return ABOVE_YEAR_CAP


def _lock_batch(batch: DisbursementBatch) -> DisbursementBatch:
    return (
        DisbursementBatch.objects.select_for_update(of=("self",))
        .select_related("campaign", "unit", "fund", "fund__unit", "budget", "budget__unit")
        .get(pk=batch.pk)
    )


def _reject_files_off_the_record(*, batch: DisbursementBatch, by: User, now) -> None:
    # One UPDATE … FROM joining the files: a batch's rows were just written, so the
    # planner's statistics may still say the table is empty, and an IN (subquery)
    # planned on that is a nested loop over the whole batch for every row.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE funds_disbursement
            SET status = %s, ended_by_id = %s, ended_at = %s, end_reason = %s
            FROM hardship_hardshipfile file
            WHERE file.id = funds_disbursement.file_id
              AND funds_disbursement.batch_id = %s AND funds_disbursement.status = %s
              AND file.status <> %s
            """,
            [
                DisbursementStatus.REJECTED, by.pk, now, _("The file is no longer on record."),
                batch.pk, DisbursementStatus.PROPOSED, FileStatus.ON_FILE,
            ],
        )  # fmt: skip


def batch_approve(*, batch: DisbursementBatch, by: User) -> DisbursementBatch:
    """Approve every proposed payment of the batch at once, reserving their total.

    A household whose file left the record since the proposal is rejected with
    that reason, not paid. Raises NotEnoughMoney when the fund's available money
    or the budget's remainder does not cover the total (nothing is approved).
    Side effects: one reservation transaction for the total, the budget
    committed, every payment approved and pointing to that transaction.
    """
    now = timezone.now()
    with transaction.atomic():
        batch = _lock_batch(batch)
        may_approve_batch(by, batch).enforce()
        proposed = Disbursement.objects.filter(batch=batch, status=DisbursementStatus.PROPOSED)
        _reject_files_off_the_record(batch=batch, by=by, now=now)
        total = proposed.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        if total:
            if batch.budget_id:
                _budget_commit(batch.budget, total)
            reservation = _reserve(batch.fund, total, by=by, memo=str(batch))
            proposed.update(
                status=DisbursementStatus.APPROVED, approved_by=by, approved_at=now,
                reservation=reservation,
            )  # fmt: skip
        batch.status = BatchStatus.APPROVED
        batch.decided_by = by
        batch.decided_at = now
        batch.save(update_fields=["status", "decided_by", "decided_at"])
    return batch


def batch_reject(*, batch: DisbursementBatch, by: User, reason: str) -> DisbursementBatch:
    """Refuse the whole batch with a reason; every payment still proposed is rejected."""
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the batch is rejected.")})
    now = timezone.now()
    with transaction.atomic():
        batch = _lock_batch(batch)
        may_reject_batch(by, batch).enforce()
        Disbursement.objects.filter(batch=batch, status=DisbursementStatus.PROPOSED).update(
            status=DisbursementStatus.REJECTED, ended_by=by, ended_at=now,
            end_reason=reason.strip(),
        )  # fmt: skip
        batch.status = BatchStatus.REJECTED
        batch.decided_by = by
        batch.decided_at = now
        batch.reason = reason.strip()
        batch.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return batch
