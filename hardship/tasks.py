"""Background tasks of the hardship app. Thin: each calls one function.

The import's dry run and import are jobs of the documents engine, run by its
``documents.generate_document`` task; their producers are registered in
``HardshipConfig.ready()``.
"""

from celery import shared_task


@shared_task(name="hardship.expire_import_batches")
def import_batches_expire() -> int:
    """Delete the spreadsheets of imports left unfinished too long (IMPORT_KEEP_DAYS)."""
    from hardship.importing.services import import_batches_expire as expire

    return expire()
