"""Benchmark: the monthly periodic report PDF of a province, request to done.

The data: a province of 20,000 units, 1,000,000 files and 10,000,000 ledger
entries (``manage.py seed_scale``), in its own database, seeded beforehand.
First the precomputed figures are counted once for every kept month
(``refresh_tallies(months=window_months(today))``, what the nightly task
does), and that is timed and printed too. Then, timed in turn (the order
rotated every round, so load from other processes falls on all alike):

- the report: ``periodic_report_request`` for last month, run in this process
  through the job mechanism (Celery in eager mode: the on-commit send calls
  the task, which calls ``document_run``), until its row is done and the PDF
  stored: reading the figures of the province and its child units, formatting,
  charts, rendering;
- the baseline: plain WeasyPrint on a minimal HTML of the same tables (same
  rows, no charts, no margins, one small stylesheet), from figures already
  in memory.

Also printed: the two halves of the report alone (``unit_statistics`` and
``render_pdf``), the pages and the size.

What it found (warmth_bench_stats: S1省总工会, 20,000 units of which 20 directly
below, 1,000,000 files, about 10,000,000 ledger entries; 2 cores shared with
other engineers' jobs, so single figures moved by ±30 % between runs):

- ``refresh_tallies`` over the 35 kept months: 48.1 s, 423,676 figures
  written (129 s and 493,568 before money paid out was read from the
  payments rather than from ten million ledger entries);
- the report for last month (2026-10), request to done, on an idle machine:
  median 0.85 s (p95 0.92 s) against 0.54 s (p95 0.56 s) for plain
  WeasyPrint on the same tables, 1.58x; of which ``unit_statistics`` (the
  province and its 20 cities, from the precomputed figures) 0.05 s and
  ``render_pdf`` 0.94 s; 5 pages, 370 KiB against 270 KiB. Earlier, with
  other engineers' jobs on the two cores: 1.45 s against 0.76 s (1.9x), and
  3.05 s against 1.46 s (2.1x).
- where the rest goes: the report embeds a bold subset of Noto Sans CJK SC
  besides the regular one (headings, totals), the baseline only the regular
  one (hence the larger file), and lays out four charts, the page margins'
  running title, unit and page numbers, and the group rows; rendering without
  the charts measured the same within noise. Reading the figures is a
  twentieth of the time: the precomputation does its job, and a province costs what a
  county does.

    .venv/bin/python bench/reports.py                       # warmth_bench_stats
    .venv/bin/python bench/reports.py --repeat 3 --database postgres://…/small
"""

import argparse
import sys
import time

from harness import database_url, django_ready, rotated

BENCH_DATABASE_URL = database_url("warmth_bench_stats")

BASELINE_CSS = """
@page { size: A4 portrait; margin: 15mm; }
html { font-family: "Noto Sans CJK SC", sans-serif; font-size: 8.5pt; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin-bottom: 3mm; }
th, td { border: 0.5pt solid #777; padding: 0.6mm 1mm; }
td.n { text-align: right; }
"""


def baseline_html(context: dict) -> str:
    """The report's tables, and nothing else, as the plainest HTML."""
    from html import escape

    def compare(rows):
        lines = ["<table>"]
        for row in rows:
            if "group" in row:
                lines.append(f"<tr><td colspan=5>{escape(row['group'])}</td></tr>")
            else:
                cells = [row["value"], row["before"], row["change"], row["percent"]]
                lines.append(
                    f"<tr><td>{escape(row['label'])}</td>"
                    + "".join(f"<td class=n>{escape(c)}</td>" for c in cells)
                    + "</tr>"
                )
        lines.append("</table>")
        return "".join(lines)

    def grid(rows, keys):
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(str(row[k]))}</td>" for k in keys) + "</tr>"
            for row in rows
        )
        return f"<table>{body}</table>"

    students = [
        {"label": s["label"], **{f"s{k}": s["students"][k] for k in ("value", "before")},
         **{f"m{k}": s["money"][k] for k in ("value", "before")}}
        for s in context["students"]
    ]  # fmt: skip
    parts = [
        f"<h1>{escape(context['title'])}</h1><p>{escape(context['unit_name'])} "
        f"{escape(context['period_label'])}</p>",
        *(compare(context[key]) for key in ("summary", "on_record", "movements", "visits")),
        grid(context["campaigns"], ["name", "organiser", "listed", "visited", "percent"]),
        compare(context["money"]),
        compare(context["helped"]),
        grid(students, ["label", "svalue", "sbefore", "mvalue", "mbefore"]),
        grid(context["children"], list(context["children"][0]) if context["children"] else []),
    ]
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<style>{BASELINE_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=BENCH_DATABASE_URL)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-refresh", action="store_true", help="figures counted already")
    args = parser.parse_args()

    django_ready(args.database)
    import weasyprint
    from django.db import connection
    from django.utils import timezone, translation

    from config.celery import app
    from documents.models import GeneratedDocument
    from documents.pdf import pdf_page_count, render_pdf
    from people.models import UnionUnit, User
    from reports.documents import (
        PERIODIC_TEMPLATE,
        periodic_report_context,
        periodic_report_request,
    )
    from reports.models import BranchTally
    from reports.periods import Period
    from reports.statistics import unit_statistics
    from reports.tallies import refresh_tallies, window_months

    translation.activate("zh-hans")
    today = timezone.localdate()
    period = Period.previous_month(today)
    province = UnionUnit.objects.filter(level=UnionUnit.Level.PROVINCE).order_by("pk").first()
    if province is None:
        sys.exit("No province in this database: seed it with manage.py seed_scale first.")
    units = UnionUnit.objects.filter(path__startswith=province.path).count()
    children = UnionUnit.objects.filter(parent=province).count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM hardship_hardshipfile")
        (files,) = cursor.fetchone()
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'funds_entry'")
        (entries,) = cursor.fetchone()

    print(
        f"\n{province.name}: {units:,} units ({children} directly below), {files:,} files, "
        f"about {entries:,} ledger entries; report for {period.label} ({period.slug})"
    )
    if not args.skip_refresh:
        started = time.perf_counter()
        refresh = refresh_tallies(months=window_months(today))
        seconds = time.perf_counter() - started
        print(
            f"refresh_tallies over {len(refresh.months)} months: {seconds:.1f} s, "
            f"{refresh.rows:,} figures written"
        )
    print(f"precomputed figures kept: {BranchTally.objects.count():,}")

    user, _created = User.objects.get_or_create(
        username="bench.reports",
        defaults={"full_name": "基准测试", "unit": province, "is_caseworker": True},
    )
    app.conf.task_always_eager = True  # the on-commit send runs the task here, in this process
    made = []

    def report() -> int:
        # The same person asking again for the same report is handed the recent one
        # (document_request's reuse_recent): delete it first, so every request renders. A
        # row and a file, some milliseconds against a render of most of a second.
        while made:
            document = made.pop()
            document.result.delete(save=False)
            document.delete()
        document = periodic_report_request(unit=province, period=period, by=user)
        document.refresh_from_db()
        assert document.status == GeneratedDocument.Status.DONE, document.error
        made.append(document)
        return len(document.result.read())

    context = periodic_report_context(
        unit_statistics(province, period, today=today), made_by_label=user.full_name
    )
    html = baseline_html(context)

    def baseline() -> int:
        return len(weasyprint.HTML(string=html).write_pdf())

    print(f"\nmedian / p95 of {args.repeat} runs, timed in turn\n")
    print(f"{'measure':<62}{'median':>9}{'p95':>9}{'ratio':>8}")
    try:
        measured = rotated(
            [
                report,
                baseline,
                lambda: unit_statistics(province, period, today=today),
                lambda: len(render_pdf(PERIODIC_TEMPLATE, context)),
            ],
            args.repeat,
        )
        (median, p95, size), (b_median, b_p95, b_size), stats, render = measured
        print(f"{'report, request to done (job, in process)':<62}{median:>8.2f}s{p95:>8.2f}s"
              f"{median / b_median:>7.2f}x")  # fmt: skip
        print(f"  {'baseline: plain WeasyPrint, the same tables':<60}{b_median:>8.2f}s"
              f"{b_p95:>8.2f}s")  # fmt: skip
        print(f"  {'of which: unit_statistics (province + children)':<60}{stats[0]:>8.2f}s"
              f"{stats[1]:>8.2f}s")  # fmt: skip
        print(f"  {'of which: render_pdf of the report template':<60}{render[0]:>8.2f}s"
              f"{render[1]:>8.2f}s{render[0] / b_median:>7.2f}x")  # fmt: skip
        pages = pdf_page_count(made[-1].result.open("rb").read())
        print(f"\nreport: {pages} pages, {size / 1024:.0f} KiB; baseline {b_size / 1024:.0f} KiB")
    finally:
        for document in made:
            document.result.delete(save=False)
            document.delete()


if __name__ == "__main__":
    main()
