"""The fixed lists of the funds app: kinds of fund, sources of money, purposes of aid."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundKind(models.TextChoices):
    WARMTH = "warmth", _("Sending-warmth fund")
    HELP = "help", _("Hardship help fund")
    SCHOOLING = "schooling", _("Autumn schooling fund")
    OTHER = "other", _("Other fund")


class ReceiptSource(models.TextChoices):
    HIGHER_UNION = "higher", _("Allocation from the higher union")
    GOVERNMENT = "government", _("Government funding")
    DONATION = "donation", _("Social donation")
    ONE_DAY = "one_day", _("Workers' one-day donation")
    OWN = "own", _("The unit's own funds")
    EMPLOYER = "employer", _("Employer contribution")


# What people may record as a receipt: money from above arrives as an allocation.
RECORDABLE_SOURCES = [choice for choice in ReceiptSource if choice != ReceiptSource.HIGHER_UNION]


class Purpose(models.TextChoices):
    VISIT_MONEY = "visit_money", _("Visit money")
    GOODS = "goods", _("Goods (at their value)")
    LIVING = "living", _("Living aid")
    MEDICAL = "medical", _("Medical aid")
    SCHOOLING = "schooling", _("Schooling grant")
    SPECIAL = "special", _("Special relief")


class AccountKind(models.TextChoices):
    # Money the fund holds, free to be approved for payment.
    AVAILABLE = "available", _("Available")
    # Money the fund holds for approved payments not yet paid.
    RESERVED = "reserved", _("Reserved for approved payments")
    # Where money came from, by source (a credit balance).
    INCOME = "income", _("Received")
    # Where money went: paid to households, by purpose.
    PAID_OUT = "paid_out", _("Paid out")
    # Money allocated down to child units' funds.
    ALLOCATED_DOWN = "allocated", _("Allocated down")


# Accounts holding the fund's money: their balances can never go below zero.
ASSET_ACCOUNTS = (AccountKind.AVAILABLE, AccountKind.RESERVED)


class TransactionKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    ALLOCATION = "allocation", _("Allocation down")
    RESERVATION = "reservation", _("Reservation on approval")
    RELEASE = "release", _("Release of a reservation")
    PAYMENT = "payment", _("Payment")
    REVERSAL = "reversal", _("Reversal")


class DisbursementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# A household's aid counts against its caps in these states.
COUNTING_STATUSES = (
    DisbursementStatus.PROPOSED,
    DisbursementStatus.APPROVED,
    DisbursementStatus.PAID,
)


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash against the roster signature")
    BANK = "bank", _("Bank transfer")


class BatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class BankLineStatus(models.TextChoices):
    # Re-issued to a corrected account: waits for the next payment file.
    QUEUED = "queued", _("Waiting for the next payment file")
    SENT = "sent", _("Sent to the bank")
    PAID = "paid", _("Paid by the bank")
    FAILED = "failed", _("Failed at the bank")
    REISSUED = "reissued", _("Re-issued to another account")
    CASH = "cash", _("Switched to cash")


# A payment with a line in one of these is the bank's: not on the cash roster, not paid by hand.
BANK_HOLDS = (BankLineStatus.QUEUED, BankLineStatus.SENT, BankLineStatus.FAILED)
# At most one line of a payment is in one of these at a time.
BANK_OPEN = (*BANK_HOLDS, BankLineStatus.PAID)
