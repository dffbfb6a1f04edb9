"""Planner statistics after a bulk write.

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
