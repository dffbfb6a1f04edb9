"""Pages of the aid funds: funds and their statements, money in and down, payments to households.

Every object is fetched through the access rules (404 for "missing" and "not
yours" alike), every write goes through one service in ``funds.services``,
and a refused write is shown beside the field it is about, with nothing saved.
A button is offered exactly when its service would accept it: both ask the same
``may_<verb>_<thing>`` predicate of ``funds.selectors``.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from funds import services
from funds.choices import BatchStatus, DisbursementStatus, Purpose, ReceiptSource
from funds.forms import (
    AllocationForm,
    ApproveForm,
    DisbursementForm,
    FundForm,
    PayForm,
    PeriodForm,
    ReasonForm,
    ReceiptForm,
)
from funds.models import Disbursement, Fund
from funds.rules import PaymentProposal, payment_rules_check
from funds.selectors import (
    FUND_OPENERS,
    MONEY_IN,
    batches_visible_to,
    disbursements_visible_to,
    disbursements_waiting,
    fund_balance,
    fund_recent_allocations,
    fund_recent_receipts,
    fund_statement,
    funds_with_balances,
    may_allocate_down,
    may_approve_payment,
    may_cancel_payment,
    may_confirm_allocation,
    may_open_fund,
    may_pay_payment,
    may_print_statement,
    may_record_receipt,
    may_reject_payment,
    may_reverse_movement,
)
from hardship.models import HardshipFile
from people.access import branch_view, get_object_for_user
from people.models import Role, User

Status = DisbursementStatus
CASEWORK = (Role.CASEWORKER,)
APPROVE = (Role.APPROVER,)
LIST_CAP = 200


# ====================================================================== helpers


def _get_fund(request: HttpRequest, pk: int) -> Fund:
    return get_object_for_user(
        Fund.objects.select_related("unit", "created_by"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


def _get_file(request: HttpRequest, pk: int) -> HardshipFile:
    return get_object_for_user(
        HardshipFile.objects.select_related("unit"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


def _get_disbursement(request: HttpRequest, pk: int) -> Disbursement:
    return get_object_for_user(
        disbursements_visible_to(request.user).select_related(
            "file__unit",
            "fund__unit",
            "visit",
            "student",
            "budget",
            "proposed_by",
            "approved_by",
            "paid_by",
            "ended_by",
        ),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )


def _may(user: User, disbursement: Disbursement) -> dict:
    """Which steps of ``disbursement``'s life ``user`` may take now (what its page offers)."""
    return {
        "approve": may_approve_payment(user, disbursement),
        "reject": may_reject_payment(user, disbursement),
        "cancel": may_cancel_payment(user, disbursement),
        "pay": may_pay_payment(user, disbursement),
    }


# ====================================================================== funds


@branch_view()
def fund_list(request: HttpRequest) -> HttpResponse:
    """The funds of the user's branch with their available and reserved money."""
    funds = list(funds_with_balances(request.user)[: LIST_CAP + 1])
    return render(
        request,
        "funds/fund_list.html",
        {
            "funds": funds[:LIST_CAP],
            "more": len(funds) > LIST_CAP,
            "can_create": may_open_fund(request.user, request.user.unit),
            "tab": "funds",
        },
    )


@branch_view(roles=FUND_OPENERS)
def fund_new(request: HttpRequest) -> HttpResponse:
    user: User = request.user
    form = FundForm(request.POST or None, user=user, initial={"unit": user.unit_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            fund = services.fund_create(
                unit=data["unit"], name=data["name"].strip(), kind=data["kind"], by=user
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The fund “%(name)s” is open.") % {"name": fund.name})
            return redirect(fund)
    status = 400 if form.is_bound else 200
    return render(request, "funds/fund_form.html", {"form": form}, status=status)


@branch_view()
def fund_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A fund's money now, its statement for a period, its latest receipts and allocations."""
    fund = _get_fund(request, pk)
    user: User = request.user
    today = timezone.localdate()
    defaults = {"first_day": date(today.year, 1, 1), "last_day": today}
    period = PeriodForm(request.GET or None, initial=defaults)
    if period.is_bound and period.is_valid():
        first_day, last_day = period.cleaned_data["first_day"], period.cleaned_data["last_day"]
    else:
        first_day, last_day = defaults["first_day"], defaults["last_day"]
    statement = fund_statement(fund, first_day=first_day, last_day=last_day)
    return render(
        request,
        "funds/fund_detail.html",
        {
            "fund": fund,
            "balance": fund_balance(fund),
            "period": period,
            "statement": statement,
            "received": [
                (ReceiptSource(source).label, amount)
                for source, amount in sorted(statement.received.items())
            ],
            "paid_out": [
                (Purpose(purpose).label, amount)
                for purpose, amount in sorted(statement.paid_out.items())
            ],
            # Each row with what the user may do to it: reverse it, confirm it arrived.
            "receipts": [
                (receipt, may_reverse_movement(user, receipt.transaction))
                for receipt in fund_recent_receipts(fund)
            ],
            "allocations": [
                (
                    allocation,
                    may_confirm_allocation(user, allocation),
                    may_reverse_movement(user, allocation.transaction),
                )
                for allocation in fund_recent_allocations(fund)
            ],
            "can_record_receipt": may_record_receipt(user, fund),
            "can_allocate": may_allocate_down(user, fund),
            "can_print_statement": may_print_statement(user, fund),
            "tab": "funds",
        },
        status=400 if period.is_bound and not period.is_valid() else 200,
    )


@branch_view(roles=MONEY_IN)
def receipt_new(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _get_fund(request, pk)
    form = ReceiptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.receipt_record(fund=fund, by=request.user, **data)
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request, _("%(amount)s yuan received is recorded.") % {"amount": data["amount"]}
            )
            return redirect(fund)
    status = 400 if form.is_bound else 200
    return render(request, "funds/receipt_form.html", {"fund": fund, "form": form}, status=status)


@branch_view(roles=APPROVE)
def allocation_new(request: HttpRequest, pk: int) -> HttpResponse:
    fund = _get_fund(request, pk)
    form = AllocationForm(request.POST or None, fund=fund, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            allocation = services.allocation_make(from_fund=fund, by=request.user, **data)
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request,
                _("%(amount)s yuan is allocated to %(unit)s.")
                % {"amount": allocation.amount, "unit": allocation.to_fund.unit.name},
            )
            return redirect(fund)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "funds/allocation_form.html",
        {"fund": fund, "form": form, "balance": fund_balance(fund)},
        status=status,
    )


# ====================================================================== payments


@branch_view(roles=CASEWORK)
def disbursement_new(request: HttpRequest, file_pk: int) -> HttpResponse:
    """Propose a payment to a household; the form's hidden key makes a double submit one."""
    file = _get_file(request, file_pk)
    user: User = request.user
    form = DisbursementForm(request.POST or None, file=file, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.disbursement_propose(
                proposal=services.DisbursementInput(
                    file=file,
                    fund=data["fund"],
                    purpose=data["purpose"],
                    amount=data["amount"],
                    campaign=data["campaign"],
                    visit=data["visit"],
                    student=data["student"],
                    out_of_pocket=data["out_of_pocket"],
                    description=data["description"],
                    request_key=data["request_key"],
                ),
                by=user,
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request,
                _("A payment of %(amount)s yuan is proposed, waiting for approval.")
                % {"amount": payment.amount},
            )
            return redirect(payment)
    status = 400 if form.is_bound else 200
    return render(
        request, "funds/disbursement_form.html", {"file": file, "form": form}, status=status
    )


def _rules_of(disbursement: Disbursement) -> list:
    """The rules the payment breaks, with their messages, checked again now.

    Once decided, only the rules recorded at approval are shown (their
    messages read today's figures, which is what a reviewer can check).
    """
    broken = payment_rules_check(
        PaymentProposal(
            file=disbursement.file,
            purpose=disbursement.purpose,
            amount=disbursement.amount,
            aid_year=disbursement.aid_year,
            campaign_id=disbursement.campaign_id,
            student=disbursement.student,
            out_of_pocket=disbursement.out_of_pocket,
            disbursement_id=disbursement.pk,
        )
    )
    if disbursement.status == Status.PROPOSED:
        return broken
    recorded = set(disbursement.broken_rules)
    return [rule for rule in broken if rule.code in recorded]


@branch_view()
def disbursement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _disbursement_page(request, _get_disbursement(request, pk))


def _disbursement_page(request, disbursement: Disbursement, *, forms=None, status=200):
    rules = _rules_of(disbursement) if disbursement.status != Status.REJECTED else []
    forms = forms or {}
    return render(
        request,
        "funds/disbursement_detail.html",
        {
            "payment": disbursement,
            "file": disbursement.file,
            "rules": rules,
            "overridable": bool(rules) and all(rule.overridable for rule in rules),
            "may": _may(request.user, disbursement),
            "approve_form": forms.get("approve") or ApproveForm(prefix="approve"),
            "reject_form": forms.get("reject") or ReasonForm(prefix="reject"),
            "cancel_form": forms.get("cancel") or ReasonForm(prefix="cancel"),
            "pay_form": forms.get("pay") or PayForm(prefix="pay"),
            # The accounts it was sent to by bank in bulk, masked (funds.bank).
            "bank_lines": list(disbursement.bank_lines.order_by("id")),
            "tab": "waiting",
        },
        status=status,
    )


def _decide(request: HttpRequest, pk: int, *, step: str, form_class, act, done: str):
    """Run one step of a payment's life from its page's form, or show the page with the error."""
    disbursement = _get_disbursement(request, pk)
    form = form_class(request.POST, prefix=step)
    refused = None
    if form.is_valid():
        try:
            act(disbursement, request.user, form.cleaned_data)
        except (PermissionDenied, ValidationError) as refusal:
            refused = refusal
        else:
            messages.success(request, done)
            return redirect(disbursement)
    disbursement = _get_disbursement(request, pk)
    if refused is not None and _may(request.user, disbursement)[step]:
        show_refusal(form, refused)
    elif refused is not None:
        # The step's form is no longer offered (someone acted first): say why on top.
        report_refusal(request, refused)
    return _disbursement_page(request, disbursement, forms={step: form}, status=400)


@branch_view(roles=APPROVE)
@require_POST
def disbursement_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="approve",
        form_class=ApproveForm,
        act=lambda d, by, data: services.disbursement_approve(
            disbursement=d, by=by, override_reason=data["override_reason"]
        ),
        done=_("The payment is approved and its money reserved."),
    )


@branch_view(roles=APPROVE)
@require_POST
def disbursement_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="reject",
        form_class=ReasonForm,
        act=lambda d, by, data: services.disbursement_reject(
            disbursement=d, by=by, reason=data["reason"]
        ),
        done=_("The payment is rejected."),
    )


@branch_view(roles=MONEY_IN)
@require_POST
def disbursement_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="cancel",
        form_class=ReasonForm,
        act=lambda d, by, data: services.disbursement_cancel(
            disbursement=d, by=by, reason=data["reason"]
        ),
        done=_("The payment is cancelled."),
    )


@branch_view(roles=MONEY_IN)
@require_POST
def disbursement_pay(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(
        request,
        pk,
        step="pay",
        form_class=PayForm,
        act=lambda d, by, data: services.disbursement_pay(
            disbursement=d, by=by, method=data["method"], bank_reference=data["bank_reference"]
        ),
        done=_("The payment is recorded as paid."),
    )


@branch_view()
def disbursement_waiting(request: HttpRequest) -> HttpResponse:
    """Payments of the branch waiting for an approver's decision, oldest first (待审批)."""
    # A batch is decided as one (its page shows its lines and who was left out), so the queue
    # lists it as one line with its totals, above the payments proposed one by one.
    rows = list(
        disbursements_waiting(request.user)
        .filter(batch__isnull=True)
        .select_related("fund", "campaign")[: LIST_CAP + 1]
    )
    waiting_batches = list(
        batches_visible_to(request.user, status=BatchStatus.PROPOSED)[: LIST_CAP + 1]
    )
    return render(
        request,
        "funds/disbursement_waiting.html",
        {
            "payments": rows[:LIST_CAP],
            "more": len(rows) > LIST_CAP,
            "batches": waiting_batches[:LIST_CAP],
            "more_batches": len(waiting_batches) > LIST_CAP,
            "tab": "waiting",
        },
    )
