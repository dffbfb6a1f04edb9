"""Pages of campaigns: the list, creating one, coverage with drill-down, visit lists.

Whether a page offers an action is the predicate its service enforces
(``visits.selectors.may_<verb>_<thing>``); a refusal is shown through ``common.forms``.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from common.forms import report_refusal, show_refusal
from documents.services import JobAlreadyRunning
from people.access import branch_view, get_object_for_user, units_visible_to
from people.models import Role, UnionUnit
from visits.campaigns import (
    campaign_correct,
    campaign_corrections,
    campaign_coverage,
    campaign_create,
    campaigns_for_user,
    visit_list_approve,
    visit_list_documents,
    visit_list_request_document,
    visit_lists_approve_all,
    visit_lists_for_user,
    visit_lists_request_build,
    visit_lists_request_document,
)
from visits.choices import VisitListStatus
from visits.forms_campaigns import CampaignCorrectForm, CampaignForm, correction_lines
from visits.models import Campaign, VisitList, VisitListRow
from visits.selectors import (
    VISIT_LIST_ROW_ORDER,
    may_approve_visit_list,
    may_approve_visit_lists,
    may_build_visit_lists,
    may_correct_campaign,
    may_create_campaign,
    may_log_campaign_visit,
    may_print_visit_list,
    may_print_visit_lists,
)
from visits.slots import CAMPAIGN_ACTIONS, CAMPAIGN_PAGE, VISIT_LIST_ACTIONS

LISTS_PER_PAGE = 50


def _get_campaign(request: HttpRequest, pk: int) -> Campaign:
    campaign = (
        campaigns_for_user(user=request.user).select_related("organiser").filter(pk=pk).first()
    )
    if campaign is None:
        raise Http404
    return campaign


def _viewing_unit(request: HttpRequest, campaign: Campaign) -> UnionUnit:
    """The unit whose coverage is shown: the user's own, the organiser, or one drilled down to."""
    user = request.user
    if request.GET.get("unit"):
        unit = get_object_for_user(
            UnionUnit.objects.all(), user=user, unit_path="path", pk=request.GET["unit"]
        )
    elif user.unit and user.unit.is_in_branch_of(campaign.organiser):
        unit = user.unit
    else:
        unit = campaign.organiser
        if not user.is_superuser and not unit.is_in_branch_of(user.unit):
            raise Http404
    if not unit.is_in_branch_of(campaign.organiser):
        raise Http404
    return unit


@branch_view()
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = campaigns_for_user(user=request.user).select_related("organiser")[:100]
    allowed = {"create_campaign": may_create_campaign(request.user, request.user.unit)}
    return render(
        request, "visits/campaign_list.html", {"campaigns": campaigns, "allowed": allowed}
    )


@branch_view(roles=(Role.APPROVER,))
def campaign_new(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                by=request.user,
                season=form.cleaned_data["season"],
                year=form.cleaned_data["year"],
                name=form.cleaned_data["name"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                organiser=request.user.unit,
                rule=form.rule(),
                aid_standards=form.aid_standards(),
            )
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, _("The campaign is created. Build its visit lists next."))
            return redirect(campaign)
    return render(
        request, "visits/campaign_form.html", {"form": form}, status=400 if form.errors else 200
    )


@branch_view()
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _get_campaign(request, pk)
    unit = _viewing_unit(request, campaign)
    total, children = campaign_coverage(campaign=campaign, unit=unit)
    lists = Paginator(
        visit_lists_for_user(user=request.user, campaign=campaign)
        .filter(unit__path__startswith=unit.path)
        .order_by("unit__path"),
        LISTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    trail = [
        u
        for u in units_visible_to(request.user).filter(pk__in=unit.ancestor_ids)
        if u.is_in_branch_of(campaign.organiser)
    ]
    page = {"campaign": campaign, "unit": unit, "trail": trail, "user": request.user}
    return render(
        request,
        "visits/campaign_detail.html",
        {
            **page,
            "total": total,
            "children": children,
            "lists": lists,
            "allowed": {
                "build_lists": may_build_visit_lists(request.user, campaign, unit=unit),
                "approve_lists": may_approve_visit_lists(request.user, campaign, unit=unit),
                "correct": may_correct_campaign(request.user, campaign),
                "print_lists": may_print_visit_lists(request.user, campaign, unit=unit),
            },
            "corrections": [
                (correction, correction_lines(correction.changes))
                for correction in campaign_corrections(campaign=campaign)
            ],
            "actions": CAMPAIGN_ACTIONS.sections(**page),
            "sections": CAMPAIGN_PAGE.sections(**page, has_lists=bool(lists.paginator.count)),
        },
    )


@branch_view(roles=(Role.APPROVER,))
def campaign_correct_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The organiser corrects the campaign's dates, target group and aid standards, until its
    first visit list is approved."""
    campaign = _get_campaign(request, pk)
    decision = may_correct_campaign(request.user, campaign)
    if decision.denied:
        raise Http404
    form = CampaignCorrectForm(request.POST or None, campaign=campaign)
    if not decision:
        # Approved since the page was offered: say why instead of showing a form that fails.
        report_refusal(request, ValidationError(decision.reason))
        return redirect(campaign)
    if request.method == "POST" and form.is_valid():
        try:
            correction = campaign_correct(
                campaign=campaign,
                by=request.user,
                name=form.cleaned_data["name"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                rule=form.rule(),
                aid_standards=form.aid_standards(),
            )
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            if correction is None:
                messages.info(request, _("Nothing was changed."))
            elif any(c["field"] == "target_rule" for c in correction.changes) and (
                VisitList.objects.filter(campaign=campaign).exists()
            ):
                messages.success(
                    request,
                    _(
                        "The campaign is corrected. Rebuild its visit lists so they follow "
                        "the new target group."
                    ),
                )
            else:
                messages.success(request, _("The campaign is corrected."))
            return redirect(campaign)
    return render(
        request,
        "visits/campaign_correct.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


def _campaign_url(campaign: Campaign, unit: UnionUnit) -> str:
    """The campaign's page at ``unit``."""
    return f"{campaign.get_absolute_url()}?unit={unit.pk}"


@branch_view()
def campaign_build(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the worker to build (or rebuild) the lists of the unit being viewed; a GET asks
    first, saying what a rebuild keeps."""
    campaign = _get_campaign(request, pk)
    unit = _viewing_unit(request, campaign)
    if request.method != "POST":
        decision = may_build_visit_lists(request.user, campaign, unit=unit)
        if not decision:
            raise Http404
        return render(
            request,
            "visits/confirm_action.html",
            {
                "title": _("Rebuild the visit lists of %(unit)s?") % {"unit": unit.name},
                "points": [
                    _("Every list not yet approved is written again from today's files."),
                    _("Visits already logged are kept, with their households on the lists."),
                    _("Approved lists are not touched."),
                ],
                "action": f"{reverse('visits:campaign_build', args=[campaign.pk])}?unit={unit.pk}",
                "button": _("Rebuild the visit lists"),
                "testid": "confirm-build",
                "back": _campaign_url(campaign, unit),
            },
        )
    try:
        document = visit_lists_request_build(campaign=campaign, by=request.user, unit=unit)
    except JobAlreadyRunning as running:
        messages.info(request, _("These lists are being built already; here is that job."))
        return redirect(running.running)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(campaign)
    return redirect(document)


@branch_view()
@require_POST
def campaign_lists_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Ask for every visit list of the branch being viewed as one PDF (each team's list from a
    new page, to print for the teams at once) or one spreadsheet."""
    campaign = _get_campaign(request, pk)
    unit = _viewing_unit(request, campaign)
    if kind not in visit_list_documents():
        raise Http404
    try:
        document = visit_lists_request_document(
            campaign=campaign, unit=unit, kind=kind, by=request.user
        )
    except JobAlreadyRunning as running:
        return redirect(running.running)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect(_campaign_url(campaign, unit))
    return redirect(document)


@branch_view()
def campaign_unvisited(request: HttpRequest, pk: int) -> HttpResponse:
    """不漏一户: the households of the branch not yet visited in this campaign."""
    campaign = _get_campaign(request, pk)
    unit = _viewing_unit(request, campaign)
    rows = (
        VisitListRow.objects.filter(
            campaign=campaign, visit__isnull=True, visit_list__unit__path__startswith=unit.path
        )
        .select_related("visit_list__unit")
        .order_by("visit_list__unit__path", "priority", "pk")
    )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "visits/campaign_unvisited.html",
        {"campaign": campaign, "unit": unit, "page": page},
    )


def _get_list(request: HttpRequest, pk: int) -> VisitList:
    return get_object_for_user(
        VisitList.objects.select_related("campaign", "unit", "approved_by"),
        user=request.user,
        unit_path="unit__path",
        pk=pk,
    )


@branch_view()
def visit_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit_list = _get_list(request, pk)
    rows = list(
        visit_list.rows.select_related("visit", "file__unit", "campaign__organiser").order_by(
            *VISIT_LIST_ROW_ORDER
        )
    )
    # Each household not yet visited links to the visit form with this campaign chosen; the
    # number is the walking order, as the printed list and the spreadsheet number it.
    for number, row in enumerate(rows, start=1):
        row.number = number
        row.may_log_visit = may_log_campaign_visit(request.user, row)
    return render(
        request,
        "visits/visit_list_detail.html",
        {
            "visit_list": visit_list,
            "rows": rows,
            "allowed": {
                "approve": may_approve_visit_list(request.user, visit_list),
                "print": may_print_visit_list(request.user, visit_list),
            },
            "actions": VISIT_LIST_ACTIONS.sections(visit_list=visit_list, user=request.user),
        },
    )


@branch_view(roles=(Role.APPROVER,))
def campaign_approve_lists(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve every ready list of the branch being viewed: a GET lists them with their
    counts, and those that cannot be approved; the POST approves them all."""
    campaign = _get_campaign(request, pk)
    unit = _viewing_unit(request, campaign)
    if request.method == "POST":
        try:
            approved = visit_lists_approve_all(campaign=campaign, unit=unit, by=request.user)
        except (PermissionDenied, ValidationError) as refused:
            report_refusal(request, refused)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d list is approved: it no longer changes.",
                    "%(count)d lists are approved: they no longer change.",
                    len(approved),
                )
                % {"count": len(approved)},
            )
        return redirect(_campaign_url(campaign, unit))
    if not may_approve_visit_lists(request.user, campaign, unit=unit):
        raise Http404
    lists = visit_lists_for_user(user=request.user, campaign=campaign).filter(
        unit__path__startswith=unit.path
    )
    ready = Paginator(
        lists.filter(status=VisitListStatus.READY).order_by("unit__path"), LISTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    others = lists.exclude(status=VisitListStatus.READY)
    return render(
        request,
        "visits/campaign_approve_lists.html",
        {
            "campaign": campaign,
            "unit": unit,
            "ready": ready,
            "households": lists.filter(status=VisitListStatus.READY).aggregate(
                n=Coalesce(Sum("row_count"), 0)
            )["n"],
            "building": others.filter(status=VisitListStatus.BUILDING).order_by("unit__path")[
                :LISTS_PER_PAGE
            ],
            "building_count": others.filter(status=VisitListStatus.BUILDING).count(),
            "approved_count": others.filter(status=VisitListStatus.APPROVED).count(),
            "back": _campaign_url(campaign, unit),
        },
    )


@branch_view(roles=(Role.APPROVER,))
def visit_list_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve one list; a GET asks first, saying what approving does."""
    visit_list = _get_list(request, pk)
    if request.method != "POST":
        if not may_approve_visit_list(request.user, visit_list):
            raise Http404
        return render(
            request,
            "visits/confirm_action.html",
            {
                "title": _("Approve the visit list of %(unit)s?") % {"unit": visit_list.unit.name},
                "points": [
                    ngettext(
                        "It holds %(count)d household.",
                        "It holds %(count)d households.",
                        visit_list.row_count,
                    )
                    % {"count": visit_list.row_count},
                    _("Approving freezes the list: its rows and order no longer change."),
                    _("Visits already logged are kept, and visits can still be logged."),
                ],
                "action": reverse("visits:visit_list_approve", args=[visit_list.pk]),
                "button": _("Approve the list"),
                "testid": "confirm-approve",
                "back": reverse("visits:visit_list_detail", args=[visit_list.pk]),
            },
        )
    try:
        visit_list_approve(visit_list=visit_list, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
    else:
        messages.success(request, _("The list is approved: it no longer changes."))
    return redirect("visits:visit_list_detail", pk=visit_list.pk)


@branch_view()
@require_POST
def visit_list_document(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Ask for the list as a PDF to print and sign, or as a spreadsheet."""
    visit_list = _get_list(request, pk)
    if kind not in visit_list_documents():
        raise Http404
    helper = request.POST.get("helper", "")
    try:
        document = visit_list_request_document(
            visit_list=visit_list,
            kind=kind,
            by=request.user,
            helper_id=int(helper) if helper.isdigit() else None,
        )
    except JobAlreadyRunning as running:
        return redirect(running.running)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return redirect("visits:visit_list_detail", pk=visit_list.pk)
    return redirect(document)
