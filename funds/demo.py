"""Demo data of the funds app: money raised in 湖北, allocated down to 武汉 and 江岸, a winter
budget split to 江岸, and visit money paid, approved and waiting for approval.

Loaded by ``manage.py seed_demo`` after the visits; deterministic; every yuan
goes through the services, so the demo ledger passes ``check_ledger``.
"""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from funds.choices import FundKind, PaymentMethod, Purpose, ReceiptSource
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
from hardship.models import UnionUnit, User
from visits.models import Campaign, VisitListRow

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
    return counts
