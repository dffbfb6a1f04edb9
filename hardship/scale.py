"""Generate large union trees fast, for benchmarks (`manage.py seed_scale`).

Rows are built in memory with their primary keys and paths already known, then
written with PostgreSQL's COPY (about ten times faster than bulk_create) or,
on SQLite, with bulk_create.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from hardship.models import UnionUnit

# How many children each level gets, at most, before the rest of the budget
# goes to grassroots unions: shaped like a province (a few dozen cities, a few
# hundred counties, thousands of streets).
FAN_OUT = {UnionUnit.Level.CITY: 20, UnionUnit.Level.COUNTY: 10, UnionUnit.Level.TOWNSHIP: 20}
NAME_PATTERN = {
    UnionUnit.Level.CITY: "第%d市总工会",
    UnionUnit.Level.COUNTY: "第%d区总工会",
    UnionUnit.Level.TOWNSHIP: "第%d街道工会",
    UnionUnit.Level.GRASSROOTS: "第%d基层工会",
}


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    code: str
    level: int
    parent_id: int | None
    division_code: str
    path: str


def province_rows(
    *, units: int, first_id: int, parent: UnionUnit | None, prefix: str
) -> Iterator[UnitRow]:
    """Yield ``units`` rows: one province and its branch, grassroots spread evenly over streets."""
    next_id = first_id

    def make(
        name: str, level: int, parent_id: int | None, parent_path: str, _number: int
    ) -> UnitRow:
        nonlocal next_id
        row = UnitRow(
            id=next_id,
            name=name,
            code=f"{prefix}-{next_id}",
            level=level,
            parent_id=parent_id,
            division_code="",
            path=f"{parent_path}{next_id}/",
        )
        next_id += 1
        return row

    province = make(
        f"{prefix}省总工会",
        UnionUnit.Level.PROVINCE,
        parent.pk if parent else None,
        parent.path if parent else "/",
        0,
    )
    yield province
    budget = units - 1
    layer = [province]
    for level in (UnionUnit.Level.CITY, UnionUnit.Level.COUNTY, UnionUnit.Level.TOWNSHIP):
        # Keep at least one grassroots union per street where the budget allows.
        per_parent = FAN_OUT[level]
        while per_parent > 1 and len(layer) * per_parent * 2 > budget:
            per_parent -= 1
        children = []
        for holder in layer:
            for number in range(per_parent):
                if budget == 0:
                    break
                child = make(
                    f"{prefix}{NAME_PATTERN[level] % (next_id)}",
                    level,
                    holder.id,
                    holder.path,
                    number,
                )
                children.append(child)
                budget -= 1
        yield from children
        layer = children or layer
    for number in range(budget):
        holder = layer[number % len(layer)]
        yield make(
            f"{prefix}{NAME_PATTERN[UnionUnit.Level.GRASSROOTS] % next_id}",
            UnionUnit.Level.GRASSROOTS,
            holder.id,
            holder.path,
            number,
        )


@transaction.atomic
def seed_province(*, units: int, prefix: str, parent: UnionUnit | None = None) -> UnionUnit:
    """Write a province of ``units`` units under ``parent``; returns the province."""
    first_id = (UnionUnit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    rows = province_rows(units=units, first_id=first_id, parent=parent, prefix=prefix)
    if connection.vendor == "postgresql":
        _copy_rows(rows)
    else:
        UnionUnit.objects.bulk_create((UnionUnit(**row.__dict__) for row in rows), batch_size=2000)
    return UnionUnit.objects.get(pk=first_id)


def _copy_rows(rows: Iterator[UnitRow]) -> None:
    columns = ("id", "name", "code", "level", "parent_id", "division_code", "path")
    table = UnionUnit._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.id,
                        row.name,
                        row.code,
                        row.level,
                        row.parent_id,
                        row.division_code,
                        row.path,
                    )
                )
        # The table name is our model's, never user input.
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
        )
