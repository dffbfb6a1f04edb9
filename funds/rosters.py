"""Rosters (发放花名册/签领表): who is paid what in a campaign by a unit, signed on paper.

A roster is not stored: it is the approved and paid disbursements whose
``unit`` and ``campaign`` are the roster's. Its lines are grouped by team: the
visit list (走访名单) of the campaign that holds the household, each line
numbered with the household's row number on that list (its walking order,
``visits.selectors.visit_list_row_numbers``), so the visit list and the roster
a team carries agree. Payments of households on no list of the campaign come
last, as their own group numbered 1..n.

It is printed as a PDF and an xlsx through the generated-documents mechanism,
for one team or for the whole roster (every team from a new page, with its own
header and sheet numbers; rendered in parts with a progress bar); the scan of
the signed paper is uploaded against (campaign, unit) (``RosterScan``), and the
caseworker then marks whole sheets, or whole teams, as signed, leaving out the
exceptions: an approved line signed for in cash is thereby paid. The fund
statement PDF is here too, since it is the other printed paper of the funds.

ID numbers are only ever the stored mask (``HardshipFile.id_number_masked``):
nothing here decrypts one.

The PDF's totals per page cannot come from CSS, which does not know where a
page ends: a team's lines are cut into sheets of ``ROWS_PER_PAGE`` in Python,
each sheet one table with its subtotal, and the rows are one line high (text is
cut, never wrapped) so that every sheet is one printed page. The page shows the
same sheets, so "mark this sheet signed" is about the paper in hand.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.pdf import PDF_CONTENT_TYPE, celery_helpers, pdf_join, render_pdf, render_pdf_parts
from documents.services import (
    BackLink,
    JobContext,
    Produced,
    back_link,
    document_request,
    producer,
)
from documents.spreadsheets import PrintedSheet
from documents.uploads import upload_check, upload_store
from funds.choices import (
    BANK_OPEN,
    DisbursementStatus,
    PaymentMethod,
    Purpose,
    ReceiptSource,
)
from funds.models import Disbursement, Fund, RosterScan
from funds.selectors import (
    Statement,
    fund_statement,
    may_print_roster,
    may_print_statement,
    may_tick_roster_lines,
    may_upload_roster_scan,
)
from funds.services import disbursements_locked, disbursements_pay
from people.access import scope_to_user
from people.models import UnionUnit, User
from visits.models import Campaign, VisitList, VisitListRow
from visits.selectors import visit_list_row_numbers

Status = DisbursementStatus
ON_ROSTER = (Status.APPROVED, Status.PAID)
ZERO = Decimal(0)
ROWS_PER_PAGE = 20
# What a roster's pages, printed sheets and marks read of a line: a province's roster has
# hundreds of thousands, and whole rows of the payment, the household and two people made
# building them most of its time (bench/campaign.py).
ROSTER_COLUMNS = (
    "campaign", "unit", "fund", "purpose", "amount", "description", "status", "method",
    "signed_at", "file__name", "file__id_number_masked", "file__unit__name",
    "file__unit__path", "approved_by__full_name", "approved_by__username",
    "signed_checked_by__full_name", "signed_checked_by__username",
)  # fmt: skip
# The team key of the payments of households on no visit list of the campaign.
NOT_ON_A_LIST = 0
# Lines per part of a whole roster's PDF (teams are never split between parts): about
# 20 sheets, a few seconds of rendering, so the progress bar moves and parts share out.
PART_LINES = 400
ROSTER_TEMPLATE = "pdf/roster.html"
STATEMENT_TEMPLATE = "pdf/fund_statement.html"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterNotFound(Exception):
    """The campaign, unit or team is missing, or outside the requester's branch."""


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# ====================================================================== reads


def roster_lines(
    *, campaign: Campaign, unit: UnionUnit, team: int | None = None
) -> QuerySet[Disbursement]:
    """The roster's lines: approved and paid payments of ``unit`` in ``campaign``, but those paid
    by bank in bulk or still with the bank (``funds.bank``), for whom nobody signs; only those of
    one team (a visit list's pk, or NOT_ON_A_LIST) when ``team`` is given.
    """
    lines = (
        Disbursement.objects.filter(campaign=campaign, unit=unit, status__in=ON_ROSTER)
        .exclude(bank_lines__status__in=BANK_OPEN)
        .select_related("file", "file__unit", "approved_by", "signed_checked_by")
        .only(*ROSTER_COLUMNS)
        .order_by("file__unit__path", "file__name", "id")
    )
    if team is None:
        return lines
    listed = VisitListRow.objects.filter(campaign=campaign)
    if team == NOT_ON_A_LIST:
        return lines.exclude(file_id__in=listed.values("file_id"))
    return lines.filter(file_id__in=listed.filter(visit_list_id=team).values("file_id"))


def roster_unsigned_overdue(campaign: Campaign, unit: UnionUnit) -> QuerySet[Disbursement]:
    """Lines still unsigned after the campaign ended (none while it runs)."""
    if campaign.ends_on >= timezone.localdate():
        return Disbursement.objects.none()
    return roster_lines(campaign=campaign, unit=unit).filter(signed_at__isnull=True)


def roster_scans(*, campaign: Campaign, unit: UnionUnit) -> QuerySet[RosterScan]:
    """The signed roster's scans uploaded for (campaign, unit), oldest first."""
    return RosterScan.objects.filter(campaign=campaign, unit=unit).select_related("uploaded_by")


def rosters_of_branch(user: User) -> list[dict]:
    """Every (campaign, unit) of ``user``'s branch with lines on a roster, newest campaign first:
    its lines, total, and lines signed.
    """
    rows = (
        scope_to_user(
            Disbursement.objects.filter(status__in=ON_ROSTER, campaign__isnull=False).exclude(
                bank_lines__status__in=BANK_OPEN
            ),
            user=user,
            unit_path="unit__path",
        )
        .values(
            "campaign_id",
            "campaign__name",
            "campaign__year",
            "campaign__ends_on",
            "unit_id",
            "unit__name",
            "unit__path",
        )
        .annotate(
            lines=Count("id"),
            total=Sum("amount"),
            signed=Count("id", filter=Q(signed_at__isnull=False)),
        )
        .order_by("-campaign__year", "-campaign__ends_on", "campaign_id", "unit__path")
    )
    rows = list(rows)
    for row in rows:
        row["unsigned"] = row["lines"] - row["signed"]
    return rows


def rosters_of_campaign(*, campaign: Campaign, unit: UnionUnit, user: User) -> list[dict]:
    """The rosters of ``campaign`` that pay households of ``unit``'s branch and that ``user``
    may see, each with its teams (key, name, lines): for the campaign page. Two queries.
    """
    payments = scope_to_user(
        Disbursement.objects.filter(
            campaign=campaign, status__in=ON_ROSTER, file__unit__path__startswith=unit.path
        ),
        user=user,
        unit_path="unit__path",
    )
    listed = dict(
        VisitListRow.objects.filter(campaign=campaign, file_id__in=payments.values("file_id"))
        .values_list("file_id", "visit_list_id")
        .order_by()
    )
    counts: dict[tuple, int] = defaultdict(int)
    payers: dict[int, tuple[str, str]] = {}
    for file_id, payer_id, payer_name, payer_path in payments.values_list(
        "file_id", "unit_id", "unit__name", "unit__path"
    ).order_by():
        counts[payer_id, listed.get(file_id, NOT_ON_A_LIST)] += 1
        payers[payer_id] = (payer_name, payer_path)
    names = {
        visit_list.pk: (visit_list.unit.name, visit_list.unit.path)
        for visit_list in VisitList.objects.filter(pk__in={key for _p, key in counts})
        .select_related("unit")
        .only("pk", "unit__name", "unit__path")
    }
    rosters = []
    for payer_id, (payer_name, _payer_path) in sorted(
        payers.items(), key=lambda item: _path_key(item[1][1])
    ):
        teams = [
            {
                "key": key,
                "name": names[key][0] if key in names else _("Not on a visit list"),
                "lines": lines,
            }
            for (payer, key), lines in counts.items()
            if payer == payer_id
        ]
        teams.sort(
            key=lambda t: (t["key"] not in names, _path_key(names.get(t["key"], ("", "/"))[1]))
        )
        rosters.append(
            {"unit_id": payer_id, "unit_name": payer_name, "teams": teams,
             "lines": sum(t["lines"] for t in teams)}
        )  # fmt: skip
    return rosters


def roster_payers_of_list(*, visit_list: VisitList, user: User) -> list[UnionUnit]:
    """The paying units whose roster holds households of ``visit_list`` and that ``user`` may
    see: where the list's team finds its roster. One query."""
    payers = scope_to_user(
        UnionUnit.objects.filter(
            pk__in=Disbursement.objects.filter(
                campaign_id=visit_list.campaign_id,
                status__in=ON_ROSTER,
                file_id__in=VisitListRow.objects.filter(visit_list=visit_list).values("file_id"),
            ).values("unit_id")
        ),
        user=user,
        unit_path="path",
    )
    return list(payers.order_by("path"))


def _path_key(path: str) -> list[int]:
    """A materialized path read as numbers: the unit tree's order, whatever the collation."""
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


@dataclass
class Sheet:
    """One printed sheet of a team: ROWS_PER_PAGE lines at most, with its subtotal."""

    number: int
    of: int
    lines: list[Disbursement]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def unsigned(self) -> list[Disbursement]:
        return [line for line in self.lines if line.signed_at is None]

    @property
    def marked(self) -> bool:
        """Whether any line of the sheet is signed: its unsigned lines are then exceptions left
        out, and the page no longer ticks them for the next mark."""
        return any(line.signed_at is not None for line in self.lines)


@dataclass
class Team:
    """The lines of one visit list (a team's households) on a roster, in the list's order;
    each line carries ``number``, its row number on the list.
    """

    key: int
    name: str
    lines: list[Disbursement]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def signed_count(self) -> int:
        return sum(1 for line in self.lines if line.signed_at is not None)

    @property
    def unsigned_count(self) -> int:
        return len(self.lines) - self.signed_count

    @property
    def digest(self) -> str:
        """A short fingerprint of the team's unsigned lines: the overview's "mark this team
        signed" carries it, so a team whose lines changed since the page was read is not
        marked blind."""
        unsigned = sorted(line.pk for line in self.lines if line.signed_at is None)
        return hashlib.sha256(",".join(map(str, unsigned)).encode()).hexdigest()[:16]

    def sheets(self, rows_per_page: int = ROWS_PER_PAGE) -> list[Sheet]:
        count = max(1, -(-len(self.lines) // rows_per_page))
        return [
            Sheet(n + 1, count, self.lines[n * rows_per_page : (n + 1) * rows_per_page])
            for n in range(count)
        ]


def _numbered(lines: list[Disbursement]) -> list[Disbursement]:
    for number, line in enumerate(lines, start=1):
        line.number = number
    return lines


def roster_teams(*, campaign: Campaign, lines: list[Disbursement]) -> list[Team]:
    """``lines`` grouped by the visit list of ``campaign`` that holds each household, in the
    unit tree's order, each numbered as on its list; those on no list last. Two queries.
    """
    files = [line.file_id for line in lines]
    holding = VisitListRow.objects.filter(campaign=campaign, file_id__in=files).values(
        "visit_list_id"
    )
    numbers = {
        file_id: (list_id, number)
        for list_id, file_id, number in visit_list_row_numbers(visit_lists=holding)
    }
    by_team: dict[int, list[Disbursement]] = defaultdict(list)
    for line in lines:
        list_id, number = numbers.get(line.file_id, (NOT_ON_A_LIST, 0))
        line.number = number
        by_team[list_id].append(line)
    lists = {
        visit_list.pk: visit_list
        for visit_list in VisitList.objects.filter(pk__in=[k for k in by_team if k])
        .select_related("unit")
        .only("pk", "unit__name", "unit__path")
    }
    teams = [
        Team(key, lists[key].unit.name, sorted(team_lines, key=lambda line: line.number))
        for key, team_lines in by_team.items()
        if key != NOT_ON_A_LIST
    ]
    teams.sort(key=lambda team: _path_key(lists[team.key].unit.path))
    if by_team.get(NOT_ON_A_LIST):
        teams.append(
            Team(NOT_ON_A_LIST, _("Not on a visit list"), _numbered(by_team[NOT_ON_A_LIST]))
        )
    return teams


@dataclass
class Roster:
    """A roster as the page and the documents show it: the whole of (campaign, unit), or one
    team's part of it (``team``)."""

    campaign: Campaign
    unit: UnionUnit
    lines: list[Disbursement]
    made_on: date = field(default_factory=timezone.localdate)
    teams: list[Team] = field(default_factory=list)
    team: Team | None = None

    def __post_init__(self) -> None:
        # A roster made without teams (printing tests, an empty roster) is one unnamed group.
        if not self.teams:
            self.teams = [Team(NOT_ON_A_LIST, "", _numbered(list(self.lines)))]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def signed_count(self) -> int:
        return sum(1 for line in self.lines if line.signed_at is not None)

    @property
    def approvers(self) -> list[str]:
        """The distinct approvers of the lines, in the order they first appear. One query."""
        ids = list(dict.fromkeys(line.approved_by_id for line in self.lines if line.approved_by_id))
        names = {user.pk: user.get_full_name() for user in User.objects.filter(pk__in=ids)}
        return list(dict.fromkeys(names[pk] for pk in ids if pk in names))

    @property
    def title(self) -> str:
        return _("%(campaign)s: roster of payments") % {"campaign": self.campaign.name}

    def file_name(self, extension: str) -> str:
        parts = [self.campaign.name, self.unit.name]
        if self.team is not None:
            parts.append(self.team.name)
        # Outside the f-string, where makemessages finds it: the download's name is Chinese too.
        parts.append(_("roster"))
        return "-".join(parts) + f".{extension}"


def roster_for(*, campaign: Campaign, unit: UnionUnit, team: int | None = None) -> Roster:
    """The roster of (``campaign``, ``unit``), or its team ``team``'s part.

    Raises RosterNotFound for a team with no line on this roster.
    """
    lines = list(roster_lines(campaign=campaign, unit=unit, team=team))
    teams = roster_teams(campaign=campaign, lines=lines)
    if team is None:
        lines = [line for each in teams for line in each.lines]
        return Roster(campaign, unit, lines, teams=teams)
    if len(teams) != 1 or teams[0].key != team:
        raise RosterNotFound(_("The roster was not found."))
    return Roster(campaign, unit, teams[0].lines, teams=teams, team=teams[0])


@dataclass
class LineFigures:
    """What the roster's overview, and marking whole teams, need of a line: its id, household,
    amount and whether it is signed; no household's file is read or decrypted."""

    pk: int
    file_id: int
    amount: Decimal
    signed_at: datetime | None
    approved_by_id: int | None
    number: int = 0


def roster_summary(*, campaign: Campaign, unit: UnionUnit) -> Roster:
    """The roster of (``campaign``, ``unit``) in teams, as ``roster_for`` gives it, with each
    line's figures only (``LineFigures``): for the overview of its teams and for marking whole
    teams signed. A county's 5,000 lines as full payments with their files took seconds to
    build; as figures, a few queries and no model per line.
    """
    rows = (
        roster_lines(campaign=campaign, unit=unit)
        .order_by("pk")
        .values_list("pk", "file_id", "amount", "signed_at", "approved_by_id")
    )
    teams = roster_teams(campaign=campaign, lines=[LineFigures(*row) for row in rows])
    return Roster(campaign, unit, [line for each in teams for line in each.lines], teams=teams)


def _team_param(params: dict) -> int | None:
    team = params.get("team")
    return None if team is None else int(team)


def _roster_scope(*, params: dict, user: User) -> tuple[Campaign, UnionUnit]:
    """The campaign and unit ``params`` name, if ``user`` may print their roster."""
    unit = UnionUnit.objects.filter(pk=params["unit_id"]).first()
    campaign = Campaign.objects.select_related("organiser").filter(pk=params["campaign_id"]).first()
    if unit is None or campaign is None or not may_print_roster(user, campaign, unit):
        raise RosterNotFound(_("The roster was not found."))
    return campaign, unit


def roster_selection(*, params: dict, user: User) -> Roster:
    """The roster ``params`` (campaign_id, unit_id; optional team) names, if ``user`` may print it."""
    campaign, unit = _roster_scope(params=params, user=user)
    return roster_for(campaign=campaign, unit=unit, team=_team_param(params))


def _line_label(line: Disbursement) -> str:
    purpose = str(Purpose(line.purpose).label)
    return f"{purpose} · {line.description}" if line.description else purpose


# ====================================================================== writes


def roster_scan_upload(*, campaign: Campaign, unit: UnionUnit, by: User, upload) -> RosterScan:
    """Keep the scan of the signed paper roster of (campaign, unit).

    The upload is checked by its bytes as attachments are (JPEG, PNG, WebP or
    PDF, within the size limit); the browser's claimed type is ignored. Side
    effects: the content in the default storage (removed again if the row
    cannot be written); one RosterScan row.
    """
    may_upload_roster_scan(by, unit).enforce()
    return upload_store(
        RosterScan(campaign=campaign, unit=unit, uploaded_by=by), upload_check(upload)
    )


def roster_lines_sign(*, disbursements, by: User) -> list[Disbursement]:
    """Mark ``disbursements`` as signed for on the paper roster; returns those newly marked.

    Only once the signed roster's scan of each line's (campaign, unit) is
    uploaded. Approved lines are thereby paid in cash; paid ones only record the
    signature; a line marked already is left as it is. Any proposed, rejected or
    cancelled line refuses the whole mark, naming it. Set-wise, so a sheet or a
    team of any size is a fixed number of statements: side effects are one
    payment transaction (reserved → paid out) per fund and purpose for the
    approved lines and one UPDATE making them paid and recording signed_at and
    signed_checked_by (``funds.services.disbursements_pay``), then one UPDATE
    recording the signature on the lines paid already.
    """
    ids = sorted({d.pk for d in disbursements})
    if not ids:
        raise RuleBroken(_("Tick at least one line."))
    with transaction.atomic():
        lines = disbursements_locked(ids, file_names=True)
        refused = [
            _("%(name)s: a payment that is “%(status)s” cannot be signed for.")
            % {"name": line.file.name, "status": line.get_status_display()}
            for line in lines
            if line.status not in ON_ROSTER
        ]
        if refused:
            raise RuleBroken(refused)
        pairs = {(line.campaign_id, line.unit_id): line for line in lines}
        for line in pairs.values():
            may_tick_roster_lines(by, line.campaign, line.unit).enforce()
        unsigned = [line for line in lines if line.signed_at is None]
        now = timezone.now()
        signature = {"signed_at": now, "signed_checked_by": by}
        approved = [line for line in unsigned if line.status == Status.APPROVED]
        paid = [line for line in unsigned if line.status == Status.PAID]
        # Approved lines are paid in cash and signed by the same UPDATE; paid ones only signed.
        disbursements_pay(
            disbursements=approved, by=by, method=PaymentMethod.CASH, now=now, also=signature
        )
        Disbursement.objects.filter(pk__in=[line.pk for line in paid]).update(**signature)
        for line in paid:
            line.signed_at, line.signed_checked_by = now, by
    return unsigned


def roster_teams_sign(
    *, campaign: Campaign, unit: UnionUnit, teams: dict[int, str], by: User
) -> list[Disbursement]:
    """Mark every unsigned line of each team of ``teams`` (key → the digest of its unsigned
    lines as the page showed them) signed, in one step; returns the lines marked.

    A team whose unsigned lines are no longer those the page showed (a payment
    approved or marked since) is refused, naming it, and nothing is marked.
    Side effects: as ``roster_lines_sign``.
    """
    may_tick_roster_lines(by, campaign, unit).enforce()
    if not teams:
        raise RuleBroken(_("Tick at least one team."))
    roster = roster_summary(campaign=campaign, unit=unit)
    known = {team.key: team for team in roster.teams}
    changed = [
        _("%(team)s: its lines changed since the page was read; look at them again.")
        % {"team": known[key].name if key in known else key}
        for key, digest in teams.items()
        if key not in known or known[key].digest != digest
    ]
    if changed:
        raise RuleBroken(changed)
    chosen = [line for key in teams for line in known[key].lines if line.signed_at is None]
    if not chosen:
        raise RuleBroken(_("Every line of these teams is marked signed already."))
    return roster_lines_sign(disbursements=chosen, by=by)


# ====================================================================== the roster PDF


def _printed_row(line: Disbursement) -> dict:
    return {
        "number": line.number,
        "name": line.file.name,
        "masked_id_number": line.file.id_number_masked,
        "amount": _money(line.amount),
        "purpose": _line_label(line),
    }


def roster_pages(roster: Roster, *, rows_per_page: int = ROWS_PER_PAGE) -> list[dict]:
    """Every team's sheets, each team from a new page, each sheet with its team, its number
    among the team's sheets, and its subtotal (JSON-ready)."""
    pages = []
    for team in roster.teams:
        sheets = team.sheets(rows_per_page)
        for sheet in sheets:
            pages.append(
                {
                    "team": team.name,
                    "sheet": sheet.number,
                    "sheets": sheet.of,
                    "rows": [_printed_row(line) for line in sheet.lines],
                    "count": len(sheet.lines),
                    "subtotal": _money(sheet.subtotal),
                    "team_last": sheet.number == sheet.of,
                    "team_count": len(team.lines),
                    "team_total": _money(team.total),
                }
            )
    return pages


def roster_pdf_context(roster: Roster, *, rows_per_page: int = ROWS_PER_PAGE) -> dict:
    return {
        "title": roster.title,
        "unit_name": roster.unit.name,
        "campaign_name": roster.campaign.name,
        "approvers": "、".join(roster.approvers),
        "made_on": roster.made_on.isoformat(),
        "pages": roster_pages(roster, rows_per_page=rows_per_page),
        "count": len(roster.lines),
        "total": _money(roster.total),
        "several_teams": len(roster.teams) > 1,
        "numbered": True,
    }


def roster_pdf_parts(context: dict, *, part_lines: int = PART_LINES) -> list[dict]:
    """The context cut into parts of whole teams of about ``part_lines`` lines; only the last
    part prints the overall total. Parts are numbered by their sheets, not by "page x of y"
    (no part knows how many pages come before it)."""
    parts: list[list[dict]] = []
    current: list[dict] = []
    lines = 0
    for page in context["pages"]:
        if page["sheet"] == 1 and current and lines + page["team_count"] > part_lines:
            parts.append(current)
            current, lines = [], 0
        if page["sheet"] == 1:
            lines += page["team_count"]
        current.append(page)
    parts.append(current)
    if len(parts) == 1:
        return [context]
    return [
        {**context, "pages": pages, "numbered": False, "last_part": index == len(parts) - 1}
        for index, pages in enumerate(parts)
    ]


def roster_pdf_render(
    roster: Roster,
    *,
    rows_per_page: int = ROWS_PER_PAGE,
    part_lines: int = PART_LINES,
    scratch: str = "",
    progress=None,
) -> bytes:
    """The roster as one PDF: a roster of one part rendered whole; a longer one in parts of
    whole teams (in parallel where the worker has free processes), then joined."""
    parts = roster_pdf_parts(
        roster_pdf_context(roster, rows_per_page=rows_per_page), part_lines=part_lines
    )
    steps = len(parts) + 1
    if progress:
        progress(0, steps)
    if len(parts) == 1:
        content = render_pdf(ROSTER_TEMPLATE, {**parts[0], "last_part": True})
    else:
        rendered = render_pdf_parts(
            scratch=scratch,
            parts=[(ROSTER_TEMPLATE, part) for part in parts],
            helpers=celery_helpers() if scratch else None,
            progress=(lambda done, _total: progress(done, steps)) if progress else None,
        )
        content = pdf_join(rendered)
    if progress:
        progress(steps, steps)
    return content


def _language(job: JobContext) -> str:
    return job.params.get("language") or settings.LANGUAGE_CODE


@producer("roster_pdf")
def roster_pdf(job: JobContext) -> Produced:
    """params: campaign_id, unit_id; optional team (one team's sheets), rows_per_page,
    part_lines (lines per part, for tests), language."""
    with translation.override(_language(job)):
        roster = roster_selection(params=job.params, user=job.document.requested_by)
        # More rows than ROWS_PER_PAGE would not fit on one printed A4 page.
        rows_per_page = min(
            ROWS_PER_PAGE, max(1, int(job.params.get("rows_per_page") or 0) or ROWS_PER_PAGE)
        )
        content = roster_pdf_render(
            roster,
            rows_per_page=rows_per_page,
            part_lines=max(1, int(job.params.get("part_lines") or PART_LINES)),
            scratch=f"document-{job.document.pk}",
            progress=job.progress,
        )
        return Produced(content, roster.file_name("pdf"), PDF_CONTENT_TYPE)


# ====================================================================== the roster xlsx


def roster_xlsx_bytes(roster: Roster) -> bytes:
    """The roster as a worksheet, one row a line numbered as on its team's visit list, with its
    team and sheet, blank signature and date columns, the total.

    Every text cell is stored as text, so a name typed as "=HYPERLINK(…)" stays
    a name and never becomes a formula.
    """
    headers = [
        (_("No."), 6),
        (_("Recipient"), 12),
        (_("ID number"), 21),
        (_("Amount (yuan)"), 14),
        (_("Purpose"), 24),
        (_("Status"), 10),
        (_("Team"), 16),
        (_("Sheet"), 6),
        (_("Signature of the recipient"), 16),
        (_("Date signed"), 12),
    ]
    heading = " · ".join(
        part
        for part in [
            roster.title,
            roster.unit.name,
            roster.team.name if roster.team else "",
            _("Approved by %(names)s") % {"names": "、".join(roster.approvers)}
            if roster.approvers
            else "",
            _("Made %(date)s") % {"date": roster.made_on.isoformat()},
        ]
        if part
    )
    sheet = PrintedSheet(title=_("Roster"), heading=heading, headers=headers)
    cell = sheet.cell
    for team in roster.teams:
        for paper in team.sheets():
            for line in paper.lines:
                sheet.append(
                    [
                        line.number,
                        cell(line.file.name),
                        cell(line.file.id_number_masked),
                        cell(line.amount, number_format="#,##0.00"),
                        cell(_line_label(line)),
                        cell(str(line.get_status_display())),
                        cell(team.name),
                        paper.number,
                    ]
                )
    sheet.append(
        [
            cell(_("Total"), bold=True),
            cell(_("Lines: %(count)s") % {"count": len(roster.lines)}, bold=True),
            None,
            cell(roster.total, bold=True, number_format="#,##0.00"),
        ]
    )
    return sheet.content()


@producer("roster_xlsx")
def roster_xlsx(job: JobContext) -> Produced:
    """params: campaign_id, unit_id; optional team, language."""
    with translation.override(_language(job)):
        roster = roster_selection(params=job.params, user=job.document.requested_by)
        job.progress(0, 1)
        content = roster_xlsx_bytes(roster)
        job.progress(1, 1)
        return Produced(content, roster.file_name("xlsx"), XLSX_CONTENT_TYPE)


@back_link("roster_pdf")
@back_link("roster_xlsx")
def roster_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The roster's page (or its team's), if ``user`` may still see it. A few queries: the
    whole roster is not built for a link (a county's took seconds on the job's page)."""
    try:
        campaign, unit = _roster_scope(params=document.params, user=user)
    except RosterNotFound:
        return None
    team = _team_param(document.params)
    if team is not None and not roster_lines(campaign=campaign, unit=unit, team=team).exists():
        return None
    kwargs = {
        "campaign_pk": int(document.params["campaign_id"]),
        "unit_pk": int(document.params["unit_id"]),
    }
    if team is None:
        return BackLink(reverse("funds:roster_detail", kwargs=kwargs), _("Back to the roster"))
    return BackLink(
        reverse("funds:roster_team", kwargs={**kwargs, "team": team}),
        _("Back to the team's roster"),
    )


# ====================================================================== asking for a roster


def roster_document_kinds() -> dict[str, tuple[str, str]]:
    """The printed forms of a roster by the URL's name: (its producer, its label)."""
    return {
        "pdf": ("roster_pdf", _("Roster (PDF)")),
        "xlsx": ("roster_xlsx", _("Roster (Excel)")),
    }


def roster_print_request(
    *, campaign: Campaign, unit: UnionUnit, kind: str, by: User, team: Team | None = None
) -> GeneratedDocument:
    """Ask a worker for the roster of (``campaign``, ``unit``) as ``kind`` ("pdf" or "xlsx"):
    every team, or only ``team``'s sheets.

    Raises JobAlreadyRunning when ``by`` asked for it and it is still waiting. Side
    effects: a GeneratedDocument row; one Celery message after commit.
    """
    may_print_roster(by, campaign, unit).enforce()
    producer_kind, label = roster_document_kinds()[kind]
    params = {"campaign_id": campaign.pk, "unit_id": unit.pk}
    title = f"{label} · {unit.name} · {campaign.name}"
    if team is not None:
        params["team"] = team.key
        title = f"{label} · {unit.name} · {team.name} · {campaign.name}"
    return document_request(
        kind=producer_kind,
        title=title,
        by=by,
        unit=unit,
        params=params,
        dedupe_key=f"{producer_kind}:{campaign.pk}:{unit.pk}:{params.get('team', '')}:{by.pk}",
    )


# ====================================================================== the fund statement PDF


def statement_pdf_context(statement: Statement) -> dict:
    fund = statement.fund
    return {
        "title": _("Statement of %(fund)s") % {"fund": fund.name},
        "unit_name": fund.unit.name,
        "fund_name": fund.name,
        "first_day": statement.first_day.isoformat(),
        "last_day": statement.last_day.isoformat(),
        "made_on": timezone.localdate().isoformat(),
        "opening": _money(statement.opening),
        "received": [
            (str(ReceiptSource(source).label), _money(amount))
            for source, amount in sorted(statement.received.items())
        ],
        "total_in": _money(statement.total_in),
        "paid_out": [
            (str(Purpose(purpose).label), _money(amount))
            for purpose, amount in sorted(statement.paid_out.items())
        ],
        "allocated_down": _money(statement.allocated_down),
        "total_out": _money(statement.total_out),
        "closing": _money(statement.closing),
        "reconciles": statement.reconciles,
        "numbered": True,
    }


def _statement_fund(*, params: dict, user: User) -> Fund:
    """The fund ``params`` names, if ``user`` may print its statement (else Fund.DoesNotExist)."""
    fund = Fund.objects.select_related("unit").get(pk=params["fund_id"])
    if not may_print_statement(user, fund):
        raise Fund.DoesNotExist
    return fund


def fund_statement_request(
    *, fund: Fund, first_day: date, last_day: date, by: User
) -> GeneratedDocument:
    """Ask a worker for ``fund``'s statement from ``first_day`` to ``last_day`` as a PDF.

    Raises JobAlreadyRunning when ``by`` asked for it and it is still waiting. Side
    effects: a GeneratedDocument row; one Celery message after commit.
    """
    may_print_statement(by, fund).enforce()
    return document_request(
        kind="fund_statement_pdf",
        title=_("Statement of %(fund)s, %(first)s to %(last)s")
        % {"fund": f"{fund.unit.name} · {fund.name}", "first": first_day, "last": last_day},
        by=by,
        unit=fund.unit,
        params={
            "fund_id": fund.pk,
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
        },
        dedupe_key=f"fund_statement_pdf:{fund.pk}:{first_day}:{last_day}:{by.pk}",
    )


@producer("fund_statement_pdf")
def fund_statement_pdf(job: JobContext) -> Produced:
    """params: fund_id, first_day, last_day (ISO dates); optional language."""
    with translation.override(_language(job)):
        fund = _statement_fund(params=job.params, user=job.document.requested_by)
        first_day = date.fromisoformat(job.params["first_day"])
        last_day = date.fromisoformat(job.params["last_day"])
        job.progress(0, 1)
        statement = fund_statement(fund, first_day=first_day, last_day=last_day)
        content = render_pdf(STATEMENT_TEMPLATE, statement_pdf_context(statement))
        job.progress(1, 1)
        name = fund_statement_file_name(fund, first_day=first_day, last_day=last_day)
        return Produced(content, name, PDF_CONTENT_TYPE)


def fund_statement_file_name(fund: Fund, *, first_day: date, last_day: date) -> str:
    """The download's name in the reader's language."""
    kind = _("statement")  # outside the f-string, where makemessages finds it
    return f"{fund.unit.name}-{fund.name}-{kind}-{first_day}-{last_day}.pdf"


@back_link("fund_statement_pdf")
def fund_statement_back(document: GeneratedDocument, user: User) -> BackLink | None:
    try:
        fund = _statement_fund(params=document.params, user=user)
    except Fund.DoesNotExist:
        return None
    return BackLink(fund.get_absolute_url(), _("Back to the fund"))
