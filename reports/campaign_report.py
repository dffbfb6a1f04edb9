"""The figures of a campaign report: coverage and money of a branch of the campaign (the
organiser's whole branch, or the branch of a unit below it).

Coverage comes from ``visits.campaigns.campaign_coverage`` (the same figures as
the campaign's page). Money is the campaign's paid disbursements whose paying
unit is in the organiser's branch: by purpose, by fund, by child unit (of the
household's unit, where the money reached) and the schooling grants by school
stage. A few grouped queries, whatever the size of the branch.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum

from funds.choices import DisbursementStatus, FundKind, Purpose
from funds.models import Disbursement
from hardship.choices import SchoolStage
from people.models import UnionUnit
from visits.campaigns import Coverage, campaign_coverage
from visits.models import Campaign

ZERO = Decimal(0)


@dataclass(frozen=True)
class MoneyRow:
    """One line of money: what (``label``), how many payments and households, how much."""

    key: str
    label: str
    payments: int
    households: int
    amount: Decimal


@dataclass
class ChildRow:
    """One child unit of the organiser: its coverage and the money paid to its households."""

    coverage: Coverage
    payments: int = 0
    households: int = 0
    amount: Decimal = ZERO

    @property
    def unit(self) -> UnionUnit:
        return self.coverage.unit


@dataclass
class CampaignReport:
    campaign: Campaign
    unit: UnionUnit
    coverage: Coverage
    children: list[ChildRow]
    by_purpose: list[MoneyRow]
    by_fund: list[MoneyRow]
    students_by_stage: list[MoneyRow]
    paid_payments: int = 0
    paid_households: int = 0
    paid_amount: Decimal = ZERO
    by_fund_kind: list[MoneyRow] = field(default_factory=list)

    @property
    def students(self) -> int:
        return sum(row.payments for row in self.students_by_stage)

    @property
    def student_amount(self) -> Decimal:
        return sum((row.amount for row in self.students_by_stage), ZERO)


def campaign_paid(*, campaign: Campaign, unit: UnionUnit):
    """The campaign's paid disbursements of ``unit``'s branch: for the organiser, those its
    branch paid; for a unit below it, those that reached its households (the organiser or a
    unit between often pays them, from its own fund)."""
    paid = Disbursement.objects.filter(campaign=campaign, status=DisbursementStatus.PAID)
    if unit.pk == campaign.organiser_id:
        return paid.filter(unit__path__startswith=unit.path).order_by()
    return paid.filter(file__unit__path__startswith=unit.path).order_by()


def _money_rows(
    rows, key: str, labels: dict[str, str], *, keep_all: bool = False
) -> list[MoneyRow]:
    found = {row[key]: row for row in rows}
    keys = [k for k in labels if keep_all or k in found]
    keys += sorted(k for k in found if k not in labels)
    return [
        MoneyRow(
            key=str(k),
            label=labels.get(k, str(k)),
            payments=found[k]["payments"] if k in found else 0,
            households=found[k]["households"] if k in found else 0,
            amount=found[k]["amount"] if k in found else ZERO,
        )
        for k in keys
    ]


def _grouped(queryset, *fields):
    return queryset.values(*fields).annotate(
        payments=Count("id"), households=Count("file", distinct=True), amount=Sum("amount")
    )


def campaign_report_figures(*, campaign: Campaign, unit: UnionUnit | None = None) -> CampaignReport:
    """Every figure of the campaign report for ``unit``'s branch (default: the organiser's;
    a unit below it prints its own part of the campaign)."""
    unit = unit or campaign.organiser
    total, children = campaign_coverage(campaign=campaign, unit=unit)
    paid = campaign_paid(campaign=campaign, unit=unit)
    overall = paid.aggregate(
        payments=Count("id"), households=Count("file", distinct=True), amount=Sum("amount")
    )
    purposes = {str(value): str(label) for value, label in Purpose.choices}
    by_purpose = _money_rows(_grouped(paid, "purpose"), "purpose", purposes)
    funds = list(_grouped(paid, "fund_id", "fund__name", "fund__kind", "fund__unit__name"))
    kinds = {str(value): str(label) for value, label in FundKind.choices}
    by_fund = [
        MoneyRow(
            key=str(row["fund_id"]),
            label=f"{row['fund__unit__name']} · {row['fund__name']}",
            payments=row["payments"],
            households=row["households"],
            amount=row["amount"],
        )
        for row in sorted(funds, key=lambda row: (-row["amount"], row["fund_id"]))
    ]
    by_fund_kind = _money_rows(_grouped(paid, "fund__kind"), "fund__kind", kinds)
    stages = {
        str(value): str(label) for value, label in SchoolStage.choices if value != SchoolStage.NONE
    }
    students = _money_rows(
        _grouped(paid.filter(purpose=Purpose.SCHOOLING), "school_stage"),
        "school_stage",
        stages,
        keep_all=True,
    )
    rows = {coverage.unit.pk: ChildRow(coverage) for coverage in children}
    prefix = len(unit.path)
    for row in _grouped(paid, "file__unit__path"):
        rest = row["file__unit__path"][prefix:].strip("/")
        child = rows.get(int(rest.split("/")[0])) if rest else None
        if child is not None:
            child.payments += row["payments"]
            child.households += row["households"]
            child.amount += row["amount"]
    return CampaignReport(
        campaign=campaign,
        unit=unit,
        coverage=total,
        children=list(rows.values()),
        by_purpose=by_purpose,
        by_fund=by_fund,
        by_fund_kind=by_fund_kind,
        students_by_stage=students,
        paid_payments=overall["payments"] or 0,
        paid_households=overall["households"] or 0,
        paid_amount=overall["amount"] or ZERO,
    )
