"""Forms of the funds pages. They parse input and show errors; the services decide.

Amounts are Decimal yuan with at most two places; whether an amount is too
small or too large is the service's to say (``funds.services.money_check``),
and the view puts its answer beside the field.
"""

import uuid
from datetime import date, timedelta

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.limits import NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from funds.choices import RECORDABLE_SOURCES, FundKind, PaymentMethod, Purpose
from funds.models import Fund
from funds.selectors import allocation_targets, funds_for_payment
from hardship.choices import SchoolStage
from hardship.models import HardshipFile, HouseholdMember
from people.models import User
from visits.forms import CAMPAIGN_DAYS_OFFERED, DateInput, VisitChoiceField, units_offered
from visits.selectors import campaigns_for_file


class AmountField(forms.DecimalField):
    """Yuan with at most two decimal places; the service checks it is positive and sane."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 13)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class FundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Fund) -> str:
        return f"{obj.unit.name} · {obj.name}"


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: HouseholdMember) -> str:
        stage = obj.get_school_stage_display()
        return f"{obj.name}（{stage}）" if stage else obj.name


class PeriodForm(forms.Form):
    """The period of a fund's statement."""

    # The ledger's arithmetic reaches a day beyond each end; years no ledger holds are refused
    # beside the field rather than overflowing Python's dates.
    first_day = forms.DateField(
        label=gettext_lazy("First day"),
        widget=DateInput(),
        validators=[MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2099, 12, 31))],
    )
    last_day = forms.DateField(
        label=gettext_lazy("Last day"),
        widget=DateInput(),
        validators=[MinValueValidator(date(2000, 1, 1)), MaxValueValidator(date(2099, 12, 31))],
    )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The end cannot be before the start."))
        return cleaned


class FundForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Union unit"), queryset=None, empty_label=None)
    name = forms.CharField(label=gettext_lazy("Name of the fund"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of fund"), choices=FundKind.choices)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_offered(user=user)


class ReceiptForm(forms.Form):
    source = forms.ChoiceField(
        label=gettext_lazy("Source"),
        choices=[(choice.value, choice.label) for choice in RECORDABLE_SOURCES],
    )
    donor = forms.CharField(
        label=gettext_lazy("Donor"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Who gave it (for donations)."),
    )
    amount = AmountField(label=gettext_lazy("Amount (yuan)"))
    received_on = forms.DateField(
        label=gettext_lazy("Received on"), widget=DateInput(), initial=timezone.localdate
    )
    reference = forms.CharField(
        label=gettext_lazy("Document number"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("Voucher or bank slip."),
    )
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AllocationForm(forms.Form):
    to_fund = FundChoiceField(label=gettext_lazy("To the fund of a unit below"), queryset=None)
    amount = AmountField(label=gettext_lazy("Amount (yuan)"))
    allocated_on = forms.DateField(
        label=gettext_lazy("Allocated on"), widget=DateInput(), initial=timezone.localdate
    )
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, fund: Fund, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_fund"].queryset = allocation_targets(fund=fund, user=user)


class DisbursementForm(forms.Form):
    """Propose a payment to a household; ``request_key`` makes a double submit one payment."""

    request_key = forms.UUIDField(widget=forms.HiddenInput)
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=Purpose.choices)
    fund = FundChoiceField(label=gettext_lazy("Fund"), queryset=None, empty_label=None)
    amount = AmountField(label=gettext_lazy("Amount (yuan)"))
    campaign = forms.ModelChoiceField(label=gettext_lazy("Campaign"), queryset=None, required=False)
    visit = VisitChoiceField(label=gettext_lazy("Visit"), queryset=None, required=False)
    student = MemberChoiceField(
        label=gettext_lazy("Student"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("For a schooling grant: the member of the household at school."),
    )
    out_of_pocket = AmountField(
        label=gettext_lazy("Out-of-pocket medical cost (yuan)"),
        required=False,
        help_text=gettext_lazy("For medical aid, which may not exceed it."),
    )
    description = forms.CharField(
        label=gettext_lazy("What it is for"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Goods, care card, …"),
    )

    def __init__(self, *args, file: HardshipFile, user: User, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["fund"].queryset = funds_for_payment(file=file, user=user)
        self.fields["campaign"].queryset = campaigns_for_file(file=file).filter(
            ends_on__gte=today - timedelta(days=CAMPAIGN_DAYS_OFFERED)
        )
        self.fields["visit"].queryset = file.visits.order_by("-visited_on", "-id")
        self.fields["student"].queryset = file.members.order_by("birth_date", "id")

    def clean(self):
        cleaned = super().clean()
        purpose = cleaned.get("purpose")
        if purpose == Purpose.SCHOOLING and not cleaned.get("student"):
            self.add_error("student", _("Choose the student for a schooling grant."))
        if purpose == Purpose.MEDICAL and cleaned.get("out_of_pocket") is None:
            self.add_error("out_of_pocket", _("Enter the out-of-pocket cost for medical aid."))
        return cleaned


class ApproveForm(forms.Form):
    override_reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=gettext_lazy("Reason for approving above the caps"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Only when the payment breaks a cap an approver may override."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PayForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("How it was paid"),
        choices=PaymentMethod.choices,
        widget=forms.RadioSelect,
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("For a bank transfer."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") == PaymentMethod.BANK and not cleaned.get("bank_reference"):
            self.add_error("bank_reference", _("Enter the bank's reference for a transfer."))
        return cleaned


class SchoolingStandardForm(forms.Form):
    """A schooling grant: a campaign of the branch and a school stage (when added), an amount."""

    campaign = forms.ModelChoiceField(label=gettext_lazy("Campaign"), queryset=None)
    school_stage = forms.ChoiceField(
        label=gettext_lazy("School stage"),
        choices=[c for c in SchoolStage.choices if c[0] != SchoolStage.NONE],
    )
    amount = AmountField(label=gettext_lazy("Grant (yuan)"))

    def __init__(self, *args, campaigns, standard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        if standard is not None:
            # The campaign and stage are what the grant is; only its amount is corrected.
            del self.fields["campaign"]
            del self.fields["school_stage"]
            self.initial["amount"] = standard.amount
