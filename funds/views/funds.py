"""Pages of the aid funds: funds and their statements, money in and down, payments to households.

Every object is fetched through the access rules (404 for "missing" and "not
yours" alike), every write goes through one service in ``funds.services``,
and a refused write is shown beside the field it is about, with nothing saved.
Buttons are offered only to the roles that may use them; the services decide.
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from funds import services
from funds.choices import DisbursementStatus, Purpose, ReceiptSource
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
    disbursements_visible_to,
    disbursements_waiting,
    fund_balance,
    fund_recent_allocations,
    fund_recent_receipts,
    fund_statement,
    funds_with_balances,
)
from hardship.models import HardshipFile
from people.access import branch_view, get_object_for_user, is_in_branch
from people.models import Role, User

Status = DisbursementStatus
CASEWORK = (Role.CASEWORKER,)
APPROVE = (Role.APPROVER,)
MONEY_IN = (Role.CASEWORKER, Role.APPROVER)
FUND_OPENERS = (Role.APPROVER, Role.UNIT_ADMIN)
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


def _attach(error: ValidationError | PermissionDenied, form) -> None:
    """Put a service's refusal beside the field it names, or above the form."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or _("You may not do this."))
        return
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, errors in error.message_dict.items():
        for message in errors:
            form.add_error(name if name in form.fields else None, message)


def _has_any(user: User, roles) -> bool:
    return user.is_superuser or any(user.has_role(role) for role in roles)


def _may(user: User, disbursement: Disbursement) -> dict[str, bool]:
    """Which actions on ``disbursement`` to offer ``user``; the services check again."""
    deciding_unit = is_in_branch(user, disbursement.unit)
    approver = deciding_unit and _has_any(user, APPROVE)
    proposer = disbursement.proposed_by_id == user.pk
    status = disbursement.status
    return {
        "decide": status == Status.PROPOSED and approver and not proposer,
        "cancel": status in (Status.PROPOSED, Status.APPROVED) and (approver or proposer),
        "pay": status == Status.APPROVED and deciding_unit and _has_any(user, MONEY_IN),
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
            "can_create": _has_any(request.user, FUND_OPENERS),
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
            _attach(refused, form)
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
    in_branch = is_in_branch(user, fund.unit)
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
            "receipts": fund_recent_receipts(fund),
            "allocations": fund_recent_allocations(fund),
            "can_record_receipt": fund.is_active and in_branch and _has_any(user, MONEY_IN),
            "can_allocate": fund.is_active and in_branch and _has_any(user, APPROVE),
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
            _attach(refused, form)
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
            _attach(refused, form)
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
            _attach(refused, form)
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
    may = _may(request.user, disbursement)
    rules = _rules_of(disbursement) if disbursement.status != Status.REJECTED else []
    forms = forms or {}
    offered = {"approve": may["decide"], "reject": may["decide"], "cancel": may["cancel"]}
    offered["pay"] = may["pay"]
    # A refused step whose form is no longer offered (someone acted first) is explained on top.
    action_errors = [
        message
        for step, form in forms.items()
        if not offered[step]
        for errors in form.errors.values()
        for message in errors
    ]
    return render(
        request,
        "funds/disbursement_detail.html",
        {
            "payment": disbursement,
            "file": disbursement.file,
            "rules": rules,
            "overridable": bool(rules) and all(rule.overridable for rule in rules),
            "may": may,
            "approve_form": forms.get("approve") or ApproveForm(prefix="approve"),
            "reject_form": forms.get("reject") or ReasonForm(prefix="reject"),
            "cancel_form": forms.get("cancel") or ReasonForm(prefix="cancel"),
            "pay_form": forms.get("pay") or PayForm(prefix="pay"),
            "action_errors": action_errors,
            "tab": "waiting",
        },
        status=status,
    )


def _decide(request: HttpRequest, pk: int, *, step: str, form_class, act, done: str):
    """Run one step of a payment's life from its page's form, or show the page with the error."""
    disbursement = _get_disbursement(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = form_class(request.POST, prefix=step)
    if form.is_valid():
        try:
            act(disbursement, request.user, form.cleaned_data)
        except (PermissionDenied, ValidationError) as refused:
            _attach(refused, form)
        else:
            messages.success(request, done)
            return redirect(disbursement)
    disbursement = _get_disbursement(request, pk)
    return _disbursement_page(request, disbursement, forms={step: form}, status=400)


@branch_view(roles=APPROVE)
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
    rows = list(disbursements_waiting(request.user)[: LIST_CAP + 1])
    return render(
        request,
        "funds/disbursement_waiting.html",
        {"payments": rows[:LIST_CAP], "more": len(rows) > LIST_CAP, "tab": "waiting"},
    )
