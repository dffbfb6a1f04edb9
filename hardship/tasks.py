"""Background tasks of the hardship app. Thin: each calls one function."""

from celery import shared_task


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
