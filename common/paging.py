"""Keyset pagination: "the next 50 after this row", fast on page 1 and page 20,000 alike.

OFFSET makes the database walk past every earlier row (OFFSET 900000 measured
~300 ms against ~0.3 ms here), so lists page by the sort key of the last row
shown, carried in an opaque cursor.
"""

import base64
import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

K = TypeVar("K", bound=Hashable)


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool


def _encode(values: list) -> str:
    def plain(value):
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return str(value)
        return value

    raw = json.dumps([plain(v) for v in values], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, fields: list) -> list | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(values, list) or len(values) != len(fields):
        return None
    decoded = []
    for field, value in zip(fields, values, strict=True):
        # A foreign key holds the value of the key it points to.
        internal = (field.target_field if field.is_relation else field).get_internal_type()
        if value is None:
            return None
        if internal == "DateTimeField":
            value = parse_datetime(str(value))
        elif internal == "DateField":
            value = parse_date(str(value))
        elif internal in ("BigAutoField", "AutoField", "IntegerField", "PositiveIntegerField"):
            value = int(value) if str(value).lstrip("-").isdigit() else None
        else:
            value = str(value)
        if value is None:
            return None
        decoded.append(value)
    return decoded


def _after(order: tuple[str, ...], values: list) -> Q:
    """Rows strictly after ``values`` in ``order`` (each name optionally prefixed with -)."""
    condition = Q()
    for index, name in enumerate(order):
        field = name.lstrip("-")
        step = Q(**{f"{field}__{'lt' if name.startswith('-') else 'gt'}": values[index]})
        for earlier, earlier_name in enumerate(order[:index]):
            step &= Q(**{earlier_name.lstrip("-"): values[earlier]})
        condition |= step
    # The same rows, plus a bound on the first key alone, which lets the database
    # start its index scan at the cursor instead of walking every earlier row.
    first = order[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return bound & condition


def _reverse(order: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)


def keyset_page(
    queryset: QuerySet,
    *,
    order: tuple[str, ...],
    size: int,
    after: str = "",
    before: str = "",
    fetch: Callable[[QuerySet], QuerySet] | None = None,
) -> KeysetPage:
    """One page of ``queryset`` in ``order`` (which must end with a unique field, e.g. ``-id``).

    A cursor that does not decode is treated as none: the first page.

    With ``fetch`` (which narrows a queryset to what the page shows, e.g. ``select_related``
    and ``only``), the page's rows are chosen first by primary key alone, then fetched:
    choosing needs only the sort keys, which an index can hold, so the database may read a
    small branch's rows from that index and sort them rather than walk a whole table's in
    order; the fetch then reads the page's rows and nothing else.
    """
    ordered, current, going_back = _from_cursor(queryset, order=order, after=after, before=before)
    if fetch is None:
        rows = list(ordered[: size + 1])
    else:
        # Fetched by primary key alone: the keys were chosen within ``queryset`` already, and
        # its conditions repeated here tempt the planner to read all of a branch's rows (through
        # the index that chose them) and hash the page's keys, rather than probe for them.
        chosen = ordered.values("pk")[: size + 1]
        rows = list(fetch(queryset.model._base_manager.filter(pk__in=chosen)).order_by(*current))
    return _page(rows, queryset=queryset, order=order, size=size, after=after, back=going_back)


def _from_cursor(
    queryset: QuerySet, *, order: tuple[str, ...], after: str, before: str
) -> tuple[QuerySet, tuple[str, ...], bool]:
    """``queryset`` from the row a cursor names, in the order the page is read: (rows, that
    order, whether it is read backwards, from ``before``)."""
    fields = [queryset.model._meta.get_field(name.lstrip("-")) for name in order]
    if before and (values := _decode(before, fields)) is not None:
        backwards = _reverse(order)
        return queryset.order_by(*backwards).filter(_after(backwards, values)), backwards, True
    ordered = queryset.order_by(*order)
    if after and (values := _decode(after, fields)) is not None:
        ordered = ordered.filter(_after(order, values))
    return ordered, order, False


def _page(
    rows: list, *, queryset: QuerySet, order: tuple[str, ...], size: int, after: str, back: bool
) -> KeysetPage:
    """The page of ``rows`` (at most ``size`` + 1, in the order they were read) and its cursors."""
    names = [queryset.model._meta.get_field(name.lstrip("-")).attname for name in order]
    more = len(rows) > size
    rows = rows[:size]
    if back:
        rows.reverse()

    def cursor(row):
        return _encode([getattr(row, name) for name in names])

    if back:
        return KeysetPage(
            rows,
            cursor(rows[-1]) if rows else None,
            cursor(rows[0]) if rows and more else None,
            not more,
        )
    is_first = not after
    return KeysetPage(
        rows,
        cursor(rows[-1]) if rows and more else None,
        cursor(rows[0]) if rows and not is_first else None,
        is_first,
    )


def capped_count(queryset: QuerySet, *, cap: int = 10_000) -> tuple[int, bool]:
    """Count up to ``cap`` rows: (count, True) when there are more. Never scans a whole table."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap


def _limited_sql(queryset: QuerySet, *, field: str, limit: int, also=()) -> tuple[str, tuple]:
    """The SQL of ``field`` (and the fields ``also``) of at most ``limit`` rows of ``queryset``,
    in no particular order.

    Raises EmptyResultSet for a queryset that can hold no row (``.none()``).
    """
    limited = queryset.order_by().values(*dict.fromkeys([field, *also]))[:limit]
    return limited.query.get_compiler(using=queryset.db).as_sql()


def capped_counts(counts: Mapping[K, tuple[QuerySet, int]]) -> dict[K, tuple[int, bool]]:
    """Several ``capped_count``s, ``{key: (queryset, cap)}``, in one statement: one round trip
    for a page's heading and tabs instead of one each. All querysets use one database."""
    results: dict[K, tuple[int, bool]] = {}
    parts, params, keys, database = [], [], [], None
    for key, (queryset, cap) in counts.items():
        try:
            sql, sql_params = _limited_sql(queryset, field="pk", limit=cap + 1)
        except EmptyResultSet:
            results[key] = (0, False)
            continue
        # The ORM's own SQL for the queryset; every value stays a parameter.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608
        params.extend(sql_params)
        keys.append((key, cap))
        database = queryset.db
    if parts:
        with connections[database].cursor() as cursor:
            cursor.execute(f"SELECT {', '.join(parts)}", params)
            row = cursor.fetchone()
        for (key, cap), count in zip(keys, row, strict=True):
            results[key] = (min(count, cap), count > cap)
    return results


def counts_among_first(queryset: QuerySet, *, field: str, rows: int) -> tuple[dict, bool]:
    """How many rows hold each value of ``field`` among the first ``rows`` + 1 rows the database
    finds, and whether that was all of them (then the counts are exact): one statement that
    reads no more than ``rows`` + 1 rows.

    A value seen more than n times there has more than n rows in all; a small queryset (a
    street's files, a name search) is counted whole, every value at once.
    """
    try:
        sql, params = _limited_sql(queryset, field=field, limit=rows + 1)
    except EmptyResultSet:
        return {}, True
    with connections[queryset.db].cursor() as cursor:
        # The ORM's own SQL for the queryset; every value stays a parameter.
        grouped = f"SELECT value, COUNT(*) FROM ({sql}) AS first_rows(value) GROUP BY value"  # noqa: S608
        cursor.execute(grouped, params)
        counts = dict(cursor.fetchall())
    return counts, sum(counts.values()) <= rows


def counts_and_page_among_first(
    queryset: QuerySet,
    *,
    field: str,
    rows: int,
    narrow: Q,
    order: tuple[str, ...],
    size: int,
    after: str = "",
    before: str = "",
    fetch: Callable[[QuerySet], QuerySet] | None = None,
    listed: QuerySet | None = None,
    stands_for: str = "",
) -> tuple[dict, bool, KeysetPage | None]:
    """``counts_among_first`` and, when that pass saw every row, the ``keyset_page`` of
    ``queryset.filter(narrow)`` chosen from the same rows: one statement reads each of at most
    ``rows`` + 1 rows once (``field``, the primary key and the sort keys), counts them and
    chooses the page's keys among them; a second fetches the page's rows by primary key.
    Returns (counts, whole, page); the page is None when the pass did not see every row, and
    the caller pages as usual.

    For a queryset whose rows must be read from the table anyway (a search's matches, when
    its index holds neither their status nor their sort keys) this reads them once rather
    than once to count and once more to choose the page. ``narrow`` and ``order`` may name
    only the model's own columns: they are applied to the rows the pass read.

    With ``listed``, the page lists those rows, and each row of ``queryset`` stands for one of
    them, naming it by its foreign key ``stands_for`` (a name search's keys, which hold what
    the file list counts and sorts by, for its files). ``order`` is then the listed rows' and
    ends with their primary key, which ``queryset`` reads from ``stands_for``.
    """
    model = queryset.model
    if listed is None:
        listed, identity, own_order = queryset, model._meta.pk.attname, order
    else:
        # The column itself: ordering by the foreign key would follow it to the listed rows.
        identity = model._meta.get_field(stands_for).attname
        last = order[-1]
        own_order = (*order[:-1], f"-{identity}" if last.startswith("-") else identity)
    sort_keys = [model._meta.get_field(name.lstrip("-")).attname for name in own_order]
    read = list(dict.fromkeys([field, identity, *sort_keys]))
    choosing, _current, back = _from_cursor(
        model._base_manager.filter(narrow), order=own_order, after=after, before=before
    )
    choosing = choosing.values(identity)[: size + 1]
    if sum(1 for count in choosing.query.alias_refcount.values() if count) > 1:
        raise ValueError("narrow and order may name only the model's own columns")
    try:
        first_sql, first_params = _limited_sql(queryset, field=field, limit=rows + 1, also=read[1:])
        choosing_sql, choosing_params = choosing.query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        # No row can match (``.none()``), or none narrowed: each part apart, without a query
        # for the part that can hold no row.
        counts, whole = counts_among_first(queryset, field=field, rows=rows)
        page = keyset_page(
            listed.filter(narrow), order=order, size=size, after=after, before=before, fetch=fetch
        )
        return counts, whole, page
    quote = connections[queryset.db].ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(model._meta.get_field(name).column) for name in read]
    # The rows read take the table's name, and its column names, for the rest of the
    # statement (inside its own definition the name is still the table's), so the ORM's SQL
    # choosing the page, which names the table, chooses among them. The statement starts
    # with SELECT, as one that only reads: django-pghistory prefixes any other with its own.
    statement = (
        f"SELECT * FROM (WITH {table} ({', '.join(columns)}) AS MATERIALIZED ({first_sql}) "  # noqa: S608 - the ORM's SQL; every value a parameter
        f"SELECT {columns[0]}, COUNT(*), NULL FROM {table} GROUP BY 1 "
        f"UNION ALL SELECT NULL, NULL, chosen.* FROM ({choosing_sql}) AS chosen) AS found"
    )
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, (*first_params, *choosing_params))
        found = cursor.fetchall()
    counts = {value: count for value, count, _key in found if count is not None}
    if sum(counts.values()) > rows:
        return counts, False, None
    keys = [key for _value, count, key in found if count is None]
    # By primary key alone, as in keyset_page: the keys were chosen within ``queryset``.
    chosen = listed.model._base_manager.filter(pk__in=keys) if keys else listed.none()
    page_rows = list(
        (fetch(chosen) if fetch else chosen).order_by(*(_reverse(order) if back else order))
    )
    page = _page(page_rows, queryset=listed, order=order, size=size, after=after, back=back)
    return counts, True, page
