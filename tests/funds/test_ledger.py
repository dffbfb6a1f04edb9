"""The double-entry ledger: money in, down and out; corrections; what the database refuses."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from common.errors import RuleBroken
from funds.choices import AccountKind, FundKind, Purpose, ReceiptSource, TransactionKind
from funds.ledger import LedgerUnbalanced, Line, NotEnoughMoney, account_for, ledger_post
from funds.models import Account, Entry, LedgerTransaction
from funds.selectors import fund_balance, fund_statement, ledger_problems
from funds.services import (
    allocation_confirm_receipt,
    allocation_make,
    fund_create,
    ledger_correct,
    receipt_record,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def test_a_receipt_puts_money_in_the_fund_and_the_ledger_balances(funded):
    assert fund_balance(funded).available == Decimal("100000.00")
    income = Account.objects.get(fund=funded, kind=AccountKind.INCOME)
    assert income.source == ReceiptSource.GOVERNMENT
    assert income.balance == Decimal("-100000.00")
    assert ledger_problems() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("10.005", "two decimal places"),
        ("1e12", "is not accepted"),
        ("一千", "Enter an amount"),
        ("NaN", "Enter an amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_clear_message(city_fund, caseworker, amount, message):
    with pytest.raises(RuleBroken) as refused:
        receipt_record(
            fund=city_fund,
            source=ReceiptSource.GOVERNMENT,
            amount=amount,
            received_on=today(),
            by=caseworker,
        )
    assert message in str(refused.value.message_dict["amount"])
    assert LedgerTransaction.objects.count() == 0


def test_a_donation_names_its_donor(city_fund, caseworker):
    with pytest.raises(RuleBroken) as refused:
        receipt_record(
            fund=city_fund,
            source=ReceiptSource.DONATION,
            amount="500",
            received_on=today(),
            by=caseworker,
        )
    assert "donor" in refused.value.message_dict


def test_money_from_the_higher_union_is_not_typed_in_as_a_receipt(city_fund, caseworker):
    with pytest.raises(RuleBroken) as refused:
        receipt_record(
            fund=city_fund,
            source=ReceiptSource.HIGHER_UNION,
            amount="500",
            received_on=today(),
            by=caseworker,
        )
    assert "source" in refused.value.message_dict


def test_a_fund_of_another_branch_is_refused(city_fund, sibling):
    with pytest.raises(PermissionDenied):
        receipt_record(
            fund=city_fund,
            source=ReceiptSource.GOVERNMENT,
            amount="500",
            received_on=today(),
            by=sibling,
        )


def test_an_allocation_moves_money_down_and_each_fund_reconciles(
    tree, funded, approver, caseworker
):
    county_fund = fund_create(
        unit=tree.jiangan, name="送温暖资金", kind=FundKind.WARMTH, by=approver
    )
    allocation = allocation_make(
        from_fund=funded, to_fund=county_fund, amount="30000", allocated_on=today(), by=approver
    )

    assert fund_balance(funded).available == Decimal("70000.00")
    assert fund_balance(county_fund).available == Decimal("30000.00")
    city = fund_statement(funded, first_day=today() - timedelta(days=30), last_day=today())
    assert city.received == {ReceiptSource.GOVERNMENT: Decimal("100000.00")}
    assert city.allocated_down == Decimal("30000.00")
    assert (city.opening, city.closing, city.reconciles) == (0, Decimal("70000.00"), True)
    county = fund_statement(county_fund, first_day=today(), last_day=today())
    assert county.received == {ReceiptSource.HIGHER_UNION: Decimal("30000.00")}
    assert county.reconciles

    county_caseworker = UserFactory(username="ja.cw", unit=tree.jiangan)
    allocation_confirm_receipt(allocation=allocation, by=county_caseworker)
    assert allocation.received_by == county_caseworker
    with pytest.raises(RuleBroken):
        allocation_confirm_receipt(allocation=allocation, by=county_caseworker)
    assert ledger_problems() == []


def test_an_allocation_goes_only_to_a_unit_directly_below(tree, funded, approver):
    street_fund = fund_create(unit=tree.dazhi, name="帮扶资金", kind=FundKind.HELP, by=approver)
    with pytest.raises(RuleBroken) as refused:
        allocation_make(
            from_fund=funded, to_fund=street_fund, amount="10", allocated_on=today(), by=approver
        )
    assert "to_fund" in refused.value.message_dict


def test_an_allocation_beyond_the_available_money_is_refused(tree, funded, approver):
    county_fund = fund_create(
        unit=tree.jiangan, name="送温暖资金", kind=FundKind.WARMTH, by=approver
    )
    with pytest.raises(NotEnoughMoney):
        allocation_make(
            from_fund=funded,
            to_fund=county_fund,
            amount="100000.01",
            allocated_on=today(),
            by=approver,
        )
    assert fund_balance(funded).available == Decimal("100000.00")
    assert fund_balance(county_fund).available == 0


def test_a_mistaken_receipt_is_reversed_once_and_a_reversal_is_never_reversed(funded, approver):
    receipt = funded.receipts.get()
    reversal = ledger_correct(original=receipt.transaction, by=approver, reason="金额录错")

    assert reversal.reverses == receipt.transaction
    assert fund_balance(funded).available == 0
    with pytest.raises(RuleBroken, match="reversed already"):
        ledger_correct(original=receipt.transaction, by=approver, reason="再来一次")
    with pytest.raises(RuleBroken, match="cannot itself be reversed"):
        ledger_correct(original=reversal, by=approver, reason="撤销冲正")
    # Both stay in the ledger: nothing is deleted.
    assert Entry.objects.count() == 4
    assert ledger_problems() == []


def test_money_already_spent_cannot_be_reversed_out_of_the_fund(tree, funded, approver):
    county_fund = fund_create(
        unit=tree.jiangan, name="送温暖资金", kind=FundKind.WARMTH, by=approver
    )
    allocation_make(
        from_fund=funded, to_fund=county_fund, amount="60000", allocated_on=today(), by=approver
    )
    with pytest.raises(NotEnoughMoney):
        ledger_correct(original=funded.receipts.get().transaction, by=approver, reason="退回")


def test_lines_that_do_not_balance_never_reach_the_ledger(funded, approver):
    with pytest.raises(LedgerUnbalanced):
        ledger_post(
            kind=TransactionKind.RECEIPT,
            fund=funded,
            by=approver,
            lines=[
                Line(account_for(funded, AccountKind.AVAILABLE), Decimal("10")),
                Line(account_for(funded, AccountKind.INCOME, source="government"), Decimal("-9")),
            ],
        )


# ---------------------------------------------------------------- what the database refuses


def test_the_database_refuses_an_unbalanced_transaction_written_by_hand(funded, approver):
    posted = LedgerTransaction.objects.create(
        kind=TransactionKind.RECEIPT, fund=funded, by=approver, posted_at=timezone.now()
    )
    available = account_for(funded, AccountKind.AVAILABLE)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        Entry.objects.create(
            transaction=posted, account=available, amount=Decimal("5"), posted_at=posted.posted_at
        )


def test_the_database_refuses_to_change_or_delete_entries_and_transactions(funded):
    entry = Entry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("1"))
    with pytest.raises(DatabaseError), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerTransaction.objects.filter(pk=entry.transaction_id).update(memo="改过")
    assert fund_balance(funded).available == Decimal("100000.00")


def test_the_database_keeps_balances_whoever_writes_the_entries(funded, approver):
    # Written without the service: the trigger still moves both accounts.
    posted = LedgerTransaction.objects.create(
        kind=TransactionKind.RECEIPT, fund=funded, by=approver, posted_at=timezone.now()
    )
    Entry.objects.bulk_create(
        [
            Entry(
                transaction=posted,
                account=account_for(funded, AccountKind.AVAILABLE),
                amount=Decimal("7.50"),
                posted_at=posted.posted_at,
            ),
            Entry(
                transaction=posted,
                account=account_for(funded, AccountKind.INCOME, source="own"),
                amount=Decimal("-7.50"),
                posted_at=posted.posted_at,
            ),
        ]
    )
    assert fund_balance(funded).available == Decimal("100007.50")
    assert ledger_problems() == []


def test_check_ledger_passes_on_a_sound_ledger_and_fails_on_a_broken_one(funded, capsys):
    call_command("check_ledger")
    assert "holds" in capsys.readouterr().out

    # Break it the only way left: a balance that no longer matches its entries.
    Account.objects.filter(fund=funded, kind=AccountKind.INCOME).update(balance=Decimal("-1"))
    with pytest.raises(CommandError):
        call_command("check_ledger")
    assert "its entries sum to" in capsys.readouterr().err


def test_a_paid_out_account_needs_its_purpose(city_fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(fund=city_fund, kind=AccountKind.PAID_OUT)
    assert Account.objects.create(
        fund=city_fund, kind=AccountKind.PAID_OUT, purpose=Purpose.LIVING
    ).balance == Decimal(0)


def test_a_reversed_allocation_cannot_be_confirmed_as_received(tree, funded, approver, caseworker):
    county_fund = fund_create(
        unit=tree.jiangan, name="送温暖资金", kind=FundKind.WARMTH, by=approver
    )
    allocation = allocation_make(
        from_fund=funded, to_fund=county_fund, amount="100", allocated_on=today(), by=approver
    )
    ledger_correct(original=allocation.transaction, by=approver, reason="拨错单位")
    with pytest.raises(RuleBroken, match="reversed"):
        allocation_confirm_receipt(allocation=allocation, by=caseworker)
