"""What the newer benchmarks share: their own database, and timings taken in turn.

(The older scripts still carry their own copies of these; they work alike.)
"""

import os
import statistics
import time


def use_database(database_url: str, **environment: str) -> None:
    """Point Django at ``database_url`` (created when missing) before ``django.setup()``."""
    import psycopg

    os.environ["DATABASE_URL"] = database_url
    os.environ.update(environment)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def median_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * (len(samples) - 1)))
    ]


def rotated(functions: list, repeat: int) -> list[tuple[float, float, object]]:
    """Time each of ``functions`` once a round, the order rotated every round, so load from
    other processes falls on all of them alike; returns (median, p95, last result) of each.
    """
    for function in functions:
        function()  # warm up: imports, fonts, the database's cache
    samples: list[list[float]] = [[] for _ in functions]
    results: list = [None] * len(functions)
    for round_ in range(repeat):
        for step in range(len(functions)):
            which = (round_ + step) % len(functions)
            start = time.perf_counter()
            results[which] = functions[which]()
            samples[which].append(time.perf_counter() - start)
    return [(*median_p95(samples[i]), results[i]) for i in range(len(functions))]
