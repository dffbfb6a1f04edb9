"""The budget pages, reversing money in and down (冲正), and confirming an allocation arrived."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funds.choices import FundKind, TransactionKind
from funds.models import Allocation, Budget, LedgerTransaction, Receipt
from funds.selectors import fund_balance, ledger_problems
from funds.services import allocation_make, budget_set, budget_split, fund_create, ledger_correct
from tests.factories import SignedInClient, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> SignedInClient:
    """A browser signed in as ``user``, reading the pages in English (the messages' source)."""
    client = SignedInClient()
    client.force_login(user)
    client.cookies["warmth_language"] = "en"
    return client


@pytest.fixture
def district_fund(tree, approver):
    return fund_create(unit=tree.jiangan, name="江岸送温暖资金", kind=FundKind.WARMTH, by=approver)


@pytest.fixture
def receipt(funded):
    return Receipt.objects.get(fund=funded)


@pytest.fixture
def allocation(funded, district_fund, approver):
    return allocation_make(
        from_fund=funded,
        to_fund=district_fund,
        amount=Decimal("20000"),
        allocated_on=timezone.localdate(),
        by=approver,
    )


@pytest.fixture
def city_budget(funded, winter, tree, approver):
    return budget_set(
        campaign=winter, unit=tree.wuhan, fund=funded, amount=Decimal("50000"), by=approver
    )


@pytest.fixture
def district_caseworker(tree):
    return UserFactory(username="jiangan.cw", full_name="王芳", unit=tree.jiangan)


def pages(winter, receipt, allocation) -> dict[str, tuple[str, str]]:
    """Each page by name: its URL and who of ours may open it."""
    return {
        "budget_index": (reverse("funds:budget_index"), "caseworker"),
        "budget_list": (reverse("funds:budget_list", args=[winter.pk]), "caseworker"),
        "receipt_reverse": (reverse("funds:receipt_reverse", args=[receipt.pk]), "approver"),
        "allocation_reverse": (
            reverse("funds:allocation_reverse", args=[allocation.pk]),
            "approver",
        ),
    }


@pytest.mark.parametrize(
    "name", ["budget_index", "budget_list", "receipt_reverse", "allocation_reverse"]
)
def test_every_page_opens_for_an_allowed_user_and_hides_the_branch_from_others(
    name, winter, receipt, allocation, city_budget, caseworker, approver, sibling_approver, client
):
    url, who = pages(winter, receipt, allocation)[name]
    allowed = {"caseworker": caseworker, "approver": approver}[who]

    assert signed_in(allowed).get(url).status_code == 200

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous.url

    sibling = signed_in(sibling_approver).get(url)
    if name == "budget_index":
        assert sibling.status_code == 200
        assert winter.name not in sibling.content.decode()
    else:
        assert sibling.status_code == 404


@pytest.mark.parametrize("name", ["budget_set", "budget_split", "allocation_confirm"])
def test_every_action_takes_a_post_from_the_branch_only(
    name, winter, allocation, city_budget, approver, sibling_approver, client
):
    arg = allocation.pk if name == "allocation_confirm" else winter.pk
    url = reverse(f"funds:{name}", args=[arg])
    data = {"set-amount": "1", "split-amount": "1"}

    assert signed_in(approver).get(url).status_code == 405
    anonymous = client.post(url, data)
    assert anonymous.status_code == 302
    assert "login" in anonymous.url
    assert signed_in(sibling_approver).post(url, data).status_code == 404
    allocation.refresh_from_db()
    assert allocation.received_at is None
    assert Budget.objects.count() == 1


def test_the_campaign_page_and_the_fund_page_lead_to_the_budgets(winter, funded, caseworker):
    browser = signed_in(caseworker)

    campaign_page = browser.get(winter.get_absolute_url()).content.decode()
    fund_page = browser.get(funded.get_absolute_url()).content.decode()
    index = browser.get(reverse("funds:budget_index")).content.decode()

    assert f'href="{reverse("funds:budget_list", args=[winter.pk])}"' in campaign_page
    assert f'href="{reverse("funds:budget_index")}"' in fund_page
    assert f'href="{reverse("funds:budget_list", args=[winter.pk])}"' in index


def test_the_budget_forms_are_offered_to_approvers_only(city_budget, winter, caseworker, approver):
    url = reverse("funds:budget_list", args=[winter.pk])

    as_caseworker = signed_in(caseworker).get(url).content.decode()
    as_approver = signed_in(approver).get(url).content.decode()

    assert 'data-testid="budget-set-form"' not in as_caseworker
    assert 'data-testid="budget-split-form"' not in as_caseworker
    assert 'data-testid="budget-set-form"' in as_approver
    assert 'data-testid="budget-split-form"' in as_approver
    refused = signed_in(caseworker).post(
        reverse("funds:budget_set", args=[winter.pk]), {"set-amount": "1"}
    )
    assert refused.status_code == 404


def test_the_budgets_page_lists_the_branchs_budgets_with_their_remainder(
    city_budget, winter, tree, approver, caseworker
):
    budget_split(parent=city_budget, unit=tree.jiangan, amount=Decimal("12000"), by=approver)
    # A budget of the sibling branch's campaign must not appear.
    hunan_fund = fund_create(unit=tree.hunan, name="湖南资金", kind=FundKind.WARMTH, by=UserFactory(
        username="hunan.ap0", unit=tree.hunan, is_caseworker=False, is_approver=True))  # fmt: skip

    page = signed_in(caseworker).get(reverse("funds:budget_list", args=[winter.pk]))

    rows = [(b.unit, b.amount, b.committed, b.remainder, b.parent) for b in page.context["budgets"]]
    assert rows == [
        (tree.wuhan, Decimal("50000"), Decimal("12000"), Decimal("38000"), None),
        (tree.jiangan, Decimal("12000"), Decimal("0"), Decimal("12000"), city_budget),
    ]
    text = page.content.decode()
    assert "38,000.00" in text
    assert hunan_fund.name not in text


def test_an_approver_sets_a_units_budget_through_the_page(funded, winter, tree, approver):
    browser = signed_in(approver)
    url = reverse("funds:budget_list", args=[winter.pk])
    form = browser.get(url).context["set_form"]
    assert list(form.fields["unit"].queryset) == [tree.wuhan, tree.jiangan, tree.dazhi]
    assert list(form.fields["fund"].queryset) == [funded]

    response = browser.post(
        reverse("funds:budget_set", args=[winter.pk]),
        {"set-unit": tree.jiangan.pk, "set-fund": funded.pk, "set-amount": "30000"},
        follow=True,
    )

    assert response.redirect_chain == [(url, 302)]
    budget = Budget.objects.get()
    assert (budget.campaign, budget.unit, budget.fund, budget.amount) == (
        winter,
        tree.jiangan,
        funded,
        Decimal("30000.00"),
    )
    assert "The budget of 江岸区总工会 is 30,000.00 yuan." in response.content.decode()


def test_a_budget_from_a_fund_below_the_unit_is_refused_beside_the_fund(
    district_fund, winter, tree, approver
):
    response = signed_in(approver).post(
        reverse("funds:budget_set", args=[winter.pk]),
        {"set-unit": tree.wuhan.pk, "set-fund": district_fund.pk, "set-amount": "100"},
    )

    assert response.status_code == 400
    assert response.context["set_form"].errors["fund"] == [
        "Choose a fund of the unit or of a unit above it."
    ]
    assert Budget.objects.count() == 0


def test_an_approver_splits_a_budget_to_a_unit_below_through_the_page(
    city_budget, winter, tree, approver
):
    browser = signed_in(approver)
    form = browser.get(reverse("funds:budget_list", args=[winter.pk])).context["split_form"]
    assert list(form.fields["unit"].queryset) == [tree.jiangan]

    response = browser.post(
        reverse("funds:budget_split", args=[winter.pk]),
        {"split-parent": city_budget.pk, "split-unit": tree.jiangan.pk, "split-amount": "8000"},
        follow=True,
    )

    assert response.status_code == 200
    child = Budget.objects.get(unit=tree.jiangan)
    assert (child.parent, child.amount) == (city_budget, Decimal("8000.00"))
    city_budget.refresh_from_db()
    assert city_budget.remainder == Decimal("42000.00")
    assert "8,000.00 yuan of the budget is split to 江岸区总工会." in response.content.decode()


def test_a_split_beyond_the_remainder_is_refused_beside_the_amount(
    city_budget, winter, tree, approver
):
    response = signed_in(approver).post(
        reverse("funds:budget_split", args=[winter.pk]),
        {"split-parent": city_budget.pk, "split-unit": tree.jiangan.pk, "split-amount": "50000.01"},
    )

    assert response.status_code == 400
    assert response.context["split_form"].errors["amount"] == [
        "The budget of 武汉市总工会 for this campaign does not cover this."
    ]
    assert Budget.objects.count() == 1
    city_budget.refresh_from_db()
    assert city_budget.committed == Decimal("0")


def test_raising_a_split_budget_beyond_its_parents_remainder_is_refused_beside_the_amount(
    city_budget, winter, tree, funded, approver
):
    budget_split(parent=city_budget, unit=tree.jiangan, amount=Decimal("8000"), by=approver)

    response = signed_in(approver).post(
        reverse("funds:budget_set", args=[winter.pk]),
        {"set-unit": tree.jiangan.pk, "set-fund": funded.pk, "set-amount": "58000.01"},
    )

    assert response.status_code == 400
    assert response.context["set_form"].errors["amount"] == [
        "The budget of 武汉市总工会 for this campaign does not cover this."
    ]
    assert Budget.objects.get(unit=tree.jiangan).amount == Decimal("8000")
    assert ledger_problems() == []


def test_a_split_to_a_unit_not_directly_below_is_refused_beside_the_unit(
    city_budget, winter, tree, approver
):
    budget_split(parent=city_budget, unit=tree.jiangan, amount=Decimal("100"), by=approver)

    response = signed_in(approver).post(
        reverse("funds:budget_split", args=[winter.pk]),
        {"split-parent": city_budget.pk, "split-unit": tree.dazhi.pk, "split-amount": "10"},
    )

    assert response.status_code == 400
    assert response.context["split_form"].errors["unit"] == [
        "Choose a unit directly below the budget's unit."
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_the_budgets_page_takes_the_same_queries_for_one_and_three_budgets(
    count, funded, winter, tree, approver, django_assert_num_queries
):
    for unit in [tree.wuhan, tree.jiangan, tree.dazhi][:count]:
        budget_set(campaign=winter, unit=unit, fund=funded, amount=Decimal("1000"), by=approver)
    browser = signed_in(approver)

    with django_assert_num_queries(12):
        response = browser.get(reverse("funds:budget_list", args=[winter.pk]))

    assert len(response.context["budgets"]) == count


# ---------------------------------------------------------------- reversals (冲正)


def test_an_approver_reverses_a_receipt_with_a_reason(funded, receipt, approver, caseworker):
    fund_page = signed_in(caseworker).get(funded.get_absolute_url()).content.decode()
    assert 'data-testid="reverse-receipt"' not in fund_page
    browser = signed_in(approver)
    assert (
        'data-testid="reverse-receipt"' in browser.get(funded.get_absolute_url()).content.decode()
    )
    url = reverse("funds:receipt_reverse", args=[receipt.pk])

    no_reason = browser.post(url, {"reason": "  "})
    assert no_reason.status_code == 400
    assert no_reason.context["form"].errors["reason"] == ["This field is required."]

    response = browser.post(url, {"reason": "录入重复"}, follow=True)

    assert response.redirect_chain == [(funded.get_absolute_url(), 302)]
    reversal = LedgerTransaction.objects.get(reverses=receipt.transaction)
    assert (reversal.kind, reversal.memo, reversal.by) == (
        TransactionKind.REVERSAL,
        "录入重复",
        approver,
    )
    assert fund_balance(funded).available == Decimal("0")
    page = response.content.decode()
    assert "The movement is reversed." in page
    assert 'data-testid="reversed"' in page


def test_a_reversed_receipt_is_not_offered_again_and_reversing_it_twice_is_refused(
    funded, receipt, approver
):
    ledger_correct(original=receipt.transaction, by=approver, reason="录入重复")
    browser = signed_in(approver)
    url = reverse("funds:receipt_reverse", args=[receipt.pk])

    assert (
        'data-testid="reverse-receipt"'
        not in browser.get(funded.get_absolute_url()).content.decode()
    )
    page = browser.get(url)
    assert 'data-testid="already-reversed"' in page.content.decode()
    assert 'data-testid="reverse-form"' not in page.content.decode()

    again = browser.post(url, {"reason": "再冲一次"})

    assert again.status_code == 400
    assert "This movement has been reversed already." in again.content.decode()
    assert LedgerTransaction.objects.filter(reverses=receipt.transaction).count() == 1
    assert fund_balance(funded).available == Decimal("0")


def test_a_reversal_that_would_leave_the_fund_short_is_refused_clearly(
    funded, receipt, allocation, approver
):
    # 20,000 of the 100,000 received has gone down to 江岸: the receipt can no longer be undone.
    response = signed_in(approver).post(
        reverse("funds:receipt_reverse", args=[receipt.pk]), {"reason": "金额录错"}
    )

    assert response.status_code == 400
    assert "There is not enough money in the fund for this." in response.content.decode()
    assert response.context["form"].non_field_errors() == [
        "There is not enough money in the fund for this."
    ]
    assert not LedgerTransaction.objects.filter(reverses=receipt.transaction).exists()
    assert fund_balance(funded).available == Decimal("80000")


def test_an_approver_reverses_an_allocation_from_the_sending_funds_page(
    funded, district_fund, allocation, approver
):
    browser = signed_in(approver)
    assert (
        'data-testid="reverse-allocation"'
        in browser.get(funded.get_absolute_url()).content.decode()
    )
    # The receiving fund's page does not offer it: the sender corrects its own allocation.
    receiving = browser.get(district_fund.get_absolute_url()).content.decode()
    assert 'data-testid="reverse-allocation"' not in receiving

    response = browser.post(
        reverse("funds:allocation_reverse", args=[allocation.pk]), {"reason": "拨错单位"}
    )

    assert response.status_code == 302
    assert fund_balance(funded).available == Decimal("100000")
    assert fund_balance(district_fund).available == Decimal("0")


def test_a_receiving_units_approver_cannot_open_the_reversal_of_an_allocation_from_above(
    allocation, tree
):
    district_approver = UserFactory(
        username="jiangan.ap", unit=tree.jiangan, is_caseworker=False, is_approver=True
    )

    response = signed_in(district_approver).get(
        reverse("funds:allocation_reverse", args=[allocation.pk])
    )

    assert response.status_code == 404


# ---------------------------------------------------------------- confirming receipt (确认到账)


def test_the_receiving_unit_confirms_an_allocation_from_its_funds_page(
    district_fund, allocation, district_caseworker
):
    browser = signed_in(district_caseworker)
    page = browser.get(district_fund.get_absolute_url()).content.decode()
    assert 'data-testid="confirm-allocation"' in page

    response = browser.post(reverse("funds:allocation_confirm", args=[allocation.pk]), follow=True)

    assert response.redirect_chain == [(district_fund.get_absolute_url(), 302)]
    allocation.refresh_from_db()
    assert allocation.received_by == district_caseworker
    assert allocation.received_at is not None
    text = response.content.decode()
    assert "The receipt of 20,000.00 yuan from 武汉市总工会 is confirmed." in text
    assert 'data-testid="confirm-allocation"' not in text


def test_confirming_an_allocation_twice_is_refused(allocation, district_caseworker, approver):
    url = reverse("funds:allocation_confirm", args=[allocation.pk])
    signed_in(district_caseworker).post(url)

    again = signed_in(approver).post(url, follow=True)

    assert again.redirect_chain == [(allocation.to_fund.get_absolute_url(), 302)]
    assert "Its receipt has been confirmed already." in again.content.decode()
    allocation.refresh_from_db()
    assert allocation.received_by == district_caseworker


def test_a_viewer_is_not_offered_confirming_and_may_not(district_fund, allocation, tree):
    viewer = UserFactory(
        username="jiangan.viewer", unit=tree.jiangan, is_caseworker=False, is_viewer=True
    )
    browser = signed_in(viewer)

    assert (
        'data-testid="confirm-allocation"'
        not in browser.get(district_fund.get_absolute_url()).content.decode()
    )
    assert (
        browser.post(reverse("funds:allocation_confirm", args=[allocation.pk])).status_code == 404
    )
    assert Allocation.objects.get(pk=allocation.pk).received_at is None


def test_a_superuser_sees_every_campaigns_budgets(city_budget, winter, superuser):
    browser = signed_in(superuser)

    index = browser.get(reverse("funds:budget_index"))
    page = browser.get(reverse("funds:budget_list", args=[winter.pk]))

    assert [(c, c.budget_count) for c in index.context["campaigns"]] == [(winter, 1)]
    assert list(page.context["budgets"]) == [city_budget]
    assert 'data-testid="budget-set-form"' in page.content.decode()
