"""Background tasks of generated documents and long jobs. Thin: each calls one function."""

from celery import shared_task
from django.db import connection
from django.utils import timezone


@shared_task(name="documents.health_check")
def health_check() -> dict:
    """Prove a worker is alive and reaches the database; returns what it saw."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"database": one == 1, "worker_time": timezone.now().isoformat()}


@shared_task(name="documents.beat_tick", ignore_result=True)
def beat_tick() -> None:
    """Every minute: beat and a worker are alive (documents/health.py reads it)."""
    from documents.health import beat_tick_record

    beat_tick_record()


@shared_task(name="documents.generate_document", bind=True)
def generate_document(self, document_id: int) -> str:
    """Produce one requested document or long job (documents/services.py)."""
    from documents.services import document_run

    return document_run(document_id=document_id)


@shared_task(name="documents.resend_pending")
def documents_resend_pending() -> int:
    """Send again the jobs whose message may have been lost while the broker was down."""
    from documents.services import documents_resend_pending as resend

    return resend()


@shared_task(name="documents.clean_expired")
def documents_clean_expired() -> int:
    """Delete generated documents past their keeping time."""
    from documents.services import documents_clean_expired as clean

    return clean()
