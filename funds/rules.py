"""The rules a payment to a household must keep, each with a message a person can act on.

``payment_rules_check`` answers with every rule a proposed payment breaks.
Some can never be broken (先建档、后帮扶: only households on file; one visit-money
payment per campaign; a student aided once a year); the caps in ``AidRule`` can
be overridden by an approver, with a reason, where the rule allows it.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from common.crypto import keyed_hashes
from funds.choices import COUNTING_STATUSES, Purpose
from funds.models import AidRule, Disbursement, SchoolingStandard
from hardship.choices import FileStatus
from hardship.models import HardshipFile, HouseholdMember
from hardship.selectors import minimum_living_standard_for

FILE_NOT_ON_RECORD = "file_not_on_record"
ONE_VISIT_MONEY_PER_CAMPAIGN = "one_visit_money_per_campaign"
PER_PAYMENT_CAP = "per_payment_cap"
PER_YEAR_CAP = "per_year_cap"
LIVING_ABOVE_MINIMUM = "living_above_minimum"
MEDICAL_ABOVE_COST = "medical_above_cost"
SCHOOLING_NOT_STANDARD = "schooling_not_standard"
STUDENT_AIDED_THIS_YEAR = "student_aided_this_year"

# Caps an approver may override where the purpose's AidRule allows it.
CAP_RULES = {PER_PAYMENT_CAP, PER_YEAR_CAP, LIVING_ABOVE_MINIMUM}


@dataclass(frozen=True)
class BrokenRule:
    code: str
    message: str
    overridable: bool


@dataclass(frozen=True)
class PaymentProposal:
    """What the rules look at: the household, what it would get, and why."""

    file: HardshipFile
    purpose: str
    amount: Decimal
    aid_year: int
    campaign_id: int | None = None
    student: HouseholdMember | None = None
    out_of_pocket: Decimal | None = None
    # The payment itself, when checking again at approval: it does not count against itself.
    disbursement_id: int | None = None


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def household_of(file: HardshipFile) -> Q:
    """Aid under any file of the household: this one and every earlier (exited, closed) file
    of the same worker, found through the ID number's keyed hashes (either key's while the
    key is rotated). The one definition of "the household" the caps and its aid history use."""
    hashes = {file.id_hash, *(keyed_hashes(file.id_number) if file.id_number else ())}
    return Q(file=file) | Q(file__id_hash__in=sorted(h for h in hashes if h))


def _already_this_year(proposal: PaymentProposal) -> Decimal:
    counted = Disbursement.objects.filter(
        household_of(proposal.file),
        purpose=proposal.purpose,
        aid_year=proposal.aid_year,
        status__in=COUNTING_STATUSES,
    )
    if proposal.disbursement_id:
        counted = counted.exclude(pk=proposal.disbursement_id)
    return counted.aggregate(total=Sum("amount"))["total"] or Decimal(0)


def file_not_on_record(file: HardshipFile) -> BrokenRule | None:
    """The rule a payment to ``file``'s household breaks while it is not on file, if it does
    (先建档、后帮扶; also whether a page offers to propose one, ``may_propose_payment``)."""
    if file.status == FileStatus.ON_FILE:
        return None
    return BrokenRule(
        FILE_NOT_ON_RECORD,
        _("Only households on file receive aid; this file is “%(status)s”.")
        % {"status": file.get_status_display()},
        overridable=False,
    )


def payment_rules_check(proposal: PaymentProposal) -> list[BrokenRule]:
    """Every rule ``proposal`` breaks, with its message (empty when it keeps them all)."""
    file = proposal.file
    broken: list[BrokenRule] = [rule for rule in [file_not_on_record(file)] if rule]
    if proposal.purpose == Purpose.VISIT_MONEY and proposal.campaign_id:
        others = Disbursement.objects.filter(
            household_of(file),
            campaign_id=proposal.campaign_id,
            purpose=Purpose.VISIT_MONEY,
            status__in=COUNTING_STATUSES,
        ).exclude(pk=proposal.disbursement_id)
        if others.exists():
            broken.append(
                BrokenRule(
                    ONE_VISIT_MONEY_PER_CAMPAIGN,
                    _("This household has visit money in this campaign already."),
                    overridable=False,
                )
            )
    rule = AidRule.objects.filter(purpose=proposal.purpose).first()
    overridable = bool(rule and rule.override_allowed)
    if rule and rule.per_payment_cap is not None and proposal.amount > rule.per_payment_cap:
        broken.append(
            BrokenRule(
                PER_PAYMENT_CAP,
                _("At most %(cap)s yuan may be paid at a time for %(purpose)s.")
                % {"cap": _money(rule.per_payment_cap), "purpose": rule.get_purpose_display()},
                overridable,
            )
        )
    if rule and rule.per_year_cap is not None:
        before = _already_this_year(proposal)
        if before + proposal.amount > rule.per_year_cap:
            broken.append(
                BrokenRule(
                    PER_YEAR_CAP,
                    _(
                        "A household may receive at most %(cap)s yuan of %(purpose)s a year; "
                        "it has %(before)s yuan in %(year)s already."
                    )
                    % {
                        "cap": _money(rule.per_year_cap),
                        "purpose": rule.get_purpose_display(),
                        "before": _money(before),
                        "year": proposal.aid_year,
                    },
                    overridable,
                )
            )
    if proposal.purpose == Purpose.LIVING:
        broken += _living_aid_rules(proposal, overridable)
    if proposal.purpose == Purpose.MEDICAL:
        cost = proposal.out_of_pocket
        if cost is None or proposal.amount > cost:
            broken.append(
                BrokenRule(
                    MEDICAL_ABOVE_COST,
                    _("Medical aid may not exceed the out-of-pocket cost entered.")
                    if cost is not None
                    else _("Enter the out-of-pocket medical cost: medical aid may not exceed it."),
                    overridable=False,
                )
            )
    if proposal.purpose == Purpose.SCHOOLING:
        broken += _schooling_rules(proposal)
    return broken


def living_aid_limit(file: HardshipFile, year: int) -> Decimal | None:
    """The local minimum living standard for the whole household over a year, or None if unknown.

    低保 is set per person a month: the household's year is that times its
    size times twelve.
    """
    standard = minimum_living_standard_for(division_code=file.division_code, year=year)
    if standard is None:
        return None
    monthly = standard.rural_monthly if file.hukou_type == "rural" else standard.urban_monthly
    return monthly * file.household_size * 12


def _living_aid_rules(proposal: PaymentProposal, overridable: bool) -> list[BrokenRule]:
    limit = living_aid_limit(proposal.file, proposal.aid_year)
    if limit is None:
        return [
            BrokenRule(
                LIVING_ABOVE_MINIMUM,
                _(
                    "No minimum living standard is known for this household's division in "
                    "%(year)s: an administrator must enter it before living aid is paid."
                )
                % {"year": proposal.aid_year},
                overridable=False,
            )
        ]
    before = _already_this_year(proposal)
    if before + proposal.amount <= limit:
        return []
    return [
        BrokenRule(
            LIVING_ABOVE_MINIMUM,
            _(
                "Living aid may reach at most the local minimum living standard for the "
                "household, %(limit)s yuan in %(year)s; it has %(before)s yuan already."
            )
            % {"limit": _money(limit), "year": proposal.aid_year, "before": _money(before)},
            overridable,
        )
    ]


def _schooling_rules(proposal: PaymentProposal) -> list[BrokenRule]:
    student = proposal.student
    if student is None or student.file_id != proposal.file.pk:
        return [
            BrokenRule(
                SCHOOLING_NOT_STANDARD,
                _("Choose the student, a member of this household, for a schooling grant."),
                overridable=False,
            )
        ]
    broken = []
    standard = None
    if proposal.campaign_id:
        standard = SchoolingStandard.objects.filter(
            campaign_id=proposal.campaign_id, school_stage=student.school_stage
        ).first()
    if standard is None:
        broken.append(
            BrokenRule(
                SCHOOLING_NOT_STANDARD,
                _("The campaign sets no schooling grant for “%(stage)s”.")
                % {"stage": student.get_school_stage_display()},
                overridable=False,
            )
        )
    elif proposal.amount != standard.amount:
        broken.append(
            BrokenRule(
                SCHOOLING_NOT_STANDARD,
                _("The campaign's grant for “%(stage)s” is %(amount)s yuan.")
                % {"stage": student.get_school_stage_display(), "amount": _money(standard.amount)},
                overridable=False,
            )
        )
    same_student = Disbursement.objects.filter(
        purpose=Purpose.SCHOOLING, aid_year=proposal.aid_year, status__in=COUNTING_STATUSES
    ).exclude(pk=proposal.disbursement_id)
    # Either key's hash while ID_HASH_KEY is being rotated (common/rotation.py).
    hashes = {student.id_hash, *(keyed_hashes(student.id_number) if student.id_number else ())}
    hashes.discard("")
    if hashes:
        same_student = same_student.filter(student_id_hash__in=sorted(hashes))
    else:
        same_student = same_student.filter(student=student)
    if same_student.exists():
        broken.append(
            BrokenRule(
                STUDENT_AIDED_THIS_YEAR,
                _(
                    "This student has a schooling grant in %(year)s already (on this or another file)."
                )
                % {"year": proposal.aid_year},
                overridable=False,
            )
        )
    return broken


def rules_blocking(broken: list[BrokenRule], *, override: bool) -> list[BrokenRule]:
    """The broken rules that stop a payment: all of them, or without an override the caps too."""
    return [rule for rule in broken if not (override and rule.overridable)]
