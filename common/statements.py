"""How many SQL statements a piece of work ran, and how long the database took over them."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection


@dataclass
class StatementsSpent:
    count: int = 0
    seconds: float = 0.0


@contextmanager
def statements_counted() -> Iterator[StatementsSpent]:
    """Count the statements run on the default connection inside the block, and their time."""
    spent = StatementsSpent()

    def counting(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.count += 1
            spent.seconds += time.perf_counter() - started

    with connection.execute_wrapper(counting):
        yield spent
