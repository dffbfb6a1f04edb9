"""A bulk write refreshes the planner's statistics of its table before the job reads it back."""

from django.db import connection

from common.statistics import BULK_WRITE_ROWS, statistics_refresh_after_bulk_write


def _table_with_rows(rows: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_written (n integer)")
        cursor.execute("ANALYZE bulk_written")  # the statistics of an empty table
        cursor.execute("INSERT INTO bulk_written SELECT generate_series(1, %s)", [rows])


def _rows_the_planner_believes() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'bulk_written'")
        return cursor.fetchone()[0]


def test_a_bulk_write_is_analyzed_in_its_own_transaction(db):
    _table_with_rows(BULK_WRITE_ROWS * 2)

    assert statistics_refresh_after_bulk_write(table="bulk_written", rows=BULK_WRITE_ROWS * 2)
    assert _rows_the_planner_believes() == BULK_WRITE_ROWS * 2


def test_a_small_write_leaves_the_statistics_alone(db):
    _table_with_rows(BULK_WRITE_ROWS - 1)

    assert not statistics_refresh_after_bulk_write(table="bulk_written", rows=BULK_WRITE_ROWS - 1)
    assert _rows_the_planner_believes() <= 0
