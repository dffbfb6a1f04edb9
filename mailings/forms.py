"""Forms of the report emails: a person's email settings, a campaign's progress schedule."""

from django import forms
from django.utils.translation import gettext_lazy as _

from mailings.choices import EmailKind
from mailings.models import CampaignProgressSchedule

KIND_HELP = {
    EmailKind.WEEKLY_DIGEST: _("Mondays, to caseworkers: what is waiting for you."),
    EmailKind.MONTHLY_REPORT: _("At the start of the month, to approvers: the unit's report."),
    EmailKind.CAMPAIGN_PROGRESS: _("To the organiser's approvers, as the organiser sets it."),
}


class EmailOptOutForm(forms.Form):
    """A box per kind of email a person does not want (their profile page's part from mailings)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in EmailKind:
            self.fields[f"opt_out_{kind.value}"] = forms.BooleanField(
                label=kind.label,
                required=False,
                help_text=KIND_HELP[kind],
            )

    def opt_out_fields(self):
        return [self[f"opt_out_{kind.value}"] for kind in EmailKind]

    def opted_out(self) -> set[str]:
        return {kind.value for kind in EmailKind if self.cleaned_data[f"opt_out_{kind.value}"]}


class CampaignProgressScheduleForm(forms.ModelForm):
    class Meta:
        model = CampaignProgressSchedule
        fields = ["frequency", "weekday", "hour"]
        help_texts = {"hour": _("Hour of the day, 0 to 23 (Beijing time).")}
