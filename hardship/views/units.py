"""Pages of the union-unit tree: a unit's dashboard (its home page) and its branch."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from hardship.access import branch_view, get_object_for_user, units_visible_to
from hardship.models import UnionUnit
from hardship.selectors import unit_children_for_user, unit_trail_for_user
from reports.dashboard import charts_for, child_rows, dashboard_data, period_choices, unit_dashboard

CHILDREN_PER_PAGE = 50


@branch_view()
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own unit; for a superuser without one, the top of the tree."""
    unit = request.user.unit
    if unit is None:
        roots = units_visible_to(request.user).filter(parent__isnull=True)
        return render(request, "hardship/tree_roots.html", {"roots": roots})
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
        "hardship/unit_detail.html",
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
