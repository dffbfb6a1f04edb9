"""Who sees which units: the scoping function and the unit pages."""

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from people.access import units_visible_to
from reports.measures import MEASURES
from reports.statistics import CHILD_MEASURES
from tests.factories import UnionUnitFactory, UserFactory


def without_csrf_token(content: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_a_caseworker_sees_their_unit_and_every_unit_below(caseworker):
    assert codes(units_visible_to(caseworker)) == {"HB-WH", "HB-WH-JA", "HB-WH-JA-DZ"}


def test_a_caseworker_sees_neither_parent_nor_sibling_branches(caseworker, tree):
    visible = units_visible_to(caseworker)

    assert tree.hubei not in visible
    assert tree.yichang not in visible
    assert tree.hunan not in visible


def test_a_superuser_sees_every_unit(superuser, tree):
    assert units_visible_to(superuser).count() == 8


def test_an_inactive_user_sees_nothing(caseworker):
    caseworker.is_active = False

    assert not units_visible_to(caseworker).exists()


def test_the_home_page_names_the_users_unit(caseworker_client, tree):
    response = caseworker_client.get(reverse("reports:home"))

    assertContains(response, "武汉市总工会")
    assertContains(response, "江岸区总工会")  # a unit below, listed
    assertNotContains(response, "湖南省总工会")


def test_a_caseworker_can_open_a_unit_below_their_own(caseworker_client, tree):
    response = caseworker_client.get(reverse("reports:unit_detail", args=[tree.dazhi.pk]))

    assert response.status_code == 200
    assertContains(response, "大智街道工会")


def test_a_caseworker_cannot_open_a_sibling_branchs_unit(caseworker_client, tree):
    response = caseworker_client.get(reverse("reports:unit_detail", args=[tree.hunan.pk]))

    assert response.status_code == 404


def test_a_caseworker_cannot_open_their_parent_unit(caseworker_client, tree):
    response = caseworker_client.get(reverse("reports:unit_detail", args=[tree.hubei.pk]))

    assert response.status_code == 404


def test_not_found_and_not_yours_answer_alike(caseworker_client, tree):
    missing_url = reverse("reports:unit_detail", args=[999_999])
    not_yours_url = reverse("reports:unit_detail", args=[tree.changsha.pk])
    missing = caseworker_client.get(missing_url)
    not_yours = caseworker_client.get(not_yours_url)

    assert missing.status_code == not_yours.status_code == 404
    # The pages differ only by their own address (in the language switch's "next").
    assert without_csrf_token(missing.content).replace(missing_url.encode(), b"URL") == (
        without_csrf_token(not_yours.content).replace(not_yours_url.encode(), b"URL")
    )


def test_the_sibling_sees_their_own_branch_only(sibling_client, tree):
    assert (
        sibling_client.get(reverse("reports:unit_detail", args=[tree.changsha.pk])).status_code
        == 200
    )
    assert (
        sibling_client.get(reverse("reports:unit_detail", args=[tree.wuhan.pk])).status_code == 404
    )


def test_an_anonymous_visitor_is_sent_to_sign_in(client, tree):
    response = client.get(reverse("reports:unit_detail", args=[tree.wuhan.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_a_viewer_may_read_unit_pages(client, tree):
    viewer = UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True)
    client.force_login(viewer)

    assert client.get(reverse("reports:unit_detail", args=[tree.jiangan.pk])).status_code == 200


def test_a_user_without_a_unit_is_refused(client, db):
    stranded = UserFactory(unit=None, is_superuser=True)
    stranded.is_superuser = False  # in memory only: the database forbids saving it
    client.force_login(stranded)

    assert units_visible_to(stranded).count() == 0


@pytest.mark.parametrize("children", [1, 3])
def test_the_unit_page_makes_the_same_number_of_queries_however_many_children(
    caseworker_client, tree, django_assert_num_queries, children
):
    parent = UnionUnitFactory(level=tree.jiangan.level, parent=tree.wuhan, code="HB-WH-NEW")
    for n in range(children):
        UnionUnitFactory(level=tree.dazhi.level, parent=parent, code=f"HB-WH-NEW-{n}")

    # session, user, the user's unit (the scope), the unit shown, children count,
    # children, breadcrumb trail, and the session write (savepoint, update,
    # release) that pushes the inactivity expiry on; then the dashboard's figures
    # (reports/statistics.py): the child units; for the unit, then for its children
    # (only the measures the breakdown shows): which are precomputed, the units of
    # the branches counted directly, one count per measure (no refresh ran here);
    # the causes' names and the last refresh
    with django_assert_num_queries(19 + len(MEASURES) + len(CHILD_MEASURES)):
        response = caseworker_client.get(reverse("reports:unit_detail", args=[parent.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("pk", ["abc", "²", "1.5", ""])
def test_an_id_that_is_no_number_is_not_found(caseworker, pk):
    from django.http import Http404

    from people.access import get_object_for_user
    from people.models import UnionUnit

    with pytest.raises(Http404):
        get_object_for_user(UnionUnit.objects.all(), user=caseworker, unit_path="path", pk=pk)
