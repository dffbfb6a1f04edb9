"""Benchmark: the hardship file list of a province caseworker over 1,000,000 files.

Seeds (once) a 20,000-unit province with 1,000,000 files and about 2,000,000
household members (`manage.py seed_scale`), then times the file list page
through Django's test client, whole requests with every middleware: the first
page, a filter, name searches (two Chinese characters, full pinyin, initials)
and deep pages. Each figure (median and p95 over --repeat requests, and the
queries per request) is printed beside a baseline measured in the same run: a
minimal view that fetches the same rows by primary key and renders them with a
one-table template. Then, for every case, the plan of each query it ran on the files
(the rows query and the capped counts), compactly, one line per plan node with the index
it used, rows, loops and buffers (EXPLAIN (ANALYZE, BUFFERS)), so a reader sees which
index serves what.

    .venv/bin/python bench/files.py                       # BENCH_DATABASE_URL or a local warmth_bench_files
    .venv/bin/python bench/files.py --files 100000 --repeat 10
    .venv/bin/python bench/files.py --only q= --only "by name"   # the cases whose label holds either
"""

import argparse
import re
import sys
import time
import types

from harness import PRODUCTION_LIKE, database_url, django_ready, rotated, use_redis

BENCH_DATABASE_URL = database_url("warmth_bench_files")
BASELINE_TEMPLATE = """<table>{% for file in rows %}<tr>
<td><a href="{{ file.get_absolute_url }}">{{ file.file_number }}</a></td>
<td>{{ file.name }}</td><td>{{ file.masked_id_number }}</td><td>{{ file.get_status_display }}</td>
<td>{{ file.get_category_display }}</td><td>{{ file.main_cause }}</td><td>{{ file.unit.name }}</td>
</tr>{% endfor %}</table>"""
FILE_LINK = re.compile(r'href="/files/(\d+)/"')
NEXT_LINK = re.compile(r'href="\?([^"]*after=[^"]+)" rel="next"')


def prepare_environment() -> None:
    """Production's settings and the bench's fixed keys (the seeded ciphertext must decrypt on
    every later run); sessions and cache in PostgreSQL and memory: no figure depends on Redis.
    """
    use_redis(None)
    django_ready(BENCH_DATABASE_URL, **PRODUCTION_LIKE)


def install_baseline_view() -> None:
    """Serve /bench/baseline/?ids=…: the given files by primary key, in a one-table template."""
    from django.http import HttpResponse
    from django.template import Context, Template
    from django.test.utils import override_settings
    from django.urls import include, path

    from hardship.models import HardshipFile
    from people.access import branch_view

    template = Template(BASELINE_TEMPLATE)

    @branch_view()
    def baseline(request):
        ids = [int(pk) for pk in request.GET["ids"].split(",")]
        rows = list(
            HardshipFile.objects.filter(pk__in=ids)
            .select_related("unit", "main_cause")
            .order_by("-created_at", "-id")
        )
        return HttpResponse(template.render(Context({"rows": rows})))

    urls = types.ModuleType("bench_files_urls")
    urls.urlpatterns = [path("bench/baseline/", baseline), path("", include("config.urls"))]
    sys.modules[urls.__name__] = urls
    override_settings(ROOT_URLCONF=urls.__name__).enable()


def seed(units: int, files: int) -> "UnionUnit":  # noqa: F821 - imported after django.setup()
    """The province of ``units`` units and ``files`` files (bench/visit_lists.py and
    bench/batches.py use it too), seeded when missing."""
    from django.core.management import call_command

    from hardship.models import HardshipFile
    from people.models import UnionUnit

    prefix = f"BF{units}-{files}"
    province = (
        UnionUnit.objects.filter(code__startswith=f"{prefix}-", level=UnionUnit.Level.PROVINCE)
        .order_by("pk")
        .first()
    )
    if (
        province is None
        or not HardshipFile.objects.filter(unit__path__startswith=province.path).exists()
    ):
        started = time.perf_counter()
        call_command(
            "seed_scale", files=files, prefix=prefix, **({} if province else {"units": units})
        )
        print(
            f"seeded {'' if province else f'{units:,} units and '}{files:,} files "
            f"in {time.perf_counter() - started:.1f} s (including indexes and VACUUM ANALYZE)\n"
        )
        province = UnionUnit.objects.get(
            code__startswith=f"{prefix}-", level=UnionUnit.Level.PROVINCE
        )
    return province


def bench_user(*, username: str, unit) -> "User":  # noqa: F821
    from people.models import User

    user, _created = User.objects.get_or_create(
        username=username, defaults={"unit": unit, "full_name": "基准测试", "is_caseworker": True}
    )
    return user


# Plan nodes that only pass rows on (or count them): left out of the compact plans.
PASSING_NODES = {"Limit", "Aggregate", "Result", "Hash", "Memoize", "Materialize", "Gather"}


def query_kind(sql: str) -> str:
    """What a query of the file list is for, from its SQL (hardship.selectors.file_list_counts)."""
    if sql.startswith('SELECT * FROM (WITH "hardship_filenamekey"'):
        return "counts per status and the page's keys, one pass over the name keys' index"
    if sql.startswith("SELECT * FROM (WITH"):
        return "counts per status and the page's keys, one pass over at most 10,001 matches"
    if sql.startswith("SELECT value, COUNT(*)"):
        return "counts per status, one pass over at most 10,001 files"
    if sql.startswith("SELECT (SELECT COUNT(*)"):
        return "capped counts, one statement"
    return "rows"


def compact_plan(connection, sql: str) -> list[str]:
    """The plan ``sql`` runs: its time and buffers, then one line per node (but those that only
    pass rows on): what it reads (index and table), the rows it gave (per loop), loops, rows
    a filter dropped, heap fetches."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    top = document[0]
    lines = [f"  {query_kind(sql)}: {top['Execution Time']:.2f} ms, "
             f"{top['Plan']['Shared Hit Blocks'] + top['Plan']['Shared Read Blocks']:,} buffers"]  # fmt: skip

    def node(plan: dict, depth: int) -> None:
        if plan["Node Type"] in PASSING_NODES:
            for child in plan.get("Plans", []):
                node(child, depth)
            return
        what = plan["Node Type"]
        if "Index Name" in plan:
            what += f" using {plan['Index Name']}"
        if "Relation Name" in plan:
            what += f" on {plan['Relation Name']}"
        details = [f"{plan['Actual Rows']:,} rows"]
        if plan.get("Actual Loops", 1) > 1:
            details.append(f"{plan['Actual Loops']:,} loops")
        for key in ("Rows Removed by Filter", "Heap Fetches"):
            if plan.get(key):
                details.append(f"{key.lower()} {plan[key]:,}")
        lines.append(f"    {'  ' * depth}{what}: {', '.join(details)}")
        for child in plan.get("Plans", []):
            node(child, depth + 1)

    node(top["Plan"], 0)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deep", type=int, default=50, help="Pages to follow for the deep page.")
    parser.add_argument(
        "--only", action="append", default=[], help="Run only the cases whose label holds this."
    )
    args = parser.parse_args()

    prepare_environment()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from common.paging import _encode  # the list's own cursor format
    from hardship.models import HardshipFile
    from people.models import UnionUnit

    province = seed(args.units, args.files)
    install_baseline_view()
    branch_files = HardshipFile.objects.filter(unit__path__startswith=province.path)
    county = (
        UnionUnit.objects.filter(path__startswith=province.path, level=UnionUnit.Level.COUNTY)
        .order_by("pk")
        .first()
    )
    street = (
        UnionUnit.objects.filter(path__startswith=province.path, level=UnionUnit.Level.TOWNSHIP)
        .order_by("pk")
        .first()
    )

    clients = {}
    for label, unit in (("province", province), ("county", county), ("street", street)):
        clients[label] = Client()
        clients[label].force_login(bench_user(username=f"bench.{label}.{province.pk}", unit=unit))

    def get(client, url: str) -> str:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    def captured(client, url: str) -> tuple[str, list[str]]:
        """The page and the SQL of every query it ran."""
        connection.queries_log.clear()  # a full log (9,000 entries) would capture nothing
        with CaptureQueriesContext(connection) as queries:
            page = get(client, url)
        return page, [q["sql"] for q in queries.captured_queries]

    # Deep pages: follow the "next" links as a person would; then cursors built at the
    # middle and near the end of the province's list (the list's own cursor format).
    url = "/files/"
    for _ in range(args.deep - 1):
        page = get(clients["province"], url)
        url = "/files/?" + NEXT_LINK.search(page).group(1).replace("&amp;", "&")
    deep_url = url
    newest_first = branch_files.order_by("-created_at", "-id").values_list("created_at", "id")
    total = branch_files.count()
    middle_url = "/files/?after=" + _encode(list(newest_first[total // 2]))
    end_url = "/files/?after=" + _encode(list(newest_first[total - 101]))

    # (label, who, url)
    cases = [
        ("province: first page, newest first", "province", "/files/"),
        ("province: status on file + category deep", "province", "/files/?status=on_file&category=deep"),
        ("province: q=建国 (two characters, common)", "province", "/files/?q=建国"),
        ("province: q=志毅 (two characters, rarer)", "province", "/files/?q=志毅"),
        ("province: q=zhangjianguo (full pinyin)", "province", "/files/?q=zhangjianguo"),
        ("province: q=zjg (initials)", "province", "/files/?q=zjg"),
        (f"province: page {args.deep} by next links", "province", deep_url),
        ("province: page after the middle row", "province", middle_url),
        ("province: page after the 101st oldest", "province", end_url),
        ("province: first page by name", "province", "/files/?sort=name"),
        ("province: q=建国 + category deep", "province", "/files/?q=建国&category=deep"),
        ("province: q=建国 by name (read from the files)", "province", "/files/?q=建国&sort=name"),
        ("county: first page, newest first", "county", "/files/"),
        ("county: q=建国", "county", "/files/?q=建国"),
        ("street: first page, newest first", "street", "/files/"),
    ]  # fmt: skip
    if args.only:
        cases = [case for case in cases if any(part in case[0] for part in args.only)]

    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    print(
        f"hardship files: {HardshipFile.objects.count():,} in the database, {total:,} in the "
        f"province; county branch "
        f"{HardshipFile.objects.filter(unit__path__startswith=county.path).count():,}, street branch "
        f"{HardshipFile.objects.filter(unit__path__startswith=street.path).count():,}; "
        f"shared_buffers {buffers}; median / p95 of {args.repeat} requests through the test client\n"
    )
    print(f"{'measure':<48}{'median':>10}{'p95':>10}{'queries':>9}{'rows':>6}{'ratio':>8}")
    plans = []
    for label, who, url in cases:
        client = clients[who]
        page, queries = captured(client, url)
        ids = list(dict.fromkeys(FILE_LINK.findall(page)))
        baseline_url = f"/bench/baseline/?ids={','.join(ids) or '0'}"
        _page, baseline_queries = captured(client, baseline_url)
        (median, p95, _), (b_median, b_p95, _) = rotated(
            [
                lambda client=client, url=url: get(client, url),
                lambda client=client, url=baseline_url: get(client, url),
            ],
            args.repeat,
        )
        print(
            f"{label:<48}{median * 1000:>8.1f}ms{p95 * 1000:>8.1f}ms{len(queries):>9}"
            f"{len(ids):>6}{median / b_median:>7.1f}x"
        )
        print(
            f"  {'baseline: same rows by primary key':<46}{b_median * 1000:>8.1f}ms"
            f"{b_p95 * 1000:>8.1f}ms{len(baseline_queries):>9}{len(ids):>6}"
        )
        read = [
            sql
            for sql in queries
            if any(t in sql for t in ("hardship_hardshipfile", "hardship_filenamekey"))
        ]
        plans.append((label, read))

    counts = {
        key: HardshipFile.objects.filter(
            unit__path__startswith=province.path, search_keys__regex=rf"(^| ){key}( |$)"
        ).count()
        for key in ("建国", "志毅", "zhangjianguo", "zjg")
    }
    print("\nfiles matching: " + ", ".join(f"{key} {count:,}" for key, count in counts.items()))
    print("\nplans of the queries each case ran on the files (EXPLAIN ANALYZE, BUFFERS):")
    for label, sqls in plans:
        print(f"\n{label}")
        for sql in sqls:
            print("\n".join(compact_plan(connection, sql)))


if __name__ == "__main__":
    main()
