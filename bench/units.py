"""Benchmark: list every unit in a province's branch of a 200,000-unit tree.

Prints the median and p95 time to fetch all descendants of the province by its
materialized path, beside a baseline measured in the same run: the same rows
fetched by primary-key range (the cheapest way PostgreSQL can return them).
Also a city's and a county's branch, and the count alone.

    make bench                       # uses BENCH_DATABASE_URL or a local warmth_bench
    .venv/bin/python bench/units.py --units 200000 --repeat 15
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/warmth_bench"
)


def prepare_environment() -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import psycopg

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(function, repeat: int) -> tuple[float, float, int]:
    function()  # warm the cache: we measure the query, not the first disk read
    samples, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        rows = function()
        samples.append(time.perf_counter() - start)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    prepare_environment()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from people.models import UnionUnit

    call_command("migrate", verbosity=0)
    prefix = f"BENCH{args.units}"
    province = UnionUnit.objects.filter(code=f"{prefix}-root").first()
    if province is None:
        started = time.perf_counter()
        call_command("seed_scale", units=args.units, prefix=prefix)
        province = UnionUnit.objects.filter(code__startswith=f"{prefix}-").order_by("pk").first()
        UnionUnit.objects.filter(pk=province.pk).update(code=f"{prefix}-root")
        print(f"seeded {args.units:,} units in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_unionunit")
    province.refresh_from_db()

    branch = UnionUnit.objects.filter(path__startswith=province.path)
    first_id, last_id = province.pk, branch.order_by("-pk").values_list("pk", flat=True)[0]
    city = branch.filter(level=UnionUnit.Level.CITY).order_by("pk").first()
    county = branch.filter(level=UnionUnit.Level.COUNTY).order_by("pk").first()
    columns = ("id", "name", "code", "level", "parent_id", "path")

    def by_path(unit):
        return lambda: len(
            list(UnionUnit.objects.filter(path__startswith=unit.path).values_list(*columns))
        )

    def by_pk_range():
        return len(
            list(UnionUnit.objects.filter(pk__gte=first_id, pk__lte=last_id).values_list(*columns))
        )

    def by_pk_list(ids):
        return lambda: len(list(UnionUnit.objects.filter(pk__in=ids).values_list(*columns)))

    city_ids = list(
        UnionUnit.objects.filter(path__startswith=city.path).values_list("pk", flat=True)
    )
    county_ids = list(
        UnionUnit.objects.filter(path__startswith=county.path).values_list("pk", flat=True)
    )

    print(
        f"\nunion-unit tree: {UnionUnit.objects.count():,} units; province branch "
        f"{branch.count():,}, city {len(city_ids):,}, county {len(county_ids):,}; "
        f"median / p95 of {args.repeat} runs\n"
    )
    print(f"{'measure':<46}{'median':>10}{'p95':>10}{'rows':>10}{'ratio':>8}")
    results = [
        ("province branch by path prefix", timed(by_path(province), args.repeat),
         "baseline: same rows by primary-key range", timed(by_pk_range, args.repeat)),
        ("city branch by path prefix", timed(by_path(city), args.repeat),
         "baseline: same rows by primary key list", timed(by_pk_list(city_ids), args.repeat)),
        ("county branch by path prefix", timed(by_path(county), args.repeat),
         "baseline: same rows by primary key list", timed(by_pk_list(county_ids), args.repeat)),
    ]  # fmt: skip
    for label, (median, p95, rows), base_label, (b_median, b_p95, b_rows) in results:
        print(
            f"{label:<46}{median * 1000:>8.1f}ms{p95 * 1000:>8.1f}ms{rows:>10,}{median / b_median:>7.2f}x"
        )
        print(f"  {base_label:<44}{b_median * 1000:>8.1f}ms{b_p95 * 1000:>8.1f}ms{b_rows:>10,}")
    count_median, _, _ = timed(lambda: branch.count(), args.repeat)
    print(f"{'count of the province branch':<46}{count_median * 1000:>8.1f}ms")
    print("\nplan of the county branch query:")
    print(UnionUnit.objects.filter(path__startswith=county.path).explain())


if __name__ == "__main__":
    main()
