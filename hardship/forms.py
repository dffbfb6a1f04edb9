"""Forms of the hardship app. They parse and show errors; the services decide."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.forms import BoundedFormSet
from common.limits import FINDINGS_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from hardship.choices import Category, CloseReason, ExitReason
from hardship.identity import mask_account, mask_id_number, parse_id_number
from hardship.income import IncomeInput
from hardship.models import HardshipCause, HardshipFile, HouseholdMember, IncomeRecord
from hardship.services import FILE_INPUT_FIELDS, MemberInput
from people.models import User

MONEY_FIELDS = ("annual_income", "medical_costs", "schooling_costs", "disaster_costs")


class KeepsStoredValue:
    """A field showing a stored number masked (the edit page records no view of it).

    Sent back exactly as shown, the mask keeps the stored number; anything else
    is a new value, and a value still holding the mask's stars is refused.
    """

    mask = staticmethod(str)
    stored = ""

    def keep(self, stored: str) -> None:
        self.stored = stored or ""
        self.initial = self.mask(self.stored)

    def clean(self, value):
        if self.stored and isinstance(value, str) and value.strip() == self.mask(self.stored):
            return self.stored
        if isinstance(value, str) and "*" in value:
            raise ValidationError(
                _("Type the whole number, or leave the masked one as it is to keep it."),
                code="masked",
            )
        return super().clean(value)


class IdNumberField(KeepsStoredValue, forms.CharField):
    """A national ID number, checked (GB 11643) and normalised to upper case."""

    mask = staticmethod(mask_id_number)

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("label", _("National ID number"))
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "off", "inputmode": "text", "spellcheck": "false"}
        )

    def clean(self, value):
        value = super().clean(value)
        if not value or value == self.stored:
            return value
        return parse_id_number(value).number


class BankAccountField(KeepsStoredValue, forms.CharField):
    """The account aid is paid into, shown as ``**** 1234`` until someone reveals it."""

    mask = staticmethod(mask_account)


class MoneyField(forms.DecimalField):
    """Yuan with at most two decimal places, never negative, never absurd."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_value", Decimal("9999999.99"))
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class FileSearchForm(forms.Form):
    """The first step of "new file": look for the household before creating anything."""

    name = forms.CharField(label=_("Worker's name"), max_length=50)
    id_number = IdNumberField(required=False, help_text=_("Leave empty if you do not have it yet."))


class IdSearchForm(forms.Form):
    """Find a household by a full ID number; posted, never put in a link."""

    id_number = IdNumberField(label=_("Find by ID number"))


class HardshipFileForm(forms.ModelForm):
    id_number = IdNumberField()
    secondary_causes = forms.ModelMultipleChoiceField(
        label=_("Other causes (at most three)"),
        queryset=HardshipCause.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("As proposed by the calculator")), *Category.choices],
        required=False,
    )
    category_override_reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Reason for differing from the proposal"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm_near_match = forms.BooleanField(
        label=_("I have checked the similar files above: this is a different household."),
        required=False,
    )

    class Meta:
        model = HardshipFile
        fields = [name for name in FILE_INPUT_FIELDS if name not in MONEY_FIELDS]
        widgets = {
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "bank_account": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        field_classes = {"bank_account": BankAccountField}

    annual_income = MoneyField(label=_("Household income this year (yuan)"))
    medical_costs = MoneyField(label=_("Medical costs this year (yuan)"), initial=0, required=False)
    schooling_costs = MoneyField(
        label=_("Schooling costs this year (yuan)"), initial=0, required=False
    )
    disaster_costs = MoneyField(
        label=_("Disaster costs this year (yuan)"), initial=0, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["main_cause"].queryset = HardshipCause.objects.filter(is_active=True)
        self.fields["household_size"].widget.attrs.update({"min": 1, "max": 30})
        self.fields["household_size"].min_value = 1
        if self.instance.pk:
            # Masked: the full numbers are shown only through the recorded reveal.
            self.fields["id_number"].keep(self.instance.id_number)
            self.fields["bank_account"].keep(self.instance.bank_account)
            self.initial["bank_account"] = self.fields["bank_account"].initial
            # Declared outside Meta.fields, so the instance does not fill them by itself.
            for name in MONEY_FIELDS:
                self.initial.setdefault(name, getattr(self.instance, name))
            self.fields["secondary_causes"].initial = list(self.instance.secondary_causes.all())
            self.fields["category"].initial = self.instance.category
            self.fields["category_override_reason"].initial = self.instance.category_override_reason

    def clean_household_size(self):
        size = self.cleaned_data["household_size"]
        if size is None or size < 1:
            raise ValidationError(_("A household has at least one person: the worker."))
        if size > 30:
            raise ValidationError(
                _("More than 30 people in one household is not plausible: check the figure.")
            )
        return size

    def clean_secondary_causes(self):
        causes = list(self.cleaned_data["secondary_causes"])
        if len(causes) > 3:
            raise ValidationError(_("Choose at most three other causes."))
        return causes

    def clean(self):
        cleaned = super().clean()
        main = cleaned.get("main_cause")
        if main and main in cleaned.get("secondary_causes", []):
            self.add_error("secondary_causes", _("The main cause cannot also be another cause."))
        return cleaned

    def service_values(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in FILE_INPUT_FIELDS if name in self.cleaned_data
        }


class MemberForm(forms.ModelForm):
    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    id_number = IdNumberField(required=False)
    monthly_income = MoneyField(label=_("Monthly income (yuan)"), initial=0, required=False)

    class Meta:
        model = HouseholdMember
        fields = [
            "relation", "name", "birth_date", "health", "school_stage", "school_name", "school_year",
            "employment", "medical_insurance",
        ]  # fmt: skip
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, stored_id_numbers: dict[int, str] | None = None, **kwargs):
        """``stored_id_numbers``: the file's members' numbers by member id, so that a row
        sent back with its number still masked keeps it; only the file's own members count,
        whatever id a row claims."""
        super().__init__(*args, **kwargs)
        stored_id_numbers = stored_id_numbers or {}
        raw_pk = self.data.get(self.add_prefix("pk")) if self.is_bound else self.initial.get("pk")
        try:
            pk = int(raw_pk)
        except (TypeError, ValueError):
            pk = None
        self.fields["id_number"].keep(stored_id_numbers.get(pk, ""))

    def clean(self):
        cleaned = super().clean()
        number, birth = cleaned.get("id_number"), cleaned.get("birth_date")
        if number and birth and parse_id_number(number).birth_date != birth:
            self.add_error("birth_date", _("The birth date differs from the one in the ID number."))
        if birth and birth > timezone.localdate():
            self.add_error("birth_date", _("The birth date cannot be in the future."))
        return cleaned

    def member_input(self) -> MemberInput:
        data = self.cleaned_data
        return MemberInput(
            pk=data.get("pk"),
            relation=data["relation"],
            name=data["name"],
            birth_date=data["birth_date"],
            employment=data["employment"],
            id_number=data.get("id_number") or "",
            health=data["health"],
            school_stage=data["school_stage"],
            school_name=data.get("school_name") or "",
            school_year=data.get("school_year"),
            monthly_income=data.get("monthly_income") or Decimal(0),
            medical_insurance=data["medical_insurance"],
        )


MemberFormSet = forms.formset_factory(
    MemberForm,
    formset=BoundedFormSet,
    extra=0,
    can_delete=True,
    max_num=20,
    absolute_max=20,
    validate_max=True,
)


class NotesForm(forms.Form):
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MonthField(forms.DateField):
    """A month, typed as 2026-05 (a browser shows a month picker); the first day of it."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]
    default_error_messages = {"invalid": _("Enter a month as year-month, e.g. 2026-05.")}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def _income_fields(*, required: bool) -> dict[str, forms.Field]:
    return {
        "period_start": MonthField(
            label=_("Month (the first, for a quarter)"),
            required=required,
        ),
        "kind": forms.ChoiceField(
            label=_("Month or quarter"),
            choices=IncomeRecord.Kind.choices,
            initial=IncomeRecord.Kind.MONTH,
            required=required,
        ),
        "household_income": forms.DecimalField(
            label=_("Household income a month (yuan)"),
            max_digits=12,
            decimal_places=2,
            min_value=0,
            required=required,
            help_text=_("For a quarter, the monthly average."),
        ),
        "people": forms.IntegerField(
            label=_("People in the household"), min_value=1, max_value=30, required=required
        ),
    }


class IncomeRecordForm(forms.Form):
    """The household's income of one month or quarter (hardship.income.income_record_create)."""

    def __init__(self, *args, file: HardshipFile | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_income_fields(required=True))
        self.fields["source"] = forms.ChoiceField(
            label=_("Where the income was found"),
            choices=IncomeRecord.Source.choices,
            initial=IncomeRecord.Source.VISIT,
        )
        if file is not None:
            self.fields["people"].initial = file.household_size

    def income_input(self) -> IncomeInput:
        return IncomeInput(**self.cleaned_data)


class ReviewForm(forms.Form):
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("What the review found"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The household's income, when the review found it: optional, but all or nothing.
        self.fields.update(_income_fields(required=False))
        self.fields["period_start"].help_text = _(
            "Optional: the household's income found at the review, kept for the exit rule."
        )

    def clean(self):
        data = super().clean()
        given = [
            name
            for name in ("period_start", "household_income", "people")
            if data.get(name) is not None
        ]
        if given and len(given) < 3:
            for name in ("period_start", "household_income", "people"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("Give the month, the income and the people together."))
        # What the review service takes: the income found, or None.
        data["income"] = (
            IncomeInput(
                period_start=data["period_start"],
                kind=data.get("kind") or IncomeRecord.Kind.MONTH,
                household_income=data["household_income"],
                people=data["people"],
                source=IncomeRecord.Source.REVIEW,
            )
            if len(given) == 3
            else None
        )
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Why the household needs help again"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("Reopen this file: it goes back to the first review, with its history."),
        required=True,
        error_messages={"required": _("Tick to confirm the reopening.")},
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Reason for refusing"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ExitForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why the household is out of hardship"), choices=ExitReason.choices
    )
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the file is closed"), choices=CloseReason.choices)
    notes = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VerificationForm(forms.Form):
    visited_on = forms.DateField(
        label=_("Visited on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    verifiers = forms.ModelMultipleChoiceField(
        label=_("Who went"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    findings = forms.CharField(
        max_length=FINDINGS_MAX_LENGTH,
        label=_("What the visit found"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirms_application = forms.BooleanField(
        label=_("The visit confirms the application"), required=False, initial=True
    )

    def __init__(self, *args, colleagues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["verifiers"].queryset = colleagues


class TransferForm(forms.Form):
    to_unit_code = forms.CharField(label=_("Code of the receiving unit"), max_length=32)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Reason for the transfer"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_to_unit_code(self):
        from people.models import UnionUnit

        code = self.cleaned_data["to_unit_code"].strip()
        unit = UnionUnit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationError(_("No union unit has the code %(code)s.") % {"code": code})
        return unit


class TransferDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Accept the file")), ("no", _("Refuse"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ChangeDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("yes", _("Accept the change")), ("no", _("Refuse"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Reason (needed to refuse)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class FullIdExportForm(forms.Form):
    """Why a list is exported with full ID numbers; the list's filters ride along."""

    reason = forms.CharField(
        label=_("Why do you need the full ID numbers?"),
        max_length=300,
        help_text=_("Recorded with your name, the time and the number of files exported."),
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class HouseholdRecordForm(forms.Form):
    """The household's request for its own record, which the print is recorded with."""

    reason = forms.CharField(
        label=_("The household's request"),
        max_length=300,
        help_text=_(
            "Who asked and how, for example “the applicant's written request of 2026-12-05”. "
            "Recorded with your name and the time; the record holds full ID numbers."
        ),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say who asked for the record and how."))
        return reason


# ====================================================================== public notice, check


class NoticeStartForm(forms.Form):
    """Households (files or grants, chosen from ``choices``) to put on a public notice."""

    starts_on = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    working_days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=60)
    where_to_object = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Where to object"),
        help_text=_("Who receives objections, where and how: an office, a phone, a box."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, choices, field_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"] = forms.ModelMultipleChoiceField(
            label=field_label, queryset=choices, widget=forms.CheckboxSelectMultiple
        )
        self.order_fields(["files", "starts_on", "working_days", "where_to_object"])


class ObjectionForm(forms.Form):
    entry = forms.TypedChoiceField(label=_("Household"), coerce=int)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    channel = forms.ChoiceField(label=_("Received by"), choices=())
    content = forms.CharField(
        max_length=FINDINGS_MAX_LENGTH,
        label=_("What the objection says"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, entries, **kwargs):
        from hardship.models import Objection

        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [(e.pk, f"{e.masked_name} · {e.unit_name}") for e in entries]
        self.fields["channel"].choices = Objection.Channel.choices


class ObjectionDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=(), widget=forms.RadioSelect)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        from hardship.models import Objection

        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = Objection.Decision.choices


class CheckRequestForm(forms.Form):
    """Files to ask the civil-affairs check centre about, and why full ID numbers leave."""

    reason = forms.CharField(
        max_length=300,
        label=_("Reason for exporting full ID numbers"),
        initial=_("Civil-affairs check of the households' finances"),
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"] = forms.ModelMultipleChoiceField(
            label=_("Files"), queryset=choices, widget=forms.CheckboxSelectMultiple
        )
        self.order_fields(["files", "reason"])


class CheckResultForm(forms.Form):
    upload = forms.FileField(
        label=_("The check centre's result file (.xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class CheckDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=(), widget=forms.RadioSelect)
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH, label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        from hardship.models import FinanceCheck

        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = FinanceCheck.Decision.choices


class LivingStandardForm(forms.Form):
    """A 低保 standard: a division of the user's branch and a year (when added), and amounts."""

    division_code = forms.ChoiceField(label=_("Administrative division"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    urban_monthly = MoneyField(label=_("Urban standard (yuan a person a month)"))
    rural_monthly = MoneyField(label=_("Rural standard (yuan a person a month)"))

    def __init__(self, *args, codes: dict[str, str], standard=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division_code"].choices = [
            (code, f"{code} · {name}") for code, name in codes.items()
        ]
        if standard is not None:
            # The division and year are what the standard is; only its amounts are corrected.
            del self.fields["division_code"]
            del self.fields["year"]
            self.initial.update(
                urban_monthly=standard.urban_monthly, rural_monthly=standard.rural_monthly
            )
