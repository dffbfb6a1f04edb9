"""Planner statistics after a bulk write, and before a bulk job reads tables changed in bulk.

PostgreSQL plans each query from statistics that autovacuum refreshes some time after a
table changes. A job that has just written hundreds of thousands of rows and then reads them
(a province's visit lists, then their counts; its visit money, then who was left out) would
be planned as if the table were still as small as before, and a nested loop over "a few"
rows goes quadratic. ANALYZE samples a fixed number of rows (30,000 at the default target),
so it costs a fraction of a second whatever the table's size, and inside a transaction it
counts that transaction's own new rows.
"""

from django.db import connection

# Below this many rows written, the statistics' error cannot change a plan that matters. At
# 10,000, a county's 3,000 bank lines written into a near-empty table were planned as five,
# and the bank's reconciliation joined them to the payments in 15 million comparisons
# (3 seconds); ANALYZE of a table that small costs milliseconds.
BULK_WRITE_ROWS = 1_000


def statistics_refresh_after_bulk_write(*, table: str, rows: int) -> bool:
    """ANALYZE ``table`` when ``rows`` were just written to it in bulk; whether it did.

    Inside a transaction it holds the table's SHARE UPDATE EXCLUSIVE lock until commit:
    a second bulk job's ANALYZE of the same table waits for it (writers do not).
    """
    if rows < BULK_WRITE_ROWS:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return True


def statistics_refresh_if_stale(*, tables: list[str]) -> list[str]:
    """ANALYZE those of ``tables`` whose statistics autovacuum would refresh at its next round
    (more rows changed since their last ANALYZE than its threshold and scale factor allow),
    before a bulk job plans its statements on them; returns the tables analyzed.

    A branch whose households were imported or loaded a minute ago still looks nearly empty
    to the planner until autovacuum gets to it, and a nested loop over "a few" households,
    each re-reading thousands of materialized rows, goes quadratic (bench/campaign.py:
    building a freshly loaded county's lists took 3.9 s where one INSERT … SELECT takes
    0.2 s). Tables that are up to date cost one catalogue query for all of them.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.relid::regclass::text FROM pg_stat_user_tables s
            JOIN pg_class c ON c.oid = s.relid
            WHERE s.relid = ANY(%s::regclass[])
              AND s.n_mod_since_analyze > current_setting('autovacuum_analyze_threshold')::float
                  + current_setting('autovacuum_analyze_scale_factor')::float
                    * GREATEST(c.reltuples, 0)
            ORDER BY 1
            """,
            [list(tables)],
        )
        stale = [name for (name,) in cursor.fetchall()]
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale
