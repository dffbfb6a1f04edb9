"""Background tasks of the visits app. Thin: each calls one function."""

from celery import shared_task


@shared_task(name="visits.create_follow_ups_after_exit")
def follow_ups_after_exit_create() -> int:
    """Create the calls due six and twelve months after a household's exit (idempotent)."""
    from visits.services import follow_ups_after_exit_create as create

    return create()
