"""Posting to the double-entry ledger: the one way money moves.

``ledger_post`` writes a transaction and its entries in one INSERT statement;
the database's entry trigger checks that it balances and moves the accounts'
balances (see funds/models.py), and the CHECK constraints on accounts and
budgets are the last word: an overdraft raises ``NotEnoughMoney``, whatever
ran at the same time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from funds.choices import AccountKind, TransactionKind
from funds.models import Account, Entry, Fund, LedgerTransaction
from people.models import User

CENT = Decimal("0.01")


class NotEnoughMoney(RuleBroken):
    """A movement would take a fund's available (or reserved) money below zero."""


class LedgerUnbalanced(ValueError):
    """A programming error: the lines of a transaction do not sum to zero."""


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal


def account_for(fund: Fund, kind: str, *, source: str = "", purpose: str = "") -> Account:
    """The fund's account of ``kind`` (and source or purpose), made on first use."""
    account, _created = Account.objects.get_or_create(
        fund=fund, kind=kind, source=source, purpose=purpose
    )
    return account


def fund_accounts_open(fund: Fund) -> None:
    """Open the accounts every fund has; the ones by source or purpose open on first use."""
    for kind in (AccountKind.AVAILABLE, AccountKind.RESERVED, AccountKind.ALLOCATED_DOWN):
        account_for(fund, kind)


def ledger_post(
    *,
    kind: str,
    fund: Fund,
    by: User,
    lines: Iterable[Line],
    memo: str = "",
    reverses: LedgerTransaction | None = None,
    posted_at: datetime | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction of ``lines``.

    Raises NotEnoughMoney when it would overdraw a fund. Side effects: a
    LedgerTransaction, one Entry per line, the accounts' balances moved.
    """
    lines = [line for line in lines if line.amount]
    for line in lines:
        if line.amount != line.amount.quantize(CENT):
            raise LedgerUnbalanced(f"{line.amount} is not in whole fen")
    if len(lines) < 2 or sum(line.amount for line in lines) != 0:
        raise LedgerUnbalanced(f"lines do not balance: {[line.amount for line in lines]}")
    posted_at = posted_at or timezone.now()
    try:
        with transaction.atomic():
            posted = LedgerTransaction.objects.create(
                kind=kind, fund=fund, by=by, memo=memo[:200], reverses=reverses, posted_at=posted_at
            )
            Entry.objects.bulk_create(
                Entry(
                    transaction=posted,
                    account=line.account,
                    amount=line.amount,
                    posted_at=posted_at,
                )
                for line in lines
            )
    except IntegrityError as error:
        if "fund_money_never_negative" in str(error):
            raise NotEnoughMoney(_("There is not enough money in the fund for this.")) from None
        raise
    return posted


def ledger_reverse(*, original: LedgerTransaction, by: User, memo: str) -> LedgerTransaction:
    """Post the opposite of ``original``'s entries, naming it.

    A reversal is never itself reversed, and a transaction is reversed once
    (the database's unique key on ``reverses`` settles a race).
    """
    if original.kind == TransactionKind.REVERSAL:
        raise RuleBroken(_("A reversal cannot itself be reversed; record the movement again."))
    if LedgerTransaction.objects.filter(reverses=original).exists():
        raise RuleBroken(_("This movement has been reversed already."))
    lines = [
        Line(entry.account, -entry.amount)
        for entry in original.entries.select_related("account").order_by("id")
    ]
    try:
        with transaction.atomic():
            return ledger_post(
                kind=TransactionKind.REVERSAL,
                fund=original.fund,
                by=by,
                lines=lines,
                memo=memo,
                reverses=original,
            )
    except IntegrityError as error:
        if "reverses" in str(error):
            raise RuleBroken(_("This movement has been reversed already.")) from None
        raise
