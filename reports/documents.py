"""Summary reports as generated documents: the campaign report and the periodic statistical report.

Both are PDFs a union office files (A4, title, unit, period, "第 1 页，共 N 页",
date made and who made it, ``<html lang="zh-CN">``), produced through the one
generated-documents mechanism (``hardship.documents``): a request is a
``GeneratedDocument`` row and one Celery message; the worker runs the
producer registered here. A request made while the broker is down is not
lost: its row waits as pending and ``hardship.documents_resend_pending`` sends
it again once the broker is back.

- ``campaign_report``: for a campaign's organiser's branch, households listed
  and visited, visits and person-times, coverage per child unit, money paid by
  purpose and by fund, students funded by school stage (reports/campaign_report.py).
- ``periodic_report``: a unit's branch for a month, quarter, year or year to
  date, every figure of ``reports.statistics.BranchFigures`` beside the same
  period a year before, and the breakdown by child unit. It reads the
  precomputed figures (reports/tallies.py), so a province costs what a county does.

The requester's branch is applied again when the job runs, so a job never
prints what its requester could not see. Reports are read-only, so every role
of the branch (viewers too) may ask for them.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.rules import ALLOWED, Decision, refuse
from documents.models import GeneratedDocument
from documents.pdf import PDF_CONTENT_TYPE, render_pdf
from documents.services import (
    BackLink,
    JobContext,
    Produced,
    back_link,
    document_request,
    producer,
)
from people.access import is_in_branch, scope_to_user
from people.models import UnionUnit, User
from reports import charts
from reports.campaign_report import CampaignReport, MoneyRow, campaign_report_figures
from reports.periods import Period, PeriodKind, month_number
from reports.statistics import Figure, PeriodTooOld, Row, UnitStatistics, unit_statistics
from reports.tallies import window_months
from visits.campaigns import campaign_back_link
from visits.models import Campaign

PERIODIC_KIND = "periodic_report"
CAMPAIGN_KIND = "campaign_report"
PERIODIC_TEMPLATE = "pdf/reports/periodic_report.html"
CAMPAIGN_TEMPLATE = "pdf/reports/campaign_report.html"
# The child units drawn in a chart (a province may have a hundred cities): the largest.
CHART_UNITS = 15


class ReportNotFound(Exception):
    """The unit or campaign is missing, or outside the requester's branch."""


# ====================================================================== numbers


def _count(value: Decimal | int) -> str:
    return f"{int(value):,}"


def _money(value: Decimal | int) -> str:
    return f"{Decimal(value):,.2f}"


def _ten_thousands(value: Decimal | int) -> str:
    """Money in 万元, as wide tables of a province's units print it."""
    return f"{Decimal(value) / 10000:,.2f}"


def _signed(value: Decimal, *, money: bool) -> str:
    if not value:
        return "0" if not money else "0.00"
    text = _money(abs(value)) if money else _count(abs(value))
    return ("+" if value > 0 else "−") + text


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if not value:
        return "0.0%"  # never "−0.0%"
    return f"{value:+.1f}%".replace("-", "−")


def _made_at() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


def made_by_label(user: User) -> str:
    """Who made a report, as printed on it: the person, and their unit."""
    name = user.get_full_name() or user.get_username()
    if not user.unit_id:
        return name
    return _("%(name)s (%(unit)s)") % {"name": name, "unit": user.unit.name}


def broker_reachable(*, timeout: float = 2.0) -> bool:
    """Whether a message could be handed to the broker now (the request page says so if not:
    the job then waits, pending, until ``hardship.documents_resend_pending`` sends it again).
    """
    from celery import current_app

    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)
    except Exception:
        return False
    return True


# ====================================================================== periods


def period_params(period: Period) -> dict:
    """A period as a job's JSON parameters (read back by ``period_from_params``)."""
    return {
        "period_kind": period.kind,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
    }


def period_from_params(params: dict) -> Period:
    kind = params["period_kind"]
    if kind not in PeriodKind.ALL:
        raise ValueError(f"no period kind {kind!r}")
    return Period(
        kind, date.fromisoformat(params["first_day"]), date.fromisoformat(params["last_day"])
    )


def period_check(period: Period, *, today: date) -> None:
    """Raise ValueError for a period not begun yet, PeriodTooOld for one (or its year before)
    older than the months kept precomputed.
    """
    if period.first_day > today:
        raise ValueError(period.slug)
    if month_number(period.year_before().first_day) < window_months(today)[0]:
        raise PeriodTooOld(period.slug)


# ====================================================================== the periodic report


def _row(label: str, figure: Figure, *, money: bool = False, level: int = 0) -> dict:
    show = _money if money else _count
    return {
        "label": label,
        "value": show(figure.value),
        "before": show(figure.year_before),
        "change": _signed(figure.change, money=money),
        "percent": _percent(figure.change_percent),
        "level": level,
    }


def _group(label: str) -> dict:
    return {"group": label}


def _rows(rows: list[Row], *, money: bool = False) -> list[dict]:
    return [_row(row.label, row.figure, money=money, level=1) for row in rows]


def periodic_report_title() -> str:
    return _("Statistical report on help for workers in hardship")


def periodic_report_context(statistics: UnitStatistics, *, made_by_label: str) -> dict:
    """Everything the periodic report's template prints, formatted (in the current language)."""
    figures = statistics.figures
    period = figures.period
    on_record_titles = {
        "category": _("By category"),
        "cause": _("By main cause"),
        "employment": _("By employment"),
        "model_worker": _("Model workers"),
        "migrant": _("Migrant workers or not"),
    }
    on_record = [_row(_("Households on record at the end of the period"), figures.on_record)]
    for dimension, rows in figures.on_record_by.items():
        on_record.append(_group(on_record_titles.get(dimension, dimension)))
        on_record += _rows(rows)
    movements = [
        _row(_("Files opened"), figures.opened),
        _row(_("Files exited from hardship"), figures.exited),
        *_rows(figures.exited_by_reason),
        _row(_("Files closed"), figures.closed),
        *_rows(figures.closed_by_reason),
    ]
    visits = [
        _row(_("Household visits"), figures.visits),
        *_rows(figures.visits_by_kind),
        _row(_("Person-times reached"), figures.person_times),
        *_rows(figures.person_times_by_kind),
        _row(_("Help services (person-times)"), figures.help_person_times),
        *_rows(figures.help_by_kind),
    ]
    money = [
        _row(_("Money received"), figures.received, money=True),
        *_rows(figures.received_by_source, money=True),
        _row(_("Allocated down to units below"), figures.allocated_down, money=True),
        _row(_("Money paid to households"), figures.paid, money=True),
        _group(_("By purpose")),
        *_rows(figures.paid_by_purpose, money=True),
        _group(_("By kind of fund")),
        *_rows(figures.paid_by_fund_kind, money=True),
    ]
    helped = [
        _row(_("Households helped"), figures.helped),
        *_rows(figures.helped_by_purpose),
    ]
    summary = [
        _row(_("Households on record at the end of the period"), figures.on_record),
        _row(_("Files opened"), figures.opened),
        _row(_("Files exited from hardship"), figures.exited),
        _row(_("Files closed"), figures.closed),
        _row(_("Household visits"), figures.visits),
        _row(_("Person-times reached"), figures.person_times),
        _row(_("Help services (person-times)"), figures.help_person_times),
        _row(_("Money received"), figures.received, money=True),
        _row(_("Allocated down to units below"), figures.allocated_down, money=True),
        _row(_("Money paid to households"), figures.paid, money=True),
        _row(_("Households helped"), figures.helped),
        _row(_("Students funded"), figures.students),
        _row(_("Schooling grants paid"), figures.student_money, money=True),
    ]
    students = [
        {
            "label": row.label,
            "students": _row(row.label, row.students),
            "money": _row(row.label, row.money, money=True),
        }
        for row in figures.students_by_stage
    ]
    campaigns = [
        {
            "name": c.campaign.name,
            "organiser": c.campaign.organiser.name,
            "listed": _count(c.listed),
            "visited": _count(c.visited),
            "not_visited": _count(c.not_visited),
            "percent": "—" if c.percent is None else f"{c.percent}%",
            "visits": _count(c.visits),
            "person_times": _count(c.person_times),
        }
        for c in figures.campaigns
    ]
    children = [
        {
            "name": child.unit.name,
            "on_record": _count(child.on_record.value),
            "on_record_change": _signed(child.on_record.change, money=False),
            "opened": _count(child.opened.value),
            "visits": _count(child.visits.value),
            "person_times": _count(child.person_times.value),
            "received": _ten_thousands(child.received.value),
            "paid": _ten_thousands(child.paid.value),
            "paid_change": _percent(child.paid.change_percent),
            "helped": _count(child.helped.value),
            "coverage": "—" if child.coverage_percent is None else f"{child.coverage_percent}%",
            "overdue": _count(child.overdue_follow_ups),
        }
        for child in statistics.children
    ]
    refreshed = figures.refreshed
    as_at = (
        timezone.localtime(refreshed.finished_at or refreshed.started_at).strftime("%Y-%m-%d %H:%M")
        if refreshed
        else ""
    )
    return {
        "title": periodic_report_title(),
        "unit_name": figures.unit.name,
        "period_label": period.label,
        "before_label": figures.year_before_period.label,
        "first_day": period.first_day.isoformat(),
        "last_day": period.last_day.isoformat(),
        "made_on": timezone.localdate().isoformat(),
        "made_at": _made_at(),
        "made_by": made_by_label,
        "as_at": as_at,
        "summary": summary,
        "overdue": _count(figures.overdue_follow_ups),
        "on_record": on_record,
        "movements": movements,
        "visits": visits,
        "money": money,
        "helped": helped,
        "students": students,
        "campaigns": campaigns,
        "children": children,
        "charts": _periodic_charts(statistics),
        "numbered": True,
    }


def _periodic_charts(statistics: UnitStatistics) -> list:
    figures = statistics.figures
    this, before = _("This period"), _("Same period a year before")
    result = []
    if figures.months:
        result.append(
            charts.grouped_bar_chart(
                [_("Month %(month)s") % {"month": m.month.month} for m in figures.months],
                [
                    (_("Received"), [m.received for m in figures.months]),
                    (_("Paid to households"), [m.paid for m in figures.months]),
                    (_("Allocated down"), [m.allocated for m in figures.months]),
                ],
                title=_("Money by month (yuan)"),
            )
        )
    compared = [
        (_("Files opened"), figures.opened),
        (_("Household visits"), figures.visits),
        (_("Households helped"), figures.helped),
        (_("Students funded"), figures.students),
    ]
    result.append(
        charts.grouped_bar_chart(
            [label for label, _figure in compared],
            [
                (this, [figure.value for _label, figure in compared]),
                (before, [figure.year_before for _label, figure in compared]),
            ],
            title=_("Compared with the same period a year before"),
        )
    )
    paid = [(row.label, row.value) for row in figures.paid_by_purpose]
    result.append(charts.bar_chart(paid, title=_("Money paid by purpose (yuan)"), height=180))
    ranked = sorted(statistics.children, key=lambda child: -child.paid.value)[:CHART_UNITS]
    if any(child.paid.value for child in ranked):
        result.append(
            charts.horizontal_bar_chart(
                [(child.unit.name, child.paid.value) for child in ranked],
                title=_("Money paid by unit below (yuan)"),
            )
        )
    return result


def render_periodic_report(*, unit: UnionUnit, period: Period, made_by_label: str) -> bytes:
    """The periodic report of ``unit``'s branch for ``period`` as PDF bytes, in the current
    language. ``unit`` must be one the caller has already checked may be reported on.

    Raises PeriodTooOld when the year before ``period`` is no longer kept.
    """
    statistics = unit_statistics(unit, period)
    context = periodic_report_context(statistics, made_by_label=made_by_label)
    return render_pdf(PERIODIC_TEMPLATE, context)


def periodic_report_file_name(*, unit: UnionUnit, period: Period) -> str:
    # The period as numbers (2026-11, 2026-q4, 2026), and a year so far as its first and last
    # month (202601-202611): its URL value ("2026-ytd-11") holds an English abbreviation.
    span = period.slug
    if period.kind == PeriodKind.YEAR_TO_DATE:
        span = f"{period.first_day:%Y%m}-{period.last_day:%Y%m}"
    # Outside the f-string, where makemessages finds it: the download's name is Chinese.
    what = _("statistical report")
    return f"{unit.name}-{span}-{what}.pdf"


def _report_unit(*, params: dict, user: User) -> UnionUnit:
    units = scope_to_user(UnionUnit.objects.all(), user=user, unit_path="path")
    unit = units.filter(pk=int(params["unit_id"])).first()
    if unit is None:
        raise ReportNotFound(_("The unit was not found."))
    return unit


def _language(job: JobContext) -> str:
    return job.params.get("language") or settings.LANGUAGE_CODE


def periodic_report_request(*, unit: UnionUnit, period: Period, by: User) -> GeneratedDocument:
    """Ask a worker for the periodic report of ``unit``'s branch for ``period``.

    ``unit`` must be in ``by``'s branch (the producer checks again). Raises
    JobAlreadyRunning when ``by`` asked for the same report and it is still waiting.
    Side effects: a GeneratedDocument row; one Celery message after commit.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    return document_request(
        kind=PERIODIC_KIND,
        title=_("%(title)s · %(unit)s · %(period)s")
        % {"title": periodic_report_title(), "unit": unit.name, "period": period.label},
        by=by,
        unit=unit,
        params={"unit_id": unit.pk, **period_params(period), "language": language},
        dedupe_key=f"{PERIODIC_KIND}:{by.pk}:{unit.pk}:{period.slug}:{language}",
    )


@producer(PERIODIC_KIND)
def periodic_report(job: JobContext) -> Produced:
    """params: unit_id, period_kind, first_day, last_day; optional language."""
    with translation.override(_language(job)):
        user = job.document.requested_by
        unit = _report_unit(params=job.params, user=user)
        period = period_from_params(job.params)
        job.progress(0, 2)
        statistics = unit_statistics(unit, period)
        job.progress(1, 2)
        context = periodic_report_context(statistics, made_by_label=made_by_label(user))
        content = render_pdf(PERIODIC_TEMPLATE, context)
        job.progress(2, 2)
        return Produced(
            content, periodic_report_file_name(unit=unit, period=period), PDF_CONTENT_TYPE
        )


@back_link(PERIODIC_KIND)
def periodic_report_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The reports page, on the report's unit, if ``user`` may still see it."""
    try:
        unit = _report_unit(params=document.params, user=user)
    except ReportNotFound:
        return None
    url = f"{reverse('reports:index')}?{urlencode({'unit': unit.pk})}"
    return BackLink(url, _("Back to the reports"))


# ====================================================================== the campaign report


def campaign_report_title(campaign: Campaign, *, unit: UnionUnit | None = None) -> str:
    if unit is None or unit.pk == campaign.organiser_id:
        return _("%(campaign)s: campaign report") % {"campaign": campaign.name}
    return _("%(campaign)s: campaign report · %(unit)s") % {
        "campaign": campaign.name,
        "unit": unit.name,
    }


def _money_rows(rows: list[MoneyRow]) -> list[dict]:
    return [
        {
            "label": row.label,
            "payments": _count(row.payments),
            "households": _count(row.households),
            "amount": _money(row.amount),
        }
        for row in rows
    ]


def campaign_report_context(report: CampaignReport, *, made_by_label: str) -> dict:
    """Everything the campaign report's template prints, formatted (in the current language)."""
    campaign = report.campaign
    coverage = report.coverage
    children = [
        {
            "name": row.unit.name,
            "listed": _count(row.coverage.listed),
            "visited": _count(row.coverage.visited),
            "not_visited": _count(row.coverage.not_visited),
            "percent": f"{row.coverage.percent}%" if row.coverage.listed else "—",
            "visits": _count(row.coverage.visits),
            "person_times": _count(row.coverage.person_times),
            "households": _count(row.households),
            "amount": _money(row.amount),
        }
        for row in report.children
    ]
    summary = [
        (_("Households listed"), _count(coverage.listed)),
        (_("Households visited"), _count(coverage.visited)),
        (_("Not yet visited"), _count(coverage.not_visited)),
        (_("Share visited"), f"{coverage.percent}%" if coverage.listed else "—"),
        (_("Household visits"), _count(coverage.visits)),
        (_("Person-times reached"), _count(coverage.person_times)),
        (_("Money paid (yuan)"), _money(report.paid_amount)),
        (_("Payments"), _count(report.paid_payments)),
        (_("Households paid"), _count(report.paid_households)),
        (_("Students funded"), _count(report.students)),
    ]
    return {
        "title": campaign_report_title(campaign, unit=report.unit),
        "campaign_name": campaign.name,
        "season": campaign.get_season_display(),
        "unit_name": report.unit.name,
        "first_day": campaign.starts_on.isoformat(),
        "last_day": campaign.ends_on.isoformat(),
        "made_on": timezone.localdate().isoformat(),
        "made_at": _made_at(),
        "made_by": made_by_label,
        "summary": summary,
        "children": children,
        "total": {
            "listed": _count(coverage.listed),
            "visited": _count(coverage.visited),
            "not_visited": _count(coverage.not_visited),
            "percent": f"{coverage.percent}%" if coverage.listed else "—",
            "visits": _count(coverage.visits),
            "person_times": _count(coverage.person_times),
            "households": _count(report.paid_households),
            "amount": _money(report.paid_amount),
        },
        "by_purpose": _money_rows(report.by_purpose),
        "by_fund": _money_rows(report.by_fund),
        "by_fund_kind": _money_rows(report.by_fund_kind),
        "students": _money_rows(report.students_by_stage),
        "student_total": {
            "payments": _count(report.students),
            "amount": _money(report.student_amount),
        },
        "charts": _campaign_charts(report),
        "numbered": True,
    }


def _campaign_charts(report: CampaignReport) -> list:
    result = []
    if report.children:
        shown = report.children[: CHART_UNITS * 2]
        result.append(
            charts.horizontal_bar_chart(
                [(row.unit.name, row.coverage.percent) for row in shown],
                title=_("Share of listed households visited, by unit below"),
                value_suffix="%",
                high=100,
            )
        )
    if report.by_purpose:
        result.append(
            charts.bar_chart(
                [(row.label, row.amount) for row in report.by_purpose],
                title=_("Money paid by purpose (yuan)"),
                height=180,
            )
        )
    stages = [(row.label, row.payments) for row in report.students_by_stage]
    if any(count for _label, count in stages):
        result.append(
            charts.bar_chart(stages, title=_("Students funded by school stage"), height=170)
        )
    return result


def render_campaign_report(
    *, campaign: Campaign, made_by_label: str, unit: UnionUnit | None = None
) -> bytes:
    """The campaign report of ``unit``'s branch (default: the organiser's) as PDF bytes, in the
    current language. ``unit`` must be one the caller has checked (``campaign_report_unit``)."""
    report = campaign_report_figures(campaign=campaign, unit=unit)
    return render_pdf(
        CAMPAIGN_TEMPLATE, campaign_report_context(report, made_by_label=made_by_label)
    )


def campaign_report_unit(
    user: User, campaign: Campaign, *, unit: UnionUnit | None = None
) -> UnionUnit | None:
    """The branch whose campaign report ``user`` may print: ``unit`` when given (the unit the
    campaign page shows), else the user's own unit when it lies in the organiser's branch, else
    the organiser. None when that unit is outside the campaign's branch or the user's.
    """
    if unit is None:
        own = user.unit
        in_campaign = own is not None and own.is_in_branch_of(campaign.organiser)
        unit = own if in_campaign else campaign.organiser
    if not user.is_active:
        return None
    # Within the campaign: a report of a branch the campaign never reached says nothing.
    if not unit.is_in_branch_of(campaign.organiser):
        return None
    # Within the user's branch: every unit of the campaign prints its own branch, not a sibling's.
    if not is_in_branch(user, unit):
        return None
    return unit


def may_request_campaign_report(
    user: User, campaign: Campaign, *, unit: UnionUnit | None = None
) -> Decision:
    """Ask for ``campaign``'s report of a branch (``campaign_report_unit``): the organiser's
    people and those above it print the organiser's whole branch, every unit below it in the
    campaign prints its own. For anyone else the campaign is not found (the campaign page
    offers the button by this; the request and the worker enforce it).
    """
    if campaign_report_unit(user, campaign, unit=unit) is None:
        return refuse(_("The campaign was not found."), denied=True)
    return ALLOWED


def campaign_for_report(
    *, campaign_id: int, user: User, unit_id: int | None = None
) -> tuple[Campaign, UnionUnit]:
    """The campaign and the branch its report covers (``unit_id``, else the user's default),
    if ``user`` may ask for it; ReportNotFound otherwise, for "missing" and "not yours" alike.
    """
    campaign = Campaign.objects.select_related("organiser").filter(pk=campaign_id).first()
    if campaign is None:
        raise ReportNotFound(_("The campaign was not found."))
    unit = None
    if unit_id is not None:
        unit = UnionUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise ReportNotFound(_("The campaign was not found."))
    chosen = campaign_report_unit(user, campaign, unit=unit)
    if chosen is None:
        raise ReportNotFound(_("The campaign was not found."))
    return campaign, chosen


def campaign_report_request(
    *, campaign: Campaign, by: User, unit: UnionUnit | None = None
) -> GeneratedDocument:
    """Ask a worker for the report of ``campaign`` for ``unit``'s branch (default: ``by``'s own
    unit in the campaign, else the organiser), if ``by`` may (``may_request_campaign_report``,
    else PermissionDenied).

    Raises JobAlreadyRunning when ``by`` asked for it and it is still waiting.
    Side effects: a GeneratedDocument row; one Celery message after commit.
    """
    may_request_campaign_report(by, campaign, unit=unit).enforce()
    unit = campaign_report_unit(by, campaign, unit=unit)
    language = translation.get_language() or settings.LANGUAGE_CODE
    return document_request(
        kind=CAMPAIGN_KIND,
        title=campaign_report_title(campaign, unit=unit),
        by=by,
        unit=unit,
        params={"campaign_id": campaign.pk, "unit_id": unit.pk, "language": language},
        dedupe_key=f"{CAMPAIGN_KIND}:{by.pk}:{campaign.pk}:{unit.pk}:{language}",
    )


@producer(CAMPAIGN_KIND)
def campaign_report(job: JobContext) -> Produced:
    """params: campaign_id; optional unit_id (older jobs: the organiser's), language."""
    with translation.override(_language(job)):
        user = job.document.requested_by
        campaign_id = int(job.params["campaign_id"])
        unit_id = job.params.get("unit_id")
        if unit_id is None:
            # Asked for before units below the organiser could print their own branch.
            unit_id = (
                Campaign.objects.filter(pk=campaign_id)
                .values_list("organiser_id", flat=True)
                .first()
            )
        campaign, unit = campaign_for_report(
            campaign_id=campaign_id, user=user, unit_id=int(unit_id) if unit_id else None
        )
        job.progress(0, 2)
        report = campaign_report_figures(campaign=campaign, unit=unit)
        job.progress(1, 2)
        context = campaign_report_context(report, made_by_label=made_by_label(user))
        content = render_pdf(CAMPAIGN_TEMPLATE, context)
        job.progress(2, 2)
        return Produced(content, campaign_report_file_name(campaign, unit=unit), PDF_CONTENT_TYPE)


def campaign_report_file_name(campaign: Campaign, *, unit: UnionUnit | None = None) -> str:
    """The download's name in the reader's language: the campaign and the branch it covers."""
    what = pgettext("file name", "report")  # outside the f-string, where makemessages finds it
    return f"{campaign.name}-{(unit or campaign.organiser).name}-{what}.pdf"


@back_link(CAMPAIGN_KIND)
def campaign_report_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The campaign's page at the report's branch, if ``user`` may still see it."""
    campaign_id = int(document.params["campaign_id"])
    unit_id = document.params.get("unit_id") or document.unit_id
    if unit_id is None:
        campaign = Campaign.objects.filter(pk=campaign_id).only("organiser_id").first()
        if campaign is None:
            return None
        unit_id = campaign.organiser_id
    return campaign_back_link(campaign_id=campaign_id, unit_id=int(unit_id), user=user)
