"""A unit's dashboard: its figures (reports/statistics.py) shaped into key figures and charts.

Each chart is one ``Chart`` whose labels and series feed both the canvas
(static/js/dashboard.js reads ``Chart.as_data()`` from the page) and the table
printed with it, so the picture, the printout and what a screen reader reads
can never disagree. Labels are translated here, in the language of the
request, because the script only draws what it is given.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from people.models import UnionUnit
from reports.periods import Period, PeriodKind
from reports.statistics import (
    BranchFigures,
    ChildFigures,
    Figure,
    PeriodTooOld,
    Row,
    UnitStatistics,
    unit_statistics,
)
from reports.tallies import YEARS_KEPT_BEFORE


def unit_url(unit: UnionUnit) -> str:
    """A unit's home page: its dashboard."""
    return reverse("reports:unit_detail", kwargs={"pk": unit.pk})


@dataclass(frozen=True)
class KeyFigure:
    """One large number of the dashboard, beside the same figure a year earlier.

    ``figure`` is None for a count of how things stand now (overdue
    follow-ups), which has nothing a year earlier to be compared with.
    """

    key: str
    label: str
    value: Decimal
    figure: Figure | None = None

    @property
    def year_before(self) -> Decimal | None:
        return self.figure.year_before if self.figure else None

    @property
    def change_percent(self) -> Decimal | None:
        return self.figure.change_percent if self.figure else None

    @property
    def direction(self) -> str:
        """The change on a year earlier: "up", "down", "same", or "" with nothing to compare."""
        percent = self.change_percent
        if percent is None:
            return ""
        if percent > 0:
            return "up"
        if percent < 0:
            return "down"
        return "same"

    @property
    def change_magnitude(self) -> Decimal | None:
        """The change in per cent without its sign (the arrow and the words carry it)."""
        percent = self.change_percent
        return abs(percent) if percent is not None else None


@dataclass(frozen=True)
class Series:
    """One column of a chart's table; ``drawn`` series are drawn on the chart too."""

    label: str
    values: list[Decimal | None]
    drawn: bool = True


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # a Chart.js type: "bar", "line" or "doughnut"
    label_heading: str  # the heading of the table's first column
    labels: list[str]
    series: list[Series]
    horizontal: bool = False
    money: bool = False
    percent: bool = False
    note: str = ""
    links: list[str] = field(default_factory=list)  # per label, for a drill-down in the table

    @property
    def has_figures(self) -> bool:
        return any(value for series in self.series for value in series.values)

    @property
    def rows(self) -> list[dict]:
        """The table's rows: a label (and its link, if any) and one value per series."""
        return [
            {
                "label": label,
                "link": self.links[index] if self.links else "",
                "values": [series.values[index] for series in self.series],
            }
            for index, label in enumerate(self.labels)
        ]

    def as_data(self) -> dict:
        """What the script needs to draw the chart, as plain JSON values."""
        return {
            "key": self.key,
            "title": self.title,
            "kind": self.kind,
            "horizontal": self.horizontal,
            "money": self.money,
            "percent": self.percent,
            "labels": self.labels,
            "series": [
                {"label": series.label, "values": [_number(v) for v in series.values]}
                for series in self.series
                if series.drawn
            ],
        }


def _number(value: Decimal | None) -> int | float | None:
    # json_script would write a Decimal as a string; the chart needs numbers.
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def key_figures(figures: BranchFigures) -> list[KeyFigure]:
    """The large numbers at the top of the dashboard, in the order the higher unions ask."""

    def compared(key: str, label: str, figure: Figure) -> KeyFigure:
        return KeyFigure(key, label, figure.value, figure)

    return [
        compared("on_record", _("Files on record"), figures.on_record),
        compared("opened", _("Files opened"), figures.opened),
        compared("visits", _("Households visited (household-times)"), figures.visits),
        compared("person_times", _("People reached (person-times)"), figures.person_times),
        compared("received", _("Money received (yuan)"), figures.received),
        compared("paid", _("Money paid out (yuan)"), figures.paid),
        compared("helped", _("Households helped (household-times)"), figures.helped),
        compared("students", _("Students funded"), figures.students),
        KeyFigure("overdue", _("Follow-ups overdue now"), figures.overdue_follow_ups),
    ]


def _month_label(month) -> str:
    # A period never spans two calendar years, so a month's name is enough on the axis.
    return date_format(month, pgettext("date format of a month on a chart's axis", "M"))


def _rows_with_figures(rows: list[Row]) -> list[Row]:
    return [row for row in rows if row.value or row.year_before]


def _this_and_year_before(rows: list[Row]) -> list[Series]:
    return [
        Series(_("This period"), [row.value for row in rows]),
        Series(_("Same period a year earlier"), [row.year_before for row in rows]),
    ]


def coverage_chart(children: list[ChildFigures], *, links: list[str]) -> Chart:
    """Coverage of the campaigns under way, by child unit (不漏一户)."""
    return Chart(
        key="coverage",
        title=_("Campaign coverage by child unit"),
        kind="bar",
        label_heading=_("Union unit"),
        labels=[child.unit.name for child in children],
        series=[
            Series(_("Coverage (%)"), [child.coverage_percent for child in children]),
            Series(_("Households listed"), [child.listed for child in children], drawn=False),
            Series(_("Households visited"), [child.visited for child in children], drawn=False),
        ],
        horizontal=True,
        percent=True,
        note=_("Households visited of those on the lists of the campaigns under way now."),
        links=links,
    )


def money_chart(figures: BranchFigures) -> Chart:
    months = figures.months
    return Chart(
        key="money",
        title=_("Money in and out by month (yuan)"),
        kind="bar",
        label_heading=_("Month"),
        labels=[_month_label(month.month) for month in months],
        series=[
            Series(_("Received"), [month.received for month in months]),
            Series(_("Paid out"), [month.paid for month in months]),
            Series(_("Allocated down"), [month.allocated for month in months]),
        ],
        money=True,
    )


def category_chart(figures: BranchFigures) -> Chart:
    rows = _rows_with_figures(figures.on_record_by["category"])
    return Chart(
        key="category",
        title=_("Files on record by category"),
        kind="doughnut",
        label_heading=_("Category"),
        labels=[row.label for row in rows],
        series=_this_and_year_before(rows),
        note=_("The chart shows this period; the table also shows a year earlier."),
    )


def cause_chart(figures: BranchFigures) -> Chart:
    rows = _rows_with_figures(figures.on_record_by["cause"])
    return Chart(
        key="cause",
        title=_("Files on record by main cause"),
        kind="bar",
        label_heading=_("Main cause"),
        labels=[row.label for row in rows],
        series=_this_and_year_before(rows),
        horizontal=True,
    )


def visits_chart(figures: BranchFigures) -> Chart:
    months = figures.months
    return Chart(
        key="visits",
        title=_("Visits by month"),
        kind="line",
        label_heading=_("Month"),
        labels=[_month_label(month.month) for month in months],
        series=[
            Series(_("Households visited (household-times)"), [m.visits for m in months]),
            Series(_("People reached (person-times)"), [m.person_times for m in months]),
        ],
    )


def dashboard_charts(
    figures: BranchFigures, children: list[ChildFigures], *, child_links: list[str]
) -> list[Chart]:
    """The dashboard's charts; the coverage chart only when there are child units to compare."""
    charts = [
        money_chart(figures),
        visits_chart(figures),
        category_chart(figures),
        cause_chart(figures),
    ]
    if children:
        charts.insert(0, coverage_chart(children, links=child_links))
    return charts


def dashboard_data(charts: list[Chart]) -> dict:
    """The page's ``dashboard-data`` JSON: only charts with something to draw."""
    return {"charts": [chart.as_data() for chart in charts if chart.has_figures]}


# ---------------------------------------------------------------- the period and the page


def period_value(period: Period) -> str:
    """The ``?period=`` value that reads back as ``period``.

    ``Period.slug`` of a year to date ("2026-ytd-11") is an outbox key that
    ``Period.parse`` does not read, and a year to date should move on with the
    calendar anyway, so it is always "ytd".
    """
    return PeriodKind.YEAR_TO_DATE if period.kind == PeriodKind.YEAR_TO_DATE else period.slug


def period_choices(today: date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods offered, newest first, grouped: every one whose year before is still kept."""
    years = [today.year - back for back in range(YEARS_KEPT_BEFORE)]
    this_month = today.year * 100 + today.month
    quarters = [
        Period.quarter(year, quarter)
        for year in years
        for quarter in (4, 3, 2, 1)
        if Period.quarter(year, quarter).first_day <= today
    ]
    months = [
        Period.month(year, month)
        for year in years
        for month in range(12, 0, -1)
        if year * 100 + month <= this_month
    ]
    ytd = Period.year_to_date(today)
    return [
        (_("Year to date"), [(PeriodKind.YEAR_TO_DATE, ytd.label)]),
        (_("Years"), [(str(year), Period.year(year).label) for year in years]),
        (_("Quarters"), [(p.slug, p.label) for p in quarters]),
        (_("Months"), [(p.slug, p.label) for p in months]),
    ]


@dataclass
class UnitDashboard:
    unit: UnionUnit
    period: Period
    statistics: UnitStatistics
    # Why the period asked for is not the one shown ("" when it is).
    period_error: str = ""

    @property
    def figures(self) -> BranchFigures:
        return self.statistics.figures

    @property
    def counted_directly(self) -> bool:
        return self.statistics.counted_directly

    @property
    def preparing(self) -> bool:
        return self.statistics.preparing

    @property
    def period_value(self) -> str:
        return period_value(self.period)

    @property
    def period_query(self) -> str:
        """``period=…`` for links that keep the period; "" for the default (year to date)."""
        if self.period.kind == PeriodKind.YEAR_TO_DATE:
            return ""
        return urlencode({"period": self.period_value})

    def url_of(self, unit: UnionUnit) -> str:
        """The dashboard of ``unit`` for the same period."""
        url = unit_url(unit)
        query = self.period_query
        return f"{url}?{query}" if query else url

    @property
    def refreshed_at(self) -> datetime | None:
        refreshed = self.figures.refreshed
        return timezone.localtime(refreshed.finished_at) if refreshed else None

    @property
    def key_figures(self) -> list[KeyFigure]:
        return key_figures(self.figures)


def unit_dashboard(unit: UnionUnit, *, period_text: str, today: date) -> UnitDashboard:
    """The figures of ``unit``'s branch for the period named by ``period_text``.

    A period that cannot be read, has not begun, or is older than the figures
    kept falls back to the year to date, with ``period_error`` saying why.
    The caller has checked that the user may see ``unit``.
    """
    error = ""
    try:
        period = Period.parse(period_text, today=today)
    except ValueError:
        period = Period.year_to_date(today)
        error = _(
            "“%(text)s” is not a period this page can show: give a year (2026), a quarter "
            "(2026-q3) or a month (2026-10) that has begun. Showing the year to date instead."
        ) % {"text": period_text[:20]}
    try:
        statistics = unit_statistics(unit, period, today=today, on_a_page=True)
    except PeriodTooOld:
        period = Period.year_to_date(today)
        statistics = unit_statistics(unit, period, today=today, on_a_page=True)
        error = _(
            "Figures are kept for this year and the %(years)s years before, and each period is "
            "compared with the same period a year earlier, so the earliest period shown is "
            "%(first)s. Showing the year to date instead."
        ) % {"years": YEARS_KEPT_BEFORE, "first": today.year - YEARS_KEPT_BEFORE + 1}
    return UnitDashboard(
        unit=unit,
        period=period,
        statistics=statistics,
        period_error=error,
    )


@dataclass(frozen=True)
class ChildRow:
    """A child unit of the breakdown: the unit (with ``child_count``), its figures, its link."""

    unit: UnionUnit
    figures: ChildFigures | None
    url: str


def child_rows(dashboard: UnitDashboard, units: Iterable[UnionUnit]) -> list[ChildRow]:
    """The figures of ``units`` (one page of the child units the user may see)."""
    by_unit = {child.unit.pk: child for child in dashboard.statistics.children}
    return [ChildRow(unit, by_unit.get(unit.pk), dashboard.url_of(unit)) for unit in units]


def charts_for(dashboard: UnitDashboard, rows: list[ChildRow]) -> list[Chart]:
    """The charts of the page; the coverage chart compares the child units listed on it."""
    shown = [row for row in rows if row.figures is not None]
    return dashboard_charts(
        dashboard.figures,
        [row.figures for row in shown],
        child_links=[row.url for row in shown],
    )
