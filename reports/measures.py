"""What is counted: each measure is one grouped query over one app's own rows.

A measure's query yields ``t_unit`` (the unit a row belongs to, not yet rolled
up), ``t_month`` (YYYYMM, or ``AS_AT_REFRESH`` for a count of how things stand
now), ``t_key`` (what the figure is broken down by) and ``t_value``. The same
query serves the precomputation (rolled up the tree in SQL by
reports/tallies.py) and the direct count of a grassroots union, so the two can
never disagree on what a figure means.

Files "on record" are those that went on file (``opened_on``) and have not
left it (``ended_on``). A month's stock is derived from the stock now and the
months' movements since (reports/statistics.py), so the movements by the same
dimensions are counted too.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone

from funds.choices import AccountKind, DisbursementStatus, Purpose, ReceiptSource
from funds.models import Disbursement, Entry
from hardship.models import HardshipFile
from reports.models import AS_AT_REFRESH
from visits.choices import FollowUpStatus
from visits.models import Campaign, FollowUp, HelpService, Visit, VisitListRow

MONEY = DecimalField(max_digits=18, decimal_places=2)

# The dimensions files on record are broken down by, and the field each reads.
FILE_DIMENSIONS: dict[str, object] = {
    "category": F("category"),
    "cause": F("main_cause__code"),
    "employment": F("employment_status"),
    "model_worker": F("model_worker_level"),
    "migrant": Case(
        When(is_migrant_worker=True, then=Value("yes")),
        default=Value("no"),
        output_field=CharField(),
    ),
}


def start_of(day: date) -> datetime:
    """The first moment of ``day`` in the current time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_of(field_name: str):
    """YYYYMM of a date or (in the current time zone) a datetime, in SQL."""
    return ExpressionWrapper(
        ExtractYear(field_name) * 100 + ExtractMonth(field_name), output_field=IntegerField()
    )


@dataclass(frozen=True)
class Measure:
    name: str
    # The lookup from the measure's rows to the unit they belong to.
    unit_field: str
    # Builds the grouped query for movements between two days (ignored by counts as at now).
    build: Callable[[date, date, date], QuerySet]
    as_at_refresh: bool = False
    # Keys counted only at the unit itself, never rolled up into the branches above it:
    # money moving inside a branch (allocated down, received from the higher union) is not
    # money the branch received or gave away. "*" means every key.
    own_only_keys: frozenset[str] = field(default_factory=frozenset)

    def queryset(self, *, first_day: date, last_day: date, today: date) -> QuerySet:
        return self.build(first_day, last_day, today)


def _grouped(queryset: QuerySet, *, unit: str, month, key, value) -> QuerySet:
    return (
        queryset.values(
            t_unit=F(unit),
            t_month=month,
            t_key=Coalesce(Cast(key, CharField()), Value("")),
        )
        .annotate(t_value=value)
        .order_by()
    )


def _files_on_record_now(dimension: str) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        files = HardshipFile.objects.filter(opened_on__isnull=False, ended_on__isnull=True)
        return _grouped(
            files,
            unit="unit_id",
            month=Value(AS_AT_REFRESH, output_field=IntegerField()),
            key=FILE_DIMENSIONS[dimension],
            value=Count("id"),
        )

    return build


def _files_moving(dimension: str, date_field: str) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        files = HardshipFile.objects.filter(
            opened_on__isnull=False,
            **{f"{date_field}__gte": first_day, f"{date_field}__lte": last_day},
        )
        return _grouped(
            files,
            unit="unit_id",
            month=month_of(date_field),
            key=FILE_DIMENSIONS[dimension],
            value=Count("id"),
        )

    return build


def _files_leaving(status: str, reason_field: str) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        files = HardshipFile.objects.filter(
            status=status, ended_on__gte=first_day, ended_on__lte=last_day
        )
        return _grouped(
            files,
            unit="unit_id",
            month=month_of("ended_on"),
            key=F(reason_field),
            value=Count("id"),
        )

    return build


def _visits(key, value) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        visits = Visit.objects.filter(visited_on__gte=first_day, visited_on__lte=last_day)
        if key != "kind":
            visits = visits.filter(campaign__isnull=False)
        return _grouped(
            visits, unit="file__unit_id", month=month_of("visited_on"), key=F(key), value=value
        )

    return build


def _help_services(first_day: date, last_day: date, today: date) -> QuerySet:
    services = HelpService.objects.filter(provided_on__gte=first_day, provided_on__lte=last_day)
    return _grouped(
        services,
        unit="file__unit_id",
        month=month_of("provided_on"),
        key=F("kind"),
        value=Sum("person_times"),
    )


def current_campaigns(today: date) -> QuerySet[Campaign]:
    """Campaigns under way on ``today``: the ones whose coverage is followed."""
    return Campaign.objects.filter(starts_on__lte=today, ends_on__gte=today)


def _coverage(value) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        rows = VisitListRow.objects.filter(
            campaign__starts_on__lte=today, campaign__ends_on__gte=today
        )
        return _grouped(
            rows,
            unit="visit_list__unit_id",
            month=Value(AS_AT_REFRESH, output_field=IntegerField()),
            key=F("campaign_id"),
            value=value,
        )

    return build


def _overdue_follow_ups(first_day: date, last_day: date, today: date) -> QuerySet:
    open_past_due = FollowUp.objects.filter(status=FollowUpStatus.OPEN, due_on__lt=today)
    return _grouped(
        open_past_due,
        unit="file__unit_id",
        month=Value(AS_AT_REFRESH, output_field=IntegerField()),
        key=Value(""),
        value=Count("id"),
    )


def _ledger(kind: str, key, sign: int) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        entries = Entry.objects.filter(
            account__kind=kind,
            posted_at__gte=start_of(first_day),
            posted_at__lt=start_of(last_day + timedelta(days=1)),
        )
        amount = Sum("amount") if sign > 0 else Sum(F("amount") * -1, output_field=MONEY)
        return _grouped(
            entries,
            unit="account__fund__unit_id",
            month=month_of("posted_at"),
            key=key,
            value=amount,
        )

    return build


def _paid_disbursements(key, value, **only) -> Callable:
    def build(first_day: date, last_day: date, today: date) -> QuerySet:
        paid = Disbursement.objects.filter(
            status=DisbursementStatus.PAID,
            paid_at__gte=start_of(first_day),
            paid_at__lt=start_of(last_day + timedelta(days=1)),
            **only,
        )
        return _grouped(paid, unit="file__unit_id", month=month_of("paid_at"), key=key, value=value)

    return build


# What the breakdown by child unit shows (statistics.ChildFigures): read alone, a fifth of the
# rows. The refresh keeps these for the child units of every kept unit too (tallies.py), so a
# dashboard's table of child units comes from the same refresh as its headline.
CHILD_MEASURES = frozenset(
    {
        "onfile.category",
        "opened.category",
        "ended.category",
        "visits",
        "people",
        "received",
        "paid.purpose",
        "helped",
        "listed",
        "covered",
        "overdue",
    }
)

MEASURES: list[Measure] = [
    *(
        Measure(f"onfile.{dimension}", "unit_id", _files_on_record_now(dimension), True)
        for dimension in FILE_DIMENSIONS
    ),
    *(
        Measure(f"opened.{dimension}", "unit_id", _files_moving(dimension, "opened_on"))
        for dimension in FILE_DIMENSIONS
    ),
    *(
        Measure(f"ended.{dimension}", "unit_id", _files_moving(dimension, "ended_on"))
        for dimension in FILE_DIMENSIONS
    ),
    Measure("exited", "unit_id", _files_leaving("exited", "exit_reason")),
    Measure("closed", "unit_id", _files_leaving("closed", "close_reason")),
    # Households visited counted per visit (户次), people reached summed (人次).
    Measure("visits", "file__unit_id", _visits("kind", Count("id"))),
    Measure("people", "file__unit_id", _visits("kind", Sum("people_reached"))),
    Measure("campaign.visits", "file__unit_id", _visits("campaign_id", Count("id"))),
    Measure("campaign.people", "file__unit_id", _visits("campaign_id", Sum("people_reached"))),
    Measure("help", "file__unit_id", _help_services),
    Measure("listed", "visit_list__unit_id", _coverage(Count("id")), True),
    Measure("covered", "visit_list__unit_id", _coverage(Count("visit")), True),
    Measure("overdue", "file__unit_id", _overdue_follow_ups, True),
    # Money: income accounts hold credits (negative), so received money is negated.
    Measure(
        "received",
        "account__fund__unit_id",
        _ledger(AccountKind.INCOME, F("account__source"), -1),
        own_only_keys=frozenset({ReceiptSource.HIGHER_UNION.value}),
    ),
    Measure(
        "allocated",
        "account__fund__unit_id",
        _ledger(AccountKind.ALLOCATED_DOWN, Value(""), 1),
        own_only_keys=frozenset({"*"}),
    ),
    # Money paid out counts where the help went, at the household's unit, like the households
    # helped beside it (a district's households paid from the city's fund are the district's
    # help). Paid payments are never reversed, so their sum is the ledger's paid-out money.
    Measure("paid.purpose", "file__unit_id", _paid_disbursements(F("purpose"), Sum("amount"))),
    Measure("paid.fund", "file__unit_id", _paid_disbursements(F("fund__kind"), Sum("amount"))),
    # Households helped, per payment (户次), by kind of aid.
    Measure("helped", "file__unit_id", _paid_disbursements(F("purpose"), Count("id"))),
    Measure(
        "students",
        "file__unit_id",
        _paid_disbursements(F("school_stage"), Count("id"), purpose=Purpose.SCHOOLING),
    ),
    Measure(
        "students.money",
        "file__unit_id",
        _paid_disbursements(F("school_stage"), Sum("amount"), purpose=Purpose.SCHOOLING),
    ),
]
