"""Demo data of the funds app: money raised in 湖北, allocated down to 武汉 and 江岸, a winter
budget split to 江岸, and visit money paid, approved and waiting for approval; before that,
two years of monthly receipts and of living and medical aid paid in 武汉.

Loaded by ``manage.py seed_demo`` after the visits; deterministic; every yuan
goes through the services, so the demo ledger passes ``check_ledger``.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

import pgtrigger
from django.db import transaction
from django.utils import timezone

from funds.choices import FundKind, PaymentMethod, Purpose, ReceiptSource
from funds.models import Disbursement, Entry, Fund, LedgerTransaction, Receipt
from funds.services import (
    DisbursementInput,
    allocation_confirm_receipt,
    allocation_make,
    budget_set,
    budget_split,
    disbursement_approve,
    disbursement_pay,
    disbursement_propose,
    fund_create,
    receipt_record,
)
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.models import UnionUnit, User
from visits.models import Campaign, VisitListRow

# The months of history before this one, so the dashboard's money by month and its
# comparison with the year before have something to show.
HISTORY_MONTHS = 22
HISTORY_SOURCES = [
    ReceiptSource.ONE_DAY,
    ReceiptSource.GOVERNMENT,
    ReceiptSource.EMPLOYER,
    ReceiptSource.DONATION,
]

RECEIPTS = [
    # days ago, source, amount, donor
    (60, ReceiptSource.GOVERNMENT, "3000000", ""),
    (45, ReceiptSource.ONE_DAY, "1850000", ""),
    (30, ReceiptSource.DONATION, "500000", "湖北省慈善总会"),
    (20, ReceiptSource.EMPLOYER, "260000", ""),
]


def seed_demo_funds() -> dict[str, int]:
    """Raise, allocate, budget and pay this winter's visit money in 武汉's 江岸 branch."""
    today = timezone.localdate()
    users = {u.username: u for u in User.objects.filter(unit__isnull=False)}
    units = {u.code: u for u in UnionUnit.objects.all()}
    province = fund_create(
        unit=units["HB"], name="送温暖资金", kind=FundKind.WARMTH, by=users["hubei.approver"]
    )
    help_fund = fund_create(
        unit=units["HB-WH"], name="困难职工帮扶资金", kind=FundKind.HELP, by=users["wuhan.approver"]
    )
    counts_before = _money_history(help_fund, users=users, units=units, today=today)
    for days_ago, source, amount, donor in RECEIPTS:
        receipt_record(
            fund=province,
            source=source,
            amount=Decimal(amount),
            received_on=today - timedelta(days=days_ago),
            donor=donor,
            reference=f"HB-{today.year}-{days_ago:03d}",
            by=users["hubei.approver"],
        )
    city = fund_create(
        unit=units["HB-WH"], name="送温暖资金", kind=FundKind.WARMTH, by=users["wuhan.approver"]
    )
    fund_create(
        unit=units["HB-WH"],
        name="金秋助学资金",
        kind=FundKind.SCHOOLING,
        by=users["wuhan.approver"],
    )
    to_city = allocation_make(
        from_fund=province, to_fund=city, amount=Decimal("1200000"),
        allocated_on=today - timedelta(days=18), by=users["hubei.approver"],
        notes="两节送温暖资金第一批",
    )  # fmt: skip
    allocation_confirm_receipt(allocation=to_city, by=users["wuhan.caseworker"])
    county = fund_create(
        unit=units["HB-WH-JA"], name="帮扶资金", kind=FundKind.HELP, by=users["jiangan.approver"]
    )
    allocation_make(
        from_fund=city, to_fund=county, amount=Decimal("150000"),
        allocated_on=today - timedelta(days=10), by=users["wuhan.approver"],
    )  # fmt: skip

    winter = Campaign.objects.get(season="winter", organiser=units["HB"], year=today.year)
    city_budget = budget_set(
        campaign=winter, unit=units["HB-WH"], fund=city, amount=Decimal("600000"),
        by=users["wuhan.approver"],
    )  # fmt: skip
    budget_split(
        parent=city_budget, unit=units["HB-WH-JA"], amount=Decimal("200000"),
        by=users["wuhan.approver"],
    )  # fmt: skip
    standards = dict(winter.aid_standards.values_list("category", "amount"))
    rows = (
        VisitListRow.objects.filter(
            campaign=winter,
            visit_list__unit__path__startswith=units["HB-WH-JA"].path,
            visit__isnull=False,
        )
        .select_related("file", "visit")
        .order_by("pk")
    )
    counts = {"proposed": 0, "approved": 0, "paid": 0}
    for n, row in enumerate(rows):
        payment = disbursement_propose(
            proposal=DisbursementInput(
                file=row.file, fund=city, purpose=Purpose.VISIT_MONEY,
                amount=standards.get(row.file.category, Decimal("800")), campaign=winter,
                visit=row.visit,
            ),
            by=users["jiangan.caseworker"],
        )  # fmt: skip
        if n % 4 == 3:
            counts["proposed"] += 1
            continue
        disbursement_approve(disbursement=payment, by=users["jiangan.approver"])
        if n % 4 == 2:
            counts["approved"] += 1
            continue
        disbursement_pay(
            disbursement=payment, by=users["jiangan.caseworker"], method=PaymentMethod.CASH
        )
        counts["paid"] += 1
    counts["paid"] += counts_before
    return counts


def _money_history(fund: Fund, *, users, units, today) -> int:
    """Each past month: a receipt into 武汉's help fund and a few living or medical aid
    payments to its households, made through the services and then dated back to that
    month (the ledger's guards let only this demo step change a posting date)."""
    rng = random.Random(2026)
    caseworker, approver = users["wuhan.caseworker"], users["wuhan.approver"]
    households = list(
        HardshipFile.objects.filter(
            status=FileStatus.ON_FILE, unit__path__startswith=units["HB-WH"].path
        ).order_by("pk")
    )
    paid = 0
    for months_ago in range(HISTORY_MONTHS, 0, -1):
        year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
        day = today.replace(year=year, month=month + 1, day=rng.randint(3, 25))
        when = timezone.make_aware(datetime.combine(day, time(10, rng.randint(0, 59))))
        receipt = receipt_record(
            fund=fund,
            source=HISTORY_SOURCES[months_ago % len(HISTORY_SOURCES)],
            amount=Decimal(rng.randrange(60, 240) * 1000),
            received_on=day,
            donor="武汉市慈善总会" if months_ago % 4 == 3 else "",
            reference=f"WH-{year}-{month + 1:02d}",
            by=approver,
        )
        _date_back([receipt.transaction_id], when)
        Receipt.objects.filter(pk=receipt.pk).update(received_on=day)
        for file in rng.sample(households, k=min(len(households), rng.randint(2, 5))):
            purpose = (
                Purpose.MEDICAL if file.needs_medical and rng.random() < 0.5 else Purpose.LIVING
            )
            payment = disbursement_propose(
                proposal=DisbursementInput(
                    file=file,
                    fund=fund,
                    purpose=purpose,
                    amount=Decimal(rng.choice([500, 800, 1000, 1500])),
                    out_of_pocket=Decimal(20000) if purpose == Purpose.MEDICAL else None,
                    description="日常帮扶",
                ),
                by=caseworker,
            )
            if payment.broken_rules:
                continue  # over a yearly cap: left proposed, as an approver would find it
            disbursement_approve(disbursement=payment, by=approver)
            payment = disbursement_pay(
                disbursement=payment,
                by=caseworker,
                method=PaymentMethod.BANK,
                bank_reference=f"ICBC{payment.pk:010d}",
            )
            _date_back([payment.reservation_id, payment.payment_id], when)
            Disbursement.objects.filter(pk=payment.pk).update(
                proposed_at=when, approved_at=when, paid_at=when
            )
            paid += 1
    return paid


def _date_back(transaction_ids: list[int], when) -> None:
    guards = pgtrigger.ignore(
        "funds.LedgerTransaction:ledger_transaction_is_never_changed",
        "funds.Entry:ledger_entry_is_never_changed",
    )
    with transaction.atomic(), guards:
        LedgerTransaction.objects.filter(pk__in=transaction_ids).update(posted_at=when)
        Entry.objects.filter(transaction_id__in=transaction_ids).update(posted_at=when)
