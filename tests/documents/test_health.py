"""/health/ for the load balancer and /health/deep/ for operators."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from documents.health import (
    BEAT_TICK_KEY,
    BeatTick,
    OldestPendingJob,
    QueueLength,
    beat_tick_record,
)
from documents.models import GeneratedDocument
from hardship.file_card import file_card_request
from tests.factories import open_file


@pytest.fixture(autouse=True)
def _no_tick_yet():
    cache.delete(BEAT_TICK_KEY)


def test_the_load_balancers_check_answers_anyone_without_personal_data(client, db):
    response = client.get(reverse("health"), {"format": "json"})

    assert response.status_code == 200
    assert response.json() == {"Database(alias='default')": "OK"}


def test_the_deep_check_is_refused_to_anyone_but_an_operator(client, caseworker):
    assert client.get(reverse("health_deep")).status_code == 404
    client.force_login(caseworker)
    assert client.get(reverse("health_deep")).status_code == 404


def test_a_monitoring_system_reads_the_deep_check_with_its_token(client, db, settings):
    settings.HEALTH_TOKEN = "monitoring-token-for-tests"
    beat_tick_record()

    wrong = client.get(reverse("health_deep"), {"format": "json"}, HTTP_AUTHORIZATION="Bearer nope")
    response = client.get(
        reverse("health_deep"),
        {"format": "json"},
        HTTP_AUTHORIZATION="Bearer monitoring-token-for-tests",
    )

    assert wrong.status_code == 404
    checks = response.json()
    assert checks["BeatTick()"] == "OK"
    assert checks["OldestPendingJob()"] == "OK"
    # No worker runs in this test: the deep check says so, and fails as a whole.
    [ping] = [name for name in checks if name.startswith("Ping(")]
    assert checks[ping] != "OK"
    assert response.status_code == 500


def test_beat_is_unwell_until_it_ticks_and_again_when_its_tick_is_late(db):
    with pytest.raises(ServiceUnavailable):
        BeatTick().run()

    beat_tick_record()
    BeatTick().run()

    cache.set(BEAT_TICK_KEY, (timezone.now() - datetime.timedelta(minutes=4)).isoformat())
    with pytest.raises(ServiceUnavailable, match="ago"):
        BeatTick().run()


def test_a_job_waiting_too_long_for_a_worker_is_reported(caseworker, settings):
    settings.HEALTH_JOB_WAIT_MINUTES = 10
    job = file_card_request(file=open_file(by=caseworker), by=caseworker, language="zh-hans")
    OldestPendingJob().run()

    GeneratedDocument.objects.filter(pk=job.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    with pytest.raises(ServiceUnavailable, match="11 min"):
        OldestPendingJob().run()


def test_a_long_queue_is_a_warning(db, settings):
    import redis

    settings.HEALTH_QUEUE_WARN = 2
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery")
    QueueLength().run()
    client.rpush("celery", "a", "b")
    try:
        with pytest.raises(ServiceWarning, match="2 messages"):
            QueueLength().run()
    finally:
        client.delete("celery")
