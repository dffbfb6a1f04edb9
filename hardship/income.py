"""Income over time (动态管理): the household's income a month or a quarter, recorded while its
file is on record, and the suggestion it feeds: a household whose income per person has stayed
above the local minimum living standard (低保) for six consecutive months "may exit".

The suggestion is only that: the exit itself is ``hardship.services.hardship_file_exit``,
decided by an approver.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, OuterRef, Prefetch, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from hardship.choices import FileStatus, HukouType
from hardship.models import ABSURD_YUAN, HardshipFile, IncomeRecord, MinimumLivingStandard
from hardship.selectors import (
    files_for_user,
    may_record_income,
    most_specific_standard,
    standard_division_candidates,
)
from people.models import User

# Six consecutive months above the standard: the exit rule of the union's dynamic management
# (ExitReason.INCOME_ABOVE_STANDARD says the same).
MONTHS_ABOVE_TO_EXIT = 6


# ====================================================================== months


def month_index(day: date) -> int:
    """A month as one number, so that consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def covered_months(record: IncomeRecord) -> list[int]:
    """The months ``record`` covers: one, or the three of its quarter."""
    first = month_index(record.period_start)
    return list(range(first, first + record.months))


# ====================================================================== writes


@dataclass(frozen=True)
class IncomeInput:
    """One income record as a form hands it to the services."""

    period_start: date
    kind: str
    household_income: Decimal
    people: int
    source: str = IncomeRecord.Source.OTHER


def _check_income(file: HardshipFile, data: IncomeInput) -> None:
    """Refuse, beside the field concerned, a period that starts mid-month or mid-quarter, lies
    (even partly) in the future or overlaps one recorded already, and impossible figures."""
    errors: dict[str, list[str]] = {}
    start = data.period_start.replace(day=1)
    if data.kind not in IncomeRecord.Kind.values:
        errors["kind"] = [_("Choose a month or a quarter.")]
    elif data.kind == IncomeRecord.Kind.QUARTER and start.month not in (1, 4, 7, 10):
        errors["period_start"] = [_("A quarter starts in January, April, July or October.")]
    months = 3 if data.kind == IncomeRecord.Kind.QUARTER else 1
    if month_index(start) + months - 1 > month_index(timezone.localdate()):
        errors.setdefault("period_start", []).append(
            _("The period has not ended yet: income is recorded for months that have begun.")
            if month_index(start) <= month_index(timezone.localdate())
            else _("The period cannot be in the future.")
        )
    if data.household_income is None or data.household_income < 0:
        errors["household_income"] = [_("The income cannot be negative.")]
    elif data.household_income >= ABSURD_YUAN:
        errors["household_income"] = [_("This income is too large to be right.")]
    if not 1 <= (data.people or 0) <= 30:
        errors["people"] = [_("A household has between 1 and 30 people.")]
    if data.source not in IncomeRecord.Source.values:
        errors["source"] = [_("Choose where the income was found.")]
    if "period_start" not in errors:
        wanted = set(range(month_index(start), month_index(start) + months))
        taken = sorted(
            month
            for record in file.income_records.all()
            for month in covered_months(record)
            if month in wanted
        )
        if taken:
            errors["period_start"] = [
                _("The household's income of %(month)s is recorded already.")
                % {"month": f"{month_of(taken[0]):%Y-%m}"}
            ]
    if errors:
        raise RuleBroken(errors)


def income_record_create(
    *, file: HardshipFile, by: User, data: IncomeInput, checked: bool = False
) -> IncomeRecord:
    """Record the household's income over one month or quarter.

    ``checked`` is passed by a service that has locked the file and checked who acts under
    its own rule (the yearly review, ``hardship_file_review``); otherwise ``may_record_income``
    decides. Side effects: one IncomeRecord. Raises RuleBroken keyed by field.
    """
    with transaction.atomic():
        if not checked:
            # The file's row lock makes the overlap check and the insert one step.
            file = (
                HardshipFile.objects.select_for_update(of=("self",))
                .select_related("unit")
                .get(pk=file.pk)
            )
            may_record_income(by, file).enforce()
        _check_income(file, data)
        try:
            with transaction.atomic():
                return IncomeRecord.objects.create(
                    file=file,
                    period_start=data.period_start.replace(day=1),
                    kind=data.kind,
                    household_income=data.household_income,
                    people=data.people,
                    source=data.source,
                    entered_by=by,
                )
        except IntegrityError:
            raise RuleBroken(
                {"period_start": [_("The household's income of this period is recorded already.")]}
            ) from None


# ====================================================================== reads


def income_records_of(file: HardshipFile, *, limit: int = 12) -> list[IncomeRecord]:
    """The file's latest income records, newest period first."""
    return list(file.income_records.select_related("entered_by").order_by("-period_start")[:limit])


def _monthly_standard(standard: MinimumLivingStandard | None, hukou_type: str) -> Decimal | None:
    if standard is None:
        return None
    return standard.urban_monthly if hukou_type == HukouType.URBAN else standard.rural_monthly


@dataclass(frozen=True)
class MonthAbove:
    month: date
    per_capita: Decimal
    standard: Decimal


def months_above_standard(
    records: Iterable[IncomeRecord], *, standard_for: Callable[[int], Decimal | None]
) -> list[MonthAbove]:
    """The run of consecutive months, ending at the latest month recorded, in which the
    household's income per person was above its standard (``standard_for(year)``, yuan a
    person a month); oldest first. Empty when the latest month was not above.

    A quarter counts for each of its three months. A month not recorded breaks the run, and so
    does a year without a known standard: the rule cannot be shown to hold there.
    """
    by_month: dict[int, Decimal] = {}
    for record in records:
        for month in covered_months(record):
            by_month[month] = record.per_capita
    if not by_month:
        return []
    run: list[MonthAbove] = []
    month = max(by_month)
    while month in by_month:
        standard = standard_for(month // 12)
        if standard is None or by_month[month] <= standard:
            break
        run.append(MonthAbove(month_of(month), by_month[month], standard))
        month -= 1
    run.reverse()
    return run


@dataclass(frozen=True)
class MayExit:
    """A file on record whose household may exit, and the months that say so."""

    file: HardshipFile
    months: list[MonthAbove]

    @property
    def first(self) -> date:
        return self.months[0].month

    @property
    def last(self) -> date:
        return self.months[-1].month

    @property
    def latest(self) -> MonthAbove:
        return self.months[-1]


def files_that_may_exit(*, user: User) -> list[MayExit]:
    """Files on record in ``user``'s branch whose household's income per person has stayed
    above the local 低保 for at least six consecutive months up to the latest month recorded.

    Three queries, however many files: the candidates (files with six months recorded or
    more), their income records, and the standards of their divisions.
    """
    months_recorded = (
        IncomeRecord.objects.filter(file=OuterRef("pk"))
        .order_by()
        .values("file")
        .annotate(
            months=Sum(
                Case(
                    When(kind=IncomeRecord.Kind.QUARTER, then=Value(3)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
        )
        .values("months")
    )
    files = list(
        files_for_user(user=user)
        .filter(status=FileStatus.ON_FILE)
        .annotate(months_recorded=Coalesce(Subquery(months_recorded), 0))
        .filter(months_recorded__gte=MONTHS_ABOVE_TO_EXIT)
        .select_related("unit")
        .prefetch_related(
            Prefetch("income_records", queryset=IncomeRecord.objects.order_by("period_start"))
        )
        .order_by("unit__path", "file_number")
    )
    codes = {c for f in files for c in standard_division_candidates(f.division_code)}
    standards = list(MinimumLivingStandard.objects.filter(division_code__in=codes)) if codes else []
    suggestions = []
    for file in files:
        found: dict[int, Decimal | None] = {}

        def standard_for(year: int, file=file, found=found) -> Decimal | None:
            if year not in found:
                found[year] = _monthly_standard(
                    most_specific_standard(standards, division_code=file.division_code, year=year),
                    file.hukou_type,
                )
            return found[year]

        run = months_above_standard(file.income_records.all(), standard_for=standard_for)
        if len(run) >= MONTHS_ABOVE_TO_EXIT:
            suggestions.append(MayExit(file, run))
    return suggestions
