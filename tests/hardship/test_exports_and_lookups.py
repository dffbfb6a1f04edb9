"""Heavy or nationwide work stays off the web process and on the record.

Exports above a few hundred rows are jobs with a progress bar; full ID numbers are
exported only on a POST stating a reason, recorded once per export with its row
count; asking which unit anywhere holds an ID number is limited per person and
recorded.
"""

from io import BytesIO

import pytest
from django.core.cache import cache
from django.urls import reverse
from openpyxl import load_workbook

from documents.models import GeneratedDocument
from documents.services import document_run
from hardship import exporting
from hardship.models import FullIdExport, IdHolderLookup, IdNumberView
from tests.factories import UserFactory, make_id_number, open_file


@pytest.fixture
def three_files(caseworker, standards):
    return [open_file(by=caseworker, id_number=make_id_number(sequence=2100 + n)) for n in range(3)]


@pytest.fixture
def small_web_exports(monkeypatch):
    """Two rows is the most a request answers itself, so three make a job."""
    monkeypatch.setattr(exporting, "WEB_EXPORT_ROWS", 2)


def cells(content: bytes) -> list:
    return [c.value for row in load_workbook(BytesIO(content)).active.iter_rows() for c in row]


def test_an_export_with_full_ids_is_a_post_with_a_reason_recorded_once_with_its_row_count(
    caseworker_client, caseworker, three_files
):
    response = caseworker_client.post(
        reverse("hardship:file_export_full", args=["xlsx"]),
        {"reason": "核对发放名单", "query": ""},
    )

    assert response.status_code == 200
    assert three_files[0].id_number in cells(response.content)
    record = FullIdExport.objects.get()
    assert (record.user, record.reason, record.row_count) == (caseworker, "核对发放名单", 3)
    assert not IdNumberView.objects.exists()  # not one record per row


def test_an_export_with_full_ids_without_a_reason_is_refused_beside_the_field(
    caseworker_client, three_files
):
    response = caseworker_client.post(
        reverse("hardship:file_export_full", args=["xlsx"]), {"reason": "", "query": ""}
    )

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert 'class="field__error"' in response.content.decode()
    assert not FullIdExport.objects.exists()


def test_full_ids_are_never_exported_through_a_link(caseworker_client, three_files):
    response = caseworker_client.get(
        reverse("hardship:file_export", args=["xlsx"]), {"full_ids": "1"}
    )
    values = cells(response.content)

    assert three_files[0].id_number not in values
    assert three_files[0].masked_id_number in values
    assert (
        caseworker_client.get(reverse("hardship:file_export_full", args=["xlsx"])).status_code
        == 405
    )
    assert not FullIdExport.objects.exists()


def test_a_viewer_cannot_export_full_ids(client, tree, three_files):
    client.force_login(UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True))

    response = client.post(
        reverse("hardship:file_export_full", args=["xlsx"]), {"reason": "想看看", "query": ""}
    )

    assert response.status_code == 403
    assert not FullIdExport.objects.exists()


def test_a_sibling_branch_exports_none_of_these_files(sibling_client, three_files):
    response = sibling_client.post(
        reverse("hardship:file_export_full", args=["xlsx"]), {"reason": "核对", "query": ""}
    )

    assert three_files[0].id_number not in cells(response.content)
    assert FullIdExport.objects.get().row_count == 0


def test_an_anonymous_visitor_cannot_export(client, three_files):
    response = client.post(
        reverse("hardship:file_export_full", args=["xlsx"]), {"reason": "x", "query": ""}
    )

    assert response.status_code == 302
    assert not FullIdExport.objects.exists()


def test_a_large_export_is_a_job_with_progress_and_the_web_process_builds_nothing(
    caseworker_client, caseworker, three_files, small_web_exports
):
    response = caseworker_client.get(reverse("hardship:file_export", args=["xlsx"]))

    document = GeneratedDocument.objects.get(kind=exporting.EXPORT_KIND)
    assert response.status_code == 302
    assert response.url == document.get_absolute_url()
    assert document.status == GeneratedDocument.Status.PENDING
    assert document_run(document_id=document.pk) == "done"
    document.refresh_from_db()
    assert (document.progress_done, document.progress_total) == (3, 3)
    values = cells(document.result.read())
    assert three_files[0].masked_id_number in values
    assert three_files[0].id_number not in values


def test_a_large_export_with_full_ids_is_recorded_once_when_the_worker_has_made_it(
    caseworker_client, caseworker, three_files, small_web_exports
):
    caseworker_client.post(
        reverse("hardship:file_export_full", args=["csv"]), {"reason": "年度审计", "query": ""}
    )
    document = GeneratedDocument.objects.get(kind=exporting.EXPORT_KIND)
    assert not FullIdExport.objects.exists()  # nothing exported yet

    document_run(document_id=document.pk)

    document.refresh_from_db()
    assert three_files[0].id_number in document.result.read().decode("utf-8-sig")
    record = FullIdExport.objects.get()
    assert (record.user, record.reason, record.row_count) == (caseworker, "年度审计", 3)


def test_the_nationwide_id_holder_answer_is_limited_per_person_and_recorded(
    caseworker_client, caseworker, sibling, standards, settings
):
    cache.clear()
    settings.ID_HOLDER_LOOKUPS_PER_HOUR = 2
    number = make_id_number(sequence=2201)
    open_file(by=sibling, id_number=number, division_code="430100")
    url = reverse("hardship:file_new")
    caseworker_client.cookies["warmth_language"] = "en"

    answers = [
        caseworker_client.post(url, {"name": "张建国", "id_number": number}) for _ in range(3)
    ]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert "湖南省总工会" in answers[1].content.decode()
    assert "湖南省总工会" not in answers[2].content.decode()
    assert "the most allowed" in answers[2].context["form"].errors["id_number"][0]
    lookups = IdHolderLookup.objects.filter(user=caseworker)
    assert list(lookups.values_list("found", flat=True)) == [True, True]
    cache.clear()
