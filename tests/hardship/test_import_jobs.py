"""The import's dry run and import as jobs of the documents engine: progress, redelivery,
failure, retry, one job per batch, and the clean-up of imports nobody finished.

Jobs are run here as a worker runs them (``document_run``); a real worker runs them in
test_importing.py and test_import_worker.py.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertNotContains

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import document_back_link, document_retry, document_run
from hardship.importing.services import (
    CHECK_KIND,
    IMPORT_KIND,
    READ_KIND,
    import_batch_check,
    import_batch_confirm,
    import_batch_match_columns,
)
from hardship.models import FileNumberCounter, HardshipFile, ImportBatch
from hardship.tasks import import_batches_expire
from tests.factories import open_file
from tests.hardship.test_importing import checked, household, read, spreadsheet, work

Status = ImportBatch.Status
Job = GeneratedDocument.Status


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def uploaded(by, rows: int = 1) -> ImportBatch:
    return read(by, spreadsheet([household(n) for n in range(1, rows + 1)]))


def progress_writes(queries: CaptureQueriesContext) -> list[tuple[int, int]]:
    """The (done, total) of each progress report among ``queries``."""
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith('UPDATE "documents_generateddocument" SET "progress_done"'):
            found.append(tuple(int(n) for n in re.findall(r'"progress_\w+" = (\d+)', sql)))
    return found


def job_of(batch: ImportBatch) -> GeneratedDocument:
    batch.refresh_from_db()
    return GeneratedDocument.objects.get(pk=batch.job_id)


# ---------------------------------------------------------------------- jobs with progress


def test_the_dry_run_is_a_job_that_reports_its_progress_every_hundred_rows(caseworker, standards):
    batch = uploaded(caseworker, rows=250)

    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    job = job_of(batch)
    with CaptureQueriesContext(connection) as queries:
        assert document_run(document_id=job.pk) == Job.DONE

    job.refresh_from_db()
    batch.refresh_from_db()
    assert (job.kind, job.requested_by, job.unit) == (CHECK_KIND, caseworker, caseworker.unit)
    assert job.params == {"batch_id": batch.pk}
    assert progress_writes(queries) == [(0, 250), (100, 250), (200, 250)]
    assert (job.progress_done, job.progress_total) == (250, 250)
    assert (batch.status, batch.row_count, batch.bad_row_count) == (Status.VALIDATED, 250, 0)


def test_the_import_is_a_job_of_its_own_that_ends_with_every_row_counted(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(n) for n in range(1, 4)]))
    check_job = batch.job_id

    import_batch_confirm(batch=batch, by=caseworker)
    job = job_of(batch)
    assert document_run(document_id=job.pk) == Job.DONE

    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.pk != check_job
    assert (job.kind, job.params) == (IMPORT_KIND, {"batch_id": batch.pk})
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert (batch.status, batch.imported_count) == (Status.DONE, 3)
    assert HardshipFile.objects.count() == 3


def test_the_import_page_shows_its_jobs_progress_bar_and_links_to_the_job(
    caseworker_client, caseworker, standards
):
    batch = uploaded(caseworker)
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    job = job_of(batch)
    url = reverse("hardship:import_detail", args=[batch.pk])

    waiting = caseworker_client.get(url)
    work(batch)
    checked_page = caseworker_client.get(url)

    status_url = reverse("documents:document_status", args=[job.pk])
    assertContains(waiting, f'data-status-url="{status_url}"')
    assertContains(waiting, "js/progress.js")
    assertContains(waiting, f'href="{job.get_absolute_url()}" data-testid="import-job"')
    assertNotContains(checked_page, "data-status-url")
    assertNotContains(checked_page, "js/progress.js")
    assertContains(checked_page, f'href="{job.get_absolute_url()}" data-testid="import-job"')


def test_an_import_whose_job_stopped_says_so_instead_of_waiting_for_ever(
    caseworker_client, caseworker, standards
):
    batch = uploaded(caseworker)
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    # A job that failed before the batch heard of it (its worker lacked the producer).
    GeneratedDocument.objects.filter(pk=job_of(batch).pk).update(status=Job.FAILED)

    page = caseworker_client.get(reverse("hardship:import_detail", args=[batch.pk]))

    assertContains(page, 'data-testid="import-stalled"')
    assertNotContains(page, "js/progress.js")
    assertNotContains(page, 'http-equiv="refresh"')


def test_the_jobs_page_leads_back_to_the_import_only_for_its_uploader(
    caseworker, second_caseworker, standards
):
    batch = checked(caseworker, spreadsheet([household(1)]))
    job = job_of(batch)

    back = document_back_link(document=job, user=caseworker)

    assert back.url == batch.get_absolute_url()
    assert document_back_link(document=job, user=second_caseworker) is None


# ---------------------------------------------------------------------- redelivery


def test_a_dry_run_redelivered_after_its_worker_died_runs_again(caseworker, standards):
    batch = uploaded(caseworker)
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    job = job_of(batch)
    # As a worker leaves them when it dies half-way through the check.
    GeneratedDocument.objects.filter(pk=job.pk).update(status=Job.RUNNING, attempts=1)
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.VALIDATING)

    assert document_run(document_id=job.pk) == Job.DONE

    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.attempts == 2
    assert (batch.status, batch.row_count, batch.bad_row_count) == (Status.VALIDATED, 1, 0)


def test_an_import_redelivered_after_its_worker_died_mid_import_imports_once(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(n) for n in range(1, 4)]))
    import_batch_confirm(batch=batch, by=caseworker)
    job = job_of(batch)
    # The dead worker's transaction rolled back: the rows say running and importing.
    GeneratedDocument.objects.filter(pk=job.pk).update(status=Job.RUNNING, attempts=1)
    ImportBatch.objects.filter(pk=batch.pk).update(status=Status.IMPORTING)

    assert document_run(document_id=job.pk) == Job.DONE

    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.attempts == 2
    assert (batch.status, batch.imported_count) == (Status.DONE, 3)
    assert HardshipFile.objects.count() == 3


def test_an_import_redelivered_after_its_commit_writes_nothing_again(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(n) for n in range(1, 4)]))
    import_batch_confirm(batch=batch, by=caseworker)
    job = job_of(batch)
    assert document_run(document_id=job.pk) == Job.DONE
    numbers_given = FileNumberCounter.objects.get().last
    # The worker died after the import committed, before it marked its job done.
    GeneratedDocument.objects.filter(pk=job.pk).update(status=Job.RUNNING)

    assert document_run(document_id=job.pk) == Job.DONE

    batch.refresh_from_db()
    assert (batch.status, batch.imported_count) == (Status.DONE, 3)
    assert HardshipFile.objects.count() == 3
    assert FileNumberCounter.objects.get().last == numbers_given


def test_a_job_that_is_no_longer_the_batchs_latest_does_nothing(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(1)]))
    first_job = batch.job_id
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")

    assert import_batch_check(batch_id=batch.pk, job_id=first_job) is None

    batch.refresh_from_db()
    assert batch.status == Status.PENDING
    assert batch.job_id != first_job


# ---------------------------------------------------------------------- failure and retry


def test_a_failed_import_job_marks_the_batch_failed_and_trying_it_again_imports(
    caseworker, standards
):
    existing = open_file(by=caseworker)
    year = timezone.localdate().year
    # The second imported row will be given the number this file now holds.
    HardshipFile.objects.filter(pk=existing.pk).update(file_number=f"000000-{year}-0000003")
    FileNumberCounter.objects.filter(year=year).update(last=1)
    batch = checked(caseworker, spreadsheet([household(n) for n in range(1, 4)]))
    import_batch_confirm(batch=batch, by=caseworker)
    job = job_of(batch)

    assert document_run(document_id=job.pk) == Job.FAILED

    job.refresh_from_db()
    batch.refresh_from_db()
    message = "Something went wrong on our side; nothing was imported. Try again later."
    assert (batch.status, batch.error) == (Status.FAILED, message)
    assert (job.status, job.error) == (Job.FAILED, message)
    assert HardshipFile.objects.count() == 1

    # Trying again takes fresh numbers, past the one in the way.
    document_retry(document=job, by=caseworker)
    assert document_run(document_id=job.pk) == Job.DONE

    batch.refresh_from_db()
    assert (batch.status, batch.error, batch.imported_count) == (Status.DONE, "", 3)
    assert HardshipFile.objects.count() == 4


def test_a_dry_run_whose_spreadsheet_is_gone_fails_with_a_message_to_act_on(
    caseworker_client, caseworker, standards
):
    batch = uploaded(caseworker)
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    batch.upload.storage.delete(batch.upload.name)
    job = job_of(batch)

    assert document_run(document_id=job.pk) == Job.FAILED

    job.refresh_from_db()
    batch.refresh_from_db()
    message = "The uploaded spreadsheet is no longer kept. Upload it again."
    assert (batch.status, batch.error) == (Status.FAILED, message)
    assert job.error == message


def test_a_refused_import_fails_its_job_and_keeps_the_reasons_on_the_batch(
    caseworker, sibling, standards
):
    rows = [household(1), household(2)]
    batch = checked(caseworker, spreadsheet(rows))
    open_file(by=sibling, id_number=rows[1]["id_number"], division_code="430100")
    import_batch_confirm(batch=batch, by=caseworker)
    job = job_of(batch)

    assert document_run(document_id=job.pk) == Job.FAILED

    job.refresh_from_db()
    batch.refresh_from_db()
    refused = "Nothing was imported: a row was refused when it came to be saved."
    assert (batch.status, batch.error, batch.bad_row_count) == (Status.FAILED, refused, 1)
    assert [(p["row"], p["column"]) for p in batch.report] == [(3, "身份证号")]
    assert job.error == refused


# ---------------------------------------------------------------------- one job per batch


def test_a_batch_cannot_be_imported_while_its_check_is_still_running(caseworker, standards):
    batch = checked(caseworker, spreadsheet([household(1)]))
    # The check has written its report; its worker has not yet marked the job done.
    GeneratedDocument.objects.filter(pk=batch.job_id).update(status=Job.RUNNING)

    with pytest.raises(RuleBroken, match="being checked or imported already"):
        import_batch_confirm(batch=batch, by=caseworker)

    batch.refresh_from_db()
    assert batch.confirmed_at is None
    # Its read job and its check job: no import job.
    jobs = GeneratedDocument.objects.filter(dedupe_key=f"hardship_import:{batch.pk}")
    assert sorted(jobs.values_list("kind", flat=True)) == [CHECK_KIND, READ_KIND]


# ---------------------------------------------------------------------- the clean-up


def aged(batch: ImportBatch, days: int, **fields) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - timedelta(days=days), **fields
    )
    batch.refresh_from_db()
    return batch


def test_the_clean_up_deletes_the_spreadsheets_of_abandoned_imports(
    caseworker, standards, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(days=8)
    never_matched = aged(uploaded(caseworker), 8)
    never_confirmed = aged(checked(caseworker, spreadsheet([household(1)])), 8)
    ImportBatch.objects.filter(pk=never_confirmed.pk).update(validated_at=long_ago)
    failed = aged(uploaded(caseworker), 8, status=Status.FAILED, finished_at=long_ago)
    recent = uploaded(caseworker)
    checked_lately = aged(checked(caseworker, spreadsheet([household(2)])), 8)
    waiting_for_a_worker = aged(uploaded(caseworker), 8)
    import_batch_match_columns(
        batch=waiting_for_a_worker,
        by=caseworker,
        mapping=waiting_for_a_worker.mapping,
        language="en",
    )
    stored = {b.pk: Path(b.upload.path) for b in ImportBatch.objects.all()}

    with django_capture_on_commit_callbacks(execute=True):
        assert import_batches_expire() == 3

    expired = {never_matched.pk, never_confirmed.pk, failed.pk}
    kept = {recent.pk, checked_lately.pk, waiting_for_a_worker.pk}
    statuses = dict(ImportBatch.objects.values_list("pk", "status"))
    assert {pk for pk, status in statuses.items() if status == Status.EXPIRED} == expired
    assert set(ImportBatch.objects.filter(upload="").values_list("pk", flat=True)) == expired
    assert sorted(pk for pk in expired | kept if stored[pk].exists()) == sorted(kept)


def test_an_expired_import_says_so_and_cannot_be_confirmed(
    caseworker_client, caseworker, standards
):
    batch = aged(checked(caseworker, spreadsheet([household(1)])), 8)
    ImportBatch.objects.filter(pk=batch.pk).update(validated_at=batch.created_at)

    import_batches_expire()

    with pytest.raises(RuleBroken):
        import_batch_confirm(batch=batch, by=caseworker)
    page = caseworker_client.get(reverse("hardship:import_detail", args=[batch.pk]))
    with translation.override("zh-hans"):
        status = translation.gettext("Expired, not imported")
        outcome = translation.gettext(
            "Nothing was imported, and the spreadsheet was deleted because this import was left unfinished. Upload it again to import it."
        )
    assertContains(page, status)
    assertContains(page, outcome)
    assertNotContains(page, reverse("hardship:import_confirm", args=[batch.pk]))
    assert HardshipFile.objects.count() == 0


def test_the_clean_up_waits_as_many_days_as_the_setting_says(settings, caseworker):
    settings.IMPORT_KEEP_DAYS = 30
    batch = aged(uploaded(caseworker), 8)

    assert import_batches_expire() == 0

    batch.refresh_from_db()
    assert batch.status == Status.UPLOADED
