"""Campaign pages: who may see and do what."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import GeneratedDocument, HardshipFile
from tests.factories import UnionUnitFactory, make_id_number, open_file
from visits.campaigns import campaign_create, visit_lists_build
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
    from hardship.documents import document_run

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
