"""The money-by-unit page (资金收支汇总): figures per child unit's branch, drill-down, access."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funds.choices import FundKind, PaymentMethod, Purpose, ReceiptSource
from funds.selectors import money_by_unit
from funds.services import (
    DisbursementInput,
    allocation_make,
    disbursement_approve,
    disbursement_pay,
    disbursement_propose,
    fund_create,
    receipt_record,
)
from tests.factories import UnionUnitFactory, make_id_number
from tests.funds.test_views import signed_in
from tests.visits.test_visits import household

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def receive(fund, source, amount, by):
    receipt_record(
        fund=fund,
        source=source,
        amount=Decimal(amount),
        received_on=today(),
        by=by,
        donor="爱心企业" if source == ReceiptSource.DONATION else "",
    )


def allocate(from_fund, to_fund, amount, by):
    allocation_make(
        from_fund=from_fund, to_fund=to_fund, amount=Decimal(amount), allocated_on=today(), by=by
    )


def pay(*, fund, file, purpose, amount, caseworker, approver, paid=True):
    payment = disbursement_propose(
        proposal=DisbursementInput(file=file, fund=fund, purpose=purpose, amount=Decimal(amount)),
        by=caseworker,
    )
    payment = disbursement_approve(disbursement=payment, by=approver)
    if paid:
        disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)


@pytest.fixture
def movements(tree, funded, family, caseworker, approver):
    """Money through 武汉 → 江岸 → 大智, with payments in 江岸 and 大智.

    武汉: 100,000 from the government (``funded``), 30,000 allocated to 江岸.
    江岸: 5,000 donated, 10,000 allocated to 大智, 1,000 visit money paid.
    大智: 2,000 from the one-day donation, 500 special relief paid and 200 approved.
    """
    jiangan = fund_create(unit=tree.jiangan, name="江岸送温暖", kind=FundKind.WARMTH, by=approver)
    dazhi = fund_create(unit=tree.dazhi, name="大智送温暖", kind=FundKind.WARMTH, by=approver)
    allocate(funded, jiangan, "30000", approver)
    receive(jiangan, ReceiptSource.DONATION, "5000", caseworker)
    allocate(jiangan, dazhi, "10000", approver)
    receive(dazhi, ReceiptSource.ONE_DAY, "2000", caseworker)
    people = {"caseworker": caseworker, "approver": approver}
    pay(fund=jiangan, file=family, purpose=Purpose.VISIT_MONEY, amount="1000", **people)
    neighbour = household(
        by=caseworker, unit=tree.dazhi, name="王秀英", id_number=make_id_number(sequence=77)
    )
    pay(fund=dazhi, file=neighbour, purpose=Purpose.SPECIAL, amount="500", **people)
    pay(fund=dazhi, file=neighbour, purpose=Purpose.SPECIAL, amount="200", paid=False, **people)
    return tree


def this_year(unit):
    return money_by_unit(unit=unit, first_day=date(today().year, 1, 1), last_day=today())


def test_each_child_row_sums_its_whole_branch_and_counts_allocations_inside_it_once(movements):
    money = this_year(movements.wuhan)

    own, (jiangan,) = money.own, money.children
    assert (own.unit, own.received, own.from_higher) == (
        movements.wuhan,
        {ReceiptSource.GOVERNMENT: Decimal("100000")},
        Decimal(0),
    )
    assert (own.paid_out, own.allocated_down, own.held) == ({}, Decimal("30000"), Decimal("70000"))
    # 江岸's branch: the 30,000 from 武汉 came from above; the 10,000 it sent to 大智 is internal.
    assert jiangan.unit == movements.jiangan
    assert jiangan.received == {
        ReceiptSource.DONATION: Decimal("5000"),
        ReceiptSource.ONE_DAY: Decimal("2000"),
    }
    assert (jiangan.from_higher, jiangan.total_received) == (Decimal("30000"), Decimal("37000"))
    assert jiangan.paid_out == {
        Purpose.VISIT_MONEY: Decimal("1000"),
        Purpose.SPECIAL: Decimal("500"),
    }
    assert (jiangan.allocated_down, jiangan.held) == (Decimal(0), Decimal("35500"))


def test_the_whole_branch_counts_only_money_from_outside_it(movements):
    total = this_year(movements.wuhan).total

    assert total.received == {
        ReceiptSource.GOVERNMENT: Decimal("100000"),
        ReceiptSource.DONATION: Decimal("5000"),
        ReceiptSource.ONE_DAY: Decimal("2000"),
    }
    assert (total.from_higher, total.total_received) == (Decimal(0), Decimal("107000"))
    assert total.total_paid == Decimal("1500")
    # Held now, the 200 reserved for the approved payment included: in − out.
    assert total.held == Decimal("105500")


def test_a_drilled_down_unit_shows_its_own_funds_and_its_childrens_branches(movements):
    money = this_year(movements.jiangan)

    own, (dazhi,) = money.own, money.children
    assert (own.received, own.from_higher, own.allocated_down) == (
        {ReceiptSource.DONATION: Decimal("5000")},
        Decimal("30000"),
        Decimal("10000"),
    )
    assert (own.paid_out, own.held) == ({Purpose.VISIT_MONEY: Decimal("1000")}, Decimal("24000"))
    assert (dazhi.unit, dazhi.received, dazhi.from_higher) == (
        movements.dazhi,
        {ReceiptSource.ONE_DAY: Decimal("2000")},
        Decimal("10000"),
    )
    assert (dazhi.paid_out, dazhi.held) == ({Purpose.SPECIAL: Decimal("500")}, Decimal("11500"))
    assert (money.total.from_higher, money.total.total_received) == (
        Decimal("30000"),
        Decimal("37000"),
    )


def test_a_period_before_the_movements_shows_nothing_moved_but_the_money_held_now(movements):
    last_year = today().year - 1
    money = money_by_unit(
        unit=movements.wuhan, first_day=date(last_year, 1, 1), last_day=date(last_year, 12, 31)
    )

    assert [(row.total_received, row.total_paid) for row in money.rows] == [
        (Decimal(0), Decimal(0)),
        (Decimal(0), Decimal(0)),
    ]
    assert money.total.held == Decimal("105500")


def test_the_page_shows_the_rows_and_links_each_child_unit_to_its_drill_down(movements, caseworker):
    client = signed_in(caseworker)

    response = client.get(reverse("funds:money_by_unit"))

    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["unit"] == movements.wuhan
    assert reverse("funds:money_by_unit_unit", args=[movements.jiangan.pk]) in page
    assert "107,000.00" in page
    assert 'data-testid="money-by-unit-tab"' in page


def test_a_drill_down_page_keeps_the_period_and_links_back_up(movements, caseworker):
    client = signed_in(caseworker)
    url = reverse("funds:money_by_unit_unit", args=[movements.jiangan.pk])

    response = client.get(url, {"first_day": f"{today().year}-01-01", "last_day": today()})

    assert response.status_code == 200
    assert response.context["money"].total.total_received == Decimal("37000")
    assert response.context["parent"] == movements.wuhan
    assert reverse("funds:money_by_unit_unit", args=[movements.dazhi.pk]) in (
        response.content.decode()
    )


def test_a_period_ending_before_it_starts_is_refused_and_this_year_is_shown(movements, caseworker):
    client = signed_in(caseworker)

    response = client.get(
        reverse("funds:money_by_unit"), {"first_day": "2026-03-01", "last_day": "2026-02-01"}
    )

    assert response.status_code == 400
    assert response.context["money"].first_day == date(today().year, 1, 1)


def test_a_sibling_branch_user_gets_404_on_a_unit_of_ours(movements, sibling):
    client = signed_in(sibling)

    for unit in (movements.wuhan, movements.jiangan, movements.hubei):
        url = reverse("funds:money_by_unit_unit", args=[unit.pk])
        assert client.get(url).status_code == 404


def test_a_sibling_branch_user_sees_nothing_of_ours_on_their_own_page(movements, sibling):
    client = signed_in(sibling)

    response = client.get(reverse("funds:money_by_unit"))

    assert response.status_code == 200
    money = response.context["money"]
    assert money.unit == movements.hunan
    assert [row.unit for row in money.rows] == [movements.hunan, movements.changsha]
    assert (money.total.total_received, money.total.held) == (Decimal(0), Decimal(0))
    page = response.content.decode()
    assert movements.wuhan.name not in page
    assert movements.jiangan.name not in page


def test_a_user_cannot_go_above_their_own_unit(movements, caseworker):
    client = signed_in(caseworker)

    response = client.get(reverse("funds:money_by_unit"))

    assert response.context["parent"] is None
    url = reverse("funds:money_by_unit_unit", args=[movements.hubei.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["money_by_unit", "money_by_unit_unit"])
def test_an_anonymous_visitor_is_sent_to_sign_in(name, client, tree):
    args = [tree.wuhan.pk] if name == "money_by_unit_unit" else []

    response = client.get(reverse(f"funds:{name}", args=args))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:login"))


@pytest.mark.parametrize("count", [1, 3])
def test_the_page_takes_the_same_queries_for_one_and_three_child_units(
    count, tree, funded, caseworker, approver, django_assert_num_queries
):
    # 武汉 has one child unit (江岸) in the tree; add more, each with money in and down.
    children = [tree.jiangan] + [
        UnionUnitFactory(name=f"测试区{n}", level=tree.jiangan.level, parent=tree.wuhan)
        for n in range(count - 1)
    ]
    for n, child in enumerate(children):
        fund = fund_create(unit=child, name=f"资金{n}", kind=FundKind.WARMTH, by=approver)
        allocate(funded, fund, "1000", approver)
        receive(fund, ReceiptSource.DONATION, "100", caseworker)
    client = signed_in(caseworker)

    with CaptureQueriesContext(connection) as selector_queries:
        this_year(tree.wuhan)
    # Session, user, savepoints and the unit, then the three of ``money_by_unit``.
    with django_assert_num_queries(10):
        response = client.get(reverse("funds:money_by_unit"))

    assert len(selector_queries) == 3
    assert len(response.context["children"]) == count
    assert [row.total_received for row in response.context["money"].children] == [
        Decimal("1100")
    ] * count
