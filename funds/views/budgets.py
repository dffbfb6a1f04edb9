"""Pages of campaign budgets, and of correcting money in and down (冲正, 确认到账).

A campaign's budgets page lists the budgets of the user's branch; an approver
sets a unit's budget from a fund, or splits a budget among the units directly
below. On a fund's page an approver reverses a mistaken receipt or allocation
(on its own page, with a reason), and the receiving unit confirms that an
allocation arrived. As in ``funds.views.funds``: objects come through the
access rules (404 for "missing" and "not yours" alike), every write is one
service, and a refusal is shown beside its field with status 400.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from funds import services
from funds.forms import AmountField, FundChoiceField
from funds.models import Allocation, Budget, Fund, LedgerTransaction, Receipt
from funds.selectors import (
    MONEY_IN,
    fund_balance,
    funds_visible_to,
    may_reverse_movement,
    may_set_budget,
    may_split_budget,
)
from people.access import branch_view, get_object_for_user, scope_to_user, units_visible_to
from people.models import Role, UnionUnit, User
from visits.campaigns import campaigns_for_user
from visits.forms import UNIT_LEVELS_OFFERED
from visits.models import Campaign

APPROVE = (Role.APPROVER,)
LIST_CAP = 200


# ====================================================================== forms


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: UnionUnit) -> str:
        return obj.name


class BudgetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Budget) -> str:
        return _("%(unit)s · %(fund)s (%(remainder)s yuan left)") % {
            "unit": obj.unit.name,
            "fund": f"{obj.fund.unit.name} · {obj.fund.name}",
            "remainder": f"{obj.remainder:,.2f}",
        }


class BudgetSetForm(forms.Form):
    """A unit's budget for the campaign from a fund of that unit or above it."""

    unit = UnitChoiceField(label=gettext_lazy("Union unit"), queryset=UnionUnit.objects.none())
    fund = FundChoiceField(
        label=gettext_lazy("Fund"),
        queryset=Fund.objects.none(),
        help_text=gettext_lazy("A fund of the unit or of a unit above it."),
    )
    amount = AmountField(
        label=gettext_lazy("Budget (yuan)"),
        help_text=gettext_lazy("Setting it again changes the amount of the unit's budget."),
    )

    def __init__(self, *args, units, funds, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["fund"].queryset = funds

    def clean(self):
        cleaned = super().clean()
        unit, fund = cleaned.get("unit"), cleaned.get("fund")
        if unit and fund and not unit.is_in_branch_of(fund.unit):
            self.add_error("fund", _("Choose a fund of the unit or of a unit above it."))
        return cleaned


class BudgetSplitForm(forms.Form):
    """Part of a budget for a unit directly below the budget's unit."""

    parent = BudgetChoiceField(
        label=gettext_lazy("Budget to split"), queryset=Budget.objects.none()
    )
    unit = UnitChoiceField(
        label=gettext_lazy("To the unit directly below"), queryset=UnionUnit.objects.none()
    )
    amount = AmountField(label=gettext_lazy("Amount (yuan)"))

    def __init__(self, *args, budgets, units, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = budgets
        self.fields["unit"].queryset = units

    def clean(self):
        cleaned = super().clean()
        parent, unit = cleaned.get("parent"), cleaned.get("unit")
        if parent and unit and unit.parent_id != parent.unit_id:
            self.add_error("unit", _("Choose a unit directly below the budget's unit."))
        return cleaned


class ReverseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is reversed"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Kept with the reversal, for the auditors."),
    )


# ====================================================================== helpers


def _get_campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = (
        campaigns_for_user(user=request.user).select_related("organiser").filter(pk=pk).first()
    )
    if campaign is None:
        raise Http404
    return campaign


def _budgets(user: User, campaign: Campaign):
    """The campaign's budgets in ``user``'s branch, by unit."""
    return scope_to_user(
        Budget.objects.filter(campaign=campaign).select_related(
            "unit", "fund__unit", "parent__unit"
        ),
        user=user,
        unit_path="unit__path",
    ).order_by("unit__path", "fund__name", "id")


def _budget_units(user: User, campaign: Campaign):
    """Units a budget may be set for: the organiser's branch within the user's, a few levels."""
    organiser = campaign.organiser
    top = max(organiser.level, user.unit.level if user.unit_id else organiser.level)
    return (
        units_visible_to(user)
        .filter(path__startswith=organiser.path, level__lte=top + UNIT_LEVELS_OFFERED)
        .order_by("path")
    )


def _budget_funds(user: User, campaign: Campaign):
    """Active funds of the user's branch that may budget for a unit the campaign covers."""
    organiser = campaign.organiser
    return (
        funds_visible_to(user)
        .filter(
            Q(unit__path__startswith=organiser.path) | Q(unit_id__in=organiser.ancestor_ids),
            is_active=True,
        )
        .order_by("unit__path", "name")
    )


def _split_units(user: User, campaign: Campaign):
    """Units directly below a unit holding one of the campaign's budgets, in the user's branch."""
    return (
        units_visible_to(user)
        .filter(parent__budgets__campaign=campaign, path__startswith=campaign.organiser.path)
        .distinct()
        .order_by("path")
    )


def _budgets_url(campaign: Campaign) -> str:
    return reverse("funds:budget_list", kwargs={"campaign_pk": campaign.pk})


def _budgets_page(request, campaign: Campaign, *, forms=None, status: int = 200) -> HttpResponse:
    user: User = request.user
    forms = forms or {}
    budgets = _budgets(user, campaign)
    rows = list(budgets[: LIST_CAP + 1])
    # Every budget listed is in the user's branch, so they may split all of them or none.
    may_split = any(may_split_budget(user, budget) for budget in rows)
    return render(
        request,
        "funds/budget_list.html",
        {
            "campaign": campaign,
            "budgets": rows[:LIST_CAP],
            "more": len(rows) > LIST_CAP,
            "may_set": may_set_budget(user, campaign),
            "may_split": may_split,
            "set_form": forms.get("set")
            or BudgetSetForm(
                prefix="set",
                units=_budget_units(user, campaign),
                funds=_budget_funds(user, campaign),
            ),
            "split_form": forms.get("split")
            or BudgetSplitForm(
                prefix="split",
                budgets=budgets if may_split else budgets.none(),
                units=_split_units(user, campaign),
            ),
            "tab": "budgets",
        },
        status=status,
    )


# ====================================================================== budgets


@branch_view()
def budget_index(request: HttpRequest) -> HttpResponse:
    """The campaigns the user may see, each with the number of its budgets in their branch."""
    user: User = request.user
    in_branch = Q()
    if not user.is_superuser:
        in_branch = Q(budgets__unit__path__startswith=user.unit.path)
    campaigns = list(
        campaigns_for_user(user=user)
        .select_related("organiser")
        .annotate(budget_count=Count("budgets", filter=in_branch))
        .order_by("-starts_on", "-id")[: LIST_CAP + 1]
    )
    return render(
        request,
        "funds/budget_index.html",
        {"campaigns": campaigns[:LIST_CAP], "more": len(campaigns) > LIST_CAP, "tab": "budgets"},
    )


@branch_view()
def budget_list(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    """A campaign's budgets in the user's branch; approvers set and split them here."""
    return _budgets_page(request, _get_campaign(request, campaign_pk))


@branch_view(roles=APPROVE)
@require_POST
def budget_set(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _get_campaign(request, campaign_pk)
    user: User = request.user
    form = BudgetSetForm(
        request.POST,
        prefix="set",
        units=_budget_units(user, campaign),
        funds=_budget_funds(user, campaign),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            budget = services.budget_set(
                campaign=campaign,
                unit=data["unit"],
                fund=data["fund"],
                amount=data["amount"],
                by=user,
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request,
                _("The budget of %(unit)s is %(amount)s yuan.")
                % {"unit": budget.unit.name, "amount": f"{budget.amount:,.2f}"},
            )
            return redirect(_budgets_url(campaign))
    return _budgets_page(request, campaign, forms={"set": form}, status=400)


@branch_view(roles=APPROVE)
@require_POST
def budget_split(request: HttpRequest, campaign_pk: int) -> HttpResponse:
    campaign = _get_campaign(request, campaign_pk)
    user: User = request.user
    form = BudgetSplitForm(
        request.POST,
        prefix="split",
        budgets=_budgets(user, campaign),
        units=_split_units(user, campaign),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            child = services.budget_split(
                parent=data["parent"], unit=data["unit"], amount=data["amount"], by=user
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request,
                _("%(amount)s yuan of the budget is split to %(unit)s.")
                % {"amount": f"{child.amount:,.2f}", "unit": child.unit.name},
            )
            return redirect(_budgets_url(campaign))
    return _budgets_page(request, campaign, forms={"split": form}, status=400)


# ====================================================================== reversals (冲正)


def _get_receipt(request: HttpRequest, pk: int) -> Receipt:
    return get_object_for_user(
        Receipt.objects.select_related("fund__unit", "transaction", "recorded_by"),
        user=request.user,
        unit_path="fund__unit__path",
        pk=pk,
    )


def _get_allocation(request: HttpRequest, pk: int, *, side: str) -> Allocation:
    """An allocation whose ``side`` fund ("from_fund" or "to_fund") is in the user's branch."""
    return get_object_for_user(
        Allocation.objects.select_related(
            "from_fund__unit", "to_fund__unit", "transaction", "allocated_by", "received_by"
        ),
        user=request.user,
        unit_path=f"{side}__unit__path",
        pk=pk,
    )


def _reversal_of(original: LedgerTransaction) -> LedgerTransaction | None:
    return LedgerTransaction.objects.select_related("by").filter(reverses=original).first()


def _reverse(request: HttpRequest, *, original: LedgerTransaction, fund: Fund, context: dict):
    """The reversing page of a receipt or allocation: GET asks for the reason, POST reverses."""
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ledger_correct(
                original=original, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The movement is reversed."))
            return redirect(fund)
        # Afresh: the refused attempt may have left its reversal in the object's cache.
        original = LedgerTransaction.objects.select_related("fund__unit").get(pk=original.pk)
    return render(
        request,
        "funds/movement_reverse.html",
        {
            **context,
            "fund": fund,
            "form": form,
            "may_reverse": may_reverse_movement(request.user, original),
            "reversal": _reversal_of(original),
            "balance": fund_balance(fund),
            "tab": "funds",
        },
        status=400 if form.is_bound else 200,
    )


@branch_view(roles=APPROVE)
def receipt_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    receipt = _get_receipt(request, pk)
    return _reverse(
        request,
        original=receipt.transaction,
        fund=receipt.fund,
        context={"receipt": receipt, "amount": receipt.amount},
    )


@branch_view(roles=APPROVE)
def allocation_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    allocation = _get_allocation(request, pk, side="from_fund")
    return _reverse(
        request,
        original=allocation.transaction,
        fund=allocation.from_fund,
        context={"allocation": allocation, "amount": allocation.amount},
    )


# ====================================================================== confirming receipt (确认到账)


@branch_view(roles=MONEY_IN)
@require_POST
def allocation_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving unit confirms an allocation arrived (a button on its fund's page); a
    refusal is said on top of the fund's page."""
    allocation = _get_allocation(request, pk, side="to_fund")
    try:
        services.allocation_confirm_receipt(allocation=allocation, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(allocation.to_fund)
    messages.success(
        request,
        _("The receipt of %(amount)s yuan from %(unit)s is confirmed.")
        % {"amount": f"{allocation.amount:,.2f}", "unit": allocation.from_fund.unit.name},
    )
    return redirect(allocation.to_fund)
