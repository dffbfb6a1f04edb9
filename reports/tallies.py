"""The precomputed figures: how they are counted, rolled up the tree, kept fresh and read.

Why precompute: a province's branch holds a million files and ten million
ledger entries; counting them per page view would take seconds. Instead every
measure (reports/measures.py) is counted once per refresh, grouped by unit
and month, and rolled up to every unit that has units below it, in one
``INSERT … SELECT`` per measure joined through ``BranchLink`` (the closure of
the tree). A page then reads a few hundred rows of ``BranchTally`` for its
unit and its child units.

How they are kept fresh (``refresh_tallies``, run by Celery beat):
- every ``TALLY_REFRESH_MINUTES`` (default 10) the counts as they stand now
  (files on record, coverage of current campaigns, overdue follow-ups) and the
  current month's movements (the previous month's too during a month's first
  days, for late entries);
- every night, every month of the window (this year and the two before), so
  back-dated entries and edits of old records are caught within a day.
The rows of the months being counted are deleted and written again in one
transaction: a page reading meanwhile sees the old figures until commit, never
half of them. Each refresh is logged in ``TallyRefresh`` and pages show its time.

Only units with units below them and at least ``TALLY_MIN_FILES`` files in their
branch (default 2,000) have rows of every measure ("kept whole"); a smaller branch (a
township's few grassroots unions, a grassroots union) is counted directly from the same
measure queries filtered to its own units, a few thousand rows read by index. The child
units of a unit kept whole also have rows of the measures the breakdown by child unit shows
(``CHILD_MEASURES``, a fifth of the rows), so a dashboard's headline and its table of child
units come from the same refresh and never contradict each other.
"""

import calendar
import logging
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from common.statistics import statistics_refresh_if_stale
from funds.models import Disbursement, Entry
from hardship.models import HardshipFile
from people.models import UnionUnit
from reports.measures import CHILD_MEASURES, MEASURES, Measure
from reports.models import AS_AT_REFRESH, BranchLink, BranchTally, TallyRefresh
from reports.periods import month_number
from visits.models import Campaign, FollowUp, HelpService, Visit, VisitListRow

logger = logging.getLogger(__name__)

# The tables the measures read: their statistics are brought up to date first when stale.
MEASURE_READS = [
    model._meta.db_table
    for model in (
        HardshipFile,
        UnionUnit,
        Visit,
        HelpService,
        Campaign,
        VisitListRow,
        FollowUp,
        Entry,
        Disbursement,
    )
]

# How many years before the current one are kept precomputed (a yearly report
# compared with the year before needs two whole years and this one).
YEARS_KEPT_BEFORE = 2

# How long the log of refreshes is kept (one row every few minutes).
KEEP_LOG_DAYS = 30

# (measure, key, month) -> value
Tally = dict[tuple[str, str, int], Decimal]


def window_months(today: date) -> list[int]:
    first_year = today.year - YEARS_KEPT_BEFORE
    return [
        year * 100 + month
        for year in range(first_year, today.year + 1)
        for month in range(1, 13)
        if year * 100 + month <= month_number(today)
    ]


def recent_months(today: date, *, late_days: int = 3) -> list[int]:
    """The current month, and the previous one while late entries for it may still come."""
    months = [month_number(today)]
    if today.day <= late_days:
        months.insert(0, (today.year - 1) * 100 + 12 if today.month == 1 else months[0] - 1)
    return months


def _month_bounds(months: list[int]) -> tuple[date, date]:
    first, last = min(months), max(months)
    last_day = calendar.monthrange(last // 100, last % 100)[1]
    return date(first // 100, first % 100, 1), date(last // 100, last % 100, last_day)


def _path_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


def precomputed_units() -> set[int]:
    """The units whose figures are worth keeping: those with units below them whose branch
    holds at least ``TALLY_MIN_FILES`` files. Smaller branches (a township's few grassroots
    unions, a grassroots union itself) are counted directly in a few milliseconds, and
    keeping them would multiply the rows (4,000 townships were 88 % of them at scale)."""
    files_by_unit = dict(
        HardshipFile.objects.values("unit_id").annotate(n=Count("id")).values_list("unit_id", "n")
    )
    branch_files: dict[int, int] = defaultdict(int)
    parents = set()
    for unit_id, parent_id, path in UnionUnit.objects.values_list("id", "parent_id", "path"):
        if parent_id is not None:
            parents.add(parent_id)
        for ancestor_id in _path_ids(path):
            branch_files[ancestor_id] += files_by_unit.get(unit_id, 0)
    minimum = settings.TALLY_MIN_FILES
    return {unit_id for unit_id in parents if branch_files[unit_id] >= minimum}


def rebuild_branch_links() -> int:
    """Write the closure of the tree for every unit whose figures are precomputed: those kept
    whole (``precomputed_units``) and their child units (the breakdown's measures only)."""
    BranchLink.objects.all().delete()
    whole = precomputed_units()
    if not whole:
        return 0
    children = (
        set(UnionUnit.objects.filter(parent_id__in=whole).values_list("id", flat=True)) - whole
    )
    keep = sorted(whole | children)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO reports_branchlink (ancestor_id, unit_id, whole)
            SELECT CAST(part AS bigint), u.id, CAST(part AS bigint) = ANY(%s)
            FROM people_unionunit u,
                 unnest(string_to_array(trim(both '/' from u.path), '/')) AS part
            WHERE CAST(part AS bigint) = ANY(%s)
            """,
            [sorted(whole), keep],
        )
        written = cursor.rowcount
        # Fresh statistics, or the planner takes the just-filled table for empty and
        # joins every measure to it in a nested loop (a 26 s refresh took 121 s).
        cursor.execute("ANALYZE reports_branchlink")
    return written


def _roll_up(
    measure: Measure, *, first_day: date, last_day: date, today: date, months: list[int]
) -> int:
    inner, params = measure.queryset(
        first_day=first_day, last_day=last_day, today=today
    ).query.sql_with_params()
    # A child unit of a kept unit keeps the breakdown's measures only.
    own_only = "" if measure.name in CHILD_MEASURES else "AND link.whole"
    own_params: list = []
    if "*" in measure.own_only_keys:
        own_only += " AND link.ancestor_id = t.t_unit"
    elif measure.own_only_keys:
        marks = ", ".join(["%s"] * len(measure.own_only_keys))
        own_only += f" AND (link.ancestor_id = t.t_unit OR t.t_key NOT IN ({marks}))"
        own_params = sorted(measure.own_only_keys)
    month_marks = ", ".join(["%s"] * len(months))
    # The inner query is Django's own SQL for the measure; nothing here comes from a user.
    sql = f"""
        INSERT INTO reports_branchtally (unit_id, month, measure, key, value)
        SELECT link.ancestor_id, t.t_month, %s, t.t_key, SUM(t.t_value)
        FROM ({inner}) t
        JOIN reports_branchlink link ON link.unit_id = t.t_unit {own_only}
        WHERE t.t_month IN ({month_marks})
        GROUP BY link.ancestor_id, t.t_month, t.t_key
        HAVING SUM(t.t_value) <> 0
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [measure.name, *params, *own_params, *months])
        return cursor.rowcount


def refresh_tallies(
    *, months: list[int] | None = None, today: date | None = None, wait: bool = True
) -> TallyRefresh | None:
    """Count the figures now and for ``months`` (default: the recent ones) again.

    Idempotent: running it twice leaves the same rows. Two at once are
    serialised by a lock; with ``wait=False`` a refresh finding another one
    running does nothing and returns None (the frequent refresh: if one ever
    takes longer than its interval, they must not queue up behind each other).
    First the tables the measures read that changed in bulk since their last ANALYZE are
    analyzed (``statistics_refresh_if_stale``).
    """
    today = today or timezone.localdate()
    months = sorted(set(months if months is not None else recent_months(today)))
    started = time.perf_counter()
    rows = 0
    # A campaign's payments or a county's households written a minute ago must not look like
    # a few to the measures' queries; outside the transaction, so no ANALYZE's lock is held
    # for the whole refresh.
    statistics_refresh_if_stale(tables=MEASURE_READS)
    with transaction.atomic():
        if not _one_refresh_at_a_time(wait=wait):
            logger.info("figures not refreshed: another refresh is running")
            return None
        log = TallyRefresh.objects.create(started_at=timezone.now(), months=months)
        rebuild_branch_links()
        BranchTally.objects.filter(month__in=[AS_AT_REFRESH, *months]).delete()
        for measure in MEASURES:
            if measure.as_at_refresh:
                rows += _roll_up(
                    measure, first_day=today, last_day=today, today=today, months=[AS_AT_REFRESH]
                )
            elif months:
                first_day, last_day = _month_bounds(months)
                rows += _roll_up(
                    measure, first_day=first_day, last_day=last_day, today=today, months=months
                )
    log.finished_at = timezone.now()
    log.rows = rows
    log.seconds = round(time.perf_counter() - started, 3)
    log.save(update_fields=["finished_at", "rows", "seconds"])
    TallyRefresh.objects.filter(
        started_at__lt=log.started_at - timedelta(days=KEEP_LOG_DAYS)
    ).delete()
    logger.info("figures refreshed: %s rows for months %s in %.1f s", rows, months, log.seconds)
    return log


def _one_refresh_at_a_time(*, wait: bool) -> bool:
    """Take the refresh lock until commit; False if ``wait`` is off and another holds it."""
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
        return cursor.fetchone()[0]


# An arbitrary number naming the refresh's advisory lock.
REFRESH_LOCK = 7_406_211


def last_refresh() -> TallyRefresh | None:
    return TallyRefresh.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()


def kept_units(unit_ids: list[int]) -> dict[int, bool]:
    """Which of these units had figures precomputed at the last refresh, each with whether
    every measure was (kept whole) or only the breakdown's (the child unit of a kept unit)."""
    # Every kept unit is linked to itself: one index lookup a unit, not its whole branch.
    return dict(
        BranchLink.objects.filter(ancestor_id__in=unit_ids, unit_id=F("ancestor_id")).values_list(
            "ancestor_id", "whole"
        )
    )


def precomputed_unit_ids(unit_ids: list[int]) -> set[int]:
    """Which of these units had every figure precomputed at the last refresh."""
    return {unit_id for unit_id, whole in kept_units(unit_ids).items() if whole}


def large_branches_not_kept(units: list[UnionUnit], kept: set[int]) -> set[int]:
    """Which of these units (not in ``kept``) have units below them and at least
    ``TALLY_MIN_FILES`` files in their branch: the branches a page must not count on the spot.

    One statement; each unit's count stops at the minimum (``LIMIT``), so asking costs a few
    thousand index entries per unit however large its branch, where counting its figures
    directly would read all of them (a province's page took 28 s before its first refresh).
    """
    paths = {unit.pk: unit.path for unit in units if unit.pk not in kept}
    if not paths:
        return set()
    parts, params = [], []
    for unit_id, path in paths.items():
        # A constant prefix per unit, so the path's pattern index serves each one.
        parts.append(
            """
            SELECT %s WHERE EXISTS (SELECT 1 FROM people_unionunit c WHERE c.parent_id = %s)
              AND (SELECT count(*) FROM (
                       SELECT 1 FROM hardship_hardshipfile f
                       JOIN people_unionunit b ON b.id = f.unit_id
                       WHERE b.path LIKE %s LIMIT %s) capped) >= %s
            """
        )
        minimum = settings.TALLY_MIN_FILES
        params += [unit_id, unit_id, path + "%", max(minimum, 1), minimum]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {row[0] for row in cursor.fetchall()}


# Set while a refresh asked for by a page is on its way, so a hundred page loads send one.
REFRESH_ASKED_KEY = "reports:figures-refresh-asked"


def figures_refresh_ask() -> bool:
    """Ask a worker to count every kept month now (a page found a large branch without
    figures: a new installation, a fresh import, a stopped beat). Deduplicated for
    ``TALLY_REFRESH_MINUTES`` by a cache key, so a burst of page loads sends one message, and
    the refresh itself runs one at a time. The message leaves once the current transaction
    commits; if the broker cannot take it, the next page load asks again. True when asked.
    """
    if not cache.add(REFRESH_ASKED_KEY, True, timeout=settings.TALLY_REFRESH_MINUTES * 60):
        return False
    transaction.on_commit(_send_refresh)
    return True


def _send_refresh() -> None:
    from celery import current_app

    try:
        # retry=False: a page must not wait on a broker that is down.
        current_app.send_task("reports.refresh_all_figures", retry=False)
    except Exception:
        cache.delete(REFRESH_ASKED_KEY)
        logger.warning("could not ask for a refresh of the figures; the next page will ask again")


def read_tallies(
    unit_ids: list[int],
    *,
    months: list[int],
    today: date | None = None,
    measures: frozenset[str] | None = None,
    precomputed: set[int] | None = None,
) -> dict[int, Tally]:
    """The figures of each unit's branch for ``months`` and as at now (only ``measures``,
    when given; ``precomputed``: which of the units are kept, when the caller knows).

    Precomputed units are read from ``BranchTally`` in one query. The others
    (small branches) are counted directly: one query finds the units of their
    branches, then one query per measure counts those units' own rows, added up
    to every asked-for unit whose branch holds them. The number of queries does
    not grow with the number of units asked for.
    """
    today = today or timezone.localdate()
    result: dict[int, Tally] = {unit_id: defaultdict(Decimal) for unit_id in unit_ids}
    if precomputed is None:
        precomputed = precomputed_unit_ids(unit_ids)
    if precomputed:
        rows = BranchTally.objects.filter(
            unit_id__in=precomputed, month__in=[AS_AT_REFRESH, *months]
        )
        if measures is not None:
            rows = rows.filter(measure__in=measures)
        # Fetched whole: a server-side cursor cost more than the rows (160 ms for 50,000).
        for unit_id, measure, key, month, value in rows.values_list(
            "unit_id", "measure", "key", "month", "value"
        ):
            result[unit_id][measure, key, month] += value
    counted = {unit_id for unit_id in unit_ids if unit_id not in precomputed}
    if counted:
        wanted = [m for m in MEASURES if measures is None or m.name in measures]
        _count_directly(result, counted, wanted, months=months, today=today)
    return result


def _count_directly(
    result: dict[int, Tally],
    counted: set[int],
    measures: list[Measure],
    *,
    months: list[int],
    today: date,
) -> None:
    prefixes = Q()
    for path in UnionUnit.objects.filter(pk__in=counted).values_list("path", flat=True):
        prefixes |= Q(path__startswith=path)
    # Each unit of those branches, with the asked-for units whose branch it is in.
    counted_in = {
        unit_id: [ancestor for ancestor in _path_ids(path) if ancestor in counted]
        for unit_id, path in UnionUnit.objects.filter(prefixes).values_list("id", "path")
    }
    first_day, last_day = _month_bounds(months) if months else (today, today)
    wanted = {AS_AT_REFRESH, *months}
    for measure in measures:
        if not measure.as_at_refresh and not months:
            continue
        queryset = measure.queryset(first_day=first_day, last_day=last_day, today=today)
        queryset = queryset.filter(**{f"{measure.unit_field}__in": list(counted_in)})
        for row in queryset:
            if row["t_month"] not in wanted:
                continue
            for target in counted_in[row["t_unit"]]:
                if target != row["t_unit"] and _own_only(measure, row["t_key"]):
                    continue
                result[target][measure.name, row["t_key"], row["t_month"]] += Decimal(
                    row["t_value"] or 0
                )


def _own_only(measure: Measure, key: str) -> bool:
    return "*" in measure.own_only_keys or key in measure.own_only_keys
