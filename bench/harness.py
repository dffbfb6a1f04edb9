"""What the benchmarks share: their own database, timings taken in turn, a real Celery worker.

Import it first (``from harness import …``; bench/ is on the path as the script's
folder): it puts the project on the path too. Then, before ``django.setup()``,
``use_database`` (or ``django_ready``, which also sets Django up and migrates).
"""

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# First on the path: the project's apps before the scripts (bench/reports.py is not reports/).
sys.path.insert(0, str(ROOT))

# Redis of the runs through a real worker (its broker); BENCH_REDIS_URL to change.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
# Production's settings (DEBUG off: no query log, no debug pages) with fixed, bench-only
# keys: ciphertext seeded by one run must decrypt on every later run and in every script
# sharing its database. Never point these at a real database.
PRODUCTION_LIKE = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-never-used-in-production-1f2e3d4c",
    "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1rZXktMzItYnl0ZXMhISE=",
    "ID_HASH_KEY": "bench-only-id-hash-key-never-used-in-production",
    "ALLOWED_HOSTS": "testserver,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "SESSION_COOKIE_SECURE": "0",
    "CSRF_COOKIE_SECURE": "0",
    "STATIC_MANIFEST": "0",
}


def database_url(default_name: str) -> str:
    """BENCH_DATABASE_URL, or the local database ``default_name``."""
    return os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{default_name}"
    )


def use_database(database_url: str, *, fresh: bool = False, **environment: str) -> None:
    """Point Django at ``database_url`` (created when missing; dropped first if ``fresh``),
    with the demo app's generators installed (DEMO_DATA=1), before ``django.setup()``.
    """
    import psycopg

    os.environ["DATABASE_URL"] = database_url
    os.environ["DEMO_DATA"] = "1"  # seed_scale and the generators live in the demo app
    os.environ.update(environment)
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def use_redis(url: str | None) -> None:
    """Redis at ``url`` (broker and results; the cache follows REDIS_URL), or none at all:
    sessions and cache then stay in PostgreSQL and memory. Before ``django.setup()``."""
    if url:
        os.environ["REDIS_URL"] = url
    else:
        os.environ.pop("REDIS_URL", None)
    os.environ.pop("CACHE_REDIS_URL", None)


def django_ready(database_url: str, **environment: str) -> None:
    """``use_database``, then ``django.setup()`` and the migrations."""
    use_database(database_url, **environment)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def generated_province(prefix: str, **seed_scale_options):
    """The province ``manage.py seed_scale --prefix prefix`` generated, once it is complete
    (its code then ends in ``-root``), or generated now with the given options; returns it and
    the seconds the seeding took (None when it was there already). After ``django_ready``.
    """
    from django.core.management import call_command

    from people.models import UnionUnit

    province = UnionUnit.objects.filter(code=f"{prefix}-root").first()
    if province is not None:
        return province, None
    started = time.perf_counter()
    call_command("seed_scale", prefix=prefix, **seed_scale_options)
    province = UnionUnit.objects.filter(code__startswith=f"{prefix}-").order_by("pk").first()
    UnionUnit.objects.filter(pk=province.pk).update(code=f"{prefix}-root")
    province.refresh_from_db()
    return province, time.perf_counter() - started


# ---------------------------------------------------------------- timings


def median_p95(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return statistics.median(samples), samples[
        min(len(samples) - 1, round(0.95 * (len(samples) - 1)))
    ]


def in_turn(functions: list, repeat: int, *, before=None, after=None) -> list[list[float]]:
    """Call each of ``functions`` once a round, ``repeat`` rounds, the order rotated every
    round (for two: swapped), so load from other processes falls on all of them alike.

    ``before(which)`` runs untimed before each call (a clean slate, say), ``after(round_,
    which, seconds, result)`` untimed after it. Returns the seconds of each, round by round.
    """
    samples: list[list[float]] = [[] for _ in functions]
    for round_ in range(repeat):
        for step in range(len(functions)):
            which = (round_ + step) % len(functions)
            if before:
                before(which)
            start = time.perf_counter()
            result = functions[which]()
            samples[which].append(time.perf_counter() - start)
            if after:
                after(round_, which, samples[which][-1], result)
    return samples


def rotated(functions: list, repeat: int) -> list[tuple[float, float, object]]:
    """Time each of ``functions`` ``in_turn`` after one warm-up call each (imports, fonts,
    the database's cache); returns (median, p95, last result) of each.
    """
    for function in functions:
        function()
    results: list = [None] * len(functions)

    def keep(_round, which, _seconds, result):
        results[which] = result

    samples = in_turn(functions, repeat, after=keep)
    return [(*median_p95(samples[i]), results[i]) for i in range(len(functions))]


def timed(function, repeat: int) -> tuple[float, float, object]:
    """(median, p95, last result) of ``function`` alone, after one warm-up call."""
    return rotated([function], repeat)[0]


# ---------------------------------------------------------------- a real Celery worker


@contextmanager
def celery_worker(
    *, queue: str, concurrency: int, log_path: Path, include: tuple[str, ...] = (), **environment
):
    """A prefork worker of ``concurrency`` processes consuming ``queue`` only, the default
    queue of this process's tasks meanwhile; yields its Popen once it has answered a health
    check, and stops it at the end. Its output goes to ``log_path``; ``environment`` is
    added to this process's for it.
    """
    from config.celery import app

    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
        "--concurrency", str(concurrency), "--queues", queue, "--hostname", f"{queue}@%h",
        *(option for module in include for option in ("--include", module)),
        "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING",
    ]  # fmt: skip
    app.conf.task_default_queue = queue  # where document_request sends the jobs
    with open(log_path, "ab") as log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=os.environ | environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        app.send_task("documents.health_check", queue=queue).get(timeout=120)
        yield worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
