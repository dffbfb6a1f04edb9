"""Pages of the rosters (发放花名册/签领表): the roster of a campaign and unit with its teams,
each team's sheets, their printed versions, the signed paper's scan, sheets and
teams marked signed; and the fund statement PDF.

A roster is named by (campaign, unit), a team by its visit list's pk (0 for the
payments of households on no list); the unit is fetched through the access
rules (404 outside the user's branch), the campaign among those the user may
see, the team among the roster's. The scans leave only through
``roster_scan_download``, checked like a file's attachments.
"""

import logging
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.forms import report_refusal, show_refusal
from documents.services import JobAlreadyRunning
from documents.uploads import UploadForm, accepts_upload, upload_response
from funds import rosters
from funds.forms import PeriodForm
from funds.models import Fund, RosterScan
from funds.selectors import (
    SIGNERS,
    may_print_roster,
    may_tick_roster_lines,
    may_upload_roster_scan,
)
from people.access import branch_view, get_object_for_user
from people.models import Role, UnionUnit
from visits.campaigns import campaigns_for_user
from visits.models import Campaign

logger = logging.getLogger(__name__)

READERS = (Role.CASEWORKER, Role.APPROVER, Role.VIEWER, Role.UNIT_ADMIN)


class RosterScanForm(UploadForm):
    upload_label = gettext_lazy("Scan of the signed roster")


def _get_roster_scope(request: HttpRequest, campaign_pk: int, unit_pk: int):
    unit = get_object_for_user(
        UnionUnit.objects.all(), user=request.user, unit_path="path", pk=unit_pk
    )
    campaign = campaigns_for_user(user=request.user).filter(pk=campaign_pk).first()
    if campaign is None:
        raise Http404
    return campaign, unit


def _roster_url(campaign: Campaign, unit: UnionUnit) -> str:
    return reverse("funds:roster_detail", kwargs={"campaign_pk": campaign.pk, "unit_pk": unit.pk})


def _team_url(campaign: Campaign, unit: UnionUnit, team: int) -> str:
    return reverse(
        "funds:roster_team", kwargs={"campaign_pk": campaign.pk, "unit_pk": unit.pk, "team": team}
    )


def _get_team(campaign: Campaign, unit: UnionUnit, team: int) -> rosters.Roster:
    try:
        return rosters.roster_for(campaign=campaign, unit=unit, team=team)
    except rosters.RosterNotFound:
        raise Http404 from None


@branch_view()
def roster_list(request: HttpRequest) -> HttpResponse:
    """The rosters of the user's branch: each campaign and paying unit with lines on one."""
    return render(
        request,
        "funds/roster_list.html",
        {"rosters": rosters.rosters_of_branch(request.user), "tab": "rosters"},
    )


@branch_view()
def roster_detail(request: HttpRequest, campaign_pk: int, unit_pk: int) -> HttpResponse:
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    return _roster_page(request, campaign, unit)


def _roster_page(
    request: HttpRequest,
    campaign: Campaign,
    unit: UnionUnit,
    *,
    scan_form: RosterScanForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The roster's overview: its teams (one row each, marked signed in one step), the print
    of the whole roster, the signed paper's scans."""
    roster = rosters.roster_summary(campaign=campaign, unit=unit)
    campaign_ended = campaign.ends_on < timezone.localdate()
    scans = list(rosters.roster_scans(campaign=campaign, unit=unit))
    may_upload = may_upload_roster_scan(request.user, unit)
    return render(
        request,
        "funds/roster_detail.html",
        {
            "roster": roster,
            "campaign": campaign,
            "unit": unit,
            "teams": roster.teams,
            "unsigned_count": len(roster.lines) - roster.signed_count,
            "scans": scans,
            "may_upload": may_upload,
            "may_tick": may_tick_roster_lines(request.user, campaign, unit),
            "may_print": may_print_roster(request.user, campaign, unit),
            "scan_form": scan_form or (RosterScanForm() if may_upload else None),
            "campaign_ended": campaign_ended,
            "tab": "rosters",
        },
        status=status,
    )


@branch_view()
def roster_team(request: HttpRequest, campaign_pk: int, unit_pk: int, team: int) -> HttpResponse:
    """One team's part of the roster, sheet by sheet as printed, to mark signed."""
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    return _team_page(request, campaign, unit, _get_team(campaign, unit, team))


def _team_page(
    request: HttpRequest,
    campaign: Campaign,
    unit: UnionUnit,
    roster: rosters.Roster,
    *,
    status: int = 200,
) -> HttpResponse:
    team = roster.team
    campaign_ended = campaign.ends_on < timezone.localdate()
    # A line left unsigned is flagged once its team has been marked (it is an exception the
    # caseworker left out) or once the campaign has ended.
    flag_unsigned = campaign_ended or team.signed_count > 0
    return render(
        request,
        "funds/roster_team.html",
        {
            "roster": roster,
            "team": team,
            "sheets": team.sheets(),
            "campaign": campaign,
            "unit": unit,
            "unsigned": [line for line in team.lines if line.signed_at is None],
            "flag_unsigned": flag_unsigned,
            "may_upload": may_upload_roster_scan(request.user, unit),
            "may_tick": may_tick_roster_lines(request.user, campaign, unit),
            "may_print": may_print_roster(request.user, campaign, unit),
            "tab": "rosters",
        },
        status=status,
    )


@branch_view()
@require_POST
def roster_document(request: HttpRequest, campaign_pk: int, unit_pk: int, kind: str):
    """Ask for the roster (POST ``team``: only that team's sheets) as a PDF to print and sign,
    or as a spreadsheet."""
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    if kind not in rosters.roster_document_kinds():
        raise Http404
    team = None
    if request.POST.get("team", "").isdigit():
        team = _get_team(campaign, unit, int(request.POST["team"])).team
    try:
        document = rosters.roster_print_request(
            campaign=campaign, unit=unit, kind=kind, by=request.user, team=team
        )
    except JobAlreadyRunning as running:
        return redirect(running.running)
    return redirect(document)


@branch_view(roles=SIGNERS)
@require_http_methods(["GET", "HEAD", "POST"])
@accepts_upload
def roster_scan_upload(request: HttpRequest, campaign_pk: int, unit_pk: int) -> HttpResponse:
    """Upload the scan of the signed paper roster (POST); GET leads to the roster."""
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    if request.method != "POST":
        return redirect(_roster_url(campaign, unit))
    form = RosterScanForm(request.POST, request.FILES, refusal=request.upload_refusal())
    if form.is_valid():
        try:
            scan = rosters.roster_scan_upload(
                campaign=campaign, unit=unit, by=request.user, upload=form.cleaned_data["upload"]
            )
        except (ValidationError, PermissionDenied) as refused:
            show_refusal(form, refused)
        else:
            messages.success(
                request, _("The scan “%(name)s” is kept.") % {"name": scan.original_name}
            )
            return redirect(_roster_url(campaign, unit))
    return _roster_page(request, campaign, unit, scan_form=form, status=400)


@branch_view(roles=READERS)
@require_safe
def roster_scan_download(request: HttpRequest, pk: int) -> FileResponse:
    """Send a signed roster's scan to someone of its unit's branch: images inline, PDFs saved."""
    scan = get_object_for_user(
        RosterScan.objects.all(), user=request.user, unit_path="unit__path", pk=pk
    )
    return upload_response(scan)


@branch_view(roles=SIGNERS)
@require_POST
def roster_sign(request: HttpRequest, campaign_pk: int, unit_pk: int, team: int) -> HttpResponse:
    """Mark one sheet of a team signed (POST ``sheet``: its number), or every sheet (``sheet``
    "all"): the lines still ticked on it (``sheet-<n>``: their ids), the unticked ones being
    the exceptions, which stay unsigned."""
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    roster = _get_team(campaign, unit, team)
    sheet = request.POST.get("sheet", "all")
    fields = (
        [name for name in request.POST if name.startswith("sheet-")]
        if sheet == "all"
        else [f"sheet-{sheet}"]
    )
    ids = {int(value) for name in fields for value in request.POST.getlist(name) if value.isdigit()}
    # Only this team's lines, whatever their state: the service says why a line that is not
    # approved or paid cannot be signed for.
    chosen = [line for line in roster.team.lines if line.pk in ids]
    try:
        signed = rosters.roster_lines_sign(disbursements=chosen, by=request.user)
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return _team_page(request, campaign, unit, roster, status=400)
    messages.success(request, _("Lines marked signed: %(count)s.") % {"count": len(signed)})
    anchor = f"#sheet-{sheet}" if sheet.isdigit() else ""
    return redirect(_team_url(campaign, unit, team) + anchor)


@branch_view(roles=SIGNERS)
@require_POST
def roster_sign_teams(request: HttpRequest, campaign_pk: int, unit_pk: int) -> HttpResponse:
    """Mark every unsigned line of the ticked teams signed in one step (POST ``team``: their
    keys, ``digest-<key>``: what the page showed of each)."""
    campaign, unit = _get_roster_scope(request, campaign_pk, unit_pk)
    teams = {
        int(key): request.POST.get(f"digest-{key}", "")
        for key in request.POST.getlist("team")
        if key.isdigit()
    }
    try:
        signed = rosters.roster_teams_sign(
            campaign=campaign, unit=unit, teams=teams, by=request.user
        )
    except (PermissionDenied, ValidationError) as refused:
        report_refusal(request, refused)
        return _roster_page(request, campaign, unit, status=400)
    messages.success(
        request,
        _("Teams marked signed: %(teams)s; lines: %(count)s.")
        % {"teams": len(teams), "count": len(signed)},
    )
    return redirect(_roster_url(campaign, unit))


@branch_view()
@require_POST
def fund_statement_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for the fund's statement of a period as a PDF (the fund page's statement form)."""
    fund = get_object_for_user(
        Fund.objects.select_related("unit"), user=request.user, unit_path="unit__path", pk=pk
    )
    period = PeriodForm(request.POST)
    if not period.is_valid():
        messages.error(request, _("Choose a period whose end is not before its start."))
        return redirect(fund)
    first_day: date = period.cleaned_data["first_day"]
    last_day: date = period.cleaned_data["last_day"]
    try:
        document = rosters.fund_statement_request(
            fund=fund, first_day=first_day, last_day=last_day, by=request.user
        )
    except JobAlreadyRunning as running:
        return redirect(running.running)
    return redirect(document)
