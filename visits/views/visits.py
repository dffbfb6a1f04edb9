"""Pages of pairing, visits, follow-ups and help services.

The file page shows a visits section (``visits/file_section.html``, context
from ``visits.selectors.file_visits_context``); the pages here log and change
what it shows. Every object is fetched through the access rules (404 for
"missing" and "not yours" alike), every write goes through one service, and a
refused write is shown beside the field it is about, with nothing saved
(``common.forms``). Whether a page offers an action is the predicate its service
enforces (``visits.selectors.may_<verb>_<thing>``).
"""

import logging
import re
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.forms import show_refusal
from common.paging import capped_count, keyset_page
from documents.uploads import accepts_upload, upload_response
from hardship.models import HardshipFile
from people.access import branch_view, get_object_for_user, units_visible_to
from people.models import Role, User
from visits import services
from visits.choices import PairingRole
from visits.forms import (
    CadreForm,
    EndForm,
    EnterprisePairingForm,
    FiguresForm,
    FollowUpCancelForm,
    FollowUpCloseForm,
    FollowUpFormSet,
    HelpServiceForm,
    PairingForm,
    VisitForm,
    follow_up_owners,
)
from visits.models import Cadre, EnterprisePairing, FollowUp, Pairing, Visit, VisitPhoto
from visits.selectors import (
    LIST_CAP,
    MISSING_ANY,
    MISSING_CHOICES,
    cadre_enterprises,
    cadre_households,
    cadres_for_user,
    cadres_with_counts,
    campaign_listing_file,
    file_helpers,
    files_without_current_helper,
    help_person_times,
    may_cancel_follow_up,
    may_close_follow_up,
    may_create_cadre,
    may_end_enterprise_pairing,
    may_end_pairing,
    may_log_visit,
    may_raise_follow_up,
    may_record_help,
    may_start_enterprise_pairing,
    may_start_pairing,
    my_follow_ups,
    overdue_by_owner,
    overdue_by_unit,
    overdue_follow_ups,
    visit_figures,
    visit_kinds_for,
    with_follow_up_decisions,
)

logger = logging.getLogger(__name__)

CASEWORK = (Role.CASEWORKER,)
PAGE_SIZE = 50
# A cadre is searched by name; nothing longer can match one.
NAME_SEARCH_MAX = 100
# How visit_log names a field of the n-th follow-up it was given.
FOLLOW_UP_ROW_KEY = re.compile(r"follow_ups-(?P<index>\d+)-(?P<field>\w+)")


# ====================================================================== helpers


def _get_file(request: HttpRequest, pk: int) -> HardshipFile:
    return get_object_for_user(
        HardshipFile.objects.select_related("unit"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a form: the page it was opened from, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _file_anchor(file: HardshipFile, anchor: str = "visits") -> str:
    return f"{file.get_absolute_url()}#{anchor}"


# ====================================================================== visits


@branch_view(roles=CASEWORK)
@require_http_methods(["GET", "HEAD", "POST"])
@accepts_upload
def visit_create(request: HttpRequest, file_pk: int) -> HttpResponse:
    """Log a visit to a household, with its follow-ups and photos."""
    file = _get_file(request, file_pk)
    user: User = request.user
    if not (allowed := may_log_visit(user, file)):
        messages.error(request, allowed.reason)
        return redirect(file)
    kinds = visit_kinds_for(file=file)
    owners = follow_up_owners(file=file, user=user)
    row_kwargs = {"owners": owners, "owner": owners.filter(pk=user.pk).first()}
    if request.method != "POST":
        kind = request.GET.get("kind")
        today = timezone.localdate()
        # A visit counts toward a campaign's coverage only with the campaign chosen, so the
        # one whose list still awaits the household is chosen; the list row the form came
        # from (?campaign=) is only a preference among those, never a choice it would not offer.
        campaign = campaign_listing_file(
            file=file, on=today, prefer=_int_or_none(request.GET.get("campaign"))
        )
        form = VisitForm(
            initial={
                "visited_on": today,
                "kind": kind if kind in kinds else kinds[0],
                "visitors": [user.pk],
                "campaign": campaign.pk if campaign else None,
                "people_reached": 1,
            },
            file=file,
            user=user,
            kinds=kinds,
        )
        rows = FollowUpFormSet(prefix="follow_ups", form_kwargs=row_kwargs)
        return _visit_page(request, file, form, rows)
    refusal = request.upload_refusal()
    form = VisitForm(
        request.POST, request.FILES, file=file, user=user, kinds=kinds, refusal=refusal
    )
    rows = FollowUpFormSet(request.POST, prefix="follow_ups", form_kwargs=row_kwargs)
    if "add_follow_up" in request.POST:
        return _visit_page(request, file, *_with_one_more_row(request, file, row_kwargs, kinds))
    form_ok, rows_ok = form.is_valid(), rows.is_valid()
    changed = [row for row in rows.forms if row.has_changed()] if rows_ok else []
    if form_ok and rows_ok:
        data = form.cleaned_data
        try:
            visit = services.visit_log(
                file=file,
                by=user,
                visited_on=data["visited_on"],
                kind=data["kind"],
                visitors=list(data["visitors"]),
                cadres=list(data["cadres"]),
                campaign=data["campaign"],
                findings=data["findings"],
                pressing_problems=data["pressing_problems"],
                solved_on_spot=data["solved_on_spot"],
                goods=data["goods"],
                goods_value=data["goods_value"] or 0,
                cash_amount=data["cash_amount"] or 0,
                people_reached=data["people_reached"],
                follow_ups=[row.follow_up_input() for row in changed],
                photos=data["photos"],
            )
        except (PermissionDenied, ValidationError) as refused:
            _show_visit_refusal(refused, form, changed)
        else:
            messages.success(
                request,
                _("The visit of %(date)s is logged.") % {"date": visit.visited_on.isoformat()},
            )
            # From a visit list, back to the household's row in it; else to the file.
            return redirect(_next_url(request, _file_anchor(file)))
    # A browser never sends chosen files again: say so beside the photos.
    form.photos_lost = bool(request.FILES.getlist("photos")) or refusal is not None
    return _visit_page(request, file, form, rows, status=400)


def _show_visit_refusal(refusal: ValidationError | PermissionDenied, form, rows) -> None:
    """Show a refusal of ``visit_log``: what it says of follow-up ``n`` (keyed
    ``follow_ups-<n>-<field>``) beside that row's field, the rest on the visit's form."""
    if not (isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict")):
        show_refusal(form, refusal)
        return
    about_the_visit = {}
    for key, errors in refusal.error_dict.items():
        row = FOLLOW_UP_ROW_KEY.fullmatch(key)
        if row and int(row["index"]) < len(rows):
            show_refusal(rows[int(row["index"])], ValidationError({row["field"]: errors}))
        else:
            about_the_visit[key] = errors
    if about_the_visit:
        show_refusal(form, ValidationError(about_the_visit))


def _with_one_more_row(request, file, row_kwargs, kinds):
    """The form again, with one more follow-up row and no errors yet: no script needed."""
    data = request.POST.copy()
    # The posted count is whatever the browser sent; the formset's own count is bounded.
    total = FollowUpFormSet(data, prefix="follow_ups", form_kwargs=row_kwargs).total_form_count()
    data["follow_ups-TOTAL_FORMS"] = str(min(total + 1, services.MAX_FOLLOW_UPS_PER_VISIT))
    form = VisitForm(data, file=file, user=request.user, kinds=kinds)
    rows = FollowUpFormSet(data, prefix="follow_ups", form_kwargs=row_kwargs)
    for bound in (form, *rows.forms):
        bound._errors = {}
    rows._non_form_errors = rows.error_class()
    form.photos_lost = bool(request.FILES.getlist("photos"))
    return form, rows


def _visit_page(request, file, form, rows, status=200) -> HttpResponse:
    return render(
        request,
        "visits/visit_form.html",
        {
            "file": file,
            "next": _next_url(request, ""),
            "form": form,
            "rows": rows,
            "allowed": {"raise_follow_up": may_raise_follow_up(request.user, file)},
            "can_add_row": rows.total_form_count() < services.MAX_FOLLOW_UPS_PER_VISIT,
        },
        status=status,
    )


@branch_view()
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_for_user(
        Visit.objects.select_related("file", "file__unit", "campaign", "recorded_by"),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )
    follow_ups = with_follow_up_decisions(
        list(visit.follow_ups.select_related("owner", "closed_by", "return_visit")),
        file=visit.file,
        user=request.user,
    )
    return render(
        request,
        "visits/visit_detail.html",
        {
            "visit": visit,
            "file": visit.file,
            "visitors": list(visit.visitors.all()),
            "cadres": list(visit.cadres.all()),
            "photos": list(visit.photos.all()),
            "follow_ups": follow_ups,
            "returned": list(visit.returned_follow_ups.select_related("visit")),
            "help_services": list(visit.help_services.all()),
            "allowed": {"record_help": may_record_help(request.user, visit.file)},
            "visits_today": timezone.localdate(),
        },
    )


@branch_view()
@require_safe
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo, for someone who may see the visit's file; served inline, never cached."""
    photo = get_object_for_user(
        VisitPhoto.objects.all(), user=request.user, unit_path="visit__file__unit__path", pk=pk
    )
    return upload_response(photo)


# ====================================================================== follow-ups


def _get_follow_up(request: HttpRequest, pk: int) -> FollowUp:
    return get_object_for_user(
        FollowUp.objects.select_related(
            "file", "file__unit", "visit", "owner", "closed_by", "return_visit"
        ),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )


@branch_view()
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _follow_up_page(request, _get_follow_up(request, pk))


def _follow_up_page(
    request, follow_up: FollowUp, *, close_form=None, cancel_form=None, status=200
) -> HttpResponse:
    allowed = {
        "close": may_close_follow_up(request.user, follow_up),
        "cancel": may_cancel_follow_up(request.user, follow_up),
        "log_return_visit": may_log_visit(request.user, follow_up.file),
    }
    return render(
        request,
        "visits/follow_up_detail.html",
        {
            "follow_up": follow_up,
            "file": follow_up.file,
            "allowed": allowed,
            "close_form": close_form
            or (FollowUpCloseForm(follow_up=follow_up) if allowed["close"] else None),
            "cancel_form": cancel_form or (FollowUpCancelForm() if allowed["cancel"] else None),
            "next": _next_url(request, ""),
            "visits_today": timezone.localdate(),
        },
        status=status,
    )


@branch_view(roles=CASEWORK)
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _get_follow_up(request, pk)
    form = FollowUpCloseForm(request.POST, follow_up=follow_up)
    if form.is_valid():
        try:
            services.follow_up_close(
                follow_up=follow_up,
                by=request.user,
                resolution=form.cleaned_data["resolution"],
                return_visit=form.cleaned_data["return_visit"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The follow-up is closed as done."))
            return redirect(_next_url(request, _file_anchor(follow_up.file, "follow-ups")))
    follow_up.refresh_from_db()
    return _follow_up_page(request, follow_up, close_form=form, status=400)


@branch_view(roles=CASEWORK)
@require_POST
def follow_up_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = _get_follow_up(request, pk)
    form = FollowUpCancelForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_cancel(
                follow_up=follow_up, by=request.user, reason=form.cleaned_data["reason"]
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The follow-up is cancelled."))
            return redirect(_next_url(request, _file_anchor(follow_up.file, "follow-ups")))
    follow_up.refresh_from_db()
    return _follow_up_page(request, follow_up, cancel_form=form, status=400)


@branch_view()
def follow_up_mine(request: HttpRequest) -> HttpResponse:
    """The signed-in caseworker's open follow-ups, the most overdue first."""
    rows = list(my_follow_ups(user=request.user)[: LIST_CAP + 1])
    return render(
        request,
        "visits/follow_up_mine.html",
        {
            "follow_ups": rows[:LIST_CAP],
            "more": len(rows) > LIST_CAP,
            "overdue_count": sum(1 for f in rows if f.due_on < timezone.localdate()),
            "visits_today": timezone.localdate(),
            "tab": "mine",
        },
    )


@branch_view()
def follow_up_overdue(request: HttpRequest) -> HttpResponse:
    """Overdue follow-ups of the branch: counted per caseworker and per unit, then listed."""
    user: User = request.user
    owner = unit = None
    if request.GET.get("owner", "").isdigit():
        owner = get_object_for_user(
            User.objects.all(), user=user, unit_path="unit__path", pk=request.GET["owner"]
        )
    if request.GET.get("unit", "").isdigit():
        unit = get_object_for_user(
            units_visible_to(user), user=user, unit_path="path", pk=request.GET["unit"]
        )
    rows = list(overdue_follow_ups(user=user, owner=owner, unit=unit)[: LIST_CAP + 1])
    return render(
        request,
        "visits/follow_up_overdue.html",
        {
            "by_owner": overdue_by_owner(user=user),
            "by_unit": overdue_by_unit(user=user),
            "follow_ups": rows[:LIST_CAP],
            "more": len(rows) > LIST_CAP,
            "owner": owner,
            "unit": unit,
            "visits_today": timezone.localdate(),
            "tab": "overdue",
        },
    )


# ====================================================================== cadres and pairing


@branch_view()
def cadre_list(request: HttpRequest) -> HttpResponse:
    cadres = cadres_with_counts(user=request.user).select_related("unit")
    # PostgreSQL refuses NUL in text; no name holds one, so it is left out of the search.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:NAME_SEARCH_MAX]
    if query:
        cadres = cadres.filter(name__contains=query)
    page = keyset_page(
        cadres,
        order=("name", "id"),
        size=PAGE_SIZE,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    return render(
        request,
        "visits/cadre_list.html",
        {
            "page": page,
            "q": query,
            "allowed": {"create_cadre": may_create_cadre(request.user, None)},
            "tab": "cadres",
        },
    )


@branch_view(roles=(Role.CASEWORKER, Role.UNIT_ADMIN))
@sensitive_post_parameters()
def cadre_new(request: HttpRequest) -> HttpResponse:
    form = CadreForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            cadre = services.cadre_create(
                by=request.user,
                unit=data["unit"],
                name=data["name"],
                position=data["position"],
                phone=data["phone"],
                user=data["username"],
                is_leading_cadre=data["is_leading_cadre"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("%(name)s is added.") % {"name": cadre.name})
            return redirect(cadre)
    status = 400 if request.method == "POST" else 200
    return render(request, "visits/cadre_form.html", {"form": form, "tab": "cadres"}, status=status)


def _get_cadre(request: HttpRequest, pk: int) -> Cadre:
    return get_object_for_user(
        Cadre.objects.select_related("unit", "user"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


@branch_view()
def cadre_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _cadre_page(request, _get_cadre(request, pk))


def _cadre_page(request, cadre: Cadre, *, form=None, failed=None, status=200) -> HttpResponse:
    user: User = request.user
    pair = may_start_enterprise_pairing(user, cadre)
    current = list(cadre_households(cadre=cadre, user=user)[: LIST_CAP + 1])
    enterprises = list(cadre_enterprises(cadre=cadre, user=user)[:LIST_CAP])
    for pairing in enterprises:
        pairing.may_end = may_end_enterprise_pairing(user, pairing)
        pairing.end_form = (
            failed if failed is not None and failed.prefix == f"end-{pairing.pk}" else None
        ) or EndForm(prefix=f"end-{pairing.pk}")
    return render(
        request,
        "visits/cadre_detail.html",
        {
            "cadre": cadre,
            "households": current[:LIST_CAP],
            "more_households": len(current) > LIST_CAP,
            "past_households": list(
                cadre_households(cadre=cadre, user=user, current=False)[:LIST_CAP]
            ),
            "enterprises": enterprises,
            "enterprise_form": form or (EnterprisePairingForm(user=user) if pair else None),
            "tab": "cadres",
        },
        status=status,
    )


@branch_view(roles=CASEWORK)
@require_POST
def enterprise_pairing_new(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _get_cadre(request, pk)
    form = EnterprisePairingForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.enterprise_pairing_start(
                cadre=cadre,
                unit=data["unit"],
                enterprise_name=data["enterprise_name"],
                credit_code=data["credit_code"],
                starts_on=data["starts_on"],
                by=request.user,
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request, _("The enterprise is paired with %(name)s.") % {"name": cadre.name}
            )
            return redirect(cadre)
    return _cadre_page(request, cadre, form=form, status=400)


@branch_view(roles=CASEWORK)
@require_POST
def enterprise_pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_for_user(
        EnterprisePairing.objects.select_related("cadre", "cadre__unit", "cadre__user"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )
    form = EndForm(request.POST, prefix=f"end-{pairing.pk}")
    if form.is_valid():
        try:
            services.enterprise_pairing_end(
                enterprise_pairing=pairing, ends_on=form.cleaned_data["ends_on"], by=request.user
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The pairing has ended."))
            return redirect(pairing.cadre)
    cadre = pairing.cadre
    if not cadres_for_user(user=request.user).filter(pk=cadre.pk).exists():
        raise Http404
    return _cadre_page(request, cadre, failed=form, status=400)


@branch_view()
def file_pairings(request: HttpRequest, file_pk: int) -> HttpResponse:
    """A file's helpers now and before, and (for its caseworkers) the form to pair one."""
    file = _get_file(request, file_pk)
    if request.method == "POST":
        form = PairingForm(request.POST, file=file, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                pairing = services.pairing_start(
                    file=file,
                    cadre=data["cadre"],
                    role=data["role"],
                    starts_on=data["starts_on"],
                    by=request.user,
                )
            except (PermissionDenied, ValidationError) as refused:
                show_refusal(form, refused)
            else:
                messages.success(
                    request,
                    _("%(name)s is paired with the household as %(role)s.")
                    % {"name": pairing.cadre.name, "role": pairing.get_role_display()},
                )
                return redirect(_file_anchor(file, "helpers"))
        return _pairings_page(request, file, form=form, status=400)
    return _pairings_page(request, file)


def _pairings_page(request, file, *, form=None, failed=None, status=200) -> HttpResponse:
    user: User = request.user
    allowed = {
        "start_pairing": may_start_pairing(user, file),
        "create_cadre": may_create_cadre(user, None),
    }
    helpers = file_helpers(file=file)
    for pairing in helpers.current:
        pairing.file = file
        pairing.may_end = may_end_pairing(user, pairing)
        pairing.end_form = (
            failed if failed is not None and failed.prefix == f"end-{pairing.pk}" else None
        ) or EndForm(prefix=f"end-{pairing.pk}")
    role = request.GET.get("role")
    return render(
        request,
        "visits/file_pairings.html",
        {
            "file": file,
            "helpers": helpers,
            "allowed": allowed,
            "form": form
            or (
                PairingForm(
                    file=file,
                    user=user,
                    initial={"role": role if role in PairingRole.values else None},
                )
                if allowed["start_pairing"]
                else None
            ),
        },
        status=status,
    )


@branch_view(roles=CASEWORK)
@require_POST
def pairing_end(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_object_for_user(
        Pairing.objects.select_related("file", "file__unit", "cadre"),
        user=request.user,
        unit_path="file__unit__path",
        pk=pk,
    )
    form = EndForm(request.POST, prefix=f"end-{pairing.pk}")
    if form.is_valid():
        try:
            services.pairing_end(
                pairing=pairing, ends_on=form.cleaned_data["ends_on"], by=request.user
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The pairing has ended; it stays in the history."))
            return redirect(_file_anchor(pairing.file, "helpers"))
    return _pairings_page(request, pairing.file, failed=form, status=400)


@branch_view()
def pairing_coverage(request: HttpRequest) -> HttpResponse:
    """Files on record in the branch without a current helper (all, or of one role)."""
    missing = request.GET.get("missing")
    missing = missing if missing in MISSING_CHOICES else MISSING_ANY
    files = files_without_current_helper(user=request.user, missing=missing)
    page = keyset_page(
        files.select_related("unit"),
        order=("file_number",),
        size=PAGE_SIZE,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
    )
    total, more = capped_count(files)
    for file in page.rows:
        file.may_pair = may_start_pairing(request.user, file)
    return render(
        request,
        "visits/pairing_coverage.html",
        {
            "page": page,
            "total": total,
            "total_is_capped": more,
            "missing": missing,
            "choices": [
                (MISSING_ANY, _("No helper at all")),
                (PairingRole.LEADING_CADRE.value, _("No leading cadre")),
                (PairingRole.RESPONSIBLE_HELPER.value, _("No union helper")),
            ],
            "tab": "coverage",
        },
    )


# ====================================================================== help services


@branch_view(roles=CASEWORK)
def help_service_new(request: HttpRequest, file_pk: int) -> HttpResponse:
    file = _get_file(request, file_pk)
    if not (allowed := may_record_help(request.user, file)):
        messages.error(request, allowed.reason)
        return redirect(file)
    if request.method != "POST":
        visit = request.GET.get("visit", "")
        form = HelpServiceForm(
            file=file,
            initial={"visit": int(visit)} if visit.isascii() and visit.isdigit() else None,
        )
        return _help_page(request, file, form)
    form = HelpServiceForm(request.POST, file=file)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.help_service_record(
                file=file,
                by=request.user,
                kind=data["kind"],
                provided_on=data["provided_on"],
                provider=data["provider"],
                campaign=data["campaign"],
                visit=data["visit"],
                person_times=data["person_times"],
                outcome=data["outcome"],
                training_hours=data["training_hours"],
                certificate=data["certificate"],
                amount_recovered=data["amount_recovered"],
            )
        except (PermissionDenied, ValidationError) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The help is recorded."))
            return redirect(_file_anchor(file))
    return _help_page(request, file, form, status=400)


def _help_page(request, file, form, status=200) -> HttpResponse:
    return render(request, "visits/help_form.html", {"file": file, "form": form}, status=status)


# ====================================================================== figures


@branch_view()
def figures(request: HttpRequest) -> HttpResponse:
    """Visits and help of the branch in a period, by kind, in households and person-times."""
    user: User = request.user
    today = timezone.localdate()
    defaults = {"unit": user.unit_id, "starts_on": date(today.year, 1, 1), "ends_on": today}
    form = FiguresForm(request.GET or None, user=user, initial=defaults)
    if form.is_bound and form.is_valid():
        unit = form.cleaned_data["unit"] or user.unit
        starts_on, ends_on = form.cleaned_data["starts_on"], form.cleaned_data["ends_on"]
    else:
        unit, starts_on, ends_on = user.unit, defaults["starts_on"], defaults["ends_on"]
    status = 400 if form.is_bound and not form.is_valid() else 200
    period = {"user": user, "unit": unit, "starts_on": starts_on, "ends_on": ends_on}
    visits = visit_figures(**period)
    helps = help_person_times(**period)
    return render(
        request,
        "visits/figures.html",
        {
            "form": form,
            "unit": unit,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "visits": visits,
            "helps": helps,
            "visit_totals": _totals(visits),
            "help_totals": _totals(helps),
            "tab": "figures",
        },
        status=status,
    )


def _totals(rows) -> dict:
    return {
        "records": sum(r.records for r in rows),
        "person_times": sum(r.person_times for r in rows),
        "amount": sum(r.amount for r in rows),
    }
