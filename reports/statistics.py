"""The figures the higher unions ask for, for a unit's branch and a period, beside the same
period a year earlier: the one source for the dashboard, the report PDFs and the emails.

Everything here reads the figures of reports/tallies.py (precomputed for units
with units below them, counted directly for a grassroots union) and never scans
the branch's records. Files on record at the end of a month are derived from
those on record now, less the files opened since and plus those that left
since, so the stock of any kept month costs no more than its movements.

Callers pass a unit they have already checked the user may see (through
``hardship.access``); the figures of a unit are those of its branch only, so a
unit's figures can never include a sibling's.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from funds.choices import FundKind, Purpose, ReceiptSource
from hardship.choices import (
    Category,
    CloseReason,
    EmploymentStatus,
    ExitReason,
    ModelWorkerLevel,
    SchoolStage,
)
from hardship.models import HardshipCause
from people.models import UnionUnit
from reports.measures import CHILD_MEASURES, FILE_DIMENSIONS
from reports.models import AS_AT_REFRESH, TallyRefresh
from reports.periods import Period, month_number
from reports.tallies import (
    Tally,
    figures_refresh_ask,
    kept_units,
    large_branches_not_kept,
    last_refresh,
    read_tallies,
    window_months,
)
from visits.choices import HelpKind, VisitKind
from visits.models import Campaign

ZERO = Decimal(0)


class PeriodTooOld(ValueError):
    """The period (or the year before it) falls outside the months kept."""


@dataclass(frozen=True)
class Figure:
    """A figure for the period beside the same figure a year earlier."""

    value: Decimal
    year_before: Decimal

    @property
    def change(self) -> Decimal:
        return self.value - self.year_before

    @property
    def change_percent(self) -> Decimal | None:
        """Change on the year before in per cent, or None when there was nothing then."""
        if not self.year_before:
            return None
        return (100 * self.change / self.year_before).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: what (``key``, ``label``) and its figure."""

    key: str
    label: str
    figure: Figure

    @property
    def value(self) -> Decimal:
        return self.figure.value

    @property
    def year_before(self) -> Decimal:
        return self.figure.year_before


@dataclass(frozen=True)
class MonthFigures:
    month: date
    received: Decimal
    paid: Decimal
    allocated: Decimal
    visits: Decimal
    person_times: Decimal
    opened: Decimal


@dataclass(frozen=True)
class CampaignFigures:
    campaign: Campaign
    listed: Decimal
    visited: Decimal
    visits: Decimal
    person_times: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.listed:
            return None
        return (100 * self.visited / self.listed).quantize(Decimal("0.1"))

    @property
    def not_visited(self) -> Decimal:
        return max(self.listed - self.visited, ZERO)


@dataclass(frozen=True)
class StudentRow:
    key: str
    label: str
    students: Figure
    money: Figure


@dataclass
class BranchFigures:
    """Every figure of one unit's branch for one period."""

    unit: UnionUnit
    period: Period
    year_before_period: Period
    refreshed: TallyRefresh | None
    on_record: Figure
    on_record_by: dict[str, list[Row]]
    opened: Figure
    exited: Figure
    closed: Figure
    exited_by_reason: list[Row]
    closed_by_reason: list[Row]
    visits: Figure
    person_times: Figure
    visits_by_kind: list[Row]
    person_times_by_kind: list[Row]
    help_person_times: Figure
    help_by_kind: list[Row]
    campaigns: list[CampaignFigures]
    received: Figure
    received_by_source: list[Row]
    allocated_down: Figure
    paid: Figure
    paid_by_purpose: list[Row]
    paid_by_fund_kind: list[Row]
    helped: Figure
    helped_by_purpose: list[Row]
    students: Figure
    student_money: Figure
    students_by_stage: list[StudentRow]
    overdue_follow_ups: Decimal
    months: list[MonthFigures] = field(default_factory=list)


@dataclass(frozen=True)
class ChildFigures:
    """The main figures of one child unit's branch, for the breakdown by child unit."""

    unit: UnionUnit
    on_record: Figure
    opened: Figure
    visits: Figure
    person_times: Figure
    received: Figure
    paid: Figure
    helped: Figure
    listed: Decimal
    visited: Decimal
    overdue_follow_ups: Decimal

    @property
    def coverage_percent(self) -> Decimal | None:
        if not self.listed:
            return None
        return (100 * self.visited / self.listed).quantize(Decimal("0.1"))


@dataclass
class UnitStatistics:
    """A unit's figures and the breakdown by its child units, read together."""

    figures: BranchFigures
    children: list[ChildFigures]
    # The unit's branch is small, so counted from its records now rather than read from the
    # last refresh (pages say so instead of a time the figures are not "as at").
    counted_directly: bool = False
    # The branch is large and its figures have not been counted yet: the page says they are
    # being prepared (a refresh was asked for) rather than show zeros or count on the spot.
    preparing: bool = False


# ---------------------------------------------------------------- labels


def _cause_labels() -> dict[str, str]:
    english = not translation.get_language() or translation.get_language().startswith("en")
    return {
        code: (name_en if english and name_en else name)
        for code, name, name_en in HardshipCause.objects.order_by("position", "code").values_list(
            "code", "name", "name_en"
        )
    }


def _choice_labels(choices) -> dict[str, str]:
    return {str(value): str(label) for value, label in choices.choices}


def _dimension_labels() -> dict[str, dict[str, str]]:
    return {
        "category": _choice_labels(Category),
        "cause": _cause_labels(),
        "employment": _choice_labels(EmploymentStatus),
        "model_worker": _choice_labels(ModelWorkerLevel),
        "migrant": {"yes": _("Migrant workers"), "no": _("Not migrant workers")},
    }


# ---------------------------------------------------------------- reading


class _Reader:
    """Sums one unit's tally over the months of a period and its year before."""

    def __init__(self, tally: Tally, period: Period, before: Period, current_month: int):
        self.by_month: dict[tuple[str, int], dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        for (measure, key, month), value in tally.items():
            self.by_month[measure, month][key] += value
        self.period = period
        self.before = before
        self.current_month = current_month

    def keys(self, measure: str, period: Period) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for month in period.months:
            for key, value in self.by_month.get((measure, month), {}).items():
                totals[key] += value
        return totals

    def now(self, measure: str) -> dict[str, Decimal]:
        return dict(self.by_month.get((measure, AS_AT_REFRESH), {}))

    def flow(self, measure: str) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        return self.keys(measure, self.period), self.keys(measure, self.before)

    def stock_at_end(self, dimension: str, period: Period) -> dict[str, Decimal]:
        """Files on record at the end of ``period`` by ``dimension``: now, less what moved since."""
        stock = defaultdict(Decimal, self.now(f"onfile.{dimension}"))
        end = month_number(period.last_day)
        month = end
        while True:
            year, number = divmod(month, 100)
            month = year * 100 + number + 1 if number < 12 else (year + 1) * 100 + 1
            if month > self.current_month:
                break
            for key, value in self.by_month.get((f"opened.{dimension}", month), {}).items():
                stock[key] -= value
            for key, value in self.by_month.get((f"ended.{dimension}", month), {}).items():
                stock[key] += value
        return stock

    def stock(self, dimension: str) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        return self.stock_at_end(dimension, self.period), self.stock_at_end(dimension, self.before)


def _figure(pair: tuple[dict[str, Decimal], dict[str, Decimal]]) -> Figure:
    now, before = pair
    return Figure(sum(now.values(), ZERO), sum(before.values(), ZERO))


def _rows(pair, labels: dict[str, str], *, all_labels: bool = True) -> list[Row]:
    now, before = pair

    def counted(key: str) -> bool:
        return bool(now.get(key) or before.get(key))

    # Every known key in its order (or only those with figures), then any other key counted.
    keys = [key for key in labels if all_labels or counted(key)]
    keys += sorted(key for key in {*now, *before} if key not in labels and counted(key))
    return [
        Row(
            key,
            labels.get(key, key or _("Not recorded")),
            Figure(now.get(key, ZERO), before.get(key, ZERO)),
        )
        for key in keys
    ]


def _months_needed(period: Period, today: date) -> list[int]:
    kept = window_months(today)
    before = period.year_before()
    if month_number(before.first_day) < kept[0]:
        raise PeriodTooOld(period.slug)
    return [month for month in kept if month >= month_number(before.first_day)]


def _campaign_figures(reader: _Reader, campaigns: dict[int, Campaign]) -> list[CampaignFigures]:
    listed = reader.now("listed")
    covered = reader.now("covered")
    visits = reader.keys("campaign.visits", reader.period)
    people = reader.keys("campaign.people", reader.period)
    result = []
    for campaign_id, campaign in campaigns.items():
        key = str(campaign_id)
        if key in listed or key in visits:
            result.append(
                CampaignFigures(
                    campaign=campaign,
                    listed=listed.get(key, ZERO),
                    visited=covered.get(key, ZERO),
                    visits=visits.get(key, ZERO),
                    person_times=people.get(key, ZERO),
                )
            )
    return result


def _branch_figures(
    unit: UnionUnit,
    tally: Tally,
    period: Period,
    today: date,
    campaigns: dict[int, Campaign],
    refreshed: TallyRefresh | None,
) -> BranchFigures:
    before = period.year_before()
    reader = _Reader(tally, period, before, month_number(today))
    labels = _dimension_labels()
    on_record_by = {
        dimension: _rows(reader.stock(dimension), labels[dimension])
        for dimension in FILE_DIMENSIONS
    }
    purposes = _choice_labels(Purpose)
    stages = {k: v for k, v in _choice_labels(SchoolStage).items() if k != SchoolStage.NONE}
    students = reader.flow("students")
    student_money = reader.flow("students.money")
    months = []
    for month in period.months:
        if month > month_number(today):
            break

        def total(measure: str, month: int = month) -> Decimal:
            return sum(reader.by_month.get((measure, month), {}).values(), ZERO)

        months.append(
            MonthFigures(
                month=date(month // 100, month % 100, 1),
                received=total("received"),
                paid=total("paid.purpose"),
                allocated=total("allocated"),
                visits=total("visits"),
                person_times=total("people"),
                opened=total("opened.category"),
            )
        )
    return BranchFigures(
        unit=unit,
        period=period,
        year_before_period=before,
        refreshed=refreshed,
        on_record=_figure(reader.stock("category")),
        on_record_by=on_record_by,
        opened=_figure(reader.flow("opened.category")),
        exited=_figure(reader.flow("exited")),
        closed=_figure(reader.flow("closed")),
        exited_by_reason=_rows(reader.flow("exited"), _choice_labels(ExitReason)),
        closed_by_reason=_rows(reader.flow("closed"), _choice_labels(CloseReason)),
        visits=_figure(reader.flow("visits")),
        person_times=_figure(reader.flow("people")),
        visits_by_kind=_rows(reader.flow("visits"), _choice_labels(VisitKind)),
        person_times_by_kind=_rows(reader.flow("people"), _choice_labels(VisitKind)),
        help_person_times=_figure(reader.flow("help")),
        help_by_kind=_rows(reader.flow("help"), _choice_labels(HelpKind), all_labels=False),
        campaigns=_campaign_figures(reader, campaigns),
        received=_figure(reader.flow("received")),
        received_by_source=_rows(reader.flow("received"), _choice_labels(ReceiptSource)),
        allocated_down=_figure(reader.flow("allocated")),
        paid=_figure(reader.flow("paid.purpose")),
        paid_by_purpose=_rows(reader.flow("paid.purpose"), purposes),
        paid_by_fund_kind=_rows(reader.flow("paid.fund"), _choice_labels(FundKind)),
        helped=_figure(reader.flow("helped")),
        helped_by_purpose=_rows(reader.flow("helped"), purposes),
        students=_figure(students),
        student_money=_figure(student_money),
        students_by_stage=[
            StudentRow(
                key,
                label,
                Figure(students[0].get(key, ZERO), students[1].get(key, ZERO)),
                Figure(student_money[0].get(key, ZERO), student_money[1].get(key, ZERO)),
            )
            for key, label in stages.items()
        ],
        overdue_follow_ups=sum(reader.now("overdue").values(), ZERO),
        months=months,
    )


def _child_figures(unit: UnionUnit, tally: Tally, period: Period, today: date) -> ChildFigures:
    reader = _Reader(tally, period, period.year_before(), month_number(today))
    return ChildFigures(
        unit=unit,
        on_record=_figure(reader.stock("category")),
        opened=_figure(reader.flow("opened.category")),
        visits=_figure(reader.flow("visits")),
        person_times=_figure(reader.flow("people")),
        received=_figure(reader.flow("received")),
        paid=_figure(reader.flow("paid.purpose")),
        helped=_figure(reader.flow("helped")),
        listed=sum(reader.now("listed").values(), ZERO),
        visited=sum(reader.now("covered").values(), ZERO),
        overdue_follow_ups=sum(reader.now("overdue").values(), ZERO),
    )


def unit_statistics(
    unit: UnionUnit,
    period: Period,
    *,
    today: date | None = None,
    with_children: bool = True,
    on_a_page: bool = False,
) -> UnitStatistics:
    """The figures of ``unit``'s branch for ``period``, and of each child unit's branch.

    ``on_a_page``: a web request is waiting. A large branch (``TALLY_MIN_FILES``) is then
    never counted on the spot: where its precomputed figures do not exist yet, it is marked
    as being prepared (no figures) and a refresh is asked for. A job (a report PDF, an
    email) may count it directly instead, as it runs on a worker.

    The unit and its child units are read the same way, so the headline and the breakdown
    agree: both from the last refresh when the unit is kept, both counted directly when it
    is small.

    Raises PeriodTooOld when the year before ``period`` is no longer kept.
    """
    today = today or timezone.localdate()
    months = _months_needed(period, today)
    children = list(UnionUnit.objects.filter(parent=unit).order_by("code")) if with_children else []
    child_ids = [child.pk for child in children]
    kept = kept_units([unit.pk, *child_ids])
    preparing: set[int] = set()
    if kept.get(unit.pk):
        # The headline is read from the last refresh, so the breakdown is too (the refresh
        # keeps the breakdown's figures of every child unit of a kept unit): they never
        # contradict each other. A child unit added since is left out of a page until the
        # next refresh; a job (on a worker) counts it directly.
        child_kept = {pk for pk in child_ids if pk in kept}
        unread = {pk for pk in child_ids if pk not in child_kept}
        read_as_kept = {unit.pk} | child_kept | (unread if on_a_page else set())
        if on_a_page:
            preparing = unread
    else:
        # Small, or large and never counted: its branch and its children's are counted
        # directly (small ones) or shown as being prepared (large ones, on a page).
        preparing = large_branches_not_kept([unit, *children], set()) if on_a_page else set()
        if preparing:
            figures_refresh_ask()
        # A branch being prepared is read from the (empty) precomputed rows, never counted.
        read_as_kept = preparing
    tallies = read_tallies(
        [unit.pk], months=months, today=today, precomputed=read_as_kept & {unit.pk}
    )
    if children:
        tallies |= read_tallies(
            child_ids,
            months=months,
            today=today,
            measures=CHILD_MEASURES,
            precomputed=read_as_kept & set(child_ids),
        )
    campaign_ids = {
        int(key)
        for (measure, key, _month) in tallies[unit.pk]
        if measure in ("listed", "campaign.visits") and key
    }
    campaigns = {
        campaign.pk: campaign
        for campaign in Campaign.objects.filter(pk__in=campaign_ids)
        .select_related("organiser")
        .order_by("-starts_on", "pk")
    }
    refreshed = last_refresh()
    return UnitStatistics(
        figures=_branch_figures(unit, tallies[unit.pk], period, today, campaigns, refreshed),
        children=[
            _child_figures(child, tallies[child.pk], period, today)
            for child in children
            if child.pk not in preparing
        ],
        counted_directly=unit.pk not in read_as_kept,
        preparing=unit.pk in preparing,
    )


def branch_figures(unit: UnionUnit, period: Period, *, today: date | None = None) -> BranchFigures:
    """The figures of ``unit``'s branch alone (no breakdown by child unit)."""
    return unit_statistics(unit, period, today=today, with_children=False).figures
