"""The beat schedule's email entry, run by a real worker through Redis, sends the due digests."""

from email import message_from_bytes

import pytest
from django.conf import settings
from django.utils import timezone

from mailings.choices import EmailKind, OutboxStatus
from mailings.models import OutboxEmail
from tests.factories import UserFactory
from tests.mailings.conftest import set_schedule
from tests.workers import database_url_for_other_processes, wait_for, worker_process

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_beat_entry_sends_the_due_weekly_digests_through_a_real_worker(tree, tmp_path):
    from config.celery import app

    UserFactory(unit=tree.wuhan, full_name="李建国", email="one@example.org")
    UserFactory(unit=tree.hunan, full_name="黄志明", email="two@example.org", language="en")
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)
    # Due now: today's weekday, at a moment of the day already passed.
    set_schedule(
        EmailKind.WEEKLY_DIGEST,
        enabled=True,
        weekday=timezone.localdate().weekday(),
        hour=0,
        minute=0,
    )
    task_name = settings.CELERY_BEAT_SCHEDULE["send-due-emails"]["task"]
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "WARMTH_VAR_DIR": str(tmp_path / "var"),
    }

    with worker_process(env=env, log_path=tmp_path / "worker.log") as worker:
        first = app.send_task(task_name, queue=worker.queue).get(timeout=60)
        wait_for(
            lambda: OutboxEmail.objects.filter(status=OutboxStatus.SENT).count() == 2,
            timeout=60,
            what="both digests sent",
        )
        again = app.send_task(task_name, queue=worker.queue).get(timeout=60)

    files = sorted((tmp_path / "var" / "mail").glob("*.log"))
    messages = [
        message_from_bytes(chunk)
        for path in files
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n")
        if chunk.strip()
    ]
    assert first["created"] == 2
    assert again["created"] == 0
    assert sorted(m["To"] for m in messages) == ["one@example.org", "two@example.org"]
    assert all(m.is_multipart() for m in messages)
    assert set(OutboxEmail.objects.values_list("kind", "status")) == {
        (EmailKind.WEEKLY_DIGEST, OutboxStatus.SENT)
    }
