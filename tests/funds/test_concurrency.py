"""Money under concurrency, on PostgreSQL: many approvals at once never overdraw a fund."""

import contextlib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from common.errors import RuleBroken
from funds.choices import DisbursementStatus, FundKind, Purpose, ReceiptSource
from funds.ledger import NotEnoughMoney
from funds.models import Disbursement
from funds.selectors import fund_balance, ledger_problems
from funds.services import (
    DisbursementInput,
    disbursement_approve,
    disbursement_propose,
    fund_create,
    receipt_record,
)
from tests.factories import make_id_number
from tests.visits.test_visits import campaign, household

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 40


def run_at_once(calls):
    """Run ``calls`` on THREADS threads, each with its own connection, released together."""
    start = threading.Barrier(min(THREADS, len(calls)))

    def run(call):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                start.wait(timeout=60)
            return call()
        finally:
            close_old_connections()
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, calls))


def test_two_hundred_approvals_against_a_fund_for_fifty_pay_exactly_fifty(
    tree, caseworker, approver
):
    fund = fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    receipt_record(
        fund=fund,
        source=ReceiptSource.ONE_DAY,
        amount=Decimal("5000"),
        received_on=timezone.localdate() - timedelta(days=1),
        by=caseworker,
    )
    households = [
        household(by=caseworker, unit=tree.jiangan, name=f"困难户{n}",
                  id_number=make_id_number(sequence=1001 + 2 * n))
        for n in range(10)
    ]  # fmt: skip
    payments = [
        disbursement_propose(
            proposal=DisbursementInput(
                file=households[n % 10], fund=fund, purpose=Purpose.SPECIAL, amount=Decimal("100"),
                description="爱心卡",
            ),
            by=caseworker,
        )
        for n in range(200)
    ]  # fmt: skip

    def approve(payment):
        def call():
            try:
                disbursement_approve(disbursement=payment, by=approver)
                return "approved"
            except NotEnoughMoney:
                return "refused"

        return call

    outcomes = run_at_once([approve(payment) for payment in payments])

    assert outcomes.count("approved") == 50
    assert outcomes.count("refused") == 150
    balance = fund_balance(fund)
    assert (balance.available, balance.reserved) == (0, Decimal("5000.00"))
    assert Disbursement.objects.filter(status=DisbursementStatus.APPROVED).count() == 50
    assert ledger_problems() == []
    call_command("check_ledger")


def test_a_double_submit_racing_itself_makes_one_payment(tree, caseworker, approver):
    fund = fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    family = household(by=caseworker, unit=tree.jiangan, name="陈桂兰")
    winter = campaign(tree.wuhan, approver)
    key = uuid.uuid4()

    def submit(request_key):
        def call():
            try:
                return disbursement_propose(
                    proposal=DisbursementInput(
                        file=family,
                        fund=fund,
                        purpose=Purpose.VISIT_MONEY,
                        amount=Decimal("1000"),
                        campaign=winter,
                        request_key=request_key,
                    ),
                    by=caseworker,
                ).pk
            except RuleBroken:
                return "refused"

        return call

    # The same form sent twice, and the same household proposed from two pages at once.
    same_form = run_at_once([submit(key) for _ in range(8)])
    assert len(set(same_form)) == 1
    other_forms = run_at_once([submit(uuid.uuid4()) for _ in range(8)])
    assert other_forms.count("refused") == 8
    assert Disbursement.objects.count() == 1
