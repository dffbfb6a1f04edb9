"""Correcting a campaign: its organiser, until the first list is approved, each change recorded."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from visits.campaigns import (
    campaign_correct,
    campaign_create,
    visit_list_approve,
    visit_lists_build,
)
from visits.models import CampaignCorrection, VisitList
from visits.rules import TargetRule
from visits.selectors import may_correct_campaign


@pytest.fixture
def campaign(tree, approver):
    today = timezone.localdate()
    return campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name="冬送温暖",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        organiser=tree.wuhan,
        aid_standards={"deep": Decimal("1000")},
    )


@pytest.fixture
def built(campaign, tree, caseworker, standards):
    community = UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)
    file = open_file(
        by=caseworker, unit=community, name="户一", id_number=make_id_number(sequence=5001)
    )
    HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.ON_FILE, category="deep")
    visit_lists_build(campaign=campaign, unit=tree.wuhan)
    return campaign, VisitList.objects.get(campaign=campaign)


def test_the_organiser_corrects_dates_and_standards_and_the_change_is_recorded(campaign, approver):
    new_end = campaign.ends_on + timedelta(days=10)

    correction = campaign_correct(
        campaign=campaign,
        by=approver,
        ends_on=new_end,
        aid_standards={"deep": Decimal("1200"), "relative": Decimal("800")},
    )

    campaign.refresh_from_db()
    assert campaign.ends_on == new_end
    assert dict(campaign.aid_standards.values_list("category", "amount")) == {
        "deep": Decimal("1200"),
        "relative": Decimal("800"),
    }
    assert correction.corrected_by == approver
    assert correction.changes == [
        {"field": "ends_on", "old": str(new_end - timedelta(days=10)), "new": str(new_end)},
        {"field": "standard:deep", "old": "1000.00", "new": "1200"},
        {"field": "standard:relative", "old": "", "new": "800"},
    ]


def test_a_standard_left_out_is_removed(campaign, approver):
    campaign_correct(campaign=campaign, by=approver, aid_standards={})

    assert list(campaign.aid_standards.all()) == []


def test_the_target_rule_is_corrected_with_old_and_new(campaign, approver):
    rule = TargetRule.from_json(campaign.target_rule)
    rule.categories = ["deep"]

    correction = campaign_correct(campaign=campaign, by=approver, rule=rule)

    campaign.refresh_from_db()
    assert campaign.target_rule["categories"] == ["deep"]
    assert correction.changes[0]["field"] == "target_rule"
    assert correction.changes[0]["old"]["categories"] == []


def test_a_correction_that_changes_nothing_records_nothing(campaign, approver):
    result = campaign_correct(
        campaign=campaign, by=approver, starts_on=campaign.starts_on, name=campaign.name
    )

    assert result is None
    assert CampaignCorrection.objects.count() == 0


def test_a_campaign_cannot_be_corrected_to_end_before_it_starts(campaign, approver):
    with pytest.raises(RuleBroken) as refused:
        campaign_correct(
            campaign=campaign, by=approver, ends_on=campaign.starts_on - timedelta(days=1)
        )

    assert "ends_on" in refused.value.message_dict


def test_a_campaign_is_corrected_while_its_lists_are_only_built(built, approver):
    campaign, _visit_list = built

    assert may_correct_campaign(approver, campaign)


def test_once_a_list_is_approved_the_campaign_cannot_be_corrected(built, approver):
    campaign, visit_list = built
    visit_list_approve(visit_list=visit_list, by=approver)

    assert not may_correct_campaign(approver, campaign)
    with pytest.raises(RuleBroken):
        campaign_correct(campaign=campaign, by=approver, name="改名")


def test_a_caseworker_and_an_approver_below_the_organiser_cannot_correct(
    campaign, caseworker, tree
):
    below = UserFactory(unit=tree.jiangan, is_caseworker=False, is_approver=True)

    for user in (caseworker, below):
        with pytest.raises(PermissionDenied):
            campaign_correct(campaign=campaign, by=user, name="改名")


# ---------------------------------------------------------------------- pages


def form_data(campaign, **overrides):
    data = {
        "name": campaign.name,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "include_model_workers": "on",
        "standard_deep": "1000",
    }
    data.update(overrides)
    return data


def test_the_campaign_page_offers_the_correction_and_shows_its_history(client, approver, campaign):
    client.force_login(approver)
    url = reverse("visits:campaign_correct", args=[campaign.pk])
    page = client.get(campaign.get_absolute_url())
    assert url in page.content.decode()

    response = client.post(url, form_data(campaign, standard_deep="1500"))

    assert response.status_code == 302
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'data-testid="corrections"' in page
    assert "1000.00 → 1500" in page


def test_the_correction_page_shows_the_campaign_as_it_stands(client, approver, campaign):
    client.force_login(approver)

    page = client.get(reverse("visits:campaign_correct", args=[campaign.pk])).content.decode()

    assert 'value="冬送温暖"' in page
    assert 'value="1000.00"' in page


def test_a_bad_date_is_refused_beside_the_field(client, approver, campaign):
    client.force_login(approver)
    bad_end = (campaign.starts_on - timedelta(days=1)).isoformat()

    response = client.post(
        reverse("visits:campaign_correct", args=[campaign.pk]),
        form_data(campaign, ends_on=bad_end),
    )

    assert response.status_code == 400
    assert 'id="id_ends_on_error"' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.ends_on != bad_end


def test_after_approval_the_page_offers_no_correction_and_says_why(client, approver, built):
    campaign, visit_list = built
    visit_list_approve(visit_list=visit_list, by=approver)
    client.force_login(approver)
    url = reverse("visits:campaign_correct", args=[campaign.pk])

    assert url not in client.get(campaign.get_absolute_url()).content.decode()
    response = client.get(url, follow=True)
    page = response.content.decode()
    assert "no longer be corrected" in page or "活动不能再修改" in page


def test_a_caseworker_a_sibling_and_an_anonymous_visitor_cannot_open_the_correction(
    client, caseworker, sibling, campaign
):
    url = reverse("visits:campaign_correct", args=[campaign.pk])

    assert client.get(url).status_code == 302
    client.force_login(caseworker)
    assert client.get(url).status_code == 404
    assert url not in client.get(campaign.get_absolute_url()).content.decode()
    client.force_login(sibling)
    assert client.get(url).status_code == 404
