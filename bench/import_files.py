"""Benchmark: import a 10,000-row spreadsheet of hardship files, in rows per second.

Builds the spreadsheet (every other household with a spouse), then times each
phase as its job runs it: reading the workbook with python-calamine, the dry
run (every row checked, nothing written) and the import (one transaction, the
cells checked again, then ``hardship_files_open``: the form's rules for the whole
sheet, the rows written a thousand per statement with their history rows). Both
jobs run in this process, through the
documents engine from request to finished row (Celery's eager mode: no broker,
no worker), so each figure includes the claim and the progress reports. Beside
them, baselines measured
in the same run on the same rows: reading with openpyxl's read-only mode, and a
plain bulk INSERT of the file rows (``bulk_create``: no checks, no members, no
transitions; the history triggers still fire), rolled back, timed three times
around the jobs (the median is the baseline).

Hardship files can never be deleted (a database trigger refuses), so each run
uses a database of its own, dropped and created afresh:
BENCH_DATABASE_URL's name with ``_imports`` appended.

    make bench                                  # or:
    .venv/bin/python bench/import_files.py --rows 10000
"""

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DATABASE_URL = (
    os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/warmth_bench")
    + "_imports"
)


def prepare_environment(media_root: str) -> None:
    os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import psycopg

    name = BENCH_DATABASE_URL.rsplit("/", 1)[1]
    server = BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def households(count: int) -> list[dict]:
    from hardship.identity import check_character

    rows = []
    for n in range(count):
        birth = (date(1950, 1, 1) + timedelta(days=n)).strftime("%Y%m%d")
        first = f"420102{birth}011"
        row = {
            "name": f"职工{n}", "id_number": first + check_character(first),
            "phone": "13912345678", "address": f"武汉市江岸区大智路 {n % 300} 号",
            "division_code": "420102", "hukou_type": "urban", "marital_status": "married",
            "employment_status": "laid_off", "annual_income": Decimal("18000.00"),
            "medical_costs": Decimal("6000.50"), "household_size": 3, "main_cause": "illness",
            "needs": "living、medical",
        }  # fmt: skip
        if n % 2:
            row |= {
                "member1_name": "王秀英", "member1_relation": "spouse",
                "member1_employment": "unable", "member1_birth_date": date(1962, 5, 6),
            }  # fmt: skip
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    media = tempfile.mkdtemp(prefix="warmth-bench-media-")
    prepare_environment(media)
    import django

    django.setup()
    from django.conf import settings

    # DEBUG=1 spares the bench production secrets; its query log would slow every query.
    settings.DEBUG = False
    from django.apps import apps
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from common.crypto import keyed_hash
    from config.celery import app
    from documents.models import GeneratedDocument
    from hardship.importing.reading import read_spreadsheet
    from hardship.importing.services import (
        import_batch_confirm,
        import_batch_create,
        import_batch_match_columns,
    )
    from hardship.importing.template import import_workbook
    from hardship.models import (
        FileTransition,
        HardshipCause,
        HardshipFile,
        HouseholdMember,
        MinimumLivingStandard,
    )
    from people.models import UnionUnit, User
    from people.services import union_unit_create

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    national = union_unit_create(
        name="全国总工会", code="BENCH", level=UnionUnit.Level.NATIONAL, parent=None
    )
    unit = union_unit_create(
        name="江岸区总工会", code="BENCH-JA", level=UnionUnit.Level.COUNTY, parent=national,
        division_code="420102",
    )  # fmt: skip
    user = User.objects.create_user("bench.caseworker", unit=unit, is_caseworker=True)
    MinimumLivingStandard.objects.create(
        division_code="420102",
        year=timezone.localdate().year,
        urban_monthly=Decimal("800"),
        rural_monthly=Decimal("650"),
    )
    rows = households(args.rows)
    content = import_workbook(rows)
    print(
        f"database ready and {args.rows:,}-row spreadsheet built "
        f"({len(content) / 1048576:.1f} MB) in {time.perf_counter() - started:.1f} s\n"
    )

    def timed(function):
        start = time.perf_counter()
        result = function()
        return time.perf_counter() - start, result

    def read_with_openpyxl():
        from openpyxl import load_workbook

        workbook = load_workbook(BytesIO(content), read_only=True)
        return sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))

    read_seconds, _sheet = timed(lambda: read_spreadsheet(BytesIO(content)))
    openpyxl_seconds, _count = timed(read_with_openpyxl)

    # A job requested runs here as its transaction commits, as a worker would run it;
    # the worker's log lines would break up the table below.
    app.conf.task_always_eager = True
    for name in ("celery", "kombu"):
        logging.getLogger(name).setLevel(logging.ERROR)
    batch = import_batch_create(
        by=user, unit=unit, upload=SimpleUploadedFile("bench.xlsx", content), language="zh-hans"
    )
    batch.refresh_from_db()  # its read job ran as the upload committed
    assert batch.status == "uploaded", (batch.status, batch.error)

    def bulk_insert():
        cause = HardshipCause.objects.get(code="illness")
        now = timezone.now()
        files = [
            HardshipFile(
                unit=unit, file_number=f"BASE-{n:07d}", id_number=row["id_number"],
                id_hash=keyed_hash(row["id_number"]), gender="M", birth_date=date(1950, 1, 1),
                name=row["name"], phone=row["phone"], address=row["address"],
                division_code=row["division_code"], hukou_type="urban", marital_status="married",
                employment_status="laid_off", annual_income=row["annual_income"],
                medical_costs=row["medical_costs"], household_size=3, main_cause=cause,
                entered_by=user, updated_by=user, content_changed_at=now,
            )
            for n, row in enumerate(rows)
        ]  # fmt: skip
        with transaction.atomic():
            HardshipFile.objects.bulk_create(files, batch_size=1000)
            transaction.set_rollback(True)
        return len(files)

    # The baseline before the dry run, before the import and after it: the machine's load
    # drifts over a minute, and the import is compared with the median of the three.
    baseline_runs = [timed(bulk_insert)[0]]
    check_seconds, _batch = timed(
        lambda: import_batch_match_columns(
            batch=batch, by=user, mapping=batch.mapping, language="zh-hans"
        )
    )
    batch.refresh_from_db()
    assert batch.status == "validated" and batch.bad_row_count == 0, (
        batch.status,
        batch.report[:3],
    )
    check_job = GeneratedDocument.objects.get(pk=batch.job_id)
    assert (check_job.status, check_job.progress_done) == ("done", args.rows), check_job.error

    baseline_runs.append(timed(bulk_insert)[0])
    import_seconds, _batch = timed(lambda: import_batch_confirm(batch=batch, by=user))
    batch.refresh_from_db()
    assert batch.status == "done", (batch.status, batch.error, batch.report[:3])
    import_job = GeneratedDocument.objects.get(pk=batch.job_id)
    assert (import_job.status, import_job.progress_done) == ("done", args.rows), import_job.error
    assert HardshipFile.objects.count() == FileTransition.objects.count() == args.rows
    assert HouseholdMember.objects.count() == args.rows // 2
    # The bulk writes keep the history the triggers write for one file: a row each, with who.
    file_events = apps.get_model("hardship", "HardshipFileEvent").objects
    assert file_events.filter(pgh_context__metadata__user=user.pk).count() == args.rows
    baseline_runs.append(timed(bulk_insert)[0])
    baseline_seconds = statistics.median(baseline_runs)

    n = args.rows
    print(f"{'phase':<58}{'seconds':>9}{'rows/s':>10}")
    for label, seconds in [
        ("read the workbook (python-calamine)", read_seconds),
        ("  baseline: read it with openpyxl read-only", openpyxl_seconds),
        ("dry run job: read and check every row, write nothing", check_seconds),
        ("import job: re-check, then hardship_files_open", import_seconds),
        ("  baseline: bulk INSERT of the same file rows (median)", baseline_seconds),
    ]:
        print(f"{label:<58}{seconds:>9.2f}{n / seconds:>10,.0f}")
    runs = ", ".join(f"{seconds:.2f}" for seconds in baseline_runs)
    print(f"  (the bulk INSERT before the dry run, before the import, after it: {runs} s)")
    print(
        f"\nthe import takes {import_seconds / baseline_seconds:.2f}x the bulk INSERT's time "
        f"(target: within 3x); the dry run {check_seconds / baseline_seconds:.2f}x, "
        f"{check_seconds / import_seconds:.0%} of the import's"
    )


if __name__ == "__main__":
    main()
