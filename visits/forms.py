"""Forms of the visits app. They parse input and show errors; the services decide.

Choices are narrowed to what the person may pick: the people and cadres of the
units on the household's path within the user's branch (the file's unit and
the units above it), never a whole province's list on a phone.
"""

from datetime import timedelta

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from common.forms import BoundedFormSet
from common.limits import FINDINGS_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from documents.uploads import upload_max_bytes
from hardship.forms import MoneyField
from hardship.models import HardshipFile
from people.access import scope_to_user, units_visible_to
from people.models import UnionUnit, User
from visits.choices import HelpKind, PairingRole, VisitKind
from visits.models import Cadre, Visit
from visits.selectors import cadres_for_user, campaigns_for_file
from visits.services import (
    MAX_FOLLOW_UPS_PER_VISIT,
    MAX_PEOPLE,
    MAX_PHOTOS_PER_VISIT,
    FollowUpInput,
)

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"
# The units a unit field offers below the user's own: a province has too many for one list.
UNIT_LEVELS_OFFERED = 2
# Campaigns ended longer ago than this are not offered for a new visit.
CAMPAIGN_DAYS_OFFERED = 366


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def units_on_path(*, file: HardshipFile, user: User) -> QuerySet[UnionUnit]:
    """The file's unit and the units above it, as far up as ``user``'s branch reaches."""
    return units_visible_to(user).filter(pk__in=[*file.unit.ancestor_ids, file.unit_id])


def units_offered(*, user: User) -> QuerySet[UnionUnit]:
    """The user's unit and the units up to two levels below it."""
    units = units_visible_to(user)
    if user.unit is not None:
        units = units.filter(level__lte=user.unit.level + UNIT_LEVELS_OFFERED)
    return units.order_by("path")


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()}（{obj.unit.name}）" if obj.unit_id else obj.get_full_name()


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()}（{obj.unit.name}）" if obj.unit_id else obj.get_full_name()


class VisitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Visit) -> str:
        return f"{obj.visited_on:%Y-%m-%d} · {obj.get_kind_display()}"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``, cleaned into a list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("Date of the visit"), widget=DateInput())
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of visit"), choices=VisitKind.choices, widget=forms.RadioSelect
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("No campaign"),
        help_text=gettext_lazy("Only campaigns organised above this household's unit."),
    )
    visitors = PersonChoiceField(
        label=gettext_lazy("Union staff who went"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    cadres = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Cadres who went"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    people_reached = forms.IntegerField(
        label=gettext_lazy("People reached"),
        min_value=1,
        max_value=MAX_PEOPLE,
        initial=1,
        help_text=gettext_lazy("Household members met or helped: counted as person-times."),
    )
    findings = forms.CharField(
        max_length=FINDINGS_MAX_LENGTH,
        label=gettext_lazy("What was found"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    pressing_problems = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Most pressing problems"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    solved_on_spot = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Solved on the spot"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    goods = forms.CharField(label=gettext_lazy("Goods handed over"), max_length=200, required=False)
    goods_value = MoneyField(label=gettext_lazy("Value of the goods (yuan)"), required=False)
    cash_amount = MoneyField(label=gettext_lazy("Money handed over (yuan)"), required=False)
    photos = MultipleFileField(
        label=gettext_lazy("Choose photos"),
        help_text=gettext_lazy("JPEG, PNG or WebP, at most %(count)s photos of %(limit)s MB each."),
    )

    def __init__(
        self,
        *args,
        file: HardshipFile,
        user: User,
        kinds: tuple[str, ...] = tuple(VisitKind.values),
        refusal: forms.ValidationError | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in VisitKind.choices if c[0] in kinds]
        self.refusal = refusal
        today = timezone.localdate()
        path_units = units_on_path(file=file, user=user)
        self.fields["visited_on"].widget.attrs["max"] = today.isoformat()
        self.fields["campaign"].queryset = campaigns_for_file(file=file).filter(
            ends_on__gte=today - timedelta(days=CAMPAIGN_DAYS_OFFERED)
        )
        self.fields["visitors"].queryset = (
            User.objects.filter(unit__in=path_units, is_active=True)
            .select_related("unit")
            .order_by("unit__path", "full_name", "username")
        )
        self.fields["cadres"].queryset = cadres_for_user(user=user).filter(unit__in=path_units)
        photos = self.fields["photos"]
        photos.help_text = photos.help_text % {
            "count": MAX_PHOTOS_PER_VISIT,
            "limit": f"{upload_max_bytes() / 2**20:g}",
        }

    def clean_photos(self):
        if self.refusal is not None:
            raise self.refusal
        return self.cleaned_data.get("photos") or []


class FollowUpForm(forms.Form):
    """One problem to follow up. A row left as it was offered is ignored."""

    problem = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=gettext_lazy("Problem to follow up"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    owner = OwnerChoiceField(label=gettext_lazy("Owner"), queryset=None)
    due_on = forms.DateField(label=gettext_lazy("Due"), widget=DateInput())
    needs_return_visit = forms.BooleanField(
        label=gettext_lazy("Needs a return visit"), required=False, initial=True
    )

    def __init__(self, *args, owners: QuerySet[User], owner: User | None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        # Only an owner among the choices: another would make an untouched row look changed.
        self.fields["owner"].initial = owner.pk if owner is not None else None
        self.fields["due_on"].initial = timezone.localdate() + timedelta(days=14)

    def follow_up_input(self) -> FollowUpInput:
        data = self.cleaned_data
        return FollowUpInput(
            problem=data["problem"],
            owner=data["owner"],
            due_on=data["due_on"],
            needs_return_visit=data["needs_return_visit"],
        )


# One empty row is offered; "add a follow-up" offers more, up to the maximum.
FollowUpFormSet = forms.formset_factory(
    FollowUpForm,
    formset=BoundedFormSet,
    extra=1,
    max_num=MAX_FOLLOW_UPS_PER_VISIT,
    absolute_max=MAX_FOLLOW_UPS_PER_VISIT,
    validate_max=True,
)


def follow_up_owners(*, file: HardshipFile, user: User) -> QuerySet[User]:
    """Caseworkers who may own a follow-up on ``file``: those of the units on its path."""
    return (
        User.objects.filter(
            unit__in=units_on_path(file=file, user=user), is_active=True, is_caseworker=True
        )
        .select_related("unit")
        .order_by("unit__path", "full_name", "username")
    )


class FollowUpCloseForm(forms.Form):
    resolution = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Resolution"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    return_visit = VisitChoiceField(
        label=gettext_lazy("Return visit"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("None"),
    )

    def __init__(self, *args, follow_up, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["return_visit"].queryset = (
            Visit.objects.filter(file_id=follow_up.file_id, visited_on__gte=follow_up.raised_on)
            .exclude(pk=follow_up.visit_id or 0)
            .order_by("-visited_on", "-id")
        )
        if follow_up.needs_return_visit:
            self.fields["return_visit"].required = True
            self.fields["return_visit"].help_text = _(
                "This follow-up needs a return visit. Not in the list? Log it first (a phone call will do)."
            )


class FollowUpCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=gettext_lazy("Reason for cancelling"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PairingForm(forms.Form):
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=PairingRole.choices, widget=forms.RadioSelect
    )
    cadre = forms.ModelChoiceField(label=gettext_lazy("Cadre"), queryset=None)
    starts_on = forms.DateField(label=gettext_lazy("Paired from"), widget=DateInput())

    def __init__(self, *args, file: HardshipFile, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres_for_user(user=user).filter(
            unit__in=units_on_path(file=file, user=user)
        )
        self.fields["starts_on"].initial = timezone.localdate()
        self.fields["starts_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class EndForm(forms.Form):
    ends_on = forms.DateField(
        label=gettext_lazy("Last day"),
        widget=DateInput(),
        initial=timezone.localdate,
    )


class CadreForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Union unit"), queryset=None, empty_label=None)
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    position = forms.CharField(label=gettext_lazy("Post"), max_length=60, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=24,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    is_leading_cadre = forms.BooleanField(label=gettext_lazy("Leading cadre"), required=False)
    username = forms.CharField(
        label=gettext_lazy("User account"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("The user name, if the cadre signs in to Warmth."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["unit"].queryset = units_offered(user=user)
        self.fields["unit"].initial = user.unit_id

    def clean_username(self) -> User | None:
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        account = (
            scope_to_user(User.objects.all(), user=self.user, unit_path="unit__path")
            .filter(username=username)
            .select_related("unit")
            .first()
        )
        if account is None:
            raise forms.ValidationError(
                _("No user named %(name)s in your unit's branch.") % {"name": username}
            )
        if Cadre.objects.filter(user=account).exists():
            raise forms.ValidationError(_("This user account is already linked to a cadre."))
        return account


class EnterprisePairingForm(forms.Form):
    enterprise_name = forms.CharField(label=gettext_lazy("Enterprise"), max_length=100)
    credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code"), max_length=18, required=False
    )
    unit = forms.ModelChoiceField(label=gettext_lazy("Union unit"), queryset=None, empty_label=None)
    starts_on = forms.DateField(label=gettext_lazy("Paired from"), widget=DateInput())

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_offered(user=user)
        self.fields["unit"].initial = user.unit_id
        self.fields["starts_on"].initial = timezone.localdate()


class HelpServiceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of help"), choices=HelpKind.choices)
    provided_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    provider = forms.CharField(
        label=gettext_lazy("Provider"),
        max_length=100,
        help_text=gettext_lazy("Who gave the help: an employer, a school, a law firm, a hospital."),
    )
    person_times = forms.IntegerField(
        label=gettext_lazy("Person-times helped"),
        min_value=1,
        max_value=MAX_PEOPLE,
        initial=1,
    )
    outcome = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        label=gettext_lazy("Outcome"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("For training, also the course."),
    )
    training_hours = forms.IntegerField(
        label=gettext_lazy("Training hours"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Skills training only."),
    )
    certificate = forms.CharField(
        label=gettext_lazy("Certificate"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Skills training only."),
    )
    amount_recovered = MoneyField(
        label=gettext_lazy("Wages recovered (yuan)"),
        required=False,
        help_text=gettext_lazy("Legal aid and wage arrears only."),
    )
    visit = VisitChoiceField(
        label=gettext_lazy("Came from the visit"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("None"),
    )
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("No campaign"),
        help_text=gettext_lazy("Taken from the visit when it came from one."),
    )

    def __init__(self, *args, file: HardshipFile, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["provided_on"].initial = today
        self.fields["provided_on"].widget.attrs["max"] = today.isoformat()
        self.fields["visit"].queryset = Visit.objects.filter(file=file).order_by(
            "-visited_on", "-id"
        )
        self.fields["campaign"].queryset = campaigns_for_file(file=file).filter(
            ends_on__gte=today - timedelta(days=CAMPAIGN_DAYS_OFFERED)
        )


class FiguresForm(forms.Form):
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Union unit"), queryset=None, required=False, empty_label=None
    )
    starts_on = forms.DateField(label=gettext_lazy("First day"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput())

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_offered(user=user)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_on"), cleaned.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end cannot be before the start."))
        return cleaned
