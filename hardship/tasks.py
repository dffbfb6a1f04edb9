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
