"""The local 低保 standard, kept by the unit administrators of the branch it serves."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.errors import RuleBroken
from hardship.models import MinimumLivingStandard
from hardship.standards import (
    living_standard_add,
    living_standard_changes,
    living_standard_correct,
)
from people.models import UnionUnit
from tests.factories import UserFactory

YEAR = 2030


@pytest.fixture
def divisions(tree):
    UnionUnit.objects.filter(pk=tree.wuhan.pk).update(division_code="420100")
    UnionUnit.objects.filter(pk=tree.jiangan.pk).update(division_code="420102")
    UnionUnit.objects.filter(pk=tree.changsha.pk).update(division_code="430100")
    return tree


@pytest.fixture
def admin(divisions):
    """A unit administrator of 武汉 (divisions 420100 and 420102 below)."""
    return UserFactory(unit=divisions.wuhan, is_caseworker=False, is_unit_admin=True)


@pytest.fixture
def sibling_admin(divisions):
    return UserFactory(unit=divisions.hunan, is_caseworker=False, is_unit_admin=True)


@pytest.fixture
def wuhan_standard(admin):
    return living_standard_add(
        by=admin,
        division_code="420102",
        year=YEAR,
        urban_monthly=Decimal("800"),
        rural_monthly=Decimal("650"),
    )


def test_an_administrator_adds_and_corrects_a_standard_of_the_branch_with_history(
    admin, wuhan_standard
):
    living_standard_correct(
        standard=wuhan_standard,
        by=admin,
        urban_monthly=Decimal("850"),
        rural_monthly=Decimal("650"),
    )

    wuhan_standard.refresh_from_db()
    assert wuhan_standard.urban_monthly == Decimal("850")
    newest, added = living_standard_changes(user=admin)
    assert newest.person == admin.get_full_name()
    assert len(newest.details) == 1
    assert newest.details[0].endswith("800.00 → 850.00")
    assert added.details[0].endswith("800.00")


def test_a_standard_of_a_division_outside_the_branch_is_refused(admin):
    with pytest.raises(PermissionDenied):
        living_standard_add(
            by=admin,
            division_code="430100",
            year=YEAR,
            urban_monthly=Decimal("700"),
            rural_monthly=Decimal("600"),
        )


def test_a_second_standard_for_the_same_division_and_year_is_refused(admin, wuhan_standard):
    with pytest.raises(RuleBroken) as refused:
        living_standard_add(
            by=admin,
            division_code="420102",
            year=YEAR,
            urban_monthly=Decimal("900"),
            rural_monthly=Decimal("700"),
        )

    assert "year" in refused.value.message_dict


def test_a_caseworker_cannot_keep_standards(caseworker, divisions):
    with pytest.raises(PermissionDenied):
        living_standard_add(
            by=caseworker,
            division_code="420102",
            year=YEAR,
            urban_monthly=Decimal("900"),
            rural_monthly=Decimal("700"),
        )


# ---------------------------------------------------------------------- pages


def test_the_list_shows_the_branchs_standards_only(client, admin, wuhan_standard, standards):
    client.force_login(admin)

    page = client.get(reverse("hardship:living_standard_list")).content.decode()

    assert reverse("hardship:living_standard_edit", args=[wuhan_standard.pk]) in page
    hunan = MinimumLivingStandard.objects.filter(division_code="430100").first()
    assert reverse("hardship:living_standard_edit", args=[hunan.pk]) not in page


@pytest.mark.parametrize("extra", [1, 3])
def test_the_list_reads_a_bounded_number_of_queries(client, admin, extra):
    for n in range(extra):
        living_standard_add(
            by=admin,
            division_code="420102",
            year=YEAR + n,
            urban_monthly=Decimal("800"),
            rural_monthly=Decimal("650"),
        )
    client.force_login(admin)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("hardship:living_standard_list"))

    assert response.status_code == 200
    assert len(queries) <= 14


def test_an_administrator_adds_a_standard_through_the_page(client, admin):
    client.force_login(admin)

    response = client.post(
        reverse("hardship:living_standard_new"),
        {"division_code": "420100", "year": YEAR, "urban_monthly": "780", "rural_monthly": "620"},
    )

    assert response.status_code == 302
    assert MinimumLivingStandard.objects.get(division_code="420100", year=YEAR).urban_monthly == 780


def test_a_bad_amount_and_a_taken_year_are_shown_beside_their_fields(client, admin, wuhan_standard):
    client.force_login(admin)

    response = client.post(
        reverse("hardship:living_standard_new"),
        {"division_code": "420102", "year": YEAR, "urban_monthly": "0", "rural_monthly": "620"},
    )

    assert response.status_code == 400
    assert 'id="id_urban_monthly_error"' in response.content.decode()
    response = client.post(
        reverse("hardship:living_standard_new"),
        {"division_code": "420102", "year": YEAR, "urban_monthly": "9", "rural_monthly": "9"},
    )
    assert response.status_code == 400
    assert 'id="id_year_error"' in response.content.decode()


def test_an_administrator_corrects_a_standard_through_the_page(client, admin, wuhan_standard):
    client.force_login(admin)

    response = client.post(
        reverse("hardship:living_standard_edit", args=[wuhan_standard.pk]),
        {"urban_monthly": "820", "rural_monthly": "660"},
    )

    assert response.status_code == 302
    wuhan_standard.refresh_from_db()
    assert wuhan_standard.rural_monthly == Decimal("660")
    page = client.get(reverse("hardship:living_standard_list")).content.decode()
    assert "650.00 → 660.00" in page


def test_a_sibling_administrator_gets_404_for_the_branchs_standard(
    client, sibling_admin, wuhan_standard
):
    client.force_login(sibling_admin)
    url = reverse("hardship:living_standard_edit", args=[wuhan_standard.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, {"urban_monthly": "1", "rural_monthly": "1"}).status_code == 404


def test_a_caseworker_and_an_anonymous_visitor_are_refused(client, caseworker, wuhan_standard):
    urls = [
        reverse("hardship:living_standard_list"),
        reverse("hardship:living_standard_new"),
        reverse("hardship:living_standard_edit", args=[wuhan_standard.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response.url
    client.force_login(caseworker)
    for url in urls:
        assert client.get(url).status_code == 404
