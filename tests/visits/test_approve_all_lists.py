"""Approving every ready list of a branch in one step, and the confirmations of approve and
rebuild."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UnionUnitFactory, make_id_number, open_file
from visits.campaigns import campaign_create, visit_lists_approve_all, visit_lists_build
from visits.choices import VisitListStatus
from visits.models import Visit, VisitList, VisitListRow


def communities(tree, caseworker, count: int, *, households: int = 2) -> list:
    units = []
    for c in range(count):
        unit = UnionUnitFactory(name=f"社区{c}工会", code=f"DZ-{c}", level=6, parent=tree.dazhi)
        for n in range(households):
            file = open_file(
                by=caseworker,
                unit=unit,
                name=f"户{c}-{n}",
                id_number=make_id_number(sequence=7001 + 2 * (c * households + n)),
            )
            HardshipFile.objects.filter(pk=file.pk).update(
                status=FileStatus.ON_FILE, category="deep"
            )
        units.append(unit)
    return units


@pytest.fixture
def winter(approver, tree):
    today = timezone.localdate()
    return campaign_create(
        by=approver, season="winter", year=today.year, name="冬送温暖", starts_on=today,
        ends_on=today + timedelta(days=30), organiser=tree.wuhan,
    )  # fmt: skip


@pytest.fixture
def three(winter, tree, caseworker, standards):
    """Three communities' lists: two ready, one still being built."""
    units = communities(tree, caseworker, 3)
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    VisitList.objects.filter(campaign=winter, unit=units[2]).update(status=VisitListStatus.BUILDING)
    return units


def test_an_approver_approves_every_ready_list_and_skips_the_others(winter, three, approver, tree):
    approved = visit_lists_approve_all(campaign=winter, unit=tree.wuhan, by=approver)

    assert sorted(v.unit_id for v in approved) == sorted(u.pk for u in three[:2])
    statuses = dict(VisitList.objects.values_list("unit", "status"))
    assert statuses == {
        three[0].pk: VisitListStatus.APPROVED,
        three[1].pk: VisitListStatus.APPROVED,
        three[2].pk: VisitListStatus.BUILDING,
    }
    first = VisitList.objects.get(unit=three[0])
    assert first.approved_by == approver and first.approved_at is not None
    # A second time there is nothing left to approve.
    assert visit_lists_approve_all(campaign=winter, unit=tree.wuhan, by=approver) == []


def test_only_the_lists_of_the_branch_asked_for_are_approved(winter, three, approver, tree):
    approved = visit_lists_approve_all(campaign=winter, unit=three[0], by=approver)

    assert [v.unit for v in approved] == [three[0]]
    assert VisitList.objects.get(unit=three[1]).status == VisitListStatus.READY


def test_a_caseworker_may_not_approve_lists(winter, three, caseworker, tree):
    with pytest.raises((PermissionDenied, ValidationError)):
        visit_lists_approve_all(campaign=winter, unit=tree.wuhan, by=caseworker)

    assert not VisitList.objects.filter(status=VisitListStatus.APPROVED).exists()


def test_an_approver_of_another_branch_may_not_approve_lists(winter, three, tree):
    from tests.factories import UserFactory

    stranger = UserFactory(username="hn.ap", unit=tree.hunan, is_caseworker=False, is_approver=True)
    with pytest.raises(PermissionDenied):
        visit_lists_approve_all(campaign=winter, unit=tree.wuhan, by=stranger)


@pytest.mark.parametrize("count", [1, 3])
def test_approving_all_takes_the_same_queries_for_one_list_or_many(
    count, winter, approver, tree, caseworker, standards, django_assert_num_queries
):
    communities(tree, caseworker, count, households=1)
    visit_lists_build(campaign=winter, unit=tree.wuhan)

    # A lock-and-read of the lists and one UPDATE (inside a savepoint and its release),
    # whatever the number of lists.
    with django_assert_num_queries(4):
        approved = visit_lists_approve_all(campaign=winter, unit=tree.wuhan, by=approver)

    assert len(approved) == count


# ------------------------------------------------------------------------ pages


def approve_page(campaign, unit) -> str:
    return f"{reverse('visits:campaign_approve_lists', args=[campaign.pk])}?unit={unit.pk}"


def test_the_campaign_page_offers_approving_all_to_the_approver_only(
    client, winter, three, approver, caseworker, tree
):
    client.force_login(approver)
    assert 'data-testid="approve-lists"' in client.get(winter.get_absolute_url()).content.decode()
    client.force_login(caseworker)
    assert (
        'data-testid="approve-lists"' not in client.get(winter.get_absolute_url()).content.decode()
    )


def test_the_confirmation_lists_the_ready_lists_with_their_counts(
    client, winter, three, approver, tree
):
    client.force_login(approver)

    response = client.get(approve_page(winter, tree.wuhan))

    page = response.content.decode()
    assert response.status_code == 200
    assert "社区0工会" in page and "社区1工会" in page
    assert 'data-testid="ready-households">4<' in page
    assert "2份名单待审定" in page
    building = page.split('data-testid="building-lists"')[1]
    assert "社区2工会" in building
    assert "冻结" in page
    assert not VisitList.objects.filter(status=VisitListStatus.APPROVED).exists()


def test_posting_the_confirmation_approves_them_all_and_says_how_many(
    client, winter, three, approver, tree
):
    client.force_login(approver)

    response = client.post(approve_page(winter, tree.wuhan), follow=True)

    assert response.redirect_chain[-1][0].startswith(winter.get_absolute_url())
    assert VisitList.objects.filter(status=VisitListStatus.APPROVED).count() == 2
    messages = [str(m) for m in response.context["messages"]]
    assert any("2" in m for m in messages), messages


def test_a_caseworker_gets_404_from_the_confirmation(client, winter, three, caseworker, tree):
    client.force_login(caseworker)

    assert client.get(approve_page(winter, tree.wuhan)).status_code == 404
    assert client.post(approve_page(winter, tree.wuhan)).status_code == 404
    assert not VisitList.objects.filter(status=VisitListStatus.APPROVED).exists()


def test_a_sibling_branch_gets_404(sibling_client, winter, three, tree):
    assert sibling_client.get(approve_page(winter, tree.wuhan)).status_code == 404
    assert sibling_client.post(approve_page(winter, tree.wuhan)).status_code == 404
    assert not VisitList.objects.filter(status=VisitListStatus.APPROVED).exists()


def test_someone_signed_out_is_sent_to_sign_in(winter, three, tree):
    response = Client().post(approve_page(winter, tree.wuhan))

    assert response.status_code == 302 and "login" in response.url
    assert not VisitList.objects.filter(status=VisitListStatus.APPROVED).exists()


def test_approving_one_list_asks_first_and_says_what_it_freezes(client, winter, three, approver):
    visit_list = VisitList.objects.get(unit=three[0])
    client.force_login(approver)
    url = reverse("visits:visit_list_approve", args=[visit_list.pk])

    page = client.get(url).content.decode()
    visit_list.refresh_from_db()
    assert visit_list.status == VisitListStatus.READY
    assert "冻结" in page and 'data-testid="confirm-approve"' in page

    client.post(url)
    visit_list.refresh_from_db()
    assert visit_list.status == VisitListStatus.APPROVED


def test_a_rebuild_asks_first_and_says_what_it_keeps(
    caseworker_client, winter, three, caseworker, tree
):
    row = VisitListRow.objects.filter(visit_list__unit=three[0]).first()
    visit = Visit.objects.create(
        file=row.file, campaign=winter, visited_on=timezone.localdate(), findings="已走访",
        recorded_by=caseworker,
    )  # fmt: skip
    VisitListRow.objects.filter(pk=row.pk).update(visit=visit)
    url = f"{reverse('visits:campaign_build', args=[winter.pk])}?unit={tree.wuhan.pk}"

    campaign_page = caseworker_client.get(winter.get_absolute_url()).content.decode()
    page = caseworker_client.get(url).content.decode()

    assert f'href="{url}" data-testid="build-lists"' in campaign_page
    assert "已登记的走访全部保留" in page and "已审定的名单不受影响" in page
    assert 'data-testid="confirm-build"' in page
    assert not VisitList.objects.filter(status=VisitListStatus.BUILDING, unit=three[0]).exists()
