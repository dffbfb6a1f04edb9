"""check_ledger against a large generated ledger (funds/scale.py): it holds, and it catches
a break made behind the triggers' back."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from funds.choices import TransactionKind
from funds.models import Account, Entry, LedgerTransaction

ENTRIES = 200_000


@pytest.fixture
def ledger(db):
    """A generated province of 300 units with about 200,000 ledger entries over its funds."""
    call_command("seed_scale", units=300, prefix="LS", ledger_entries=ENTRIES)


def _check_ledger_breaks(capsys) -> str:
    with pytest.raises(CommandError, match="broken invariant"):
        call_command("check_ledger")
    return capsys.readouterr().err


def test_a_generated_ledger_of_200000_entries_holds(ledger, capsys):
    call_command("check_ledger")

    assert "The ledger holds" in capsys.readouterr().out
    assert ENTRIES - 4 <= Entry.objects.count() <= ENTRIES
    kinds = set(LedgerTransaction.objects.values_list("kind", flat=True).distinct())
    assert kinds == set(TransactionKind) - {TransactionKind.REVERSAL}


def test_check_ledger_names_a_transaction_unbalanced_behind_the_trigger(ledger, capsys):
    entry = Entry.objects.order_by("id")[1000]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            "INSERT INTO funds_entry (transaction_id, account_id, amount, posted_at) "
            "VALUES (%s, %s, 1.00, %s)",
            [entry.transaction_id, entry.account_id, entry.posted_at],
        )
        cursor.execute("SET LOCAL session_replication_role = origin")

    errors = _check_ledger_breaks(capsys)

    lines = Entry.objects.filter(transaction_id=entry.transaction_id).count()
    assert f"transaction {entry.transaction_id}: {lines} entries summing to 1.00" in errors
    assert f"account {entry.account_id}: balance" in errors


def test_check_ledger_names_an_account_whose_balance_drifted(ledger, capsys):
    account = Account.objects.filter(balance__gt=0).order_by("id").first()
    Account.objects.filter(pk=account.pk).update(balance=account.balance + 1)

    errors = _check_ledger_breaks(capsys)

    assert (
        f"account {account.pk}: balance {account.balance + 1} but its entries sum to "
        f"{account.balance}" in errors
    )
    assert f"fund {account.fund_id}: its accounts sum to 1.00, not zero" in errors
