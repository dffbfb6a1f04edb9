"""Background tasks of the people app. Thin: each calls one function."""

from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="people.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete sessions past their inactivity expiry, as ``manage.py clearsessions`` does."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
