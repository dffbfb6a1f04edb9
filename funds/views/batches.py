"""Pages of bulk payments (批量发放): a campaign's visit money for a branch's frozen visit lists.

A caseworker proposes the batch in one step from the campaign's page or a
visit list's page; an approver who did not propose it reviews its totals and
the households left out, and approves or rejects it in one step. The campaign
and unit of a new batch come from the URL (the unit through the access rules,
404 outside the user's branch); a batch is fetched through its unit's branch.
Every write goes through ``funds.batches``, and a refusal is shown on the page
with status 400, nothing saved.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from funds import batches
from funds.choices import BatchStatus, DisbursementStatus
from funds.forms import FundChoiceField, ReasonForm
from funds.models import Disbursement, DisbursementBatch, Fund
from funds.selectors import (
    batches_visible_to,
    budgeted_fund_for_batch,
    fund_balance,
    funds_for_batch,
    may_approve_batch,
    may_reject_batch,
)
from hardship.choices import Category
from people.access import branch_view, get_object_for_user, is_in_branch
from people.models import Role, UnionUnit, User
from visits.campaigns import campaigns_for_user
from visits.models import Campaign
from visits.selectors import visit_lists_awaiting_approval

CASEWORK = (Role.CASEWORKER,)
APPROVE = (Role.APPROVER,)
LIST_CAP = 200
PAYMENTS_PER_PAGE = 500


class BatchForm(forms.Form):
    fund = FundChoiceField(label=gettext_lazy("Fund"), queryset=Fund.objects.none())

    def __init__(self, *args, funds, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = funds


class ApproveBatchForm(forms.Form):
    """Nothing to fill in: the approver confirms the totals shown above the button."""


# ====================================================================== helpers


def _get_scope(request: HttpRequest, campaign_pk: int, unit_pk: int) -> tuple[Campaign, UnionUnit]:
    unit = get_object_for_user(
        UnionUnit.objects.all(), user=request.user, unit_path="path", pk=unit_pk
    )
    campaign = (
        campaigns_for_user(user=request.user)
        .select_related("organiser")
        .filter(pk=campaign_pk)
        .first()
    )
    if campaign is None:
        raise Http404
    return campaign, unit


def _get_batch(request: HttpRequest, pk: int) -> DisbursementBatch:
    return get_object_for_user(
        DisbursementBatch.objects.select_related(
            "campaign", "unit", "fund__unit", "budget__unit", "proposed_by", "decided_by"
        ),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


def _batch_url(batch: DisbursementBatch) -> str:
    return reverse("funds:batch_detail", kwargs={"pk": batch.pk})


def _may(user: User, batch: DisbursementBatch) -> dict:
    """The decisions on ``batch`` that ``user`` may take now (what its page offers)."""
    return {"approve": may_approve_batch(user, batch), "reject": may_reject_batch(user, batch)}


# ====================================================================== pages


@branch_view(roles=CASEWORK)
def batch_new(request: HttpRequest, campaign_pk: int, unit_pk: int) -> HttpResponse:
    """Propose the campaign's visit money for the frozen visit lists of a unit's branch."""
    campaign, unit = _get_scope(request, campaign_pk, unit_pk)
    user: User = request.user
    funds = funds_for_batch(unit=unit, campaign=campaign, user=user)
    form = BatchForm(
        request.POST or None,
        funds=funds,
        initial={"fund": budgeted_fund_for_batch(unit=unit, campaign=campaign, funds=funds)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = batches.batch_propose(
                campaign=campaign, unit=unit, fund=form.cleaned_data["fund"], by=user
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            figures = batches.batch_figures(batch)
            messages.success(
                request,
                _(
                    "The batch is proposed: %(payments)s payments, %(total)s yuan; "
                    "households left out: %(left_out)s. It waits for an approver."
                )
                % {
                    "payments": figures.payments,
                    "total": figures.total,
                    "left_out": batch.left_out,
                },
            )
            return redirect(_batch_url(batch))
    return render(
        request,
        "funds/batch_form.html",
        {
            "campaign": campaign,
            "unit": unit,
            "form": form,
            "standards": campaign.aid_standards.order_by("category"),
            # What still stands in the way, each with its link (the approver approves them).
            "awaiting": visit_lists_awaiting_approval(campaign=campaign, unit=unit)[:LIST_CAP],
            "tab": "batches",
        },
        status=400 if form.is_bound else 200,
    )


@branch_view()
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _batch_page(request, _get_batch(request, pk))


def _batch_page(
    request: HttpRequest, batch: DisbursementBatch, *, forms=None, status: int = 200
) -> HttpResponse:
    user: User = request.user
    figures = batches.batch_figures(batch)
    categories = dict(Category.choices)
    statuses = dict(DisbursementStatus.choices)
    payments = Paginator(
        Disbursement.objects.filter(batch=batch)
        .order_by("id")
        .values(
            "pk",
            "file_id",
            "file__name",
            "file__id_number_masked",
            "file__category",
            "file__unit__name",
            "amount",
            "status",
        ),
        PAYMENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    forms = forms or {}
    fund_in_branch = is_in_branch(user, batch.fund.unit)
    return render(
        request,
        "funds/batch_detail.html",
        {
            "batch": batch,
            "figures": figures,
            "by_category": [
                {
                    "label": categories.get(row["file__category"], row["file__category"]),
                    "payments": row["payments"],
                    "total": row["total"],
                }
                for row in figures.by_category
            ],
            "left_out": [
                {**row, "label": batches.exception_reason_label(row["reason"])}
                for row in batch.exceptions
            ],
            "left_out_not_named": batch.left_out - len(batch.exceptions),
            "payments": payments,
            "payment_rows": [
                {
                    **row,
                    "category": categories.get(row["file__category"], "—"),
                    "status_label": statuses.get(row["status"], row["status"]),
                }
                for row in payments
            ],
            "balance": fund_balance(batch.fund) if fund_in_branch else None,
            "fund_in_branch": fund_in_branch,
            "may": _may(user, batch),
            "is_proposer": batch.proposed_by_id == user.pk,
            "approve_form": forms.get("approve") or ApproveBatchForm(prefix="approve"),
            "reject_form": forms.get("reject") or ReasonForm(prefix="reject"),
            "tab": "batches",
        },
        status=status,
    )


def _decide(request: HttpRequest, pk: int, *, step: str, form_class, act, done: str):
    """Run one decision on a batch from its page's form, or show the page with the refusal."""
    batch = _get_batch(request, pk)
    form = form_class(request.POST, prefix=step)
    refused = None
    if form.is_valid():
        try:
            act(batch, request.user, form.cleaned_data)
        except (PermissionDenied, ValidationError) as refusal:
            refused = refusal
        else:
            messages.success(request, done)
            return redirect(_batch_url(batch))
    batch = _get_batch(request, pk)
    if refused is not None and _may(request.user, batch)[step]:
        show_refusal(form, refused)
    elif refused is not None:
        # The step's form is no longer offered (someone decided first, or the proposer
        # tried): say why on top.
        report_refusal(request, refused)
    return _batch_page(request, batch, forms={step: form}, status=400)


@branch_view(roles=APPROVE)
@require_POST
def batch_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="approve",
        form_class=ApproveBatchForm,
        act=lambda batch, by, data: batches.batch_approve(batch=batch, by=by),
        done=_("The batch is approved and its money reserved."),
    )


@branch_view(roles=APPROVE)
@require_POST
def batch_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="reject",
        form_class=ReasonForm,
        act=lambda batch, by, data: batches.batch_reject(batch=batch, by=by, reason=data["reason"]),
        done=_("The batch is rejected; none of its payments will be made."),
    )


@branch_view()
def batch_list(request: HttpRequest) -> HttpResponse:
    """The batches of the user's branch, waiting ones first, then newest first (批量发放)."""
    status = request.GET.get("status", "")
    if status not in BatchStatus.values:
        status = ""
    rows = list(batches_visible_to(request.user, status=status)[: LIST_CAP + 1])
    return render(
        request,
        "funds/batch_list.html",
        {
            "batches": rows[:LIST_CAP],
            "more": len(rows) > LIST_CAP,
            "status": status,
            "statuses": BatchStatus.choices,
            "tab": "batches",
        },
    )
