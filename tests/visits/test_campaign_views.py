"""Campaign pages: who may see and do what."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from documents.models import GeneratedDocument
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UnionUnitFactory, make_id_number, open_file
from visits.campaigns import campaign_create, visit_lists_build, visit_lists_request_build
from visits.models import Campaign, VisitList


@pytest.fixture
def built(tree, caseworker, approver, standards):
    community = UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)
    for n in range(3):
        file = open_file(
            by=caseworker,
            unit=community,
            name=f"户{n}",
            id_number=make_id_number(sequence=5001 + 2 * n),
        )
        HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.ON_FILE, category="deep")
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name="冬送温暖",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        organiser=tree.wuhan,
    )
    visit_lists_build(campaign=campaign, unit=tree.wuhan)
    return campaign, VisitList.objects.get(campaign=campaign)


def test_an_approver_creates_a_campaign(client, approver):
    client.force_login(approver)
    today = timezone.localdate()

    response = client.post(reverse("visits:campaign_new"), {
        "season": "winter", "year": today.year, "name": "2026年两节送温暖", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=40)).isoformat(), "standard_deep": "1000", "standard_relative": "800",
    })  # fmt: skip

    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert dict(campaign.aid_standards.values_list("category", "amount")) == {
        "deep": 1000,
        "relative": 800,
    }
    assert campaign.target_rule["include_model_workers"] is True


def test_a_campaign_ending_before_it_starts_is_refused_beside_the_field(client, approver):
    client.force_login(approver)
    today = timezone.localdate()

    response = client.post(reverse("visits:campaign_new"), {"season": "winter", "year": today.year, "name": "x",
                                                              "starts_on": today.isoformat(), "ends_on": (today - timedelta(days=1)).isoformat()})  # fmt: skip

    assert response.status_code == 400
    assert "结束" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_caseworker_cannot_open_the_new_campaign_page(caseworker_client):
    assert caseworker_client.get(reverse("visits:campaign_new")).status_code == 404


def test_the_campaign_page_shows_coverage_and_lists(caseworker_client, built):
    campaign, visit_list = built

    page = caseworker_client.get(campaign.get_absolute_url()).content.decode()

    assert 'data-testid="listed">3<' in page
    assert reverse("visits:visit_list_detail", args=[visit_list.pk]) in page


def test_a_sibling_sees_neither_the_campaign_nor_its_lists(sibling_client, built):
    campaign, visit_list = built

    assert sibling_client.get(campaign.get_absolute_url()).status_code == 404
    assert (
        sibling_client.get(reverse("visits:visit_list_detail", args=[visit_list.pk])).status_code
        == 404
    )
    assert (
        sibling_client.post(reverse("visits:campaign_build", args=[campaign.pk])).status_code == 404
    )


def test_building_from_the_page_starts_a_job_and_a_second_click_finds_it(caseworker_client, built):
    campaign, _ = built

    first = caseworker_client.post(reverse("visits:campaign_build", args=[campaign.pk]))
    second = caseworker_client.post(reverse("visits:campaign_build", args=[campaign.pk]))

    document = GeneratedDocument.objects.get()
    assert first.url == document.get_absolute_url()
    assert second.url == document.get_absolute_url()


def test_the_list_shows_its_households_and_approving_freezes_it(client, approver, built):
    _, visit_list = built
    client.force_login(approver)

    page = client.get(reverse("visits:visit_list_detail", args=[visit_list.pk])).content.decode()
    client.post(reverse("visits:visit_list_approve", args=[visit_list.pk]))

    assert all(f"户{n}" in page for n in range(3))
    visit_list.refresh_from_db()
    assert visit_list.status == "approved"


def test_the_unvisited_page_lists_every_household_not_yet_visited(caseworker_client, built):
    campaign, _ = built

    page = caseworker_client.get(
        reverse("visits:campaign_unvisited", args=[campaign.pk])
    ).content.decode()

    assert all(f"户{n}" in page for n in range(3))


def test_the_list_pdf_is_requested_from_the_list_page_and_produced(
    caseworker_client, built, settings, tmp_path
):
    from documents.services import document_run

    settings.MEDIA_ROOT = tmp_path
    _, visit_list = built

    response = caseworker_client.post(
        reverse("visits:visit_list_document", args=[visit_list.pk, "pdf"])
    )

    document = GeneratedDocument.objects.get(kind="visit_list_pdf")
    assert response.url == document.get_absolute_url()
    assert document_run(document_id=document.pk) == "done"
    document.refresh_from_db()
    assert document.result.read().startswith(b"%PDF")


def test_every_list_of_the_branch_is_printed_in_one_job_from_the_campaign_page(
    caseworker_client, built, tree, settings, tmp_path
):
    from documents.services import document_run

    settings.MEDIA_ROOT = tmp_path
    campaign, _ = built
    page = caseworker_client.get(f"{campaign.get_absolute_url()}?unit={tree.dazhi.pk}")
    assert 'data-testid="print-lists"' in page.content.decode()

    response = caseworker_client.post(
        reverse("visits:campaign_lists_document", args=[campaign.pk, "pdf"])
        + f"?unit={tree.dazhi.pk}"
    )

    document = GeneratedDocument.objects.get(kind="visit_list_pdf")
    assert response.url == document.get_absolute_url()
    assert document.params == {"campaign_id": campaign.pk, "unit_id": tree.dazhi.pk}
    assert document_run(document_id=document.pk) == "done"
    document.refresh_from_db()
    assert document.result.read().startswith(b"%PDF")


def test_a_sibling_or_a_stranger_cannot_print_the_branchs_lists(
    client, sibling_client, built, tree
):
    campaign, _ = built
    url = reverse("visits:campaign_lists_document", args=[campaign.pk, "pdf"])

    assert sibling_client.post(f"{url}?unit={tree.dazhi.pk}").status_code == 404
    client.logout()
    assert client.post(url).status_code == 302  # to the sign-in page
    assert not GeneratedDocument.objects.exists()


def test_only_a_pdf_or_a_spreadsheet_of_the_lists_is_asked_for(caseworker_client, built):
    campaign, _ = built

    response = caseworker_client.post(
        reverse("visits:campaign_lists_document", args=[campaign.pk, "docx"])
    )

    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


# ---------------------------------------------------------------- from a job back to its page


def back_link_of(page: str) -> str | None:
    found = re.search(r'<a [^>]*href="([^"]*)" data-testid="document-back"', page)
    return found.group(1) if found else None


def test_a_finished_list_build_links_back_to_the_campaign(
    caseworker_client, built, settings, tmp_path
):
    from documents.services import document_run

    settings.MEDIA_ROOT = tmp_path
    campaign, _ = built
    caseworker_client.post(reverse("visits:campaign_build", args=[campaign.pk]))
    document = GeneratedDocument.objects.get(kind="visit_lists_build")
    document_run(document_id=document.pk)

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) == campaign.get_absolute_url()
    assert caseworker_client.get(back_link_of(page)).status_code == 200


def test_a_build_of_a_branch_below_links_back_to_the_campaign_at_that_unit(
    caseworker_client, caseworker, built, tree
):
    campaign, _ = built
    document = visit_lists_request_build(campaign=campaign, by=caseworker, unit=tree.dazhi)

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) == f"{campaign.get_absolute_url()}?unit={tree.dazhi.pk}"
    coverage = caseworker_client.get(back_link_of(page))
    assert coverage.context["unit"] == tree.dazhi


def test_a_lists_documents_link_back_to_the_list(caseworker_client, built):
    _, visit_list = built
    for kind in ("pdf", "xlsx"):
        caseworker_client.post(reverse("visits:visit_list_document", args=[visit_list.pk, kind]))
    list_url = reverse("visits:visit_list_detail", args=[visit_list.pk])

    for document in GeneratedDocument.objects.all():
        page = caseworker_client.get(document.get_absolute_url()).content.decode()
        assert back_link_of(page) == list_url


def test_a_branchs_printed_lists_link_back_to_the_campaign_at_that_unit(
    caseworker_client, caseworker, built, tree
):
    from documents.services import document_request

    campaign, _ = built
    document = document_request(
        kind="visit_list_xlsx", title="名单", by=caseworker, unit=tree.dazhi,
        params={"campaign_id": campaign.pk, "unit_id": tree.dazhi.pk},
    )  # fmt: skip

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) == f"{campaign.get_absolute_url()}?unit={tree.dazhi.pk}"


def test_a_job_naming_a_campaign_the_viewer_cannot_see_links_nowhere(
    caseworker_client, caseworker, tree, sibling
):
    hunan_campaign = Campaign.objects.create(
        season="winter", year=timezone.localdate().year, name="湖南冬送温暖", organiser=tree.hunan,
        starts_on=timezone.localdate(), ends_on=timezone.localdate(), created_by=sibling,
    )  # fmt: skip
    document = GeneratedDocument.objects.create(
        kind="visit_lists_build", title="名单", requested_by=caseworker, unit=caseworker.unit,
        params={"campaign_id": hunan_campaign.pk, "unit_id": tree.hunan.pk},
    )  # fmt: skip

    page = caseworker_client.get(document.get_absolute_url()).content.decode()

    assert back_link_of(page) is None
    assert hunan_campaign.get_absolute_url() not in page


# ---------------------------------------------------------------- from a list row to the visit form


def test_the_list_offers_each_household_not_yet_visited_a_visit_in_its_campaign(
    caseworker_client, built
):
    campaign, visit_list = built
    files = list(visit_list.rows.values_list("file_id", flat=True))

    page = caseworker_client.get(
        reverse("visits:visit_list_detail", args=[visit_list.pk])
    ).content.decode()

    links = re.findall(r'href="([^"]*)" data-testid="log-visit-from-list"', page)
    list_url = reverse("visits:visit_list_detail", args=[visit_list.pk])
    # Each link brings the caseworker back to the household's row once the visit is saved.
    assert sorted(links) == sorted(
        f"{reverse('visits:visit_create', args=[pk])}?campaign={campaign.pk}"
        f"&amp;next={list_url}%23row-{pk}"
        for pk in files
    )
    assert all(f'id="row-{pk}"' in page for pk in files)


def test_an_approver_who_does_not_log_visits_is_offered_no_visit_links(client, approver, built):
    _, visit_list = built
    client.force_login(approver)

    page = client.get(reverse("visits:visit_list_detail", args=[visit_list.pk])).content.decode()

    assert 'data-testid="log-visit-from-list"' not in page
