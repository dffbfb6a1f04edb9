"""The pages of bulk payments: proposed from a campaign or a visit list, reviewed, decided."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funds.batches import batch_approve, batch_propose
from funds.choices import BatchStatus, DisbursementStatus
from funds.models import Disbursement, DisbursementBatch
from funds.selectors import fund_balance
from funds.services import budget_set
from tests.factories import UnionUnitFactory, UserFactory
from tests.funds.test_batches import frozen_lists, households, list_a_newcomer
from tests.funds.test_views import signed_in
from visits.campaigns import campaign_create, visit_lists_build
from visits.models import VisitList

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(tree):
    return UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)


@pytest.fixture
def winter(approver, tree):
    today = timezone.localdate()
    return campaign_create(
        by=approver, season="winter", year=today.year, name="冬送温暖",
        starts_on=today, ends_on=today, organiser=tree.wuhan,
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
    )  # fmt: skip


@pytest.fixture
def lists(tree, community, winter, caseworker, approver):
    """Four households of 大智路社区 on frozen lists; the one of category "accident" has no
    standard and is left out.
    """
    files = households(caseworker, community, ["deep", "relative", "relative", "accident"])
    frozen_lists(winter, tree, approver)
    return files


@pytest.fixture
def batch(lists, winter, tree, funded, caseworker):
    return batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)


@pytest.fixture
def jiangan_caseworker(tree):
    return UserFactory(username="jiangan.cw", full_name="张敏", unit=tree.jiangan)


def new_url(winter, unit) -> str:
    return reverse("funds:batch_new", args=[winter.pk, unit.pk])


def detail_url(batch) -> str:
    return reverse("funds:batch_detail", args=[batch.pk])


def page_urls(batch, winter, tree) -> dict[str, tuple[str, str]]:
    return {
        "batch_list": (reverse("funds:batch_list"), "caseworker"),
        "batch_new": (new_url(winter, tree.jiangan), "caseworker"),
        "batch_detail": (detail_url(batch), "approver"),
    }


@pytest.mark.parametrize("name", ["batch_list", "batch_new", "batch_detail"])
def test_every_batch_page_opens_for_an_allowed_user_and_hides_the_branch_from_others(
    name, batch, winter, tree, caseworker, approver, sibling_approver, sibling, client
):
    url, who = page_urls(batch, winter, tree)[name]
    allowed = {"caseworker": caseworker, "approver": approver}[who]

    assert signed_in(allowed).get(url).status_code == 200

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous.url

    for stranger in (sibling_approver, sibling):
        answer = signed_in(stranger).get(url)
        if name == "batch_list":
            assert answer.status_code == 200
            assert list(answer.context["batches"]) == []
            assert tree.jiangan.name not in answer.content.decode()
        else:
            assert answer.status_code == 404


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_decision_takes_a_post_from_the_branch_only(
    action, batch, approver, sibling_approver, client
):
    url = reverse(f"funds:batch_{action}", args=[batch.pk])

    assert signed_in(approver).get(url).status_code == 405
    anonymous = client.post(url, {"reject-reason": "x"})
    assert anonymous.status_code == 302
    assert "login" in anonymous.url
    assert signed_in(sibling_approver).post(url, {"reject-reason": "x"}).status_code == 404
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED


def test_a_unit_outside_the_caseworkers_branch_is_not_found(
    lists, winter, tree, jiangan_caseworker
):
    browser = signed_in(jiangan_caseworker)

    assert browser.get(new_url(winter, tree.wuhan)).status_code == 404
    assert browser.get(new_url(winter, tree.jiangan)).status_code == 200


def test_a_viewer_or_approver_is_not_offered_the_proposal_page(batch, winter, tree, approver):
    assert signed_in(approver).get(new_url(winter, tree.jiangan)).status_code == 404


def test_the_campaign_and_a_frozen_visit_lists_pages_link_to_the_proposal(
    lists, winter, tree, caseworker, approver
):
    browser = signed_in(caseworker)
    campaign_page = browser.get(f"{winter.get_absolute_url()}?unit={tree.jiangan.pk}")
    visit_list = VisitList.objects.filter(campaign=winter).first()
    list_page = browser.get(reverse("visits:visit_list_detail", args=[visit_list.pk]))

    assert f'href="{new_url(winter, tree.jiangan)}"' in campaign_page.content.decode()
    assert f'href="{new_url(winter, visit_list.unit)}"' in list_page.content.decode()
    approvers_page = signed_in(approver).get(winter.get_absolute_url()).content
    assert b'data-testid="propose-batch"' not in approvers_page


def test_the_form_offers_the_funds_of_the_unit_and_above_that_the_user_may_draw_on(
    lists, winter, tree, funded, caseworker, approver, jiangan_caseworker, superuser
):
    from funds.choices import FundKind
    from funds.services import fund_create

    yichang = fund_create(unit=tree.yichang, name="宜昌资金", kind=FundKind.WARMTH, by=superuser)
    closed = fund_create(unit=tree.jiangan, name="停用资金", kind=FundKind.WARMTH, by=approver)
    closed.is_active = False
    closed.save(update_fields=["is_active"])

    offered = signed_in(caseworker).get(new_url(winter, tree.jiangan)).context["form"]
    assert list(offered.fields["fund"].queryset) == [funded]
    assert yichang not in offered.fields["fund"].queryset

    # 江岸's caseworker reaches the city fund only through a budget for 江岸.
    district = signed_in(jiangan_caseworker)
    assert (
        list(district.get(new_url(winter, tree.jiangan)).context["form"].fields["fund"].queryset)
        == []
    )
    budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="5000", by=approver)
    assert list(
        district.get(new_url(winter, tree.jiangan)).context["form"].fields["fund"].queryset
    ) == [funded]


def test_a_caseworker_proposes_the_campaigns_visit_money_from_the_page(
    lists, winter, tree, funded, caseworker
):
    browser = signed_in(caseworker)

    response = browser.post(new_url(winter, tree.jiangan), {"fund": funded.pk})

    batch = DisbursementBatch.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(batch)
    assert (batch.campaign, batch.unit, batch.fund, batch.proposed_by) == (
        winter,
        tree.jiangan,
        funded,
        caseworker,
    )
    page = browser.get(response.url)
    assert page.status_code == 200
    assert "3 payments, 2600.00 yuan; households left out: 1." in page.content.decode()
    assert (page.context["figures"].payments, page.context["figures"].total) == (3, Decimal("2600"))
    assert [row["label"] for row in page.context["left_out"]] == [
        "The campaign sets no standard for the household's category."
    ]
    assert [row["file__name"] for row in page.context["payment_rows"]] == ["户0", "户1", "户2"]
    # Masked ID numbers only, never the number in full.
    assert lists[0].id_number not in page.content.decode()
    assert lists[0].id_number_masked in page.content.decode()
    assert b'data-testid="approve-form"' not in page.content


def test_a_refused_proposal_is_shown_on_the_form_with_nothing_saved(
    tree, community, winter, funded, caseworker
):
    households(caseworker, community, ["deep"])  # lists not built, so not frozen either

    response = signed_in(caseworker).post(new_url(winter, tree.jiangan), {"fund": funded.pk})

    assert response.status_code == 400
    assert "no visit lists of this campaign" in response.content.decode()
    assert DisbursementBatch.objects.count() == 0


def test_a_fund_not_offered_is_refused_beside_the_field(lists, winter, tree, caseworker, superuser):
    from funds.choices import FundKind
    from funds.services import fund_create

    yichang = fund_create(unit=tree.yichang, name="宜昌资金", kind=FundKind.WARMTH, by=superuser)

    response = signed_in(caseworker).post(new_url(winter, tree.jiangan), {"fund": yichang.pk})

    assert response.status_code == 400
    assert response.context["form"].errors["fund"]
    assert DisbursementBatch.objects.count() == 0


def test_an_approver_reviews_and_approves_the_batch_from_its_page(batch, funded, approver):
    browser = signed_in(approver)
    page = browser.get(detail_url(batch))
    assert b'data-testid="approve-form"' in page.content
    assert [(row["label"], row["payments"]) for row in page.context["by_category"]] == [
        ("Deep hardship", 1),
        ("Relative hardship", 2),
    ]

    response = browser.post(reverse("funds:batch_approve", args=[batch.pk]))

    assert response.status_code == 302
    assert response.url == detail_url(batch)
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by) == (BatchStatus.APPROVED, approver)
    assert set(Disbursement.objects.values_list("status", flat=True)) == {"approved"}
    assert fund_balance(funded).reserved == Decimal("2600")
    after = browser.get(detail_url(batch))
    assert b'data-testid="approve-form"' not in after.content


def test_an_approver_rejects_the_batch_with_a_reason_and_not_without(batch, approver):
    browser = signed_in(approver)
    url = reverse("funds:batch_reject", args=[batch.pk])

    refused = browser.post(url, {"reject-reason": " "})
    assert refused.status_code == 400
    assert refused.context["reject_form"].errors
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED

    response = browser.post(url, {"reject-reason": "名单有误，请核对后重报"})

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.reason) == (BatchStatus.REJECTED, "名单有误，请核对后重报")
    assert set(Disbursement.objects.values_list("status", flat=True)) == {
        DisbursementStatus.REJECTED
    }


def test_the_proposer_is_not_offered_approval_and_is_refused_if_they_try(
    lists, winter, tree, funded
):
    both = UserFactory(
        username="wuhan.both", full_name="王双", unit=tree.wuhan, is_caseworker=True,
        is_approver=True,
    )  # fmt: skip
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=both)
    browser = signed_in(both)

    page = browser.get(detail_url(batch))
    assert b'data-testid="approve-form"' not in page.content
    assert b'data-testid="reject-form"' not in page.content
    assert b'data-testid="proposer-note"' in page.content

    response = browser.post(reverse("funds:batch_approve", args=[batch.pk]))

    assert response.status_code == 400
    assert [str(message) for message in response.context["messages"]] == [
        "A payment is approved by someone other than who proposed it."
    ]
    assert b'data-testid="approve-form"' not in response.content
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED


def test_a_batch_beyond_the_budget_shows_the_refusal_and_approves_nothing(
    lists, winter, tree, funded, caseworker, approver
):
    budget_set(campaign=winter, unit=tree.wuhan, fund=funded, amount="1500", by=approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    browser = signed_in(approver)
    assert "1,500" in browser.get(detail_url(batch)).content.decode()  # the remainder shown

    response = browser.post(reverse("funds:batch_approve", args=[batch.pk]))

    assert response.status_code == 400
    errors = response.context["approve_form"].non_field_errors()
    assert errors == ["The budget of 武汉市总工会 for this campaign does not cover this."]
    assert "does not cover this" in response.content.decode()
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED
    assert set(Disbursement.objects.values_list("status", flat=True)) == {"proposed"}
    assert fund_balance(funded).reserved == 0


def test_a_batch_beyond_the_funds_money_shows_the_refusal(
    lists, winter, tree, city_fund, caseworker, approver
):
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=city_fund, by=caseworker)

    response = signed_in(approver).post(reverse("funds:batch_approve", args=[batch.pk]))

    assert response.status_code == 400
    assert response.context["approve_form"].non_field_errors() == [
        "There is not enough money in the fund for this."
    ]
    assert DisbursementBatch.objects.get().status == BatchStatus.PROPOSED


def test_the_list_puts_waiting_batches_first_and_filters_by_status(
    lists, winter, tree, funded, caseworker, approver
):
    first = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    batch_approve(batch=first, by=approver)
    list_a_newcomer(tree, winter, caseworker, approver, number=1)
    second = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    browser = signed_in(caseworker)

    page = browser.get(reverse("funds:batch_list"))
    assert [b.pk for b in page.context["batches"]] == [second.pk, first.pk]
    assert [(b.payments, b.total) for b in page.context["batches"]] == [
        (1, Decimal("1000")),
        (3, Decimal("2600")),
    ]

    approved = browser.get(reverse("funds:batch_list"), {"status": "approved"})
    assert [b.pk for b in approved.context["batches"]] == [first.pk]
    assert browser.get(reverse("funds:batch_list"), {"status": "nonsense"}).status_code == 200


@pytest.mark.parametrize("count", [1, 3])
def test_the_batch_list_takes_the_same_queries_for_one_and_three_batches(
    count, lists, winter, tree, funded, caseworker, approver, django_assert_num_queries
):
    for number in range(count):
        if number:
            list_a_newcomer(tree, winter, caseworker, approver, number=number)
        batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    browser = signed_in(caseworker)

    with django_assert_num_queries(7):
        response = browser.get(reverse("funds:batch_list"))

    assert len(response.context["batches"]) == count


def test_the_funds_tabs_link_to_the_bulk_payments(caseworker):
    page = signed_in(caseworker).get(reverse("funds:fund_list")).content.decode()

    assert f'href="{reverse("funds:batch_list")}"' in page


def test_the_proposal_page_links_the_lists_still_to_approve(
    tree, community, winter, funded, caseworker
):
    households(caseworker, community, ["deep", "relative"])
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    waiting = VisitList.objects.get(campaign=winter)

    response = signed_in(caseworker).get(new_url(winter, tree.jiangan))

    html = response.content.decode()
    assert 'data-testid="lists-awaiting-approval"' in html
    assert reverse("visits:visit_list_detail", args=[waiting.pk]) in html
    assert "大智路社区联合工会" in html
    # Nothing to propose until they are approved: no button that can only be refused.
    assert 'data-testid="batch-form"' not in html


def test_the_fund_the_campaigns_budget_names_is_chosen_beforehand(
    lists, winter, tree, funded, caseworker, approver, superuser
):
    from funds.choices import FundKind
    from funds.services import fund_create

    other = fund_create(unit=tree.wuhan, name="另一资金", kind=FundKind.WARMTH, by=superuser)
    assert (
        signed_in(caseworker).get(new_url(winter, tree.jiangan)).context["form"]["fund"].value()
        is None
    )
    budget_set(campaign=winter, unit=tree.jiangan, fund=funded, amount="5000", by=approver)

    form = signed_in(caseworker).get(new_url(winter, tree.jiangan)).context["form"]

    assert set(form.fields["fund"].queryset) == {funded, other}
    assert form["fund"].value() == funded.pk


def test_the_approvers_queue_shows_a_batch_as_one_line_with_its_totals(batch, approver):
    response = signed_in(approver).get(reverse("funds:disbursement_waiting"))

    assert [b.pk for b in response.context["batches"]] == [batch.pk]
    line = response.context["batches"][0]
    assert (line.payments, line.total, line.left_out) == (3, Decimal("2600"), 1)
    assert response.context["payments"] == []
    html = response.content.decode()
    assert html.count('data-testid="waiting-batch"') == 1
    assert reverse("funds:batch_detail", args=[batch.pk]) in html
