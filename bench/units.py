"""Benchmark: list every unit in a province's branch of a 200,000-unit tree.

Prints the median and p95 time to fetch all descendants of the province by its
materialized path, beside a baseline measured in the same run: the same rows
fetched by primary-key range (the cheapest way PostgreSQL can return them).
Also a city's and a county's branch, and the count alone.

    make bench                       # uses BENCH_DATABASE_URL or a local warmth_bench
    .venv/bin/python bench/units.py --units 200000 --repeat 15
"""

import argparse

from harness import database_url, django_ready, generated_province, timed

BENCH_DATABASE_URL = database_url("warmth_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    django_ready(BENCH_DATABASE_URL)
    from django.db import connection

    from people.models import UnionUnit

    province, seeding = generated_province(f"BENCH{args.units}", units=args.units)
    if seeding is not None:
        print(f"seeded {args.units:,} units in {seeding:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE people_unionunit")

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
