"""Pages of the figures: a unit's home page with its dashboard, the reports page (ask for a
periodic report) and the campaign report's request from the campaign page. The reports hand
the work to a worker through the generated-documents mechanism and send the user to the
job's page.

The form lives here rather than in a forms.py of its own: it is this page's only form.
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from documents.models import GeneratedDocument
from documents.services import JobAlreadyRunning
from people.access import branch_view, get_object_for_user, scope_to_user, units_visible_to
from people.models import UnionUnit, User
from people.selectors import unit_children_for_user, unit_trail_for_user
from reports.dashboard import charts_for, child_rows, dashboard_data, period_choices, unit_dashboard
from reports.documents import (
    CAMPAIGN_KIND,
    PERIODIC_KIND,
    ReportNotFound,
    broker_reachable,
    campaign_for_report,
    campaign_report_request,
    period_check,
    periodic_report_request,
)
from reports.periods import Period, PeriodKind
from reports.statistics import PeriodTooOld
from reports.tallies import window_months

# How far below the user's unit the unit list reaches (a province: its cities and
# counties); a unit further down is reached with ?unit= from its own page.
LEVELS_SHOWN = 2
UNITS_SHOWN = 1000
RECENT_REPORTS = 10


def _units_offered(user: User, chosen: UnionUnit | None) -> list[UnionUnit]:
    units = units_visible_to(user)
    if user.unit_id:
        units = units.filter(level__lte=user.unit.level + LEVELS_SHOWN)
    else:
        units = units.filter(level__lte=UnionUnit.Level.CITY)
    offered = list(units.order_by("path")[:UNITS_SHOWN])
    if chosen is not None and chosen not in offered:
        offered.insert(0, chosen)
    return offered


class PeriodicReportForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Union unit"),
        queryset=UnionUnit.objects.none(),
        help_text=gettext_lazy("The report covers the unit and every unit below it."),
    )
    kind = forms.ChoiceField(
        label=pgettext_lazy("report", "Period"),
        choices=[
            (PeriodKind.MONTH, pgettext_lazy("period", "Month")),
            (PeriodKind.QUARTER, pgettext_lazy("period", "Quarter")),
            (PeriodKind.YEAR, pgettext_lazy("period", "Year")),
            (PeriodKind.YEAR_TO_DATE, pgettext_lazy("period", "Year to date")),
        ],
        widget=forms.RadioSelect,
    )
    year = forms.IntegerField(label=pgettext_lazy("period", "Year"), min_value=2000, max_value=2999)
    month = forms.TypedChoiceField(
        label=pgettext_lazy("period", "Month"),
        choices=[("", "—"), *((m, str(m)) for m in range(1, 13))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("For a monthly report; for the year to date, its last month."),
    )
    quarter = forms.TypedChoiceField(
        label=pgettext_lazy("period", "Quarter"),
        choices=[("", "—"), *((q, str(q)) for q in range(1, 5))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=gettext_lazy("For a quarterly report."),
    )

    def __init__(self, *args, user: User, today: date, chosen: UnionUnit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["unit"].queryset = units_visible_to(user)
        depth = user.unit.level if user.unit_id else UnionUnit.Level.NATIONAL
        self.fields["unit"].widget.choices = [
            (unit.pk, "\u3000" * max(unit.level - depth, 0) + unit.name)
            for unit in _units_offered(user, chosen)
        ]

    def clean(self):
        data = super().clean()
        kind, year = data.get("kind"), data.get("year")
        if kind is None or year is None:
            return data
        month, quarter = data.get("month"), data.get("quarter")
        if kind == PeriodKind.MONTH and month is None:
            self.add_error("month", _("Choose the month."))
            return data
        if kind == PeriodKind.QUARTER and quarter is None:
            self.add_error("quarter", _("Choose the quarter."))
            return data
        if kind == PeriodKind.MONTH:
            period, field = Period.month(year, month), "month"
        elif kind == PeriodKind.QUARTER:
            period, field = Period.quarter(year, quarter), "quarter"
        elif kind == PeriodKind.YEAR:
            period, field = Period.year(year), "year"
        else:
            last = month or (self.today.month if year == self.today.year else 12)
            if (year, last) > (self.today.year, self.today.month):
                self.add_error("month" if month else "year", _("This period has not begun yet."))
                return data
            period, field = Period.year_to_date(date(year, last, 1)), "year"
        try:
            period_check(period, today=self.today)
        except PeriodTooOld:
            earliest = window_months(self.today)[0] // 100 + 1
            self.add_error(
                "year",
                _(
                    "Reports go back to %(year)s only: the figures of the year before a period "
                    "must still be kept."
                )
                % {"year": earliest},
            )
        except ValueError:
            self.add_error(field, _("This period has not begun yet."))
        else:
            data["period"] = period
        return data


def _initial(request: HttpRequest, today: date) -> tuple[dict, UnionUnit | None]:
    if "unit" in request.GET:
        # A unit named in the link: 404 for one missing or outside the branch alike.
        chosen = get_object_for_user(
            UnionUnit.objects.all(), user=request.user, unit_path="path",
            pk=request.GET["unit"] if request.GET["unit"].isdigit() else 0,
        )  # fmt: skip
    else:
        chosen = request.user.unit
    last_month = Period.previous_month(today)
    initial = {
        "unit": chosen.pk if chosen else None,
        "kind": PeriodKind.MONTH,
        "year": last_month.first_day.year,
        "month": last_month.first_day.month,
    }
    return initial, chosen


def _recent(user: User) -> QuerySet[GeneratedDocument]:
    return scope_to_user(
        GeneratedDocument.objects.filter(requested_by=user, kind__in=[PERIODIC_KIND, CAMPAIGN_KIND])
        .select_related("unit")
        .order_by("-created_at", "-pk"),
        user=user,
        unit_path="unit__path",
    )[:RECENT_REPORTS]


def _queued(request: HttpRequest, document: GeneratedDocument) -> HttpResponse:
    if not broker_reachable():
        messages.warning(
            request,
            _(
                "The job queue cannot be reached just now. Your request is kept: it starts "
                "by itself as soon as the queue is back, and this page shows it then."
            ),
        )
    return redirect(document)


@branch_view()
def report_index(request: HttpRequest) -> HttpResponse:
    """Pick a unit of the branch and a period, and ask for the periodic report."""
    today = timezone.localdate()
    initial, chosen = _initial(request, today)
    if request.method == "POST":
        form = PeriodicReportForm(request.POST, user=request.user, today=today, chosen=chosen)
        if form.is_valid():
            try:
                document = periodic_report_request(
                    unit=form.cleaned_data["unit"],
                    period=form.cleaned_data["period"],
                    by=request.user,
                )
            except JobAlreadyRunning as running:
                messages.info(request, _("This report is being made already; here is that job."))
                return redirect(running.running)
            return _queued(request, document)
    else:
        form = PeriodicReportForm(initial=initial, user=request.user, today=today, chosen=chosen)
    return render(
        request,
        "reports/report_index.html",
        {"form": form, "recent": _recent(request.user)},
        status=400 if form.errors else 200,
    )


@branch_view()
@require_POST
def campaign_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the campaign's report of a branch (``unit`` posted by the campaign page, else
    the user's own unit in the campaign, else the organiser's): 404 for a branch outside the
    campaign's or the user's.
    """
    posted = request.POST.get("unit", "")
    try:
        campaign, unit = campaign_for_report(
            campaign_id=pk, user=request.user, unit_id=int(posted) if posted.isdigit() else None
        )
    except ReportNotFound:
        raise Http404 from None
    try:
        document = campaign_report_request(campaign=campaign, by=request.user, unit=unit)
    except JobAlreadyRunning as running:
        messages.info(request, _("This report is being made already; here is that job."))
        return redirect(running.running)
    return _queued(request, document)


# ---------------------------------------------------------------- a unit's home page

CHILDREN_PER_PAGE = 50


@branch_view()
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own unit; for a superuser without one, the top of the tree."""
    unit = request.user.unit
    if unit is None:
        roots = units_visible_to(request.user).filter(parent__isnull=True)
        return render(request, "reports/tree_roots.html", {"roots": roots})
    return _unit_page(request, unit)


@branch_view()
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_for_user(UnionUnit.objects.all(), user=request.user, unit_path="path", pk=pk)
    return _unit_page(request, unit)


def _unit_page(request: HttpRequest, unit: UnionUnit) -> HttpResponse:
    today = timezone.localdate()
    # ``unit`` was fetched within the user's branch, so its figures (its branch
    # only, reports/statistics.py) are the user's to see.
    dashboard = unit_dashboard(unit, period_text=request.GET.get("period", ""), today=today)
    children = Paginator(
        unit_children_for_user(unit=unit, user=request.user), CHILDREN_PER_PAGE
    ).get_page(request.GET.get("page"))
    rows = child_rows(dashboard, children)
    charts = charts_for(dashboard, rows)
    return render(
        request,
        "reports/unit_detail.html",
        {
            "unit": unit,
            "is_own_unit": unit.pk == request.user.unit_id,
            "trail": [
                (step, dashboard.url_of(step))
                for step in unit_trail_for_user(unit=unit, user=request.user)
            ],
            "children": children,
            "child_rows": rows,
            "dashboard": dashboard,
            "period_choices": period_choices(today),
            "charts": charts,
            "chart_data": dashboard_data(charts),
        },
    )
