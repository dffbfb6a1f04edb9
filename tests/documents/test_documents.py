"""The generated-documents mechanism: request, claim, progress, download, dedupe, retry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import GeneratedDocument
from documents.services import (
    JobAlreadyRunning,
    Produced,
    document_request,
    document_retry,
    document_run,
    documents_clean_expired,
    producer,
)

Status = GeneratedDocument.Status


@producer("test_echo")
def echo(job):
    if job.params.get("fail"):
        raise ValueError("一个明确的错误")
    job.progress(1, 2)
    job.progress(2, 2)
    return Produced(
        content=f"你好 {job.params['who']}".encode(),
        name="echo.txt",
        content_type="text/plain; charset=utf-8",
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def request_echo(user, unit, **params):
    return document_request(
        kind="test_echo", title="测试文档", by=user, unit=unit, params={"who": "张敏", **params}
    )


def test_a_document_is_produced_and_downloaded_by_someone_of_the_branch(
    caseworker_client, caseworker, media, django_capture_on_commit_callbacks
):
    document = request_echo(caseworker, caseworker.unit)

    assert document_run(document_id=document.pk) == Status.DONE
    document.refresh_from_db()
    page = caseworker_client.get(document.get_absolute_url()).content.decode()
    download = caseworker_client.get(reverse("documents:document_download", args=[document.pk]))

    assert (document.progress_done, document.progress_total, document.percent) == (2, 2, 100)
    assert reverse("documents:document_download", args=[document.pk]) in page
    assert b"".join(download.streaming_content).decode() == "你好 张敏"
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_sibling_branch_gets_404_for_the_page_the_status_and_the_file(
    sibling_client, caseworker, media
):
    document = request_echo(caseworker, caseworker.unit)
    document_run(document_id=document.pk)

    for name in ("document_detail", "document_status", "document_download"):
        assert (
            sibling_client.get(reverse(f"documents:{name}", args=[document.pk])).status_code == 404
        )


def test_the_status_answers_the_progress_bar(caseworker_client, caseworker, media):
    document = request_echo(caseworker, caseworker.unit)
    GeneratedDocument.objects.filter(pk=document.pk).update(
        status=Status.RUNNING, progress_done=3, progress_total=12
    )

    data = caseworker_client.get(reverse("documents:document_status", args=[document.pk])).json()

    assert data == {
        "status": "running",
        "status_label": "进行中",
        "done": 3,
        "total": 12,
        "percent": 25,
    }


def test_a_second_request_for_the_same_work_is_refused_while_the_first_waits(caseworker, media):
    first = document_request(
        kind="test_echo",
        title="一",
        by=caseworker,
        unit=caseworker.unit,
        params={"who": "a"},
        dedupe_key="same",
    )

    with pytest.raises(JobAlreadyRunning) as refused:
        document_request(
            kind="test_echo",
            title="二",
            by=caseworker,
            unit=caseworker.unit,
            params={"who": "b"},
            dedupe_key="same",
        )

    assert refused.value.running == first


def test_the_same_work_may_be_requested_again_once_done_and_past_the_reuse_time(
    caseworker, media, settings
):
    settings.DOCUMENT_REUSE_SECONDS = 0
    first = document_request(
        kind="test_echo",
        title="一",
        by=caseworker,
        unit=caseworker.unit,
        params={"who": "a"},
        dedupe_key="same",
    )
    document_run(document_id=first.pk)

    again = document_request(
        kind="test_echo",
        title="二",
        by=caseworker,
        unit=caseworker.unit,
        params={"who": "a"},
        dedupe_key="same",
    )

    assert again.pk != first.pk


def test_a_failure_is_recorded_and_can_be_retried(caseworker_client, caseworker, media):
    document = request_echo(caseworker, caseworker.unit, fail=True)

    assert document_run(document_id=document.pk) == Status.FAILED
    page = caseworker_client.get(document.get_absolute_url()).content.decode()
    assert "一个明确的错误" in page

    GeneratedDocument.objects.filter(pk=document.pk).update(params={"who": "张敏"})
    document_retry(document=document, by=caseworker)
    assert document_run(document_id=document.pk) == Status.DONE


def test_a_finished_document_is_not_produced_twice(caseworker, media):
    document = request_echo(caseworker, caseworker.unit)
    document_run(document_id=document.pk)

    assert document_run(document_id=document.pk) == "nothing to do"
    assert document_run(document_id=999_999) == "nothing to do"


def test_expired_documents_are_deleted_with_their_files(caseworker, media, tmp_path):
    document = request_echo(caseworker, caseworker.unit)
    document_run(document_id=document.pk)
    document.refresh_from_db()
    path = document.result.path
    GeneratedDocument.objects.filter(pk=document.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert documents_clean_expired() == 1
    assert not GeneratedDocument.objects.exists()
    import os

    assert not os.path.exists(path)


def test_the_file_card_is_requested_from_the_file_page_and_produced(
    caseworker_client, caseworker, standards, media
):
    from tests.factories import open_file

    file = open_file(by=caseworker)

    response = caseworker_client.post(reverse("hardship:file_card", args=[file.pk]))

    document = GeneratedDocument.objects.get(kind="file_card_pdf")
    assert response.url == document.get_absolute_url()
    assert document_run(document_id=document.pk) == Status.DONE
    document.refresh_from_db()
    assert document.result.read().startswith(b"%PDF")


def test_a_sibling_cannot_request_the_file_card(sibling_client, caseworker, standards, media):
    from tests.factories import open_file

    file = open_file(by=caseworker)

    assert sibling_client.post(reverse("hardship:file_card", args=[file.pk])).status_code == 404
    assert not GeneratedDocument.objects.exists()


# ---------------------------------------------------------------- the way back, the time taken


def back_link_of(page: str) -> str | None:
    """The href of the page's link back to where the job came from, if it has one."""
    import re

    found = re.search(r'<a [^>]*href="([^"]*)" data-testid="document-back"', page)
    return found.group(1) if found else None


def test_the_file_cards_page_links_back_to_the_file(caseworker_client, caseworker, media):
    from tests.factories import open_file

    file = open_file(by=caseworker)
    caseworker_client.post(reverse("hardship:file_card", args=[file.pk]))
    document = GeneratedDocument.objects.get(kind="file_card_pdf")

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) == file.get_absolute_url()


def test_the_way_back_comes_from_the_jobs_params_never_from_the_request(
    caseworker_client, caseworker, media
):
    from tests.factories import open_file

    file = open_file(by=caseworker)
    caseworker_client.post(reverse("hardship:file_card", args=[file.pk]))
    document = GeneratedDocument.objects.get(kind="file_card_pdf")

    page = caseworker_client.get(
        document.get_absolute_url(), {"next": "https://evil.example/", "back": "//evil.example"}
    ).content.decode()

    assert back_link_of(page) == file.get_absolute_url()
    assert 'href="https://evil.example' not in page
    assert 'href="//evil.example' not in page


def test_no_link_back_is_offered_to_a_page_the_viewer_cannot_see(
    caseworker_client, caseworker, sibling, media
):
    from tests.factories import open_file

    # A job of our branch whose params name another branch's file (or none that exists).
    hunan_file = open_file(by=sibling)
    for params in ({"file_id": hunan_file.pk}, {"file_id": 999_999}, {"file": "?"}):
        document = GeneratedDocument.objects.create(
            kind="file_card_pdf",
            title="档案表",
            requested_by=caseworker,
            unit=caseworker.unit,
            params=params,
        )
        page = caseworker_client.get(document.get_absolute_url()).content.decode()
        assert back_link_of(page) is None
        assert hunan_file.get_absolute_url() not in page


def test_a_kind_that_names_no_page_shows_no_link_back(caseworker_client, caseworker, media):
    document = request_echo(caseworker, caseworker.unit)
    document_run(document_id=document.pk)

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) is None


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.4, "less than a second"),
        (1, "1 second"),
        (12, "12 seconds"),
        (59.4, "59 seconds"),
        (60, "1 minute"),
        (61, "1 minute 1 second"),
        (185, "3 minutes 5 seconds"),
        (3600, "1 hour"),
        (3725, "1 hour 2 minutes"),
        (7260, "2 hours 1 minute"),
    ],
)
def test_a_duration_reads_in_seconds_then_minutes_then_hours(seconds, shown):
    from django.utils import translation

    from common.templatetags.warmth import duration

    with translation.override("en"):
        assert duration(timedelta(seconds=seconds)) == shown


def test_a_job_under_a_minute_shows_the_seconds_it_took(caseworker_client, caseworker, media):
    document = request_echo(caseworker, caseworker.unit)
    document_run(document_id=document.pk)
    finished = timezone.now()
    GeneratedDocument.objects.filter(pk=document.pk).update(
        started_at=finished - timedelta(seconds=12), finished_at=finished
    )
    caseworker_client.cookies["warmth_language"] = "en"

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert "Took 12 seconds." in page
    assert "0 minutes" not in page


def test_a_job_has_a_duration_only_once_it_has_finished(caseworker, media):
    document = request_echo(caseworker, caseworker.unit)
    assert document.duration is None

    document_run(document_id=document.pk)
    document.refresh_from_db()

    assert document.duration == document.finished_at - document.started_at
