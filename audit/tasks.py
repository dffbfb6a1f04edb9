"""Periodic work of the audit app. Thin: each calls one function."""

from celery import shared_task


@shared_task(name="audit.retention_run")
def retention_run_monthly() -> int:
    """Erase what the retention period has ended for; returns the files anonymised."""
    from audit.retention import retention_run

    return retention_run(dry_run=False).files
