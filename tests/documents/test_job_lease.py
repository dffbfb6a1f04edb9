"""A job runs once at a time and not forever: claims, leases, attempts, dedupe, allowance."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from documents.models import GeneratedDocument
from documents.services import (
    Produced,
    TooManyRequests,
    document_request,
    document_run,
    documents_resend_pending,
    producer,
)

Status = GeneratedDocument.Status


@producer("test_lease_echo")
def echo(job):
    job.progress(1, 1)
    return Produced(content=b"ok", name="ok.txt", content_type="text/plain")


@producer("test_taken_over")
def taken_over(job):
    # Meanwhile this run's lease expired and another worker claimed the job.
    GeneratedDocument.objects.filter(pk=job.document.pk).update(attempts=job.document.attempts + 1)
    job.progress(1, 2)
    return Produced(content=b"late", name="late.txt", content_type="text/plain")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ask(user, kind="test_lease_echo", **params):
    return document_request(kind=kind, title="测试", by=user, unit=user.unit, params=params)


def running(document, *, attempts=1, lease_from_now=timedelta(seconds=60)):
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.RUNNING, attempts=attempts, lease_expires_at=timezone.now() + lease_from_now
    )


def test_a_job_running_under_a_live_lease_is_not_claimed_a_second_time(caseworker, media):
    document = ask(caseworker)
    running(document)

    assert document_run(document_id=document.pk) == "nothing to do"

    document.refresh_from_db()
    assert (document.status, document.attempts) == (Status.RUNNING, 1)


def test_a_job_whose_lease_expired_is_claimed_again_and_completed(caseworker, media):
    document = ask(caseworker)
    running(document, lease_from_now=timedelta(seconds=-1))

    assert document_run(document_id=document.pk) == Status.DONE

    document.refresh_from_db()
    assert (document.status, document.attempts, document.lease_expires_at) == (
        Status.DONE,
        2,
        None,
    )


def test_a_job_past_its_attempts_fails_with_a_message_instead_of_running_again(
    caseworker, media, settings
):
    settings.DOCUMENT_JOB_MAX_ATTEMPTS = 2
    document = ask(caseworker)
    running(document, attempts=2, lease_from_now=timedelta(seconds=-1))

    assert document_run(document_id=document.pk) == Status.FAILED

    document.refresh_from_db()
    assert document.status == Status.FAILED
    assert document.attempts == 2
    assert "2" in document.error


def test_a_run_whose_job_was_taken_over_stops_and_leaves_the_row_to_the_new_run(caseworker, media):
    document = ask(caseworker, kind="test_taken_over")

    assert document_run(document_id=document.pk) == "taken over"

    document.refresh_from_db()
    assert (document.status, document.attempts, document.result.name) == (Status.RUNNING, 2, "")


def test_the_periodic_resend_takes_running_jobs_whose_lease_expired_and_no_live_one(
    caseworker, media, own_default_queue
):
    dead = ask(caseworker, n=1)
    alive = ask(caseworker, n=2)
    running(dead, lease_from_now=timedelta(seconds=-1))
    running(alive)

    assert documents_resend_pending() == 1


def test_the_same_request_while_it_runs_or_just_after_gets_the_same_job(caseworker, media):
    first = ask(caseworker, who="张敏")
    again = ask(caseworker, who="张敏")
    other = ask(caseworker, who="李强")
    document_run(document_id=first.pk)
    after = ask(caseworker, who="张敏")

    assert again == first
    assert after == first
    assert other != first


def test_the_same_request_long_after_it_finished_is_a_new_job(caseworker, media, settings):
    settings.DOCUMENT_REUSE_SECONDS = 0
    first = ask(caseworker, who="张敏")
    document_run(document_id=first.pk)

    assert ask(caseworker, who="张敏") != first


def test_a_person_cannot_ask_for_more_jobs_an_hour_than_allowed(caseworker, media, settings):
    settings.DOCUMENT_REQUESTS_PER_HOUR = 2
    ask(caseworker, n=1)
    ask(caseworker, n=2)

    with pytest.raises(TooManyRequests):
        ask(caseworker, n=3)

    assert ask(caseworker, n=2).params == {"n": 2}  # asking again for one already there is fine
    assert GeneratedDocument.objects.filter(requested_by=caseworker).count() == 2


def test_a_page_asking_beyond_the_allowance_says_so_instead_of_failing(
    caseworker_client, caseworker, standards, media, settings
):
    from tests.factories import make_id_number, open_file

    settings.DOCUMENT_REQUESTS_PER_HOUR = 1
    ask(caseworker, n=1)
    file = open_file(by=caseworker, id_number=make_id_number(sequence=5001))
    page = reverse("hardship:file_detail", args=[file.pk])

    response = caseworker_client.post(
        reverse("hardship:file_card", args=[file.pk]),
        headers={"referer": f"http://testserver{page}"},
    )

    assert response.status_code == 302
    assert response.url in (page, f"http://testserver{page}")
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1
    assert "1" in shown[0]
    assert not GeneratedDocument.objects.filter(kind="file_card_pdf").exists()
