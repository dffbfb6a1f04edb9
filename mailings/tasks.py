"""Background tasks of the report emails. Thin: each calls one function of mailings/outbox.py."""

from collections import Counter

from celery import shared_task


@shared_task(name="mailings.dispatch_due_emails", bind=True)
def dispatch_due_emails(self) -> dict:
    """The beat's tick: queue the emails now due, then sweep stale and failed rows.

    The send tasks go to the queue this tick came from, so the worker pool that
    runs the tick sends its emails (one queue in production; a test's own queue
    in tests).
    """
    from mailings.outbox import outbox_dispatch, outbox_sweep

    queue = (self.request.delivery_info or {}).get("routing_key") or None
    created = outbox_dispatch(queue=queue)
    swept = outbox_sweep(queue=queue)
    return {"created": len(created), **swept}


@shared_task(name="mailings.send_emails")
def send_emails(email_ids: list[int]) -> dict[str, int]:
    """Claim and send a batch of outbox emails; the rows another call has claimed are left alone.

    Returns how many rows ended how (sent, failed, … "nothing to do").
    """
    from mailings.outbox import outbox_send_batch

    outcomes = outbox_send_batch(email_ids=email_ids)
    return dict(Counter(outcomes.values()))


@shared_task(name="mailings.send_email")
def send_email(email_id: int) -> str:
    """Claim and send one outbox email; a no-op when another call has claimed it.

    Nothing enqueues it now (batches do: ``send_emails``); kept for the messages a
    broker may still hold from before.
    """
    from mailings.outbox import outbox_send

    return outbox_send(email_id=email_id)
