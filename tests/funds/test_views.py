"""The funds pages: who may open them, the forms' errors, and payments proposed and decided."""

from decimal import Decimal

import pytest
from django.urls import reverse

from funds.choices import DisbursementStatus, FundKind, Purpose, ReceiptSource
from funds.models import Allocation, Disbursement, Fund, Receipt
from funds.selectors import fund_balance
from funds.services import DisbursementInput, disbursement_propose, fund_create
from tests.factories import SignedInClient, UserFactory
from tests.visits.test_visits import household

pytestmark = pytest.mark.django_db


def propose(by, file, fund, amount="1000", **more) -> Disbursement:
    return disbursement_propose(
        proposal=DisbursementInput(
            file=file,
            fund=fund,
            purpose=more.pop("purpose", Purpose.VISIT_MONEY),
            amount=Decimal(amount),
            **more,
        ),
        by=by,
    )


def signed_in(user) -> SignedInClient:
    """A browser signed in as ``user``, reading the pages in English (the messages' source)."""
    client = SignedInClient()
    client.force_login(user)
    client.cookies["warmth_language"] = "en"
    return client


@pytest.fixture
def payment(funded, family, winter, caseworker):
    return propose(caseworker, family, funded, campaign=winter)


@pytest.fixture
def district_fund(tree, approver):
    return fund_create(unit=tree.jiangan, name="江岸送温暖资金", kind=FundKind.WARMTH, by=approver)


@pytest.fixture
def viewer(tree):
    return UserFactory(
        username="wuhan.viewer", unit=tree.wuhan, is_caseworker=False, is_viewer=True
    )


def page_urls(fund, family, payment) -> dict[str, tuple[str, str]]:
    """Each page by name: its URL and who of ours may open it."""
    return {
        "fund_list": (reverse("funds:fund_list"), "caseworker"),
        "fund_new": (reverse("funds:fund_new"), "approver"),
        "fund_detail": (reverse("funds:fund_detail", args=[fund.pk]), "caseworker"),
        "receipt_new": (reverse("funds:receipt_new", args=[fund.pk]), "caseworker"),
        "allocation_new": (reverse("funds:allocation_new", args=[fund.pk]), "approver"),
        "disbursement_new": (reverse("funds:disbursement_new", args=[family.pk]), "caseworker"),
        "disbursement_waiting": (reverse("funds:disbursement_waiting"), "approver"),
        "disbursement_detail": (
            reverse("funds:disbursement_detail", args=[payment.pk]),
            "approver",
        ),
    }


ACTIONS = ["approve", "reject", "cancel", "pay"]


@pytest.mark.parametrize(
    "name",
    [
        "fund_list",
        "fund_new",
        "fund_detail",
        "receipt_new",
        "allocation_new",
        "disbursement_new",
        "disbursement_waiting",
        "disbursement_detail",
    ],
)
def test_every_page_opens_for_an_allowed_user_and_hides_the_branch_from_others(
    name, funded, family, payment, caseworker, approver, sibling_approver, client
):
    url, who = page_urls(funded, family, payment)[name]
    allowed = {"caseworker": caseworker, "approver": approver}[who]

    assert signed_in(allowed).get(url).status_code == 200

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert "login" in anonymous.url

    # A sibling branch's approver: 404 for our ids, and none of our data on list pages.
    sibling = signed_in(sibling_approver).get(url)
    if name in ("fund_list", "fund_new", "disbursement_waiting"):
        assert sibling.status_code == 200
        assert funded.unit.name not in sibling.content.decode()
        assert family.name not in sibling.content.decode()
    else:
        assert sibling.status_code == 404


@pytest.mark.parametrize("action", ACTIONS)
def test_every_payment_action_takes_a_post_from_the_branch_only(
    action, payment, approver, sibling_approver, client
):
    url = reverse(f"funds:disbursement_{action}", args=[payment.pk])

    assert signed_in(approver).get(url).status_code == 405
    anonymous = client.post(url, {f"{action}-reason": "x", f"{action}-method": "cash"})
    assert anonymous.status_code == 302
    assert "login" in anonymous.url
    refused = signed_in(sibling_approver).post(
        url, {f"{action}-reason": "不是我们的", f"{action}-method": "cash"}
    )
    assert refused.status_code == 404
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.PROPOSED


def test_a_caseworker_proposes_and_an_approver_approves_and_it_is_paid_through_the_pages(
    funded, family, winter, caseworker, approver
):
    worker = signed_in(caseworker)
    form = worker.get(reverse("funds:disbursement_new", args=[family.pk])).context["form"]
    key = form["request_key"].value()

    proposed = worker.post(
        reverse("funds:disbursement_new", args=[family.pk]),
        {
            "request_key": key,
            "purpose": Purpose.VISIT_MONEY,
            "fund": funded.pk,
            "amount": "800",
            "campaign": winter.pk,
        },
    )

    payment = Disbursement.objects.get()
    assert proposed.status_code == 302
    assert proposed.url == payment.get_absolute_url()
    assert (payment.status, payment.amount, payment.proposed_by) == (
        DisbursementStatus.PROPOSED,
        Decimal("800.00"),
        caseworker,
    )
    leader = signed_in(approver)
    waiting = leader.get(reverse("funds:disbursement_waiting"))
    assert list(waiting.context["payments"]) == [payment]
    page = leader.get(payment.get_absolute_url())
    assert b'data-testid="approve-form"' in page.content

    approved = leader.post(reverse("funds:disbursement_approve", args=[payment.pk]), {})

    assert approved.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == (DisbursementStatus.APPROVED, approver)
    assert fund_balance(funded).reserved == Decimal("800.00")

    paid = worker.post(
        reverse("funds:disbursement_pay", args=[payment.pk]),
        {"pay-method": "bank", "pay-bank_reference": "BOC-2026-001"},
    )

    assert paid.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.paid_by, payment.bank_reference) == (
        DisbursementStatus.PAID,
        caseworker,
        "BOC-2026-001",
    )
    life = worker.get(payment.get_absolute_url()).content.decode()
    for name in ("李建国", "陈静", "BOC-2026-001"):
        assert name in life


def test_a_double_submit_of_the_same_form_makes_one_payment(funded, family, caseworker):
    worker = signed_in(caseworker)
    url = reverse("funds:disbursement_new", args=[family.pk])
    key = worker.get(url).context["form"]["request_key"].value()
    data = {"request_key": key, "purpose": Purpose.SPECIAL, "fund": funded.pk, "amount": "500"}

    first = worker.post(url, data)
    second = worker.post(url, data)

    assert Disbursement.objects.count() == 1
    assert first.url == second.url == Disbursement.objects.get().get_absolute_url()


def test_each_rendering_of_the_form_carries_a_new_request_key(family, funded, caseworker):
    worker = signed_in(caseworker)
    url = reverse("funds:disbursement_new", args=[family.pk])

    keys = {str(worker.get(url).context["form"]["request_key"].value()) for _ in range(2)}

    assert len(keys) == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "The amount must be more than zero."),
        ("12.345", "Ensure that there are no more than 2 decimal places."),
        ("abc", "Enter a number."),
        ("2000000000", "An amount above 1,000,000,000 yuan is not accepted."),
    ],
)
def test_a_bad_amount_is_shown_beside_the_amount_field(amount, message, funded, family, caseworker):
    worker = signed_in(caseworker)
    url = reverse("funds:disbursement_new", args=[family.pk])
    key = worker.get(url).context["form"]["request_key"].value()

    response = worker.post(
        url,
        {"request_key": key, "purpose": Purpose.SPECIAL, "fund": funded.pk, "amount": amount},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == [message]
    assert (
        f'<p class="field__error" id="id_amount_error">{message}</p>' in response.content.decode()
    )
    assert Disbursement.objects.count() == 0


def test_a_schooling_grant_without_a_student_is_refused_beside_the_student(
    funded, family, caseworker
):
    worker = signed_in(caseworker)
    url = reverse("funds:disbursement_new", args=[family.pk])
    key = worker.get(url).context["form"]["request_key"].value()

    response = worker.post(
        url,
        {"request_key": key, "purpose": Purpose.SCHOOLING, "fund": funded.pk, "amount": "500"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["student"] == [
        "Choose the student for a schooling grant."
    ]


def test_a_payment_above_the_cap_is_approved_only_with_a_reason_which_is_kept(
    funded, family, winter, caseworker, approver
):
    payment = propose(caseworker, family, funded, "4000", campaign=winter)
    leader = signed_in(approver)
    page = leader.get(payment.get_absolute_url()).content.decode()
    assert "At most 3,000.00 yuan may be paid at a time" in page

    refused = leader.post(reverse("funds:disbursement_approve", args=[payment.pk]), {})

    assert refused.status_code == 400
    assert "At most 3,000.00 yuan may be paid at a time" in str(
        refused.context["approve_form"].non_field_errors()
    )
    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.PROPOSED

    leader.post(
        reverse("funds:disbursement_approve", args=[payment.pk]),
        {"approve-override_reason": "重病住院，经班子会研究同意"},
    )

    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.APPROVED
    assert payment.override_reason == "重病住院，经班子会研究同意"
    assert "重病住院，经班子会研究同意" in leader.get(payment.get_absolute_url()).content.decode()


def test_the_proposer_is_offered_no_approval_and_is_refused_if_they_post_it(funded, family, tree):
    both = UserFactory(username="both", unit=tree.wuhan, is_caseworker=True, is_approver=True)
    payment = propose(both, family, funded)
    client = signed_in(both)

    assert b'data-testid="approve-form"' not in client.get(payment.get_absolute_url()).content
    refused = client.post(reverse("funds:disbursement_approve", args=[payment.pk]), {})

    assert refused.status_code == 400
    assert "someone other than who proposed it" in refused.content.decode()


def test_a_rejection_needs_a_reason_beside_the_field(payment, approver):
    leader = signed_in(approver)

    response = leader.post(reverse("funds:disbursement_reject", args=[payment.pk]), {})

    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"] == ["This field is required."]

    leader.post(
        reverse("funds:disbursement_reject", args=[payment.pk]), {"reject-reason": "不符合条件"}
    )
    payment.refresh_from_db()
    assert (payment.status, payment.end_reason) == (DisbursementStatus.REJECTED, "不符合条件")


def test_the_proposer_cancels_an_approved_payment_and_its_money_is_released(
    payment, funded, caseworker, approver
):
    signed_in(approver).post(reverse("funds:disbursement_approve", args=[payment.pk]), {})

    signed_in(caseworker).post(
        reverse("funds:disbursement_cancel", args=[payment.pk]), {"cancel-reason": "户主已去世"}
    )

    payment.refresh_from_db()
    assert payment.status == DisbursementStatus.CANCELLED
    assert fund_balance(funded).reserved == 0


def test_a_viewer_sees_the_fund_and_the_payment_but_no_action(funded, payment, viewer):
    client = signed_in(viewer)

    fund_page = client.get(funded.get_absolute_url()).content.decode()
    payment_page = client.get(payment.get_absolute_url()).content.decode()

    assert 'data-testid="record-receipt"' not in fund_page
    assert 'data-testid="allocate"' not in fund_page
    for form in ("approve-form", "reject-form", "pay-form", "cancel-form"):
        assert f'data-testid="{form}"' not in payment_page
    assert client.get(reverse("funds:receipt_new", args=[funded.pk])).status_code == 404


def test_a_receipt_is_recorded_through_its_form(city_fund, caseworker):
    worker = signed_in(caseworker)
    url = reverse("funds:receipt_new", args=[city_fund.pk])

    missing_donor = worker.post(
        url,
        {"source": ReceiptSource.DONATION, "amount": "5000", "received_on": "2020-01-02"},
    )
    assert missing_donor.context["form"].errors["donor"] == ["Name the donor of a donation."]

    done = worker.post(
        url,
        {
            "source": ReceiptSource.DONATION,
            "donor": "武汉某企业",
            "amount": "5000.50",
            "received_on": "2020-01-02",
            "reference": "JZ-001",
        },
    )

    assert done.status_code == 302
    receipt = Receipt.objects.get()
    assert (receipt.amount, receipt.donor, receipt.recorded_by) == (
        Decimal("5000.50"),
        "武汉某企业",
        caseworker,
    )
    assert fund_balance(city_fund).available == Decimal("5000.50")


def test_the_higher_union_is_not_offered_as_a_source_of_a_receipt(city_fund, caseworker):
    form = signed_in(caseworker).get(reverse("funds:receipt_new", args=[city_fund.pk]))

    offered = [value for value, _label in form.context["form"].fields["source"].choices]

    assert ReceiptSource.HIGHER_UNION not in offered
    assert ReceiptSource.GOVERNMENT in offered


def test_an_approver_allocates_down_to_a_child_units_fund(funded, district_fund, approver):
    leader = signed_in(approver)
    url = reverse("funds:allocation_new", args=[funded.pk])
    offered = list(leader.get(url).context["form"].fields["to_fund"].queryset)
    assert offered == [district_fund]

    too_much = leader.post(
        url, {"to_fund": district_fund.pk, "amount": "200000", "allocated_on": "2020-01-02"}
    )
    assert too_much.status_code == 400
    assert Allocation.objects.count() == 0

    done = leader.post(
        url, {"to_fund": district_fund.pk, "amount": "30000", "allocated_on": "2020-01-02"}
    )

    assert done.status_code == 302
    assert fund_balance(district_fund).available == Decimal("30000.00")
    assert fund_balance(funded).available == Decimal("70000.00")


def test_an_approver_opens_a_fund_and_a_duplicate_name_is_refused_beside_the_name(
    tree, approver, city_fund
):
    leader = signed_in(approver)
    url = reverse("funds:fund_new")

    twin = leader.post(url, {"unit": tree.wuhan.pk, "name": city_fund.name, "kind": "warmth"})
    assert twin.context["form"].errors["name"] == ["This unit has a fund of that name already."]

    done = leader.post(url, {"unit": tree.jiangan.pk, "name": "帮扶资金", "kind": "help"})

    fund = Fund.objects.get(unit=tree.jiangan)
    assert done.url == fund.get_absolute_url()


def test_a_caseworker_is_offered_no_fund_opening(caseworker_client):
    page = caseworker_client.get(reverse("funds:fund_list")).content

    assert b'data-testid="new-fund"' not in page
    assert caseworker_client.get(reverse("funds:fund_new")).status_code == 404


def test_the_statement_reconciles_on_the_page_and_takes_a_period(funded, caseworker):
    worker = signed_in(caseworker)

    page = worker.get(funded.get_absolute_url())
    statement = page.context["statement"]
    assert (statement.opening, statement.total_in, statement.closing) == (
        0,
        Decimal("100000.00"),
        Decimal("100000.00"),
    )
    assert "The statement reconciles." in page.content.decode()

    before = worker.get(
        funded.get_absolute_url(), {"first_day": "2001-01-01", "last_day": "2001-12-31"}
    )
    assert before.context["statement"].total_in == 0

    backwards = worker.get(
        funded.get_absolute_url(), {"first_day": "2001-12-31", "last_day": "2001-01-01"}
    )
    assert backwards.status_code == 400
    assert backwards.context["period"].errors["last_day"] == ["The end cannot be before the start."]


def test_the_file_page_shows_the_households_aid_and_offers_a_caseworker_a_payment(
    payment, family, caseworker, viewer
):
    page = signed_in(caseworker).get(family.get_absolute_url())

    assert list(page.context["aid_history"]) == [payment]
    assert b'data-testid="propose-payment"' in page.content
    assert (
        b'data-testid="propose-payment"'
        not in signed_in(viewer).get(family.get_absolute_url()).content
    )


def test_the_funds_entry_is_in_the_navigation_for_a_user_with_a_unit(caseworker_client):
    page = caseworker_client.get(reverse("reports:home")).content.decode()

    assert f'href="{reverse("funds:fund_list")}"' in page


@pytest.mark.parametrize("count", [1, 3])
def test_the_fund_list_takes_the_same_queries_for_one_and_three_funds(
    count, tree, approver, django_assert_num_queries
):
    for n in range(count):
        fund_create(unit=tree.wuhan, name=f"资金{n}", kind=FundKind.HELP, by=approver)
    client = signed_in(approver)

    with django_assert_num_queries(7):
        response = client.get(reverse("funds:fund_list"))

    assert len(response.context["funds"]) == count


@pytest.mark.parametrize("count", [1, 3])
def test_the_waiting_list_takes_the_same_queries_for_one_and_three_payments(
    count, funded, caseworker, approver, tree, django_assert_num_queries
):
    for n in range(count):
        file = household(by=caseworker, unit=tree.jiangan, name=f"王{n}")
        propose(caseworker, file, funded, purpose=Purpose.SPECIAL)
    client = signed_in(approver)

    with django_assert_num_queries(8):
        response = client.get(reverse("funds:disbursement_waiting"))

    assert len(response.context["payments"]) == count
