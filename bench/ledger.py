"""Benchmark: a fund's balance and a unit's period statement over a 10,000,000-entry ledger.

Prints median and p95 beside a baseline measured in the same run, the two
timed in turn (the order swapped every round), so load from other processes
falls on both:

- the balance of a fund, ``funds.selectors.fund_balance`` (two account rows
  kept by the entry trigger), against the plain SUM over the same fund's
  asset-account entries;
- the statement of the busiest fund (``fund_statement``) for a quarter and a
  year, against plain SQL over the same entries: the opening SUM of the asset
  accounts before the period and one GROUP BY account over the period.

Then EXPLAIN (ANALYZE, BUFFERS) of the statement's queries, checked to be
index-only scans of ``entry_account_posted`` (account, posted_at) INCLUDE
(amount).

What it found (10,000,000 entries): the balance is 2.5 ms against 116 ms for
the SUM. The statement was 2.5x (quarter) and 8x (year) its baseline on the
first run, because its GROUP BY joined funds_ledgertransaction: Entry's
``Meta.ordering`` followed the relation to LedgerTransaction and its own
ordering, and Django keeps that join in an aggregate even though it drops the
ORDER BY, so every entry of the period was fetched from the heap and looked up
in the transactions' primary key. Entry is now ordered by ``transaction_id``;
the second run: balance 2.0 ms against 58.6 ms, a quarter's statement 63 ms
against 59 ms (1.06x), a year's 33 ms against 29 ms (1.12x), all index-only
scans. The opening SUM still grows with the fund's history (every asset entry
before the period); for a long-lived busy fund a closing balance per account
and month would bound it.

Batch proposal and approval of a province's visit money: bench/batches.py.

The data: ``manage.py seed_scale --units 2000 --ledger-entries N`` (demo/scale/ledger.py)
into its own database, seeded once and reused.

    .venv/bin/python bench/ledger.py                     # 10,000,000 entries, warmth_bench_ledger
    .venv/bin/python bench/ledger.py --entries 200000 --repeat 10
"""

import argparse
from datetime import date, timedelta

from harness import database_url, django_ready, generated_province, rotated

BENCH_DATABASE_URL = database_url("warmth_bench_ledger")
UNITS = 2000
INDEX = "entry_account_posted"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    django_ready(BENCH_DATABASE_URL)
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum
    from django.test.utils import CaptureQueriesContext

    from funds.choices import ASSET_ACCOUNTS
    from funds.models import Account, Entry, Fund
    from funds.selectors import _start_of, fund_balance, fund_statement

    province, seeding = generated_province(
        f"LEDGER{args.entries}", units=UNITS, ledger_entries=args.entries
    )
    if seeding is not None:
        print(f"seeded {UNITS:,} units and the ledger in {seeding:.1f} s")
        call_command("check_ledger")
    funds = Fund.objects.filter(unit__path__startswith=province.path)
    entry_table, account_table = Entry._meta.db_table, Account._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.fund_id, COUNT(*) FROM {entry_table} e "
            f"JOIN {account_table} a ON a.id = e.account_id "
            "WHERE a.fund_id = ANY(%s) GROUP BY a.fund_id ORDER BY 2 DESC LIMIT 1",
            [list(funds.values_list("pk", flat=True))],
        )
        busy_id, busy_entries = cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*) FROM {entry_table}")
        (total_entries,) = cursor.fetchone()
    fund = Fund.objects.select_related("unit").get(pk=busy_id)
    asset_ids = list(
        Account.objects.filter(fund=fund, kind__in=ASSET_ACCOUNTS).values_list("pk", flat=True)
    )
    account_ids = list(Account.objects.filter(fund=fund).values_list("pk", flat=True))
    last = fund.transactions.order_by("-posted_at").values_list("posted_at", flat=True)[0]
    year_end = date(last.year - 1, 12, 31)  # the last whole year and its last quarter
    periods = [
        ("quarter", date(year_end.year, 10, 1), year_end),
        ("year", date(year_end.year, 1, 1), year_end),
    ]

    def balance():
        return fund_balance(fund).held

    def balance_baseline():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT SUM(amount) FROM {entry_table} WHERE account_id = ANY(%s)",
                [asset_ids],
            )
            return cursor.fetchone()[0]

    def statement(first_day, last_day):
        def run():
            result = fund_statement(fund, first_day=first_day, last_day=last_day)
            assert result.reconciles
            return result.closing

        return run

    def statement_baseline(first_day, last_day):
        start, end = _start_of(first_day), _start_of(last_day + timedelta(days=1))

        def run():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT SUM(amount) FROM {entry_table} "
                    "WHERE account_id = ANY(%s) AND posted_at < %s",
                    [asset_ids, start],
                )
                opening = cursor.fetchone()[0] or 0
                cursor.execute(
                    f"SELECT account_id, SUM(amount) FROM {entry_table} "
                    "WHERE account_id = ANY(%s) AND posted_at >= %s AND posted_at < %s "
                    "GROUP BY account_id",
                    [account_ids, start, end],
                )
                moved = dict(cursor.fetchall())
            return opening + sum(moved.get(pk, 0) for pk in asset_ids)

        return run

    print(
        f"\nledger: {total_entries:,} entries; busiest fund #{fund.pk} {fund} "
        f"({busy_entries:,} entries in {len(account_ids)} accounts); "
        f"median / p95 of {args.repeat} runs, timed in turn\n"
    )
    print(f"{'measure':<58}{'median':>10}{'p95':>10}{'ratio':>8}")
    cases = [
        ("fund balance (fund_balance)", balance,
         "baseline: plain SUM over its asset-account entries", balance_baseline),
    ] + [
        (f"statement of a {name} (fund_statement)", statement(first, last_day),
         "baseline: opening SUM + GROUP BY account, plain SQL", statement_baseline(first, last_day))
        for name, first, last_day in periods
    ]  # fmt: skip
    for label, measure, base_label, baseline in cases:
        (median, p95, value), (b_median, b_p95, b_value) = rotated([measure, baseline], args.repeat)
        assert value == b_value, (label, value, b_value)
        print(f"{label:<58}{median * 1000:>8.2f}ms{p95 * 1000:>8.2f}ms{median / b_median:>7.2f}x")
        print(f"  {base_label:<56}{b_median * 1000:>8.2f}ms{b_p95 * 1000:>8.2f}ms")

    for name, first, last_day in periods:
        with CaptureQueriesContext(connection) as queries:
            fund_statement(fund, first_day=first, last_day=last_day)
        print(f"\nplans of the {name}'s statement ({first} to {last_day}):")
        for query in queries.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n{query['sql'][:160]}{'…' if len(query['sql']) > 160 else ''}\n{plan}")
            if entry_table in query["sql"]:
                index_only = f"Index Only Scan using {INDEX}" in plan
                print(f"-> index-only scan of {INDEX}: {'yes' if index_only else 'NO'}")
                if "JOIN" in query["sql"]:
                    print(
                        "-> joins funds_ledgertransaction: Entry.Meta.ordering "
                        '["transaction", "id"] follows the transaction\'s own ordering'
                    )
        # What the period's GROUP BY becomes without the inherited ordering (proposed).
        start, end = _start_of(first), _start_of(last_day + timedelta(days=1))
        proposed = (
            Entry.objects.filter(
                account_id__in=account_ids, posted_at__gte=start, posted_at__lt=end
            )
            .values("account_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        plan = proposed.explain(analyze=True, buffers=True)
        print(f"\nproposed: the {name}'s GROUP BY with .order_by() (no join):\n{plan}")
        index_only = f"Index Only Scan using {INDEX}" in plan
        print(f"-> index-only scan of {INDEX}: {'yes' if index_only else 'NO'}")


if __name__ == "__main__":
    main()
