"""Pages of hardship files: list, search before create, create and edit, detail, life steps."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from common.errors import RuleBroken
from common.forms import report_refusal, show_refusal
from documents.pdf import PDF_CONTENT_TYPE
from hardship import services
from hardship.choices import FileStatus, TransferStatus
from hardship.filters import FileFilter
from hardship.forms import (
    ChangeDecisionForm,
    CloseForm,
    ExitForm,
    FileSearchForm,
    FullIdExportForm,
    HardshipFileForm,
    HouseholdRecordForm,
    IdSearchForm,
    MemberFormSet,
    NotesForm,
    RejectForm,
    ReopenForm,
    ReviewForm,
    TransferDecisionForm,
    TransferForm,
    VerificationForm,
)
from hardship.identity import mask_account, mask_id_number
from hardship.income import income_records_of
from hardship.models import FileChangeRequest, FileTransfer, HardshipFile
from hardship.selectors import (
    change_requests_for_user,
    file_changes,
    file_list_page,
    files_due_for_review,
    files_for_user,
    files_search,
    files_unchanged_for_a_year,
    files_with_same_name_and_birth_date,
    may_approve_file,
    may_close_file,
    may_decide_change_request,
    may_decide_transfer,
    may_edit_file,
    may_exit_file,
    may_first_review_file,
    may_print_household_record,
    may_record_income,
    may_reject_file,
    may_reopen_file,
    may_request_file_card,
    may_request_transfer,
    may_reveal_id_number,
    may_review_file,
    may_see_full_id_numbers,
    may_verify_file,
)
from hardship.services import category_propose
from hardship.slots import FILE_PAGE
from people.access import branch_view, get_object_for_user, units_visible_to
from people.models import Role, User

PAGE_SIZE = 50
SORTS = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "name": ("name", "id"),
    "number": ("file_number",),
}
CASEWORK = (Role.CASEWORKER,)
# The step a file in these statuses waits for, which not everyone with the role may take.
NEXT_STEP = {FileStatus.FIRST_REVIEWED: "verify", FileStatus.VERIFIED: "approve"}


def _get_file(request: HttpRequest, pk: int) -> HardshipFile:
    return get_object_for_user(
        HardshipFile.objects.select_related("unit", "main_cause", "entered_by", "updated_by"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


@branch_view()
def file_list(request: HttpRequest) -> HttpResponse:
    scoped = files_for_user(user=request.user)
    filters = FileFilter(request.GET or None, queryset=scoped, user=request.user)
    if filters.is_bound and filters.is_valid():
        filtered, before_status = filters.qs, filters.qs_before_status
        statuses, searched, name_keys = filters.statuses, filters.searched, filters.name_keys
    else:
        filtered, before_status, statuses, searched, name_keys = scoped, scoped, [], False, None
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "newest"
    # The heading's total and a count per status within the other filters, each capped
    # ("1000+"): exact counts over a province would read every file.
    page, (total, more), by_status = file_list_page(
        listed=filtered,
        files=before_status,
        statuses=statuses,
        searched=searched,
        order=SORTS[sort],
        size=PAGE_SIZE,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        name_keys=name_keys,
    )
    status_counts = [(value, label, *by_status[value]) for value, label in FileStatus.choices]
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    can_see_full_ids = bool(may_see_full_id_numbers(request.user))
    return render(
        request,
        "hardship/file_list.html",
        {
            "filters": filters,
            "page": page,
            "total": total,
            "total_is_capped": more,
            "status_counts": status_counts,
            "status_query": _without(request.GET, "status", "after", "before").urlencode(),
            "sort": sort,
            "sorts": list(SORT_LABELS.items()),
            "query": query.urlencode(),
            "can_open": request.user.has_role(Role.CASEWORKER),
            "can_see_full_ids": can_see_full_ids,
            "id_search_form": IdSearchForm(),
            # Built only when shown: with the rows, to someone who may see full ID numbers.
            "full_id_export_form": FullIdExportForm(initial={"query": query.urlencode()})
            if can_see_full_ids and page.rows
            else None,
        },
    )


def _without(query, *names):
    query = query.copy()
    for name in names:
        query.pop(name, None)
    return query


SORT_LABELS = {
    "newest": gettext_lazy("Newest first"),
    "oldest": gettext_lazy("Oldest first"),
    "name": gettext_lazy("Name"),
    "number": gettext_lazy("File number"),
}


@branch_view(roles=CASEWORK)
@sensitive_post_parameters()
def file_new(request: HttpRequest) -> HttpResponse:
    """Search before create: the household may already have a file here or elsewhere."""
    form = FileSearchForm(request.POST or None)
    context = {"form": form, "searched": False}
    if request.method == "POST" and form.is_valid():
        name, number = form.cleaned_data["name"], form.cleaned_data["id_number"]
        in_branch = files_search(files_for_user(user=request.user), text=name).select_related(
            "unit"
        )[:20]
        holder = None
        if number:
            try:
                holder = services.id_holder_lookup(by=request.user, id_number=number)
            except RuleBroken as refused:
                form.add_error("id_number", refused.messages)
                return render(request, "hardship/file_new.html", context, status=429)
        visible_ids = (
            set(files_for_user(user=request.user).filter(pk=holder.pk).values_list("pk", flat=True))
            if holder
            else set()
        )
        context.update(
            searched=True,
            matches=in_branch,
            holder=holder,
            holder_visible=bool(holder and holder.pk in visible_ids),
            name=name,
            id_number=number,
        )
    return render(request, "hardship/file_new.html", context)


@branch_view(roles=CASEWORK)
@sensitive_post_parameters()
@require_POST
def file_create(request: HttpRequest) -> HttpResponse:
    starting = "start" in request.POST
    if starting:
        form = HardshipFileForm(
            initial={
                "name": request.POST.get("name", ""),
                "id_number": request.POST.get("id_number", ""),
                "division_code": request.user.unit.division_code if request.user.unit else "",
            }
        )
        members = MemberFormSet(prefix="members")
        return _render_file_form(request, form, members, None)
    form = HardshipFileForm(request.POST)
    members = MemberFormSet(request.POST, prefix="members")
    return _save_file_form(request, form, members, None)


@branch_view(roles=CASEWORK)
@sensitive_post_parameters()
def file_edit(request: HttpRequest, pk: int) -> HttpResponse:
    file = _get_file(request, pk)
    try:
        may_edit_file(request.user, file).enforce()
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(file)
    stored = _stored_member_numbers(file)
    if request.method == "POST" and "reveal" in request.POST:
        return _reveal_on_edit_page(request, file, stored)
    if request.method == "POST":
        form = HardshipFileForm(request.POST, instance=file)
        members = MemberFormSet(
            request.POST, prefix="members", form_kwargs={"stored_id_numbers": stored}
        )
        return _save_file_form(request, form, members, file)
    # No ID number in the initial rows: each member form shows its own masked.
    initial = [
        {
            **{
                f: getattr(m, f)
                for f in (
                    "relation",
                    "name",
                    "birth_date",
                    "health",
                    "school_stage",
                    "school_name",
                    "school_year",
                    "employment",
                    "medical_insurance",
                    "monthly_income",
                )
            },
            "pk": m.pk,
        }
        for m in file.members.all()
    ]
    form = HardshipFileForm(instance=file)
    members = MemberFormSet(
        initial=initial, prefix="members", form_kwargs={"stored_id_numbers": stored}
    )
    return _render_file_form(request, form, members, file)


def _stored_member_numbers(file: HardshipFile) -> dict[int, str]:
    return {m.pk: m.id_number for m in file.members.all()}


def _reveal_on_edit_page(request, file, stored: dict[int, str]) -> HttpResponse:
    """Show the file's full ID numbers and bank account in the form, keeping what was typed,
    and record the view as the file page's "show in full" does (one view of the file)."""
    try:
        services.id_number_reveal(file=file, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(file)
    data = request.POST.copy()
    unmask = [("id_number", mask_id_number, file.id_number)]
    unmask.append(("bank_account", mask_account, file.bank_account))
    for index in range(min(_form_count(data), MemberFormSet.max_num)):
        try:
            pk = int(data.get(f"members-{index}-pk", ""))
        except ValueError:
            continue
        if pk in stored:
            unmask.append((f"members-{index}-id_number", mask_id_number, stored[pk]))
    for name, mask, number in unmask:
        if number and data.get(name, "").strip() == mask(number):
            data[name] = number
    form = HardshipFileForm(data, instance=file)
    members = MemberFormSet(data, prefix="members", form_kwargs={"stored_id_numbers": stored})
    return _render_file_form(request, form, members, file, revealed=True, data=data)


def _form_count(data) -> int:
    try:
        return max(0, int(data.get("members-TOTAL_FORMS", 0)))
    except (TypeError, ValueError):
        return 0


def _render_file_form(
    request,
    form,
    members,
    file,
    *,
    proposal=None,
    near_matches=(),
    status=200,
    revealed=False,
    data=None,
):
    if revealed or ("add_member" in request.POST and members.is_bound):
        # "Add a member" re-renders the form with one more empty row, no script needed; a
        # reveal re-renders it with the full numbers; neither is a save, so no errors shown.
        data = data if data is not None else request.POST.copy()
        if not revealed:
            # The posted count is whatever the browser sent; the formset's own is bounded.
            data["members-TOTAL_FORMS"] = str(min(members.total_form_count() + 1, members.max_num))
        stored = _stored_member_numbers(file) if file else {}
        members = MemberFormSet(data, prefix="members", form_kwargs={"stored_id_numbers": stored})
        form = HardshipFileForm(data, instance=file)
        for f in (form, *members.forms):
            f._errors = {}
        members._non_form_errors = members.error_class()
    return render(
        request,
        "hardship/file_form.html",
        {
            "form": form,
            "members": members,
            "file": file,
            "proposal": proposal,
            "near_matches": near_matches,
            "revealed": revealed,
            "may_reveal": bool(file and may_reveal_id_number(request.user, file)),
        },
        status=status,
    )


def _save_file_form(request, form, members, file):
    if "add_member" in request.POST:
        return _render_file_form(request, form, members, file)
    form_ok, members_ok = form.is_valid(), members.is_valid()
    proposal = None
    if form_ok:
        values = form.service_values()
        proposal = category_propose(
            annual_income=values["annual_income"],
            medical_costs=values["medical_costs"],
            schooling_costs=values["schooling_costs"],
            disaster_costs=values["disaster_costs"],
            household_size=values["household_size"],
            division_code=values["division_code"],
            hukou_type=values["hukou_type"],
            sudden_cause=any(
                c.is_sudden for c in [values["main_cause"], *form.cleaned_data["secondary_causes"]]
            ),
            year=timezone.localdate().year,
        )
    if not (form_ok and members_ok):
        return _render_file_form(request, form, members, file, proposal=proposal, status=400)
    from hardship.identity import parse_id_number

    birth_date = parse_id_number(form.cleaned_data["id_number"]).birth_date
    near = list(
        files_with_same_name_and_birth_date(
            name=form.cleaned_data["name"],
            birth_date=birth_date,
            exclude_file_id=file.pk if file else None,
        )
    )
    if near and not form.cleaned_data.get("confirm_near_match"):
        form.add_error(
            "confirm_near_match",
            _(
                "Files with the same name and birth date exist: check them, then tick this box to go on."
            ),
        )
        return _render_file_form(
            request, form, members, file, proposal=proposal, near_matches=near, status=400
        )
    member_inputs = [
        m.member_input()
        for m in members.forms
        if m.has_changed() and not m.cleaned_data.get("DELETE")
    ]
    arguments = {
        "by": request.user,
        "id_number": form.cleaned_data["id_number"],
        "values": form.service_values(),
        "secondary_causes": form.cleaned_data["secondary_causes"],
        "members": member_inputs,
        "category": form.cleaned_data["category"],
        "category_override_reason": form.cleaned_data["category_override_reason"],
    }
    try:
        if file is None:
            saved = services.hardship_file_open(unit=request.user.unit, **arguments)
            messages.success(
                request,
                _("The application of %(name)s is entered as file %(number)s.")
                % {"name": saved.name, "number": saved.file_number},
            )
        else:
            saved = services.hardship_file_update(file=file, **arguments)
            if saved.proposed_change:
                messages.success(
                    request,
                    _(
                        "The file is saved. The change to income, members, category, causes or bank account waits for an approver."
                    ),
                )
            else:
                messages.success(request, _("The file is saved."))
    except (PermissionDenied, ValidationError) as refused:
        _show_file_refusal(refused, form, members)
        return _render_file_form(
            request, form, members, file, proposal=proposal, near_matches=near, status=400
        )
    if not parse_id_number(form.cleaned_data["id_number"]).region_known:
        # New, abolished and residence-permit codes exist: a warning, not a refusal.
        messages.warning(
            request,
            _(
                "The region code at the start of the ID number is not in our table: check it with the household."
            ),
        )
    return redirect(saved)


def _show_file_refusal(refused: ValidationError | PermissionDenied, form, members) -> None:
    """Show a service's refusal on the file form: what it says of the n-th member it was
    handed (``members-<n>-<field>``) on that member's row, the rest on the form."""
    by_field = getattr(refused, "error_dict", None)
    if by_field is None:
        show_refusal(form, refused)
        return
    handed = [m for m in members.forms if m.has_changed() and not m.cleaned_data.get("DELETE")]
    rest = dict(by_field)
    for row in members.forms:
        about_removal = rest.pop(f"removed-member-{row.cleaned_data.get('pk')}", None)
        if about_removal:
            show_refusal(row, RuleBroken({"DELETE": about_removal}))
    for index, row in enumerate(handed):
        prefix = f"members-{index}-"
        about_row = {
            key.removeprefix(prefix): rest.pop(key) for key in list(rest) if key.startswith(prefix)
        }
        if about_row:
            show_refusal(row, RuleBroken(about_row))
    if rest:
        show_refusal(form, RuleBroken(rest))


@branch_view()
def file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    file = _get_file(request, pk)
    return _render_detail(request, file)


def _render_detail(request, file, *, full_id_number="", forms=None, status=200):
    user: User = request.user
    proposal = category_propose(
        annual_income=file.annual_income,
        medical_costs=file.medical_costs,
        schooling_costs=file.schooling_costs,
        disaster_costs=file.disaster_costs,
        household_size=file.household_size,
        division_code=file.division_code,
        hukou_type=file.hukou_type,
        sudden_cause=file.main_cause.is_sudden
        or any(c.is_sudden for c in file.secondary_causes.all()),
        year=timezone.localdate().year,
    )
    forms = forms or {}
    action_forms = {
        "first_review": forms.get("first_review") or NotesForm(prefix="first_review"),
        "verify": forms.get("verify")
        or VerificationForm(
            prefix="verify",
            colleagues=_colleagues(user, file),
            initial={"visited_on": timezone.localdate()},
        ),
        "approve": forms.get("approve") or NotesForm(prefix="approve"),
        "reject": forms.get("reject") or RejectForm(prefix="reject"),
        "review": forms.get("review") or ReviewForm(prefix="review"),
        "exit": forms.get("exit") or ExitForm(prefix="exit"),
        "close": forms.get("close") or CloseForm(prefix="close"),
        "reopen": forms.get("reopen") or ReopenForm(prefix="reopen"),
        "transfer": forms.get("transfer") or TransferForm(prefix="transfer"),
        "record": forms.get("record") or HouseholdRecordForm(prefix="record"),
    }
    # Read once, for the timeline and for the rule that one transfer waits at a time.
    prefetch_related_objects(
        [file],
        Prefetch(
            "transfers",
            queryset=FileTransfer.objects.select_related("from_unit", "to_unit", "requested_by"),
        ),
    )
    transfers = list(file.transfers.all())
    allowed = {
        "edit": may_edit_file(user, file),
        "first_review": may_first_review_file(user, file),
        "verify": may_verify_file(user, file),
        "approve": may_approve_file(user, file),
        "reject": may_reject_file(user, file),
        "review": may_review_file(user, file),
        "exit": may_exit_file(user, file),
        "close": may_close_file(user, file),
        "transfer": may_request_transfer(user, file),
        "reveal_id": may_reveal_id_number(user, file),
        "file_card": may_request_file_card(user, file),
        "household_record": may_print_household_record(user, file),
        "record_income": may_record_income(user, file),
        "reopen": may_reopen_file(user, file),
    }
    # The step the file waits for: when it is not offered to someone whose role takes it,
    # the page says why (they entered or verified the file, it has no category).
    next_step = allowed.get(NEXT_STEP.get(file.status, ""))
    why_not = ""
    if next_step is not None and not next_step.allowed and not next_step.denied:
        why_not = next_step.reason
    from hardship.views.attachments import attachments_panel_context
    from hardship.views.pipeline import file_pipeline_context

    incoming = [
        t for t in transfers if t.status == TransferStatus.PENDING and may_decide_transfer(user, t)
    ]
    return render(
        request,
        "hardship/file_detail.html",
        {
            "file": file,
            "members": list(file.members.all()),
            "secondary_causes": list(file.secondary_causes.all()),
            "proposal": proposal,
            "transitions": list(file.transitions.select_related("by")),
            "verifications": list(
                file.verifications.select_related("recorded_by").prefetch_related("verifiers")
            ),
            "changes": file_changes(file=file),
            "income_records": income_records_of(file, limit=6),
            "transfers": transfers,
            "incoming_transfers": incoming,
            "decision_form": TransferDecisionForm(prefix="decide"),
            "full_id_number": full_id_number,
            "allowed": allowed,
            "why_not": why_not,
            "action_forms": action_forms,
            **attachments_panel_context(file=file, user=user),
            **file_pipeline_context(file=file, user=user),
            "sections": FILE_PAGE.sections(file=file, user=user),
            # A refused step is explained at the top, even when its form is no longer offered.
            "action_errors": [
                f"{f.fields[name].label}：{message}" if name in f.fields else message
                for f in forms.values()
                for name, errors in f.errors.items()
                for message in errors
            ],
        },
        status=status,
    )


def _colleagues(user: User, file: HardshipFile):
    """Who may be named as having gone on the home verification: not whoever entered the file."""
    return (
        User.objects.filter(unit__in=units_visible_to(user), is_active=True)
        .exclude(pk=file.entered_by_id)
        .order_by("username")
    )


@branch_view()
@require_POST
def file_reveal_id(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full ID number once, recording who saw it; never put it in a URL."""
    file = _get_file(request, pk)
    try:
        number = services.id_number_reveal(file=file, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(file)
    response = _render_detail(request, file, full_id_number=number)
    response["Cache-Control"] = "no-store"
    return response


ACTIONS = {
    "first_review": (
        NotesForm,
        lambda file, by, data: services.hardship_file_first_review(
            file=file, by=by, notes=data["notes"]
        ),
        gettext_lazy("First review recorded."),
    ),
    "approve": (
        NotesForm,
        lambda file, by, data: services.hardship_file_approve(
            file=file, by=by, notes=data["notes"]
        ),
        gettext_lazy("Approved: the household is on file."),
    ),
    "reject": (
        RejectForm,
        lambda file, by, data: services.hardship_file_reject(
            file=file, by=by, reason=data["reason"]
        ),
        gettext_lazy("The application is refused and the file closed."),
    ),
    "review": (
        ReviewForm,
        lambda file, by, data: services.hardship_file_review(
            file=file, by=by, notes=data["notes"], income=data.get("income")
        ),
        gettext_lazy("Review recorded; the next one is due in a year."),
    ),
    "exit": (
        ExitForm,
        lambda file, by, data: services.hardship_file_exit(
            file=file, by=by, reason=data["reason"], notes=data["notes"]
        ),
        gettext_lazy("The household is recorded as out of hardship."),
    ),
    "reopen": (
        ReopenForm,
        lambda file, by, data: services.hardship_file_reopen(
            file=file, by=by, reason=data["reason"]
        ),
        gettext_lazy("The file is reopened: it goes through the first review again."),
    ),
    "close": (
        CloseForm,
        lambda file, by, data: services.hardship_file_close(
            file=file, by=by, reason=data["reason"], notes=data["notes"]
        ),
        gettext_lazy("The file is closed."),
    ),
    "transfer": (
        TransferForm,
        lambda file, by, data: services.hardship_file_transfer_request(
            file=file, by=by, to_unit=data["to_unit_code"], reason=data["reason"]
        ),
        gettext_lazy("The transfer is requested; the receiving unit must accept it."),
    ),
}


@branch_view()
@require_POST
def file_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One step of the file's life; the service checks state, role and four-eyes rules."""
    file = _get_file(request, pk)
    if action == "verify":
        colleagues = _colleagues(request.user, file)
        form = VerificationForm(request.POST, prefix="verify", colleagues=colleagues)

        def run(data):
            services.hardship_file_record_verification(
                file=file, by=request.user, visited_on=data["visited_on"], verifiers=list(data["verifiers"]),
                findings=data["findings"], confirms_application=data["confirms_application"],
            )  # fmt: skip

        done = _("Home verification recorded.")
    elif action in ACTIONS:
        form_class, call, done = ACTIONS[action]
        form = form_class(request.POST, prefix=action)

        def run(data):
            call(file, request.user, data)
    else:
        raise Http404
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, done)
            return redirect(file)
    file.refresh_from_db()
    return _render_detail(request, file, forms={action: form}, status=400)


@branch_view()
@require_POST
def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving unit answers a transfer. Only the receiving branch reaches the request."""
    transfer = get_object_for_user(
        FileTransfer.objects.select_related("file", "to_unit"),
        user=request.user,
        unit_path="to_unit__path",
        pk=pk,
    )
    form = TransferDecisionForm(request.POST, prefix="decide")
    if form.is_valid():
        try:
            services.hardship_file_transfer_decide(
                transfer=transfer,
                by=request.user,
                accept=form.cleaned_data["accept"],
                note=form.cleaned_data["note"],
            )
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
        else:
            messages.success(request, _("The transfer is answered."))
    else:
        messages.error(request, _("Choose whether to accept the file."))
    if (
        transfer.file.unit_id != transfer.to_unit_id
        and not files_for_user(user=request.user).filter(pk=transfer.file_id).exists()
    ):
        return redirect("hardship:transfer_list")
    return redirect(transfer.file)


@branch_view()
def transfer_list(request: HttpRequest) -> HttpResponse:
    """Transfers waiting for this branch's answer (the files are not ours yet)."""
    incoming = [
        (transfer, may_decide_transfer(request.user, transfer))
        for transfer in get_incoming_transfers(request.user)
    ]
    return render(
        request,
        "hardship/transfer_list.html",
        {"incoming": incoming, "decision_form": TransferDecisionForm(prefix="decide")},
    )


def get_incoming_transfers(user: User):
    from people.access import scope_to_user

    return scope_to_user(
        FileTransfer.objects.filter(status=TransferStatus.PENDING).select_related(
            "file", "from_unit", "to_unit", "requested_by"
        ),
        user=user,
        unit_path="to_unit__path",
    ).order_by("requested_at")


@branch_view()
def review_queue(request: HttpRequest) -> HttpResponse:
    due = files_due_for_review(user=request.user).select_related("unit")[:200]
    unchanged = files_unchanged_for_a_year(user=request.user).select_related("unit")[:200]
    return render(
        request,
        "hardship/review_queue.html",
        {"due": due, "unchanged": unchanged, "today": timezone.localdate()},
    )


def _export_queryset(request: HttpRequest, query: QueryDict):
    scoped = files_for_user(user=request.user)
    filters = FileFilter(query or None, queryset=scoped, user=request.user)
    return filters.qs if filters.is_bound and filters.is_valid() else scoped


def _export(request: HttpRequest, *, fmt: str, query: QueryDict, reason: str = "") -> HttpResponse:
    """A small export as the answer, a large one as a job whose page shows its progress."""
    from django.http import StreamingHttpResponse

    from documents.spreadsheets import csv_chunks, xlsx_bytes
    from hardship import exporting

    full_ids = bool(reason)
    queryset = _export_queryset(request, query)
    count = exporting.export_row_count(queryset, limit=exporting.WEB_EXPORT_ROWS + 1)
    if count > exporting.WEB_EXPORT_ROWS:
        document = exporting.file_export_request(
            by=request.user, query=query.urlencode(), fmt=fmt, full_ids=full_ids, reason=reason
        )
        return redirect(document)
    if full_ids:
        exporting.full_id_export_record(by=request.user, reason=reason, row_count=count)
    rows = exporting.file_rows(queryset, full_ids=full_ids)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_chunks(rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(rows, title=_("Hardship files")), content_type=exporting.XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{exporting.export_file_name(fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


@branch_view()
def file_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list as xlsx or CSV, ID numbers masked; a large one is made by a worker."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    return _export(request, fmt=fmt, query=request.GET)


@branch_view()
@require_POST
def file_export_full(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list with full ID numbers: a POST stating why, recorded once per export."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    may_see_full_id_numbers(request.user).enforce()
    form = FullIdExportForm(request.POST)
    if not form.is_valid():
        return render(request, "hardship/file_export_full.html", {"form": form}, status=400)
    return _export(
        request,
        fmt=fmt,
        query=QueryDict(form.cleaned_data["query"]),
        reason=form.cleaned_data["reason"],
    )


@branch_view()
@sensitive_post_parameters()
@require_POST
def file_find_by_id(request: HttpRequest) -> HttpResponse:
    """Find a household by a full ID number (the worker's or a member's), sent by POST so
    the number never appears in a link, browser history or a server log."""
    form = IdSearchForm(request.POST)
    matches = []
    if form.is_valid():
        matches = list(
            files_search(
                files_for_user(user=request.user), text=form.cleaned_data["id_number"]
            ).select_related("unit")[:20]
        )
        if len(matches) == 1:
            return redirect(matches[0])
    return render(
        request,
        "hardship/file_find_by_id.html",
        {"form": form, "matches": matches},
        status=200 if form.is_valid() else 400,
    )


@branch_view()
@require_POST
def file_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the file card (困难职工档案表) as a PDF to print and sign."""
    from documents.services import JobAlreadyRunning
    from hardship.file_card import file_card_request

    file = _get_file(request, pk)
    try:
        document = file_card_request(file=file, by=request.user, language=request.LANGUAGE_CODE)
    except JobAlreadyRunning as running:
        return redirect(running.running)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(file)
    return redirect(document)


@branch_view()
def change_request_list(request: HttpRequest) -> HttpResponse:
    """Proposed changes to files on record in this branch, old → new, to accept or refuse."""
    changes = [
        (change, may_decide_change_request(request.user, change))
        for change in change_requests_for_user(user=request.user)[:CHANGE_PAGE]
    ]
    return render(
        request,
        "hardship/change_request_list.html",
        {"changes": changes, "decision_form": ChangeDecisionForm(prefix="decide")},
    )


# Proposals wait a few days at most; a branch with more than this decides the oldest first.
CHANGE_PAGE = 200


@branch_view()
@require_POST
def change_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """An approver accepts or refuses a proposed change to a file of their branch."""
    change = get_object_for_user(
        FileChangeRequest.objects.select_related("file__unit"),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )
    form = ChangeDecisionForm(request.POST, prefix="decide")
    if form.is_valid():
        try:
            if form.cleaned_data["accept"]:
                services.hardship_file_change_accept(change=change, by=request.user)
                messages.success(request, _("The change is accepted and applied."))
            else:
                services.hardship_file_change_refuse(
                    change=change, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("The change is refused."))
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
    else:
        messages.error(request, _("Choose whether to accept the change."))
    return redirect("hardship:change_request_list")


@branch_view()
@require_POST
def household_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Print everything held on the household, at its request, as a PDF; the print is recorded."""
    from hardship.household_record import household_record_file_name, household_record_print

    file = _get_file(request, pk)
    form = HouseholdRecordForm(request.POST, prefix="record")
    if not form.is_valid():
        return _render_detail(request, file, forms={"record": form}, status=400)
    try:
        content = household_record_print(
            file=file, by=request.user, reason=form.cleaned_data["reason"]
        )
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(file)
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, household_record_file_name(file)
    )
    response["Cache-Control"] = "no-store"
    return response
