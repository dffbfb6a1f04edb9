"""Rosters (发放花名册/签领表): who is paid what in a campaign by a unit, signed on paper.

A roster is not stored: it is the approved and paid disbursements whose
``unit`` and ``campaign`` are the roster's, in one fixed order (so the line
numbers printed on paper are the numbers on the page). It is printed as a
PDF and an xlsx through the generated-documents mechanism
(``hardship.documents``); the scan of the signed paper is uploaded against
(campaign, unit) (``RosterScan``), and each line is then ticked as signed:
an approved line signed for in cash is thereby paid. The fund statement PDF
is here too, since it is the other printed paper of the funds.

ID numbers are only ever the stored mask (``HardshipFile.id_number_masked``):
nothing here decrypts one.

The PDF's totals per page cannot come from CSS, which does not know where a
page ends: the lines are cut into pages of ``ROWS_PER_PAGE`` in Python, each
page one table with its subtotal, and the rows are one line high (text is
cut, never wrapped) so that every page of lines is one printed page.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.pdf import PDF_CONTENT_TYPE, render_pdf
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
from funds.services import disbursement_pay
from people.access import scope_to_user
from people.models import UnionUnit, User
from visits.models import Campaign

Status = DisbursementStatus
ON_ROSTER = (Status.APPROVED, Status.PAID)
ZERO = Decimal(0)
ROWS_PER_PAGE = 20
ROSTER_TEMPLATE = "pdf/roster.html"
STATEMENT_TEMPLATE = "pdf/fund_statement.html"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RosterNotFound(Exception):
    """The campaign or unit is missing, or outside the requester's branch."""


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


# ====================================================================== reads


def roster_lines(*, campaign: Campaign, unit: UnionUnit) -> QuerySet[Disbursement]:
    """The roster's lines in print order: approved and paid payments of ``unit`` in ``campaign``,
    but those paid by bank in bulk or still with the bank (``funds.bank``): nobody signs for them."""
    return (
        Disbursement.objects.filter(campaign=campaign, unit=unit, status__in=ON_ROSTER)
        .exclude(bank_lines__status__in=BANK_OPEN)
        .select_related("file", "file__unit", "approved_by", "signed_checked_by")
        .order_by("file__unit__path", "file__name", "id")
    )


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
    from django.db.models import Count, Q

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
    return list(rows)


@dataclass
class Roster:
    """A roster as the page and the documents show it."""

    campaign: Campaign
    unit: UnionUnit
    lines: list[Disbursement]
    made_on: date = field(default_factory=timezone.localdate)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def approvers(self) -> list[str]:
        """The distinct approvers of the lines, in the order they first appear."""
        names = dict.fromkeys(
            line.approved_by.get_full_name() for line in self.lines if line.approved_by_id
        )
        return list(names)

    @property
    def title(self) -> str:
        return _("%(campaign)s: roster of payments") % {"campaign": self.campaign.name}

    def file_name(self, extension: str) -> str:
        return f"{self.campaign.name}-{self.unit.name}-{_('roster')}.{extension}"


def roster_for(*, campaign: Campaign, unit: UnionUnit) -> Roster:
    return Roster(campaign, unit, list(roster_lines(campaign=campaign, unit=unit)))


def roster_selection(*, params: dict, user: User) -> Roster:
    """The roster ``params`` (campaign_id, unit_id) names, if ``user`` may print it."""
    unit = UnionUnit.objects.filter(pk=params["unit_id"]).first()
    campaign = Campaign.objects.select_related("organiser").filter(pk=params["campaign_id"]).first()
    if unit is None or campaign is None or not may_print_roster(user, campaign, unit):
        raise RosterNotFound(_("The roster was not found."))
    return roster_for(campaign=campaign, unit=unit)


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
    """Tick ``disbursements`` as signed for on the paper roster; returns those newly ticked.

    Only once the signed roster's scan of each line's (campaign, unit) is
    uploaded. An approved line is thereby paid in cash (``disbursement_pay``);
    a paid one only records the signature; a line ticked already is left as
    it is. Any proposed, rejected or cancelled line refuses the whole tick,
    naming it. Side effects: for each line, signed_at and signed_checked_by;
    for approved ones, the payment transaction too.
    """
    ids = sorted({d.pk for d in disbursements})
    if not ids:
        raise RuleBroken(_("Tick at least one line."))
    signed = []
    with transaction.atomic():
        # Locked in id order, so two people ticking the same roster queue, not deadlock.
        lines = list(
            Disbursement.objects.select_for_update(of=("self",))
            .select_related("file", "unit", "campaign")
            .filter(pk__in=ids)
            .order_by("pk")
        )
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
        now = timezone.now()
        for line in lines:
            if line.signed_at is not None:
                continue
            if line.status == Status.APPROVED:
                line = disbursement_pay(disbursement=line, by=by, method=PaymentMethod.CASH)
            Disbursement.objects.filter(pk=line.pk, signed_at__isnull=True).update(
                signed_at=now, signed_checked_by=by
            )
            line.signed_at, line.signed_checked_by = now, by
            signed.append(line)
    return signed


# ====================================================================== the roster PDF


def roster_pages(roster: Roster, *, rows_per_page: int = ROWS_PER_PAGE) -> list[dict]:
    """The lines cut into pages of ``rows_per_page``, each with its subtotal (JSON-ready)."""
    rows = [
        {
            "number": number,
            "name": line.file.name,
            "masked_id_number": line.file.id_number_masked,
            "amount": _money(line.amount),
            "purpose": _line_label(line),
        }
        for number, line in enumerate(roster.lines, start=1)
    ]
    amounts = [line.amount for line in roster.lines]
    pages = []
    for start in range(0, max(len(rows), 1), rows_per_page):
        chunk = rows[start : start + rows_per_page]
        pages.append(
            {
                "rows": chunk,
                "count": len(chunk),
                "subtotal": _money(sum(amounts[start : start + rows_per_page], ZERO)),
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
        "numbered": True,
    }


def roster_pdf_render(roster: Roster, *, rows_per_page: int = ROWS_PER_PAGE) -> bytes:
    return render_pdf(ROSTER_TEMPLATE, roster_pdf_context(roster, rows_per_page=rows_per_page))


def _language(job: JobContext) -> str:
    return job.params.get("language") or settings.LANGUAGE_CODE


@producer("roster_pdf")
def roster_pdf(job: JobContext) -> Produced:
    """params: campaign_id, unit_id; optional rows_per_page, language."""
    with translation.override(_language(job)):
        roster = roster_selection(params=job.params, user=job.document.requested_by)
        job.progress(0, 1)
        # More rows than ROWS_PER_PAGE would not fit on one printed A4 page.
        rows_per_page = min(
            ROWS_PER_PAGE, max(1, int(job.params.get("rows_per_page") or 0) or ROWS_PER_PAGE)
        )
        content = roster_pdf_render(roster, rows_per_page=rows_per_page)
        job.progress(1, 1)
        return Produced(content, roster.file_name("pdf"), PDF_CONTENT_TYPE)


# ====================================================================== the roster xlsx


def roster_xlsx_bytes(roster: Roster) -> bytes:
    """The roster as a worksheet, one row a line, blank signature and date columns, the total.

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
        (_("Signature of the recipient"), 16),
        (_("Date signed"), 12),
    ]
    heading = " · ".join(
        part
        for part in [
            roster.title,
            roster.unit.name,
            _("Approved by %(names)s") % {"names": "、".join(roster.approvers)}
            if roster.approvers
            else "",
            _("Made %(date)s") % {"date": roster.made_on.isoformat()},
        ]
        if part
    )
    sheet = PrintedSheet(title=_("Roster"), heading=heading, headers=headers)
    cell = sheet.cell
    for number, line in enumerate(roster.lines, start=1):
        sheet.append(
            [
                number,
                cell(line.file.name),
                cell(line.file.id_number_masked),
                cell(line.amount, number_format="#,##0.00"),
                cell(_line_label(line)),
                cell(str(line.get_status_display())),
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
    """params: campaign_id, unit_id; optional language."""
    with translation.override(_language(job)):
        roster = roster_selection(params=job.params, user=job.document.requested_by)
        job.progress(0, 1)
        content = roster_xlsx_bytes(roster)
        job.progress(1, 1)
        return Produced(content, roster.file_name("xlsx"), XLSX_CONTENT_TYPE)


@back_link("roster_pdf")
@back_link("roster_xlsx")
def roster_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The roster's page, if ``user`` may still see it."""
    try:
        roster_selection(params=document.params, user=user)
    except RosterNotFound:
        return None
    return BackLink(
        reverse(
            "funds:roster_detail",
            kwargs={
                "campaign_pk": int(document.params["campaign_id"]),
                "unit_pk": int(document.params["unit_id"]),
            },
        ),
        _("Back to the roster"),
    )


# ====================================================================== asking for a roster


def roster_document_kinds() -> dict[str, tuple[str, str]]:
    """The printed forms of a roster by the URL's name: (its producer, its label)."""
    return {
        "pdf": ("roster_pdf", _("Roster (PDF)")),
        "xlsx": ("roster_xlsx", _("Roster (Excel)")),
    }


def roster_print_request(
    *, campaign: Campaign, unit: UnionUnit, kind: str, by: User
) -> GeneratedDocument:
    """Ask a worker for the roster of (``campaign``, ``unit``) as ``kind`` ("pdf" or "xlsx").

    Raises JobAlreadyRunning when ``by`` asked for it and it is still waiting. Side
    effects: a GeneratedDocument row; one Celery message after commit.
    """
    may_print_roster(by, campaign, unit).enforce()
    producer_kind, label = roster_document_kinds()[kind]
    return document_request(
        kind=producer_kind,
        title=f"{label} · {unit.name} · {campaign.name}",
        by=by,
        unit=unit,
        params={"campaign_id": campaign.pk, "unit_id": unit.pk},
        dedupe_key=f"{producer_kind}:{campaign.pk}:{unit.pk}:{by.pk}",
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
        name = f"{fund.unit.name}-{fund.name}-{_('statement')}-{first_day}-{last_day}.pdf"
        return Produced(content, name, PDF_CONTENT_TYPE)


@back_link("fund_statement_pdf")
def fund_statement_back(document: GeneratedDocument, user: User) -> BackLink | None:
    try:
        fund = _statement_fund(params=document.params, user=user)
    except Fund.DoesNotExist:
        return None
    return BackLink(fund.get_absolute_url(), _("Back to the fund"))
