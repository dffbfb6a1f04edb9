"""The import's steps as services, the three jobs that read the spreadsheet, run its dry run
and its import, and the clean-up of imports nobody finished.

Reading, the dry run and the import are jobs of the documents engine (documents/services.py):
uploading requests a read job (a web process never reads a whole workbook), matching
the columns requests a check job, confirming requests an import job, and the
batch links to the latest (``ImportBatch.job``), whose progress bar its page shows. What the
engine gives every job holds here too, and the import adds its own guards:

- each job's producer takes the batch's id from the job and calls one service, which
  claims the batch with a conditional UPDATE naming that job: a job that is not the
  batch's latest, or a batch already past that step, makes it a quiet no-op;
- both jobs of a batch share one ``dedupe_key``, so a batch never has two at once;
- a job whose worker died is delivered again, finds its row "running" and runs again.
  The dry run writes only its report, so running it twice is harmless. The import is one
  transaction that first locks the batch and goes on only while it says "being
  imported": a second run after a commit finds it "imported" and writes nothing;
- a job that fails (anything unexpected, or its time limit) marks the batch failed with
  a message the caseworker can act on; "Try again" on the job's page runs it again.
"""

import hashlib
import logging
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from io import BytesIO

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.db.models import QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.collector import garbage_collection_paused
from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import (
    BackLink,
    JobAlreadyRunning,
    JobContext,
    back_link,
    document_request,
    producer,
)
from hardship.importing.checking import (
    Problem,
    RowChecker,
    RowInput,
    problems_report,
)
from hardship.importing.columns import COLUMNS_BY_KEY, columns_missing, columns_proposed
from hardship.importing.reading import (
    Sheet,
    SpreadsheetProblem,
    read_spreadsheet,
    shown,
    upload_problem,
)
from hardship.models import ImportBatch
from hardship.services import FilesRefused, file_numbers_reserve, hardship_files_open
from people.access import has_any_role, require_in_branch, require_role, scope_to_user
from people.models import Role, UnionUnit, User

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
Progress = Callable[[int, int], None]

READ_KIND = "hardship_import_read"
CHECK_KIND = "hardship_import_check"
IMPORT_KIND = "hardship_import"
EXPIRED_PER_RUN = 1000
WORKING_JOB = [GeneratedDocument.Status.PENDING, GeneratedDocument.Status.RUNNING]


def _require_caseworker_in_branch(by: User, unit: UnionUnit) -> None:
    require_role(by, Role.CASEWORKER)
    require_in_branch(by, unit)


@transaction.atomic
def import_batch_create(*, by: User, unit: UnionUnit, upload, language: str) -> ImportBatch:
    """Keep an uploaded spreadsheet and request its first reading by a worker.

    Only cheap checks here (name, size, signature, the zip's table of contents): a
    web process never reads a whole workbook, whose size once unpacked it cannot
    trust. Side effects: an ImportBatch ("being read") and the file under
    MEDIA_ROOT/imports/ (a random name); a read job (GeneratedDocument), sent to a
    worker after commit. Raises RuleBroken on ``upload`` when the file cannot be used.
    """
    _require_caseworker_in_branch(by, unit)
    problem = upload_problem(upload, name=upload.name, size=upload.size)
    if problem:
        raise RuleBroken({"upload": problem})
    batch = ImportBatch(
        created_by=by,
        unit=unit,
        original_name=shown(upload.name, limit=199),
        language=language,
        status=Status.READING,
    )
    batch.upload.save("upload.xlsx", upload, save=False)
    batch.save()
    batch.job = _job_request(
        batch,
        by=by,
        kind=READ_KIND,
        title=_("Reading of the spreadsheet %(name)s") % {"name": batch.original_name},
    )
    batch.save(update_fields=["job"])
    return batch


def import_batch_read(
    *, batch_id: int, job_id: int, progress: Progress | None = None
) -> ImportBatch | None:
    """The first full read of an uploaded spreadsheet: its headers, a proposed column matching.

    Runs on a worker: ``read_spreadsheet`` first streams the whole workbook within the
    import's limits, then reads its first sheet. Claims the batch for job ``job_id``
    when that is its latest job and the batch is being read (or failed being read);
    otherwise does nothing and returns None. Side effects: the batch's headers,
    matching, row count and status ("columns to be matched", or "failed" with what
    is wrong with the file).
    """
    claimed = ImportBatch.objects.filter(
        pk=batch_id, job_id=job_id, status__in=[Status.READING, Status.FAILED]
    ).update(status=Status.READING, error="", finished_at=None)
    if not claimed:
        return None
    batch = ImportBatch.objects.get(pk=batch_id)
    with translation.override(batch.language):
        try:
            sheet, digest = _stored_sheet(batch, rescan=True)
        except SpreadsheetProblem as error:
            return _finish(batch, Status.FAILED, claimed_as=Status.READING, error=error.message)
        return _finish(
            batch,
            Status.UPLOADED,
            claimed_as=Status.READING,
            upload_digest=digest,
            headers=sheet.headers,
            mapping=columns_proposed(sheet.headers),
            row_count=len(sheet.rows),
        )


def _editable(batch: ImportBatch) -> bool:
    return batch.status in (Status.UPLOADED, Status.VALIDATED) and batch.confirmed_at is None


@transaction.atomic
def import_batch_match_columns(
    *, batch: ImportBatch, by: User, mapping: dict[str, int], language: str
) -> ImportBatch:
    """Record which column holds which field and request the dry run.

    Side effects: the batch (mapping, status "pending", report cleared, its
    job); a check job (GeneratedDocument), sent to a worker after commit.
    """
    batch = ImportBatch.objects.select_for_update().select_related("unit").get(pk=batch.pk)
    _require_owner(batch, by)
    if not _editable(batch):
        raise RuleBroken(_("This import is past the point where its columns can be changed."))
    unknown = [key for key in mapping if key not in COLUMNS_BY_KEY]
    out_of_range = [i for i in mapping.values() if not 0 <= int(i) < len(batch.headers)]
    if unknown or out_of_range or len(set(mapping.values())) != len(mapping):
        raise RuleBroken(_("Each column can hold one field only."))
    missing = columns_missing(mapping)
    if missing:
        raise RuleBroken(
            _("Missing columns: %(columns)s.") % {"columns": "、".join(c.label for c in missing)}
        )
    batch.mapping = {key: int(index) for key, index in mapping.items()}
    batch.language = language
    batch.status = Status.PENDING
    batch.report = []
    batch.bad_row_count = 0
    batch.error = ""
    batch.validated_at = None
    batch.job = _job_request(
        batch,
        by=by,
        kind=CHECK_KIND,
        title=_("Check of the spreadsheet %(name)s") % {"name": batch.original_name},
    )
    batch.save(
        update_fields=[
            "mapping",
            "language",
            "status",
            "report",
            "bad_row_count",
            "error",
            "validated_at",
            "job",
        ]
    )
    return batch


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch, by: User) -> ImportBatch:
    """The caseworker confirms a clean dry run: request the import.

    Side effects: ``confirmed_at`` and the batch's job; an import job
    (GeneratedDocument), sent to a worker after commit.
    """
    batch = ImportBatch.objects.select_for_update().select_related("unit").get(pk=batch.pk)
    _require_owner(batch, by)
    _require_caseworker_in_branch(by, batch.unit)
    if not batch.can_be_imported:
        raise RuleBroken(
            _("Only a checked spreadsheet without problems can be imported, and only once.")
        )
    batch.confirmed_at = timezone.now()
    batch.job = _job_request(
        batch,
        by=by,
        kind=IMPORT_KIND,
        title=_("Import of the spreadsheet %(name)s") % {"name": batch.original_name},
    )
    batch.save(update_fields=["confirmed_at", "job"])
    return batch


def _require_owner(batch: ImportBatch, by: User) -> None:
    if batch.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who uploaded a spreadsheet may import it."))


def _job_request(batch: ImportBatch, *, by: User, kind: str, title: str) -> GeneratedDocument:
    # One key for both kinds: a batch is never checked and imported at once.
    try:
        return document_request(
            kind=kind,
            title=title,
            by=by,
            unit=batch.unit,
            params={"batch_id": batch.pk},
            dedupe_key=f"hardship_import:{batch.pk}",
            reuse_recent=False,
        )
    except JobAlreadyRunning:
        raise RuleBroken(
            _("This spreadsheet is being checked or imported already. Wait until that is over.")
        ) from None


def _stored_sheet(batch: ImportBatch, *, rescan: bool = False) -> tuple[Sheet, str]:
    """The stored spreadsheet's first sheet, and the SHA-256 of its bytes.

    The first full read (``import_batch_read``) streams the workbook within the import's
    limits and keeps the digest of the bytes it checked; the dry run and the import read
    the same file again (a parsed sheet is not kept: it holds ID numbers) and skip that
    scan when the bytes are still those (unless ``rescan``). Any other bytes are scanned again.
    """
    gone = SpreadsheetProblem(_("The uploaded spreadsheet is no longer kept. Upload it again."))
    if not batch.upload:
        raise gone
    try:
        with batch.upload.open("rb") as source:
            # At most MAX_UPLOAD_BYTES (upload_problem); calamine reads it whole anyway.
            content = source.read()
    except FileNotFoundError:
        raise gone from None
    digest = hashlib.sha256(content).hexdigest()
    checked = not rescan and digest == batch.upload_digest  # "" on a batch never read
    return read_spreadsheet(BytesIO(content), within_bounds=checked), digest


def _checker_for(batch: ImportBatch) -> RowChecker:
    sheet, _digest = _stored_sheet(batch)
    if sheet.headers != batch.headers:
        raise SpreadsheetProblem(_("The stored spreadsheet has changed since it was uploaded."))
    return RowChecker(sheet=sheet, mapping=batch.mapping, unit=batch.unit, by=batch.created_by)


def import_batch_check(
    *, batch_id: int, job_id: int, progress: Progress | None = None
) -> ImportBatch | None:
    """The dry run: check every row as the import would, and write nothing but the report.

    Claims the batch for job ``job_id`` when that is its latest job and the
    batch waits to be checked, is being checked (the job's worker died) or
    failed being checked (the job is tried again); otherwise does nothing and
    returns None. ``progress(done, total)`` hears of the rows checked. Side
    effects: the batch's status ("validated", or "failed" when the file
    cannot be read), counts and report.
    """
    claimed = ImportBatch.objects.filter(
        pk=batch_id,
        job_id=job_id,
        confirmed_at__isnull=True,
        status__in=[Status.PENDING, Status.VALIDATING, Status.FAILED],
    ).update(status=Status.VALIDATING, error="", finished_at=None)
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("unit", "created_by").get(pk=batch_id)
    # At most MAX_ROWS rows, all alive until the report is written.
    with translation.override(batch.language), garbage_collection_paused():
        try:
            checker = _checker_for(batch)
        except SpreadsheetProblem as error:
            return _finish(batch, Status.FAILED, claimed_as=Status.VALIDATING, error=error.message)
        if progress is not None:
            progress(0, len(checker.sheet.rows))
        try:
            rows, problems = checker.check_sheet(progress=progress)
        except PermissionDenied as error:
            return _finish(batch, Status.FAILED, claimed_as=Status.VALIDATING, error=str(error))
        report, bad_rows = problems_report(problems)
        return _finish(
            batch,
            Status.VALIDATED,
            claimed_as=Status.VALIDATING,
            row_count=len(rows) + bad_rows,  # every non-blank row below the header
            bad_row_count=bad_rows,
            report=report,
            validated_at=timezone.now(),
        )


class _RowRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(len(problems))
        self.problems = problems


def import_batch_import(
    *, batch_id: int, job_id: int, progress: Progress | None = None
) -> ImportBatch | None:
    """Open a file for every row, all in one transaction: every row or none.

    Claims the batch for job ``job_id`` when that is its latest job and the
    caseworker has confirmed a clean dry run, or the batch is being imported
    (the job's worker died) or failed being imported (the job is tried
    again); otherwise does nothing and returns None. Checks the whole sheet
    again first, its cells, then, inside the transaction, every row at once through
    ``hardship_files_open`` (the form's rules for the whole set, then the rows written a
    few statements per thousand): another unit may have opened a file since the dry run.
    ``progress(done, total)`` hears of the rows saved. Side effects: the
    files, their members, "open" transitions and history rows; the batch
    becomes "done" in the same transaction, and its stored spreadsheet is
    deleted after commit. On any refusal nothing is written and the batch
    becomes "failed", with the reasons.
    """
    claimed = ImportBatch.objects.filter(
        pk=batch_id,
        job_id=job_id,
        confirmed_at__isnull=False,
        status__in=[Status.VALIDATED, Status.IMPORTING, Status.FAILED],
    ).update(status=Status.IMPORTING, error="", report=[], bad_row_count=0, finished_at=None)
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("unit", "created_by").get(pk=batch_id)
    # At most MAX_ROWS rows, all alive until they are written.
    with translation.override(batch.language), garbage_collection_paused():
        try:
            checker = _checker_for(batch)
            rows, problems = checker.check_cells()
            if problems:
                raise _RowRefused(problems)
            if progress is not None:
                progress(0, len(rows))
            # Numbers first, in a short transaction of their own, so the counter
            # is not locked for the whole import.
            year = timezone.localdate().year
            numbers = file_numbers_reserve(year=year, count=len(rows))
            opened = _open_rows(
                batch, checker, rows, year, numbers, job_id=job_id, progress=progress
            )
            if not opened:
                return None
        except SpreadsheetProblem as error:
            return _finish(batch, Status.FAILED, claimed_as=Status.IMPORTING, error=error.message)
        except _RowRefused as refused:
            report, bad_rows = problems_report(refused.problems)
            return _finish(
                batch,
                Status.FAILED,
                claimed_as=Status.IMPORTING,
                error=_("Nothing was imported: a row was refused when it came to be saved."),
                report=report,
                bad_row_count=bad_rows,
            )
        except PermissionDenied as error:
            return _finish(batch, Status.FAILED, claimed_as=Status.IMPORTING, error=str(error))
    batch.refresh_from_db()
    return batch


def _open_rows(
    batch: ImportBatch,
    checker: RowChecker,
    rows: list[RowInput],
    year: int,
    numbers: range,
    *,
    job_id: int,
    progress: Progress | None,
) -> bool:
    """Open every row's file in one transaction; False if the batch was not this job's to import."""
    beside = _ProgressBeside(progress) if progress is not None else None
    try:
        with transaction.atomic():
            # A second run of the same job (a redelivery overlapping the first) waits
            # here, then finds the batch imported and writes nothing.
            locked = (
                ImportBatch.objects.select_for_update()
                .filter(pk=batch.pk, job_id=job_id, status=Status.IMPORTING)
                .values_list("pk", flat=True)
                .first()
            )
            if locked is None:
                return False
            try:
                hardship_files_open(
                    by=batch.created_by,
                    unit=batch.unit,
                    households=[row.household for row in rows],
                    year=year,
                    numbers=numbers,
                    progress=beside,
                )
            except FilesRefused as refused:
                raise _RowRefused(checker.refusal_problems(rows, refused.refusals)) from None
            stored = batch.upload.name
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=Status.DONE,
                imported_count=len(rows),
                upload="",
                finished_at=timezone.now(),
            )
            storage = batch.upload.storage
            transaction.on_commit(lambda: storage.delete(stored))
    finally:
        if beside is not None:
            beside.close()
    return True


class _ProgressBeside:
    """Report progress from inside the import's transaction, through a connection of its own.

    What that transaction writes stays invisible until it commits, minutes later on a
    large sheet. A thread has a database connection of its own, in autocommit, so the
    progress bar moves while the rows are saved. Best effort: a report that fails is lost.
    """

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-progress")

    def __call__(self, done: int, total: int) -> None:
        self.thread.submit(self.progress, done, total)

    def close(self) -> None:
        self.thread.submit(connections.close_all)  # the thread's own connection
        self.thread.shutdown(wait=True)


def _finish(batch: ImportBatch, status: str, *, claimed_as: str, **fields) -> ImportBatch:
    # Only from the state this run claimed: an overlapping run may have imported it already.
    finished_at = timezone.now() if status == Status.FAILED else None
    ImportBatch.objects.filter(pk=batch.pk, status=claimed_as).update(
        status=status, finished_at=finished_at, **fields
    )
    batch.refresh_from_db()
    return batch


def import_batch_fail(*, batch_id: int, job_id: int, error: BaseException) -> str:
    """Record an unexpected failure of a batch's job; return what the caseworker is told.

    Logs where it happened but not its message, which might quote a cell (and
    so an ID number). Side effects: the batch "failed" with that message,
    unless ``job_id`` is no longer its job or it was imported after all.
    """
    from celery.exceptions import SoftTimeLimitExceeded

    frames = "".join(traceback.format_tb(error.__traceback__))
    logger.error("Import batch %s failed with %s:\n%s", batch_id, type(error).__name__, frames)
    language = ImportBatch.objects.filter(pk=batch_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        if isinstance(error, SoftTimeLimitExceeded):
            message = _(
                "This took longer than its time limit and was stopped; nothing was imported. Split the spreadsheet into smaller ones and upload them again."
            )
        else:
            message = _("Something went wrong on our side; nothing was imported. Try again later.")
    ImportBatch.objects.filter(pk=batch_id, job_id=job_id).exclude(
        status__in=[Status.DONE, Status.EXPIRED]
    ).update(status=Status.FAILED, error=message, finished_at=timezone.now())
    return message


# ---------------------------------------------------------------------- the jobs


class ImportJobFailed(Exception):
    """Ends an import's job as failed; the message is for the caseworker (the job's page)."""


def _run(job: JobContext, service: Callable[..., ImportBatch | None]) -> None:
    batch_id = int(job.params["batch_id"])
    try:
        batch = service(batch_id=batch_id, job_id=job.document.pk, progress=job.progress)
    except Exception as error:
        message = import_batch_fail(batch_id=batch_id, job_id=job.document.pk, error=error)
        # Raised afresh, without the original: the engine logs what fails a job, and the
        # original's text may quote a cell.
        raise ImportJobFailed(message) from None
    if batch is not None and batch.status == Status.FAILED:
        raise ImportJobFailed(batch.error)


@producer(READ_KIND)
def import_read_job(job: JobContext) -> None:
    """params: batch_id. The first full read of one uploaded spreadsheet (``import_batch_read``)."""
    _run(job, import_batch_read)


@producer(CHECK_KIND)
def import_check_job(job: JobContext) -> None:
    """params: batch_id. The dry run of one batch (``import_batch_check``)."""
    _run(job, import_batch_check)


@producer(IMPORT_KIND)
def import_job(job: JobContext) -> None:
    """params: batch_id. The import of one confirmed batch (``import_batch_import``)."""
    _run(job, import_batch_import)


@back_link(READ_KIND)
@back_link(CHECK_KIND)
@back_link(IMPORT_KIND)
def import_job_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The import's page, for the person who uploaded the spreadsheet (nobody else sees it)."""
    if not has_any_role(user, Role.CASEWORKER):
        return None
    batches = scope_to_user(
        ImportBatch.objects.filter(created_by=user), user=user, unit_path="unit__path"
    )
    batch = batches.filter(pk=int(document.params["batch_id"])).first()
    if batch is None:
        return None
    return BackLink(batch.get_absolute_url(), _("Back to the import"))


# ---------------------------------------------------------------------- the clean-up


def import_batches_expire(*, keep_days: int | None = None) -> int:
    """Delete the spreadsheets of imports abandoned for ``keep_days`` days; return how many.

    Abandoned: not imported, no job waiting or running, and no step taken
    (upload, dry run, confirmation, failure) for that long; the default is
    ``settings.IMPORT_KEEP_DAYS``. Such a spreadsheet holds ID numbers in
    full and is of use to nobody. Side effects: those batches "expired", their
    stored files deleted after commit.
    """
    keep_days = keep_days or settings.IMPORT_KEEP_DAYS
    cutoff = timezone.now() - timedelta(days=keep_days)
    ids = list(_abandoned(cutoff).values_list("pk", flat=True)[:EXPIRED_PER_RUN])
    return sum(_expire(batch_id=batch_id, cutoff=cutoff) for batch_id in ids)


def _abandoned(cutoff: datetime) -> QuerySet[ImportBatch]:
    return (
        ImportBatch.objects.exclude(status__in=[Status.DONE, Status.EXPIRED])
        .alias(last_step=Greatest("created_at", "validated_at", "confirmed_at", "finished_at"))
        .filter(last_step__lt=cutoff)
        .exclude(job__status__in=WORKING_JOB)
    )


@transaction.atomic
def _expire(*, batch_id: int, cutoff: datetime) -> int:
    # Asked again under the batch's lock: its owner may have taken a step since.
    batch = _abandoned(cutoff).select_for_update(of=("self",)).filter(pk=batch_id).first()
    if batch is None:
        return 0
    stored, storage = batch.upload.name, batch.upload.storage
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=Status.EXPIRED, upload="", finished_at=timezone.now()
    )
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    return 1
