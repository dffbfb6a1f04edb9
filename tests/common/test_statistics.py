"""A bulk write refreshes the planner's statistics of its table before the job reads it back;
a bulk job refreshes those of the tables it reads that changed in bulk since their last ANALYZE."""

import pytest
from django.db import connection

from common.statistics import (
    BULK_WRITE_ROWS,
    statistics_refresh_after_bulk_write,
    statistics_refresh_if_stale,
)


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


@pytest.mark.django_db(transaction=True)
def test_a_table_loaded_in_bulk_since_its_last_analyze_is_analyzed_before_a_job_plans_on_it():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_written (n integer)")
        cursor.execute("ANALYZE bulk_written")  # the statistics of an empty table
        cursor.execute("INSERT INTO bulk_written SELECT generate_series(1, 5000)")
        # The row counts reach the statistics views once this backend reports them.
        cursor.execute("SELECT pg_stat_force_next_flush()")

    assert statistics_refresh_if_stale(tables=["bulk_written"]) == ["bulk_written"]
    assert _rows_the_planner_believes() == 5000
    assert statistics_refresh_if_stale(tables=["bulk_written"]) == []  # up to date now


@pytest.mark.django_db(transaction=True)
def test_a_table_barely_changed_since_its_last_analyze_is_left_alone():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_written (n integer)")
        cursor.execute("INSERT INTO bulk_written SELECT generate_series(1, 5000)")
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("ANALYZE bulk_written")
        cursor.execute("INSERT INTO bulk_written SELECT generate_series(1, 10)")
        cursor.execute("SELECT pg_stat_force_next_flush()")

    assert statistics_refresh_if_stale(tables=["bulk_written"]) == []
