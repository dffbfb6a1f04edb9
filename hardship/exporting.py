"""Exports of the file list to Excel (xlsx) and CSV, masked as the user's role requires.

A small export (up to ``WEB_EXPORT_ROWS``) is answered by the request itself; a larger
one is a job of the documents engine (``EXPORT_KIND``), whose page shows its progress
bar, so a web process never builds a large file. Full ID numbers are exported only on
a POST that states a reason, and each such export is recorded once, with its row
count (``FullIdExport``).
"""

from collections.abc import Callable, Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import GeneratedDocument
from documents.services import JobContext, Produced, document_request, producer
from hardship.models import FullIdExport, HardshipFile
from people.models import User

# Any export at most this many files; larger sets: narrow the filters.
EXPORT_LIMIT = 50_000
# Above this many rows an export is a job on a worker, not the request's work.
WEB_EXPORT_ROWS = 500
CHUNK = 2_000
EXPORT_KIND = "hardship_file_export"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns() -> list[tuple[str, str]]:
    return [
        ("file_number", _("File number")),
        ("name", _("Name")),
        ("id_number", _("ID number")),
        ("gender", _("Gender")),
        ("birth_date", _("Birth date")),
        ("phone", _("Phone")),
        ("address", _("Home address")),
        ("unit", _("Unit")),
        ("status", _("Status")),
        ("category", _("Category")),
        ("main_cause", _("Main cause")),
        ("employment_status", _("Employment status")),
        ("model_worker_level", _("Model worker in hardship")),
        ("migrant", _("Migrant worker")),
        ("annual_income", _("Household income this year")),
        ("household_size", _("Household size")),
        ("review_due_on", _("Review due")),
    ]


def file_rows(
    queryset: QuerySet[HardshipFile],
    *,
    full_ids: bool,
    progress: Callable[[int], None] | None = None,
) -> Iterator[list]:
    """The header, then one row per file, reading the database in chunks by primary key;
    ``progress(rows so far)`` hears of each chunk."""
    yield [label for _key, label in _columns()]
    last_pk = 0
    base = queryset.select_related("unit", "main_cause").order_by("pk")
    sent = 0
    while sent < EXPORT_LIMIT:
        chunk = list(base.filter(pk__gt=last_pk)[: min(CHUNK, EXPORT_LIMIT - sent)])
        if not chunk:
            return
        for file in chunk:
            yield [
                file.file_number,
                file.name,
                file.id_number if full_ids else file.masked_id_number,
                file.get_gender_display(),
                file.birth_date.isoformat(),
                file.phone,
                file.address,
                file.unit.name,
                file.get_status_display(),
                file.get_category_display(),
                str(file.main_cause),
                file.get_employment_status_display(),
                file.get_model_worker_level_display(),
                _("Yes") if file.is_migrant_worker else _("No"),
                file.annual_income,
                file.household_size,
                file.review_due_on.isoformat() if file.review_due_on else "",
            ]
        last_pk = chunk[-1].pk
        sent += len(chunk)
        if progress is not None:
            progress(sent)


def export_row_count(queryset: QuerySet[HardshipFile], *, limit: int = EXPORT_LIMIT) -> int:
    """How many files an export of ``queryset`` writes (counting no further than ``limit``)."""
    return queryset.order_by()[:limit].count()


@transaction.atomic
def full_id_export_record(*, by: User, reason: str, row_count: int) -> FullIdExport:
    """Record that ``by`` exported ``row_count`` files with full ID numbers, and why.

    Side effects: one FullIdExport row.
    """
    return FullIdExport.objects.create(user=by, reason=reason.strip()[:300], row_count=row_count)


def export_file_name(fmt: str) -> str:
    """The download's name in the reader's language (outside the f-string, where makemessages
    finds it)."""
    what = _("hardship files")
    return f"{what}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def file_export_request(
    *, by: User, query: str, fmt: str, full_ids: bool, reason: str = ""
) -> GeneratedDocument:
    """Request a large export as a job; the filters travel as their query string.

    Side effects: a GeneratedDocument row; one Celery message after commit. The
    export with full ID numbers is recorded when the worker has written it.
    """
    title = _("Hardship files with full ID numbers") if full_ids else _("Hardship files")
    return document_request(
        kind=EXPORT_KIND,
        title=title,
        by=by,
        unit=by.unit,
        params={"query": query, "fmt": fmt, "full_ids": full_ids, "reason": reason},
    )


@producer(EXPORT_KIND)
def file_export_job(job: JobContext) -> Produced:
    """params: query, fmt, full_ids, reason. The file list as the requester sees it now."""
    from documents.spreadsheets import csv_chunks, xlsx_bytes
    from hardship.filters import FileFilter
    from hardship.selectors import files_for_user, may_see_full_id_numbers

    user = job.document.requested_by
    params = job.params
    scoped = files_for_user(user=user)
    filters = FileFilter(QueryDict(params.get("query", "")) or None, queryset=scoped, user=user)
    queryset = filters.qs if filters.is_bound and filters.is_valid() else scoped
    # Asked again: the requester's role may have changed since the request.
    full_ids = bool(params.get("full_ids")) and bool(may_see_full_id_numbers(user))
    total = export_row_count(queryset)
    job.progress(0, total)
    rows = file_rows(queryset, full_ids=full_ids, progress=lambda done: job.progress(done, total))
    fmt = params.get("fmt", "xlsx")
    if fmt == "csv":
        content = "".join(csv_chunks(rows)).encode("utf-8")
        content_type = "text/csv; charset=utf-8"
    else:
        content = xlsx_bytes(rows, title=_("Hardship files"))
        content_type = XLSX_TYPE
    if full_ids:
        full_id_export_record(by=user, reason=params.get("reason", ""), row_count=total)
    return Produced(content=content, name=export_file_name(fmt), content_type=content_type)
