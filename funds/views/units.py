"""The money-by-unit page (资金收支汇总): a unit's branch over a period, one row per child unit.

The unit is the user's own, or one of their branch named in the URL (fetched
through the access rules: 404 outside the branch). Each child unit's row sums
its whole branch and links to the same page for that child, so a user drills
down the tree. The figures come from ``funds.selectors.money_by_unit``, whose
docstring says how allocations within a branch are counted once.
"""

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from funds.choices import Purpose, ReceiptSource
from funds.forms import PeriodForm
from funds.selectors import ZERO, UnitMoney, money_by_unit
from people.access import branch_view, get_object_for_user
from people.models import UnionUnit, User


def _get_unit(user: User, pk: int | None) -> UnionUnit:
    """The unit named by ``pk`` in ``user``'s branch, else the user's own (or a root's)."""
    units = UnionUnit.objects.select_related("parent")
    if pk is not None:
        return get_object_for_user(units, user=user, unit_path="path", pk=pk)
    if user.unit_id is not None:
        return get_object_for_user(units, user=user, unit_path="path", pk=user.unit_id)
    # A superuser without a unit starts at the top of the tree.
    unit = units.filter(parent__isnull=True).order_by("path").first()
    if unit is None:
        raise Http404
    return unit


def _cells(row: UnitMoney, sources: list[str], purposes: list[str]) -> dict:
    """A row's figures in the table's column order."""
    return {
        "row": row,
        "received": [row.received.get(source, ZERO) for source in sources],
        "paid_out": [row.paid_out.get(purpose, ZERO) for purpose in purposes],
    }


@branch_view()
def money_by_unit_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Money received, paid out and held, for the unit and each child unit's branch."""
    user: User = request.user
    unit = _get_unit(user, pk)
    today = timezone.localdate()
    defaults = {"first_day": date(today.year, 1, 1), "last_day": today}
    period = PeriodForm(request.GET or None, initial=defaults)
    if period.is_bound and period.is_valid():
        first_day, last_day = period.cleaned_data["first_day"], period.cleaned_data["last_day"]
    else:
        first_day, last_day = defaults["first_day"], defaults["last_day"]
    money = money_by_unit(unit=unit, first_day=first_day, last_day=last_day)
    sources, purposes = money.sources, money.purposes
    # Up one level only while still inside the user's branch.
    parent = unit.parent if unit.parent and (user.is_superuser or unit.pk != user.unit_id) else None
    return render(
        request,
        "funds/money_by_unit.html",
        {
            "unit": unit,
            "parent": parent,
            "period": period,
            "money": money,
            "source_labels": [ReceiptSource(source).label for source in sources],
            "purpose_labels": [Purpose(purpose).label for purpose in purposes],
            "own": _cells(money.own, sources, purposes),
            "children": [_cells(row, sources, purposes) for row in money.children],
            "total": _cells(money.total, sources, purposes),
            "period_query": f"first_day={first_day:%Y-%m-%d}&last_day={last_day:%Y-%m-%d}",
            "tab": "units",
        },
        status=400 if period.is_bound and not period.is_valid() else 200,
    )
