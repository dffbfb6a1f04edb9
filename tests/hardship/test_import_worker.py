"""An import through real worker processes: its progress seen while its one transaction is
still open, its worker killed half-way, the job redelivered, every row imported once."""

import os
import signal
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone, translation

from documents.models import GeneratedDocument
from hardship.importing.services import (
    import_batch_confirm,
    import_batch_match_columns,
)
from hardship.models import HardshipFile, ImportBatch
from tests.hardship.test_importing import household, read, spreadsheet
from tests.workers import database_url_for_other_processes, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

Status = ImportBatch.Status
WORKER_ENV = {
    # A short visibility timeout brings the unacknowledged message back within seconds.
    "CELERY_TASK_TIME_LIMIT": "10",
    "CELERY_VISIBILITY_TIMEOUT": "12",
    # The dead worker's lease has expired by then, so the redelivered message may claim the job.
    "DOCUMENT_JOB_LEASE_SECONDS": "3",
}


def job_ended(job_id: int) -> GeneratedDocument | None:
    return GeneratedDocument.objects.filter(pk=job_id, status__in=["done", "failed"]).first()


def test_an_import_killed_half_way_is_redelivered_and_imports_every_row_once(
    caseworker, standards, tmp_path, settings, own_default_queue
):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [household(n) for n in range(1, 121)]
    for row in rows[100:]:
        row["main_cause"] = "disaster"
    with translation.override("en"):
        batch = read(caseworker, spreadsheet(rows))
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **WORKER_ENV,
    }
    # Lock the last twenty rows' cause: the import's commit waits for it (foreign keys are
    # checked at commit), with every row saved inside its transaction and the progress reported.
    blocker = psycopg.connect(database_url_for_other_processes())
    blocker.execute("SELECT id FROM hardship_hardshipcause WHERE code = 'disaster' FOR UPDATE")

    with worker_process(
        env=env, log_path=tmp_path / "first.log", queue=own_default_queue
    ) as worker:
        import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
        batch.refresh_from_db()
        assert wait_for(lambda: job_ended(batch.job_id), timeout=60, what="the dry run").error == ""
        import_batch_confirm(batch=batch, by=caseworker)
        batch.refresh_from_db()
        wait_for(
            lambda: GeneratedDocument.objects.filter(pk=batch.job_id, progress_done=120).exists(),
            timeout=120,
            what="every row saved",
        )
        # Saved, not committed: the progress bar moves while nobody sees a file yet.
        assert HardshipFile.objects.count() == 0
        # The worker's transaction waits in COMMIT, for the locked cause. The worker dies, and
        # its machine's connection with it: a server backend that was sent COMMIT would otherwise
        # finish it once the lock is free, whatever became of its client.
        committing = wait_for(
            lambda: blocker.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND query = 'COMMIT'"
            ).fetchall(),
            timeout=30,
            what="the import waiting in COMMIT",
        )
        assert len(committing) == 1
        blocker.execute("SELECT pg_terminate_backend(%s)", committing[0])
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
    blocker.rollback()
    blocker.close()
    batch.refresh_from_db()
    assert batch.status == Status.IMPORTING
    assert HardshipFile.objects.count() == 0
    # Redis hands an unacknowledged message out again once the visibility timeout has
    # passed; a worker looks for such messages as it starts, then only every 100 s or so.
    started = GeneratedDocument.objects.get(pk=batch.job_id).started_at
    visible_again = started + timedelta(seconds=int(WORKER_ENV["CELERY_VISIBILITY_TIMEOUT"]) + 1)
    wait_for(lambda: timezone.now() > visible_again, timeout=30, what="the visibility timeout")

    with worker_process(env=env, log_path=tmp_path / "second.log", queue=own_default_queue):
        job = wait_for(
            lambda: job_ended(batch.job_id), timeout=120, what="the redelivered import to end"
        )

    batch.refresh_from_db()
    assert (job.status, job.error, job.attempts) == ("done", "", 2)
    assert (job.progress_done, job.progress_total) == (120, 120)
    assert (batch.status, batch.imported_count) == (Status.DONE, 120)
    files = HardshipFile.objects.filter(unit=caseworker.unit)
    assert files.count() == 120
    assert files.values("id_hash").distinct().count() == 120
