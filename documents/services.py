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
- the claim is a conditional UPDATE: a worker takes only a pending job, or a
  running one whose lease has expired (its worker died); a finished or missing
  row, or one running under a live lease, makes a message a quiet no-op, so a
  duplicated or redelivered message never starts a second run;
- the running worker renews the lease from a heartbeat thread and whenever it
  reports progress; every renewal and the outcome are conditional on its own
  attempt number, so a run that lost its lease stops instead of overwriting;
- attempts are counted and capped (``DOCUMENT_JOB_MAX_ATTEMPTS``): a job that
  keeps killing its worker fails with a message instead of running forever;
- ``dedupe_key`` is unique among pending and running rows in the database, so
  a second request for the same work is refused, whatever the race; the same
  request of the same person for the same unit, while it runs or just after,
  gets the existing job; each person may ask for ``DOCUMENT_REQUESTS_PER_HOUR``;
- the periodic ``documents.resend_pending`` task sends again the jobs whose
  message was lost and the running jobs whose lease expired.
"""

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.errors import RuleBroken
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


class TooManyRequests(RuleBroken):
    """A person asked for more documents and jobs than ``DOCUMENT_REQUESTS_PER_HOUR``."""


class LeaseLost(Exception):
    """Another worker took the job over (this run's lease expired): stop, leave the row alone."""


def _lease() -> timedelta:
    return timedelta(seconds=settings.DOCUMENT_JOB_LEASE_SECONDS)


def _this_run(document: GeneratedDocument):
    # The attempt number fences a run: once another worker claimed the job, it is not ours.
    return GeneratedDocument.objects.filter(
        pk=document.pk, status=Status.RUNNING, attempts=document.attempts
    )


class JobContext:
    """What a producer sees: its document row, and a way to report progress."""

    def __init__(self, document: GeneratedDocument):
        self.document = document
        self.params = document.params
        self.lost = threading.Event()

    def progress(self, done: int, total: int) -> None:
        """Report progress and renew the lease; raises LeaseLost if the job was taken over."""
        if self.lost.is_set() or not _this_run(self.document).update(
            progress_done=min(done, total),
            progress_total=total,
            lease_expires_at=timezone.now() + _lease(),
        ):
            raise LeaseLost(self.document.pk)

    def renew(self) -> bool:
        """Renew the lease; False once the job is no longer this run's."""
        renewed = bool(_this_run(self.document).update(lease_expires_at=timezone.now() + _lease()))
        if not renewed:
            self.lost.set()
        return renewed


class _Heartbeat(threading.Thread):
    """Renews a running job's lease a few times a lease, while its producer works
    (also inside one long SQL statement, when progress is not reported)."""

    def __init__(self, job: JobContext):
        super().__init__(name=f"lease-{job.document.pk}", daemon=True)
        self.job = job
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.DOCUMENT_JOB_LEASE_SECONDS / 3):
                if not self.job.renew():
                    return
        except Exception:
            logger.exception("Could not renew the lease of document %s", self.job.document.pk)
        finally:
            connection.close()  # this thread's own connection

    def stop(self) -> None:
        self.stopped.set()
        self.join()


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
    reuse_recent: bool = True,
) -> GeneratedDocument:
    """Record a request and send it to a worker once the transaction commits.

    The same request (kind, parameters, person, unit) while it is waiting or
    running, or finished within ``DOCUMENT_REUSE_SECONDS`` (unless
    ``reuse_recent`` is off, for jobs whose result depends on when they run),
    returns the existing job. Raises JobAlreadyRunning when ``dedupe_key`` names
    work already waiting or running, TooManyRequests above the person's hourly
    allowance. Side effects: a GeneratedDocument row; one Celery message.
    """
    if kind not in PRODUCERS:
        raise ValueError(f"no producer for {kind!r}")
    keep_days = getattr(settings, "DOCUMENT_KEEP_DAYS", 14)
    try:
        with transaction.atomic():
            # One person's requests one at a time, so the allowance holds whatever the race.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [73_301, by.pk])
            same = _same_request(
                kind=kind, by=by, unit=unit, params=params or {}, reuse_recent=reuse_recent,
                working=not dedupe_key,
            )  # fmt: skip
            if same is not None:
                return same
            _check_allowance(by)
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
                kind=kind, title=title, by=by, unit=unit, params=params, dedupe_key=dedupe_key,
                reuse_recent=reuse_recent,
            )  # fmt: skip
        raise JobAlreadyRunning(running) from None
    transaction.on_commit(lambda: _send(document.pk))
    return document


def _same_request(
    *, kind: str, by: User, unit: UnionUnit, params: dict, reuse_recent: bool, working: bool
) -> GeneratedDocument | None:
    # With a dedupe_key, work waiting or running is the database constraint's to refuse
    # (JobAlreadyRunning, which callers show as such); only a recent result is reused here.
    same = Q(status__in=[Status.PENDING, Status.RUNNING]) if working else Q(pk__in=[])
    if reuse_recent and settings.DOCUMENT_REUSE_SECONDS:
        since = timezone.now() - timedelta(seconds=settings.DOCUMENT_REUSE_SECONDS)
        same |= Q(status=Status.DONE, finished_at__gte=since)
    return (
        GeneratedDocument.objects.filter(same, kind=kind, requested_by=by, unit=unit)
        .filter(params=params)
        .order_by("-created_at", "-id")
        .first()
    )


def _check_allowance(by: User) -> None:
    allowance = settings.DOCUMENT_REQUESTS_PER_HOUR
    asked = GeneratedDocument.objects.filter(
        requested_by=by, created_at__gte=timezone.now() - timedelta(hours=1)
    ).count()
    if asked >= allowance:
        raise TooManyRequests(
            ngettext(
                "You have asked for %(count)d document or job in the last hour, the most "
                "allowed. Please wait a while, or use one you asked for already.",
                "You have asked for %(count)d documents and jobs in the last hour, the most "
                "allowed. Please wait a while, or use one you asked for already.",
                allowance,
            )
            % {"count": allowance}
        )


def _send(document_id: int) -> None:
    from documents.tasks import generate_document

    try:
        generate_document.delay(document_id)
    except Exception:
        logger.warning(
            "Could not send document %s to a worker; it will be sent again.", document_id
        )


def document_run(*, document_id: int) -> str:
    """Claim and produce one document; what the task calls. Returns the outcome.

    Claims only a pending job, or a running one whose lease has expired, and
    fewer than ``DOCUMENT_JOB_MAX_ATTEMPTS`` times; a job past its attempts fails.
    """
    now = timezone.now()
    # A running job without a lease was claimed before leases existed: its worker is long gone.
    claimable = Q(status=Status.PENDING) | Q(
        Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True), status=Status.RUNNING
    )
    claimed = (
        GeneratedDocument.objects.filter(claimable, pk=document_id)
        .filter(attempts__lt=settings.DOCUMENT_JOB_MAX_ATTEMPTS)
        .update(
            status=Status.RUNNING,
            started_at=now,
            lease_expires_at=now + _lease(),
            attempts=F("attempts") + 1,
            error="",
        )
    )
    if not claimed:
        return Status.FAILED if _give_up(document_id, claimable) else "nothing to do"
    document = GeneratedDocument.objects.select_related("requested_by", "unit").get(pk=document_id)
    job = JobContext(document)
    heartbeat = _Heartbeat(job)
    heartbeat.start()
    try:
        produced = PRODUCERS[document.kind](job)
    except LeaseLost:
        logger.warning("Document %s was taken over by another worker; this run stops.", document.pk)
        return "taken over"
    except Exception as error:
        logger.exception("Document %s (%s) failed", document.pk, document.kind)
        _fail(document, error)
        return Status.FAILED
    finally:
        heartbeat.stop()
    if not _finish(document, produced):
        return "taken over"
    return Status.DONE


def _give_up(document_id: int, claimable: Q) -> bool:
    """Fail the job if it is claimable but has had all its attempts; True if it was."""
    attempts = settings.DOCUMENT_JOB_MAX_ATTEMPTS
    message = ngettext(
        "The job was started %(count)d time without finishing (its worker stopped) and "
        "will not be tried again. Ask for it again, or tell your administrator.",
        "The job was started %(count)d times without finishing (its worker stopped) and "
        "will not be tried again. Ask for it again, or tell your administrator.",
        attempts,
    ) % {"count": attempts}
    return bool(
        GeneratedDocument.objects.filter(claimable, pk=document_id, attempts__gte=attempts).update(
            status=Status.FAILED, error=message, finished_at=timezone.now(), lease_expires_at=None
        )
    )


def _finish(document: GeneratedDocument, produced: Produced | None) -> bool:
    """Leave the file on the row, if the job is still this run's; True if it was."""
    document.refresh_from_db()
    changes = {"status": Status.DONE, "finished_at": timezone.now(), "lease_expires_at": None}
    if produced is not None:
        document.result.save(produced.name, ContentFile(produced.content), save=False)
        changes |= {
            "result": document.result.name,
            "result_name": produced.name,
            "content_type": produced.content_type,
        }
    finished = _this_run(document).update(**changes, progress_done=F("progress_total"))
    if not finished and produced is not None:
        document.result.delete(save=False)
    return bool(finished)


def _fail(document: GeneratedDocument, error: Exception) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    if isinstance(error, SoftTimeLimitExceeded):
        message = _("The job took longer than its time limit and was stopped.")
    else:
        message = str(error) or error.__class__.__name__
    _this_run(document).update(
        status=Status.FAILED,
        error=message[:2000],
        finished_at=timezone.now(),
        lease_expires_at=None,
    )
    logger.debug("".join(traceback.format_exception(error)))


def document_retry(*, document: GeneratedDocument, by: User) -> GeneratedDocument:
    """Run a failed job again. Side effects: the row back to pending; one Celery message."""
    with transaction.atomic():
        updated = GeneratedDocument.objects.filter(pk=document.pk, status=Status.FAILED).update(
            status=Status.PENDING, error="", progress_done=0, finished_at=None, attempts=0
        )
        if updated:
            transaction.on_commit(lambda: _send(document.pk))
    document.refresh_from_db()
    return document


def documents_resend_pending(*, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Send again the jobs still waiting (their message may have been lost with the
    broker) and the running jobs whose lease expired (their worker died): the broker
    would hand back an unacknowledged message only after its visibility timeout."""
    now = timezone.now()
    stale = GeneratedDocument.objects.filter(
        Q(status=Status.PENDING, created_at__lt=now - older_than)
        | Q(Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True), status=Status.RUNNING)
    )
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:500])
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
