"""Forms of campaigns: parse and show errors; visits/campaigns.py decides."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hardship.choices import Category, ModelWorkerLevel
from hardship.forms import MoneyField
from visits.choices import Season
from visits.rules import SEASON_TESTS, TargetRule, default_rule

SEASON_TEST_LABELS = {
    "all": _("Every household on record"),
    "students": _("Households with a student in high school, vocational school or university"),
    "outdoor": _("Workers in outdoor, high-temperature or front-line jobs"),
    "out_of_work": _("Households where the worker or a member is out of work"),
}


class CampaignForm(forms.Form):
    season = forms.ChoiceField(label=_("Season"), choices=Season.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name"), max_length=100)
    starts_on = forms.DateField(
        label=_("Starts"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Ends"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    season_test = forms.ChoiceField(
        label=_("Target group"),
        choices=[
            ("", _("The season's usual group")),
            *[(k, SEASON_TEST_LABELS[k]) for k in SEASON_TESTS],
        ],
        required=False,
    )
    categories = forms.MultipleChoiceField(
        label=_("Only these categories"),
        choices=[c for c in Category.choices if c[0] != "none"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_model_workers = forms.BooleanField(
        label=_("Always include model workers in hardship"), required=False
    )
    model_worker_levels = forms.MultipleChoiceField(
        label=_("Only model workers of these levels"),
        choices=[c for c in ModelWorkerLevel.choices if c[0] != "none"],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    migrant_workers_only = forms.BooleanField(label=_("Only migrant workers"), required=False)
    not_visited_for_days = forms.IntegerField(
        label=_("Only households not visited for this many days"),
        min_value=1,
        max_value=3650,
        required=False,
    )
    standard_deep = MoneyField(label=_("Standard for deep hardship (yuan)"), required=False)
    standard_relative = MoneyField(label=_("Standard for relative hardship (yuan)"), required=False)
    standard_accident = MoneyField(
        label=_("Standard for hardship by accident (yuan)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["starts_on"].initial = today

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return cleaned

    def rule(self) -> TargetRule:
        data = self.cleaned_data
        rule = default_rule(data["season"])
        if data.get("season_test"):
            rule.season_test = data["season_test"]
        rule.categories = list(data.get("categories") or [])
        rule.include_model_workers = rule.include_model_workers or bool(
            data.get("include_model_workers")
        )
        rule.model_worker_levels = list(data.get("model_worker_levels") or [])
        rule.migrant_workers_only = bool(data.get("migrant_workers_only"))
        rule.not_visited_for_days = data.get("not_visited_for_days")
        try:
            rule.check()
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return rule

    def aid_standards(self) -> dict[str, Decimal]:
        data = self.cleaned_data
        pairs = {
            "deep": data.get("standard_deep"),
            "relative": data.get("standard_relative"),
            "accident": data.get("standard_accident"),
        }
        return {category: amount for category, amount in pairs.items() if amount is not None}
