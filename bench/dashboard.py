"""Benchmark: the dashboard of a province user and of a grassroots user over 1,000,000 files
and 10,000,000 ledger entries, beside the same figures as plain SQL aggregates.

Prints, median and p95 of --repeat runs timed in turn (order swapped every
round, so load from other processes falls on both):

- first, with every precomputed figure emptied (as a new installation, a fresh import or a
  stopped beat leave it), the province's home page, which must say that its figures are being
  prepared and not count its branch on the spot (target: under 300 ms);
- the whole dashboard page (``GET /`` through Django's test client, signed in:
  the view, the precomputed figures, the template) for a province caseworker
  and for a grassroots caseworker;
- the baseline: the same key figures of the same branch counted directly by
  plain SQL over the records (files on record by category and by child unit,
  files opened, visits and person-times, money received and allocated by month
  from the ledger, payments and households helped by month,
  coverage of current campaigns, overdue follow-ups) — what the page would
  cost without precomputation;
- the refresh that keeps the figures fresh: the every-few-minutes one (counts
  as they stand and the current month) and the nightly one (every kept month).

What it printed (2 cores, idle but for this; S1省总工会: 20,000 units, 1,000,000
files, 10,000,000 ledger entries, no payment rows; 423,676 precomputed figures):

    refresh, nightly (every kept month): 47.1 s
    refresh, every few minutes (now and this month): 12.7 s
    dashboard page, province                         99.8 ms (p95 166 ms)   0.05x
      baseline: the same figures by plain SQL      1995.3 ms (p95 2199 ms)
    dashboard page, grassroots                       61.6 ms (p95 63 ms)   16.8x
      baseline: the same figures by plain SQL         3.7 ms (p95 7.4 ms)

The province's page costs what a grassroots union's does, a twentieth of
counting its records; about half of either is the page itself (five charts and
their tables, the children's table), the rest reading the figures. A
grassroots union is counted directly (its branch is below TALLY_MIN_FILES): its
baseline is seven queries over a few dozen rows, the page's one query per
measure (about thirty, 1–2 ms each) plus the same rendering. On the way: before
the children's rows were narrowed to the measures the breakdown shows, the
province's page took 363 ms (its statistics 300 ms, now 70 ms); before the
branch links were analysed after being rewritten, the frequent refresh took
121 s; while money paid out was read from the ledger (ten million entries)
rather than from the payments, the nightly refresh took 89 s and the frequent
one 16 s.

The data: ``manage.py seed_scale --units 20000 --files 1000000 --ledger-entries
10000000`` into its own database (BENCH_DATABASE_URL, default
warmth_bench_stats), seeded once and reused (about 7 minutes here).

    .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --repeat 5
"""

import argparse
import os
import time

from harness import database_url, django_ready, rotated

BENCH_DATABASE_URL = database_url("warmth_bench_stats")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    django_ready(BENCH_DATABASE_URL, ALLOWED_HOSTS=os.environ.get("ALLOWED_HOSTS", "testserver"))
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone, translation

    from hardship.models import HardshipFile
    from people.models import UnionUnit, User
    from reports.models import BranchLink, BranchTally, TallyRefresh
    from reports.periods import Period
    from reports.tallies import refresh_tallies, window_months

    if not HardshipFile.objects.exists():
        started = time.perf_counter()
        call_command("seed_scale", units=20000, files=1_000_000, ledger_entries=10_000_000)
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    today = timezone.localdate()
    province = UnionUnit.objects.filter(level=UnionUnit.Level.PROVINCE).order_by("pk").first()
    period = Period.year_to_date(today)
    start, end = period.first_day, period.last_day

    def signed_in(unit):
        user, _created = User.objects.get_or_create(
            username=f"bench.{unit.code}", defaults={"unit": unit, "is_caseworker": True}
        )
        client = Client()
        client.force_login(user)
        return client

    def page(client):
        def run():
            response = client.get("/")
            assert response.status_code == 200, response.status_code

        return run

    def plain_sql(unit):
        """The dashboard's key figures of ``unit``'s branch, counted directly."""
        like = unit.path + "%"
        child_part = len(unit.path.strip("/").split("/")) + 1

        def run():
            with connection.cursor() as cursor:
                cursor.execute(
                    """SELECT split_part(u.path, '/', %s + 1), f.category, COUNT(*)
                       FROM hardship_hardshipfile f JOIN people_unionunit u ON u.id = f.unit_id
                       WHERE u.path LIKE %s AND f.opened_on IS NOT NULL AND f.ended_on IS NULL
                       GROUP BY 1, 2""",
                    [child_part, like],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT COUNT(*) FROM hardship_hardshipfile f
                       JOIN people_unionunit u ON u.id = f.unit_id
                       WHERE u.path LIKE %s AND f.opened_on BETWEEN %s AND %s""",
                    [like, start, end],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT v.kind, COUNT(*), SUM(v.people_reached) FROM visits_visit v
                       JOIN hardship_hardshipfile f ON f.id = v.file_id
                       JOIN people_unionunit u ON u.id = f.unit_id
                       WHERE u.path LIKE %s AND v.visited_on BETWEEN %s AND %s GROUP BY 1""",
                    [like, start, end],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT a.kind, date_trunc('month', e.posted_at), SUM(e.amount)
                       FROM funds_entry e JOIN funds_account a ON a.id = e.account_id
                       JOIN funds_fund d ON d.id = a.fund_id
                       JOIN people_unionunit u ON u.id = d.unit_id
                       WHERE u.path LIKE %s AND a.kind IN ('income', 'allocated')
                         AND e.posted_at >= %s GROUP BY 1, 2""",
                    [like, start],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT d.purpose, date_trunc('month', d.paid_at), COUNT(*), SUM(d.amount)
                       FROM funds_disbursement d JOIN hardship_hardshipfile f ON f.id = d.file_id
                       JOIN people_unionunit u ON u.id = f.unit_id
                       WHERE u.path LIKE %s AND d.status = 'paid' AND d.paid_at >= %s
                       GROUP BY 1, 2""",
                    [like, start],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT r.campaign_id, COUNT(*), COUNT(r.visit_id) FROM visits_visitlistrow r
                       JOIN visits_visitlist l ON l.id = r.visit_list_id
                       JOIN visits_campaign c ON c.id = r.campaign_id
                       JOIN people_unionunit u ON u.id = l.unit_id
                       WHERE u.path LIKE %s AND c.starts_on <= %s AND c.ends_on >= %s
                       GROUP BY 1""",
                    [like, today, today],
                )
                cursor.fetchall()
                cursor.execute(
                    """SELECT COUNT(*) FROM visits_followup w
                       JOIN hardship_hardshipfile f ON f.id = w.file_id
                       JOIN people_unionunit u ON u.id = f.unit_id
                       WHERE u.path LIKE %s AND w.status = 'open' AND w.due_on < %s""",
                    [like, today],
                )
                cursor.fetchall()

        return run

    # First as a new installation, a fresh import or a stopped beat leave it: no figures at all.
    # The page must say they are being prepared (and ask for them once), not count the branch.
    with connection.cursor() as cursor:
        for model in (BranchTally, BranchLink, TallyRefresh):
            cursor.execute(f"TRUNCATE {model._meta.db_table}")
    (never_median, never_p95, _), (sql_median, sql_p95, _) = rotated(
        [page(signed_in(province)), plain_sql(province)], args.repeat
    )
    shown = signed_in(province).get("/").content.decode()
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("Being counted now.") in shown, "the page counted on the spot"

    started = time.perf_counter()
    refresh_tallies(months=window_months(today), today=today)
    nightly = time.perf_counter() - started
    started = time.perf_counter()
    refresh_tallies(today=today)
    recent = time.perf_counter() - started
    rows = BranchTally.objects.count()

    grassroots = (
        HardshipFile.objects.filter(unit__path__startswith=province.path, unit__children=None)
        .values_list("unit", flat=True)
        .order_by("unit")
        .first()
    )
    grassroots = UnionUnit.objects.get(pk=grassroots)

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM funds_entry")
        (entries,) = cursor.fetchone()
    files = HardshipFile.objects.count()
    branch_files = HardshipFile.objects.filter(unit__path__startswith=province.path).count()
    print(
        f"\n{files:,} files ({branch_files:,} in {province.name}'s branch), {entries:,} ledger "
        f"entries; {rows:,} precomputed figures"
    )
    print(f"refresh, nightly (every kept month): {nightly:.1f} s")
    print(f"refresh, every few minutes (now and this month): {recent:.1f} s\n")
    print(
        f"{'median / p95 of ' + str(args.repeat) + ' runs':<52}{'median':>10}{'p95':>10}{'ratio':>8}"
    )
    print(
        f"{'dashboard page, province, figures never refreshed':<52}"
        f"{never_median * 1000:>8.1f}ms{never_p95 * 1000:>8.1f}ms{never_median / sql_median:>7.2f}x"
        f"   (target: under 300 ms)"
    )
    print(
        f"{'  baseline: the same figures by plain SQL':<52}"
        f"{sql_median * 1000:>8.1f}ms{sql_p95 * 1000:>8.1f}ms"
    )
    for who, unit in (("province", province), ("grassroots", grassroots)):
        (page_median, page_p95, _), (sql_median, sql_p95, _) = rotated(
            [page(signed_in(unit)), plain_sql(unit)], args.repeat
        )
        print(
            f"{'dashboard page, ' + who + ' (' + unit.name[:14] + ')':<52}"
            f"{page_median * 1000:>8.1f}ms{page_p95 * 1000:>8.1f}ms{page_median / sql_median:>7.2f}x"
        )
        print(
            f"{'  baseline: the same figures by plain SQL':<52}"
            f"{sql_median * 1000:>8.1f}ms{sql_p95 * 1000:>8.1f}ms"
        )


if __name__ == "__main__":
    main()
