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


class CampaignCorrectForm(CampaignForm):
    """The campaign form for correcting a campaign: its season and year stay as created, so
    the season's usual target group is the one the campaign began with."""

    def __init__(self, *args, campaign, **kwargs):
        self.campaign = campaign
        super().__init__(*args, **kwargs)
        del self.fields["season"]
        del self.fields["year"]
        rule = TargetRule.from_json(campaign.target_rule)
        standards = dict(campaign.aid_standards.values_list("category", "amount"))
        usual = default_rule(campaign.season)
        self.initial = {
            "name": campaign.name,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "season_test": "" if rule.season_test == usual.season_test else rule.season_test,
            "categories": rule.categories,
            "include_model_workers": rule.include_model_workers,
            "model_worker_levels": rule.model_worker_levels,
            "migrant_workers_only": rule.migrant_workers_only,
            "not_visited_for_days": rule.not_visited_for_days,
            "standard_deep": standards.get("deep"),
            "standard_relative": standards.get("relative"),
            "standard_accident": standards.get("accident"),
        }

    def clean(self):
        self.cleaned_data["season"] = self.campaign.season
        return super().clean()


def correction_lines(changes: list[dict]) -> list[dict]:
    """A correction's changes as the campaign page shows them: label, old → new."""
    labels = {
        "name": _("Name"),
        "starts_on": _("Starts"),
        "ends_on": _("Ends"),
        "target_rule": _("Target group"),
        **{f"standard:{value}": label for value, label in Category.choices},
    }
    lines = []
    for change in changes:
        field = change["field"]
        old, new = change["old"], change["new"]
        if field == "target_rule":
            old, new = describe_rule(old), describe_rule(new)
        label = labels.get(field, field)
        if field.startswith("standard:"):
            label = _("Aid standard: %(category)s") % {"category": label}
        lines.append({"field": label, "old": old or "—", "new": new or "—"})
    return lines


def describe_rule(data: dict) -> str:
    """A target rule in words, for a correction's old → new."""
    rule = TargetRule.from_json(data)
    category_names = dict(Category.choices)
    level_names = dict(ModelWorkerLevel.choices)
    parts = [str(SEASON_TEST_LABELS[rule.season_test])]
    if rule.categories:
        parts.append(
            _("categories: %(names)s")
            % {"names": "、".join(str(category_names[c]) for c in rule.categories)}
        )
    if rule.include_model_workers:
        parts.append(str(_("model workers in hardship included")))
    if rule.model_worker_levels:
        parts.append(
            _("model workers of levels: %(names)s")
            % {"names": "、".join(str(level_names[c]) for c in rule.model_worker_levels)}
        )
    if rule.migrant_workers_only:
        parts.append(str(_("migrant workers only")))
    if rule.not_visited_for_days:
        parts.append(_("not visited for %(days)d days") % {"days": rule.not_visited_for_days})
    return "; ".join(parts)
