"""Benchmark: building the winter visit lists of a province of 1,000,000 hardship files.

Uses the data of bench/files.py (its database and its seed: 20,000 units and
1,000,000 files in one province, `manage.py seed_scale`, created once and
reused). The province's union organises a winter campaign (every file on
record, plus model workers in hardship), and its lists are built:

- the build: ``visits.campaigns.visit_lists_build`` called in this process,
  as the Celery job calls it: the lists of every unit holding target
  households, rows written batch by batch (VISIT_LIST_UNITS_PER_BATCH units a
  statement, each INSERT … SELECT … ON CONFLICT DO NOTHING, one transaction
  each), the lists' counts and status set at the end;
- the baseline: one plain INSERT … SELECT writing the same rows (same columns,
  same values, same priority order) into the same table, visits_visitlistrow,
  with its indexes, unique constraint and foreign keys, for a second campaign
  whose lists exist already. The same table, not an unlogged or index-free
  copy, so that the ratio is the build's own overhead, not the price of
  writing durable, indexed rows that both must pay.

The two run in turn (the order swapped every round) --repeat times, each on
a clean slate: the rows (and the build's lists) of the previous run deleted,
the tables vacuumed and analysed and a CHECKPOINT taken, untimed, so neither
inherits the other's dead rows or pending writes. Each build thus creates
lists the planner's statistics do not know yet, as for any new campaign.
One untimed round first warms the cache, splits the build's time between its
batch INSERTs and the rest, keeps EXPLAIN (ANALYZE, BUFFERS) of its first
batch statement (rolled back, then run for real), and checks that the
baseline wrote the same rows. Printed: wall seconds (median and p95, and
every run), rows written, rows per second, the ratio build/baseline (target:
within 3x) and that plan; then, unless --skip-worker, one build through a
real Celery worker (prefork, one process) from the request to the job being
done.

    .venv/bin/python bench/visit_lists.py                 # BENCH_DATABASE_URL or a local warmth_bench_files
    .venv/bin/python bench/visit_lists.py --repeat 5 --skip-worker

The worker run needs Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/14).
"""

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import files
from harness import (
    LIST_ROWS_BASELINE_SQL,
    LISTS_BASELINE_SQL,
    PRODUCTION_LIKE,
    REDIS_URL,
    celery_worker,
    database_url,
    different_list_rows,
    django_ready,
    execute,
    in_turn,
    median_p95,
    use_redis,
)

BENCH_DATABASE_URL = database_url("warmth_bench_files")


def prepare_environment() -> None:
    """As bench/files.py (its data and keys: it seeded the ciphertext we copy), with Redis
    for the worker run's broker."""
    use_redis(REDIS_URL)
    django_ready(BENCH_DATABASE_URL, **PRODUCTION_LIKE, LOG_LEVEL="WARNING")


def campaigns(province) -> tuple["Campaign", "Campaign", "User"]:  # noqa: F821
    """The campaign the build writes, the baseline's campaign, and their approver."""
    from datetime import timedelta

    from django.utils import timezone

    from people.models import User
    from visits.campaigns import campaign_create
    from visits.models import Campaign

    approver, _created = User.objects.get_or_create(
        username=f"bench.visits.{province.pk}",
        defaults={"unit": province, "full_name": "基准审批人", "is_approver": True},
    )
    today = timezone.localdate()
    found = []
    for name in ("基准：冬送温暖（构建）", "基准：冬送温暖（基线）"):
        campaign = Campaign.objects.filter(organiser=province, name=name).first()
        if campaign is None:
            campaign = campaign_create(
                by=approver, season="winter", year=today.year, name=name,
                starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=60),
                organiser=province,
            )  # fmt: skip
        found.append(campaign)
    return found[0], found[1], approver


def clean_slate(*, campaign_ids: list[int], drop_lists_of: list[int]) -> None:
    """Delete the campaigns' rows (and some of their lists), vacuum, checkpoint: untimed."""
    execute("DELETE FROM visits_visitlistrow WHERE campaign_id = ANY(%s)", [campaign_ids])
    if drop_lists_of:
        execute("DELETE FROM visits_visitlist WHERE campaign_id = ANY(%s)", [drop_lists_of])
    execute("VACUUM (ANALYZE) visits_visitlistrow, visits_visitlist")
    execute("CHECKPOINT")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=20_000, help="As bench/files.py seeds.")
    parser.add_argument("--files", type=int, default=1_000_000, help="As bench/files.py seeds.")
    parser.add_argument("--repeat", type=int, default=3, help="Timed rounds (build and baseline).")
    parser.add_argument(
        "--units-per-batch", type=int, help="VISIT_LIST_UNITS_PER_BATCH (default: the setting's)."
    )
    parser.add_argument("--skip-worker", action="store_true", help="No run through Celery.")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="Seconds to wait for the worker."
    )
    args = parser.parse_args()

    if args.units_per_batch:  # read by the settings, here and in the worker
        os.environ["VISIT_LIST_UNITS_PER_BATCH"] = str(args.units_per_batch)
    prepare_environment()
    from django.conf import settings
    from django.db import connection, transaction

    from hardship.models import HardshipFile
    from visits.campaigns import visit_lists_build

    province = files.seed(args.units, args.files)
    build, baseline, approver = campaigns(province)
    branch = f"{province.path}%"

    def run_build() -> int:
        return visit_lists_build(campaign=build, unit=province)

    def run_baseline() -> int:
        return execute(LIST_ROWS_BASELINE_SQL, {"campaign": baseline.pk, "branch": branch})

    # The baseline's lists: one per unit holding files on record, written once and kept.
    execute("DELETE FROM visits_visitlistrow WHERE campaign_id = %s", [baseline.pk])
    execute("DELETE FROM visits_visitlist WHERE campaign_id = %s", [baseline.pk])
    holding = execute(LISTS_BASELINE_SQL, [baseline.pk, branch])
    on_file = HardshipFile.objects.filter(unit__path__startswith=province.path, status="on_file")
    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
    load = os.getloadavg()
    print(
        f"{HardshipFile.objects.count():,} hardship files in the database; {province.name}: "
        f"{on_file.count():,} on record in {holding:,} units; "
        f"{settings.VISIT_LIST_UNITS_PER_BATCH} units a batch; shared_buffers {buffers}; "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n",
        flush=True,
    )

    # Untimed round: warm the cache, time the build's statements, keep the plan of its
    # first batch (EXPLAIN ANALYZE in a savepoint rolled back, then the real statement),
    # and check that the baseline writes the same rows.
    clean_slate(campaign_ids=[build.pk, baseline.pk], drop_lists_of=[build.pk])
    spent = {"batch INSERTs": 0.0, "other statements": 0.0}
    counts = dict.fromkeys(spent, 0)
    plan: list[str] = []

    def observe(run, sql, params, many, context):
        kind = "batch INSERTs" if "INSERT INTO visits_visitlistrow" in sql else "other statements"
        if kind == "batch INSERTs" and not plan:
            raw = context["connection"].connection  # psycopg's own: no wrappers, no recursion
            with transaction.atomic(), raw.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan.extend(row[0] for row in cursor.fetchall())
                transaction.set_rollback(True)
        started = time.perf_counter()
        try:
            return run(sql, params, many, context)
        finally:
            spent[kind] += time.perf_counter() - started
            counts[kind] += 1

    started = time.perf_counter()
    with connection.execute_wrapper(observe):
        run_build()
    whole = time.perf_counter() - started
    started = time.perf_counter()
    b_written = run_baseline()
    b_whole = time.perf_counter() - started
    differ = different_list_rows(build.pk, baseline.pk)
    print(
        f"warm-up round (untimed): build {whole:.1f} s, of which "
        + ", ".join(f"{counts[k]:,} {k} {spent[k]:.1f} s" for k in spent)
        + f", the rest {whole - sum(spent.values()):.1f} s (commits, which run the deferred "
        f"foreign-key checks, Python, and the EXPLAIN below); baseline {b_whole:.1f} s "
        f"({b_written:,} rows); rows differing from the baseline's: {differ}\n",
        flush=True,
    )
    assert differ == 0, "the baseline does not write the build's rows"

    labels = ("build", "baseline")
    written: dict[str, int] = {}

    def before(which: int) -> None:
        if labels[which] == "build":
            clean_slate(campaign_ids=[build.pk], drop_lists_of=[build.pk])
        else:
            clean_slate(campaign_ids=[baseline.pk], drop_lists_of=[])

    def after(round_: int, which: int, seconds: float, rows: int) -> None:
        written[labels[which]] = rows
        print(f"  round {round_ + 1} {labels[which]:<8} {seconds:7.2f} s  {rows:>9,} rows", flush=True)  # fmt: skip

    samples = dict(
        zip(
            labels,
            in_turn([run_build, run_baseline], args.repeat, before=before, after=after),
            strict=True,
        )
    )

    print(f"\nmedian / p95 of {args.repeat} rounds\n")
    print(f"{'measure':<52}{'median':>9}{'p95':>9}{'rows':>10}{'rows/s':>10}{'ratio':>8}")
    (median, p95), (b_median, b_p95) = median_p95(samples["build"]), median_p95(samples["baseline"])
    print(
        f"{'build (visit_lists_build, in process)':<52}{median:>8.2f}s{p95:>8.2f}s"
        f"{written['build']:>10,}{written['build'] / median:>10,.0f}{median / b_median:>7.2f}x"
    )
    print(
        f"  {'baseline: one INSERT … SELECT, same rows and table':<50}{b_median:>8.2f}s{b_p95:>8.2f}s"
        f"{written['baseline']:>10,}{written['baseline'] / b_median:>10,.0f}"
    )
    ratios = [a / b for a, b in zip(samples["build"], samples["baseline"], strict=True)]
    print(f"  ratio in each round: {'  '.join(f'{r:.2f}x' for r in ratios)}")
    print(f"  target: within 3x of the baseline: {'met' if median <= 3 * b_median else 'NOT met'}")

    print(
        f"\nplan of the build's first batch statement (of {counts['batch INSERTs']}) in the "
        "warm-up round, the campaign's new lists not yet in the planner's statistics (as in "
        "every timed round, and for any new campaign):"
    )
    print("\n".join(plan))

    if not args.skip_worker:
        clean_slate(campaign_ids=[build.pk, baseline.pk], drop_lists_of=[build.pk])
        through_worker(build, province, approver, args.timeout)


def through_worker(campaign, province, approver, timeout: float) -> None:
    """One build from the request (visit_lists_request_build) to the job done, by a real worker."""
    from documents.models import GeneratedDocument
    from visits.campaigns import visit_lists_request_build

    Status = GeneratedDocument.Status
    # A run stopped half-way leaves its job "waiting": it would refuse this one.
    GeneratedDocument.objects.filter(
        dedupe_key=f"visit_lists_build:{campaign.pk}:{province.pk}",
        status__in=[Status.PENDING, Status.RUNNING],
    ).update(status=Status.FAILED, error="bench: abandoned")
    queue = f"bench-lists-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as scratch:
        log_path = Path(scratch) / "worker.log"
        with celery_worker(queue=queue, concurrency=1, log_path=log_path, MEDIA_ROOT=scratch):
            started = time.perf_counter()
            # Outside a transaction, so the message goes at once (on commit).
            document = visit_lists_request_build(campaign=campaign, by=approver)
            deadline = started + timeout
            while time.perf_counter() < deadline:
                document.refresh_from_db(fields=["status", "progress_done", "progress_total"])
                if document.status in (Status.DONE, Status.FAILED):
                    break
                time.sleep(0.2)
            seconds = time.perf_counter() - started
        if document.status != Status.DONE:
            document.refresh_from_db()
            print(
                f"\nthrough a real worker: {document.status} after {seconds:.1f} s {document.error[:300]}"
            )
            print(log_path.read_text()[-2000:])
            return
    from visits.models import VisitListRow

    rows = VisitListRow.objects.filter(campaign=campaign).count()
    print(
        f"\nthrough a real worker (prefork, 1 process): request to done {seconds:.2f} s, "
        f"{rows:,} rows, {rows / seconds:,.0f} rows/s, {document.progress_total} batches"
    )


if __name__ == "__main__":
    main()
