"""The one mechanism for generated documents and long jobs.

Request → a ``GeneratedDocument`` row (pending) and, after commit, one Celery
message carrying only its id. The worker claims the row, runs the producer
registered for its ``kind``, reports progress, and leaves the file (or the
error) on the row. The page shows a progress bar from the row and the
download link when it is done. Producers are plain functions registered with
``@producer("kind")`` in each app's ``documents.py``; beside each, a
``@back_link("kind")`` function names the page the job belongs to (the
campaign, the list, the file), so the job's page leads back there. The link is
worked out on the server from the job's own kind and parameters, never taken
from the request, and only to a page the viewer may see.

Why it holds up:
- the claim is a conditional UPDATE, so a finished or missing row makes a
  retried message a quiet no-op;
- a message delivered while the row says "running" can only be a redelivery
  after its worker died (late acknowledgement, visibility timeout longer than
  the task time limit), so the job runs again: producers are idempotent;
- ``dedupe_key`` is unique among pending and running rows in the database, so
  a second request for the same work is refused, whatever the race;
- a message lost because the broker was down is sent again by the periodic
  ``documents.resend_pending`` task.
"""

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.models import GeneratedDocument
from people.models import UnionUnit, User

logger = logging.getLogger(__name__)
Status = GeneratedDocument.Status

PRODUCERS: dict[str, Callable[["JobContext"], "Produced | None"]] = {}
BACK_LINKS: dict[str, Callable[[GeneratedDocument, User], "BackLink | None"]] = {}


@dataclass
class Produced:
    """What a producer hands back: the file's bytes, its name and type."""

    content: bytes
    name: str
    content_type: str


@dataclass
class BackLink:
    """The page a job belongs to, as its page links back to it."""

    url: str
    label: str


class JobAlreadyRunning(Exception):
    """The same work was requested while it is pending or running."""

    def __init__(self, running: GeneratedDocument):
        super().__init__(running.title)
        self.running = running


class JobContext:
    """What a producer sees: its document row, and a way to report progress."""

    def __init__(self, document: GeneratedDocument):
        self.document = document
        self.params = document.params

    def progress(self, done: int, total: int) -> None:
        GeneratedDocument.objects.filter(pk=self.document.pk).update(
            progress_done=min(done, total), progress_total=total
        )


def producer(kind: str):
    """Register the function that produces documents of ``kind``."""

    def register(function):
        PRODUCERS[kind] = function
        return function

    return register


def back_link(kind: str):
    """Register the function naming the page a document of ``kind`` belongs to.

    It takes the document and the viewing user and returns a BackLink, or None
    when that page is gone or not the user's to see.
    """

    def register(function):
        BACK_LINKS[kind] = function
        return function

    return register


def document_back_link(*, document: GeneratedDocument, user: User) -> BackLink | None:
    """The page ``document``'s job came from, if its kind names one ``user`` may see."""
    function = BACK_LINKS.get(document.kind)
    if function is None:
        return None
    try:
        return function(document, user)
    except (KeyError, TypeError, ValueError):
        # Parameters of an older shape, or not what the kind expects: no link, no error page.
        return None


def document_request(
    *,
    kind: str,
    title: str,
    by: User,
    unit: UnionUnit,
    params: dict | None = None,
    dedupe_key: str = "",
) -> GeneratedDocument:
    """Record a request and send it to a worker once the transaction commits.

    Raises JobAlreadyRunning when ``dedupe_key`` names work already waiting or
    running. Side effects: a GeneratedDocument row; one Celery message.
    """
    if kind not in PRODUCERS:
        raise ValueError(f"no producer for {kind!r}")
    keep_days = getattr(settings, "DOCUMENT_KEEP_DAYS", 14)
    try:
        with transaction.atomic():
            document = GeneratedDocument.objects.create(
                kind=kind,
                title=title,
                requested_by=by,
                unit=unit,
                params=params or {},
                dedupe_key=dedupe_key,
                expires_at=timezone.now() + timedelta(days=keep_days),
            )
    except IntegrityError:
        running = GeneratedDocument.objects.filter(
            dedupe_key=dedupe_key, status__in=[Status.PENDING, Status.RUNNING]
        ).first()
        if running is None:  # it finished in between: ask again
            return document_request(
                kind=kind, title=title, by=by, unit=unit, params=params, dedupe_key=dedupe_key
            )
        raise JobAlreadyRunning(running) from None
    transaction.on_commit(lambda: _send(document.pk))
    return document


def _send(document_id: int) -> None:
    from documents.tasks import generate_document

    try:
        generate_document.delay(document_id)
    except Exception:
        logger.warning(
            "Could not send document %s to a worker; it will be sent again.", document_id
        )


def document_run(*, document_id: int) -> str:
    """Claim and produce one document; what the task calls. Returns the outcome."""
    claimed = GeneratedDocument.objects.filter(
        pk=document_id, status__in=[Status.PENDING, Status.RUNNING]
    ).update(status=Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1, error="")
    if not claimed:
        return "nothing to do"
    document = GeneratedDocument.objects.select_related("requested_by", "unit").get(pk=document_id)
    try:
        produced = PRODUCERS[document.kind](JobContext(document))
    except Exception as error:
        logger.exception("Document %s (%s) failed", document.pk, document.kind)
        _fail(document, error)
        return Status.FAILED
    _finish(document, produced)
    return Status.DONE


def _finish(document: GeneratedDocument, produced: Produced | None) -> None:
    document.refresh_from_db()
    if produced is not None:
        document.result.save(produced.name, ContentFile(produced.content), save=False)
        document.result_name = produced.name
        document.content_type = produced.content_type
    document.status = Status.DONE
    document.progress_done = document.progress_total
    document.finished_at = timezone.now()
    document.save(
        update_fields=[
            "result",
            "result_name",
            "content_type",
            "status",
            "progress_done",
            "finished_at",
        ]
    )


def _fail(document: GeneratedDocument, error: Exception) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        message = _("The job took longer than its time limit and was stopped.")
    else:
        message = str(error) or error.__class__.__name__
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )
    logger.debug("".join(traceback.format_exception(error)))


def document_retry(*, document: GeneratedDocument, by: User) -> GeneratedDocument:
    """Run a failed job again. Side effects: the row back to pending; one Celery message."""
    with transaction.atomic():
        updated = GeneratedDocument.objects.filter(pk=document.pk, status=Status.FAILED).update(
            status=Status.PENDING, error="", progress_done=0, finished_at=None
        )
        if updated:
            transaction.on_commit(lambda: _send(document.pk))
    document.refresh_from_db()
    return document


def documents_resend_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send again the jobs still waiting: their message may have been lost with the broker."""
    stale = GeneratedDocument.objects.filter(
        status=Status.PENDING, created_at__lt=timezone.now() - older_than
    )
    ids = list(stale.values_list("pk", flat=True)[:500])
    for document_id in ids:
        _send(document_id)
    return len(ids)


def documents_clean_expired() -> int:
    """Delete documents past their keeping time, files included."""
    expired = GeneratedDocument.objects.filter(expires_at__lt=timezone.now()).exclude(
        status__in=[Status.PENDING, Status.RUNNING]
    )
    count = 0
    for document in expired.iterator():
        if document.result:
            document.result.delete(save=False)
        document.delete()
        count += 1
    return count
