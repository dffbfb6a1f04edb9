"""Schooling grants, kept by the unit administrators of the branch organising the campaign."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from funds.models import SchoolingStandard
from funds.standards import (
    schooling_standard_add,
    schooling_standard_changes,
    schooling_standard_correct,
)
from tests.factories import UserFactory
from visits.campaigns import campaign_create


def make_campaign(by, organiser, name="金秋助学"):
    today = timezone.localdate()
    return campaign_create(
        by=by,
        season="autumn",
        year=today.year,
        name=name,
        starts_on=today,
        ends_on=today + timedelta(days=30),
        organiser=organiser,
    )


@pytest.fixture
def admin(tree):
    return UserFactory(unit=tree.wuhan, is_caseworker=False, is_unit_admin=True)


@pytest.fixture
def sibling_admin(tree):
    return UserFactory(unit=tree.hunan, is_caseworker=False, is_unit_admin=True)


@pytest.fixture
def campaign(tree, approver):
    return make_campaign(approver, tree.wuhan)


@pytest.fixture
def grant(admin, campaign):
    return schooling_standard_add(
        by=admin, campaign=campaign, school_stage="high", amount=Decimal("1500")
    )


def test_an_administrator_sets_and_corrects_a_grant_with_history(admin, grant):
    schooling_standard_correct(standard=grant, by=admin, amount=Decimal("2000"))

    grant.refresh_from_db()
    assert grant.amount == Decimal("2000")
    newest, added = schooling_standard_changes(user=admin)
    assert len(newest.details) == 1
    assert newest.details[0].endswith("1500.00 → 2000.00")
    assert newest.person == admin.get_full_name()
    assert added.details[0].endswith("1500.00")


def test_a_grant_of_a_sibling_branchs_campaign_is_refused(admin, tree):
    hunan_approver = UserFactory(unit=tree.hunan, is_caseworker=False, is_approver=True)
    hunan_campaign = make_campaign(hunan_approver, tree.hunan)

    with pytest.raises(PermissionDenied):
        schooling_standard_add(
            by=admin, campaign=hunan_campaign, school_stage="high", amount=Decimal("1")
        )


def test_a_second_grant_for_the_same_stage_and_a_zero_grant_are_refused(admin, grant, campaign):
    with pytest.raises(RuleBroken):
        schooling_standard_add(
            by=admin, campaign=campaign, school_stage="high", amount=Decimal("100")
        )
    with pytest.raises(RuleBroken):
        schooling_standard_add(
            by=admin, campaign=campaign, school_stage="university", amount=Decimal("0")
        )


def test_an_approver_without_administrator_rights_cannot_keep_grants(approver, campaign):
    with pytest.raises(PermissionDenied):
        schooling_standard_add(
            by=approver, campaign=campaign, school_stage="high", amount=Decimal("1")
        )


# ---------------------------------------------------------------------- pages


def test_an_administrator_adds_a_grant_through_the_page(client, admin, campaign):
    client.force_login(admin)

    response = client.post(
        reverse("funds:schooling_standard_new"),
        {"campaign": campaign.pk, "school_stage": "university", "amount": "3000"},
    )

    assert response.status_code == 302
    assert SchoolingStandard.objects.get(campaign=campaign).amount == Decimal("3000")


def test_a_taken_stage_is_shown_beside_its_field(client, admin, grant, campaign):
    client.force_login(admin)

    response = client.post(
        reverse("funds:schooling_standard_new"),
        {"campaign": campaign.pk, "school_stage": "high", "amount": "3000"},
    )

    assert response.status_code == 400
    assert 'id="id_school_stage_error"' in response.content.decode()


def test_an_administrator_corrects_a_grant_through_the_page(client, admin, grant):
    client.force_login(admin)

    response = client.post(
        reverse("funds:schooling_standard_edit", args=[grant.pk]), {"amount": "1800"}
    )

    assert response.status_code == 302
    page = client.get(reverse("funds:schooling_standard_list")).content.decode()
    assert "1500.00 → 1800.00" in page


@pytest.mark.parametrize("stages", [1, 3])
def test_the_list_reads_a_bounded_number_of_queries(client, admin, campaign, stages):
    for stage in ["high", "vocational", "university"][:stages]:
        schooling_standard_add(by=admin, campaign=campaign, school_stage=stage, amount=Decimal(9))
    client.force_login(admin)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("funds:schooling_standard_list"))

    assert response.status_code == 200
    assert len(queries) <= 14


def test_a_sibling_administrator_gets_404_and_sees_nothing(client, sibling_admin, grant):
    client.force_login(sibling_admin)
    url = reverse("funds:schooling_standard_edit", args=[grant.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1"}).status_code == 404
    page = client.get(reverse("funds:schooling_standard_list")).content.decode()
    assert url not in page


def test_a_caseworker_and_an_anonymous_visitor_are_refused(client, caseworker, grant):
    urls = [
        reverse("funds:schooling_standard_list"),
        reverse("funds:schooling_standard_new"),
        reverse("funds:schooling_standard_edit", args=[grant.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response.url
    client.force_login(caseworker)
    for url in urls:
        assert client.get(url).status_code == 404
