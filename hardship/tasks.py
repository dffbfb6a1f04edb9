"""Background tasks of the hardship app. Thin: each calls one function."""

from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone


@shared_task(name="hardship.health_check")
def health_check() -> dict:
    """Prove a worker is alive and reaches the database; returns what it saw."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"database": one == 1, "worker_time": timezone.now().isoformat()}


@shared_task(name="hardship.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete sessions past their inactivity expiry, as ``manage.py clearsessions`` does."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@shared_task(name="hardship.import_batch_work")
def import_batch_work(batch_id: int) -> str:
    """Take a spreadsheet import one step on: the dry run when it waits to be checked, the
    import when the caseworker has confirmed a clean dry run. Anything else is a no-op, so a
    message delivered twice does nothing twice. Returns the batch's status afterwards.
    """
    from hardship.importing import import_batch_check, import_batch_fail, import_batch_import
    from hardship.models import ImportBatch

    Status = ImportBatch.Status
    batches = ImportBatch.objects.filter(pk=batch_id)
    try:
        if batches.filter(status=Status.PENDING).update(status=Status.VALIDATING) == 1:
            return import_batch_check(batch_id=batch_id).status
        confirmed = batches.filter(status=Status.VALIDATED, confirmed_at__isnull=False)
        if confirmed.update(status=Status.IMPORTING) == 1:
            return import_batch_import(batch_id=batch_id).status
    except Exception as error:
        import_batch_fail(batch_id=batch_id, error=error)
        return Status.FAILED
    return "nothing to do"


@shared_task(name="hardship.generate_document", bind=True)
def generate_document(self, document_id: int) -> str:
    """Produce one requested document or long job (hardship/documents.py)."""
    from hardship.documents import document_run

    return document_run(document_id=document_id)


@shared_task(name="hardship.documents_resend_pending")
def documents_resend_pending() -> int:
    """Send again the jobs whose message may have been lost while the broker was down."""
    from hardship.documents import documents_resend_pending as resend

    return resend()


@shared_task(name="hardship.documents_clean_expired")
def documents_clean_expired() -> int:
    """Delete generated documents past their keeping time."""
    from hardship.documents import documents_clean_expired as clean

    return clean()
