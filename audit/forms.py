from django import forms
from django.utils.translation import gettext_lazy

from audit.models import AuditSection
from audit.selectors import AuditFilters
from hardship.models import HardshipFile
from people.access import scope_to_user
from people.models import User
from visits.forms import DateInput


class AuditFilterForm(forms.Form):
    """The audit's filters: a part, a person, a file, a period. People and files are looked up
    in the reader's branch only, so a name from elsewhere is "not found" like a missing one."""

    section = forms.ChoiceField(
        label=gettext_lazy("Part"), choices=AuditSection.choices, required=False
    )
    person = forms.CharField(
        label=gettext_lazy("Person (user name)"), max_length=150, required=False
    )
    file = forms.CharField(label=gettext_lazy("File number"), max_length=32, required=False)
    since = forms.DateField(label=gettext_lazy("Period from"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("Period to"), required=False, widget=DateInput())
    before = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_person(self) -> User | None:
        username = self.cleaned_data["person"].strip()
        if not username:
            return None
        person = (
            scope_to_user(User.objects.all(), user=self.user, unit_path="unit__path")
            .filter(username=username)
            .first()
        )
        if person is None:
            raise forms.ValidationError(
                gettext_lazy("No one with this user name works in your branch.")
            )
        return person

    def clean_file(self) -> HardshipFile | None:
        number = self.cleaned_data["file"].strip()
        if not number:
            return None
        file = (
            scope_to_user(HardshipFile.objects.all(), user=self.user, unit_path="unit__path")
            .filter(file_number=number)
            .first()
        )
        if file is None:
            raise forms.ValidationError(gettext_lazy("Your branch holds no file with this number."))
        return file

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", gettext_lazy("The end of the period is before its start."))
        return cleaned

    @property
    def chosen_section(self) -> str:
        chosen = self.cleaned_data.get("section") if self.is_bound and self.is_valid() else None
        return chosen or AuditSection.ID_NUMBERS

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            person=data.get("person"),
            file=data.get("file"),
            since=data.get("since"),
            until=data.get("until"),
            before=data.get("before"),
        )

    def recorded(self) -> dict:
        """The filters as the reader typed them, for the record of the reading."""
        return {
            name: str(self.data.get(name, "")).strip()[:150]
            for name in ("person", "file", "since", "until")
            if self.data.get(name)
        }
