"""The visit list as documents: a PDF to print, carry and sign (走访慰问名单), and an xlsx.

Both take the rows of a visit list as they were frozen when it was built
(masked ID numbers only), for one list (``visit_list_id``) or for every list
of a unit's branch in a campaign (``campaign_id`` and ``unit_id``: a county's
5,000 households), optionally only the households of one helper
(``helper_id``: a team's sheets). The requester's branch is applied again
here, so a job can never print what its requester could not see.

Each list's households are numbered 1..n in its walking order, whether it is
printed alone or with the rest of its branch, so a team's paper, its list's page
and its roster agree. The PDF is A4 landscape, grouped by township or street,
then community, each township starting a new page; the table header repeats on every page, and the
page margins carry the unit, the campaign, the township and "第 x 页 共 y 页".
A long list is rendered in parts by the worker's processes at once
(``documents.pdf.render_pdf_parts``), joined, then numbered: see bench/pdf.py
for why and how fast.
"""

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from documents.models import GeneratedDocument
from documents.pdf import (
    PDF_CONTENT_TYPE,
    celery_helpers,
    glyph_primer,
    page_number_parts,
    page_numbers_pdf,
    pdf_join,
    pdf_number_pages,
    pdf_page_count,
    pdf_template_text,
    render_pdf,
    render_pdf_parts,
)
from documents.services import BackLink, JobContext, Produced, back_link, producer
from documents.spreadsheets import PrintedSheet
from hardship.choices import Category
from people.access import scope_to_user
from people.models import UnionUnit, User
from visits.campaigns import campaign_back_link
from visits.models import Cadre, Campaign, VisitList, VisitListRow

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = "pdf/visit_list.html"
STYLESHEET = "pdf/visit_list.css"
# Rows per part of a long list: about 35 pages, 4 to 5 seconds of rendering.
# Parts are shared out among the worker's processes as each becomes free, so
# smaller parts balance better; each part also costs a start-up and, unless it
# begins a township, a half-empty last page.
PART_ROWS = 500
ROW_FIELDS = (
    "name",
    "masked_id_number",
    "address",
    "phone",
    "category",
    "main_cause",
    "last_visited_on",
    "helper_name",
)


class VisitListNotFound(Exception):
    """The list, campaign, unit or helper is missing, or outside the requester's branch."""


@dataclass
class Selection:
    """What a document shows: whose list, which campaign, which rows (in print order)."""

    unit: UnionUnit
    campaign: Campaign
    helper: Cadre | None
    rows: list[dict]

    @property
    def title(self) -> str:
        return _("%(campaign)s: visit list") % {"campaign": self.campaign.name}

    @property
    def subtitle(self) -> str:
        if self.helper is None:
            return self.unit.name
        return _("%(unit)s, households of %(helper)s") % {
            "unit": self.unit.name,
            "helper": self.helper.name,
        }

    def file_name(self, extension: str) -> str:
        parts = [self.campaign.name, self.unit.name]
        if self.helper is not None:
            parts.append(self.helper.name)
        parts.append(_("visit list"))  # outside an f-string, where makemessages finds it
        return "-".join(parts) + f".{extension}"


def visit_list_selection(*, params: dict, user: User) -> Selection:
    """The rows ``params`` name, in print order, within ``user``'s branch.

    Raises VisitListNotFound when anything named is missing or not ``user``'s to see.
    """
    units = scope_to_user(UnionUnit.objects.all(), user=user, unit_path="path")
    try:
        if "visit_list_id" in params:
            visit_list = VisitList.objects.select_related("campaign", "unit").get(
                pk=params["visit_list_id"], unit__in=units
            )
            campaign, unit = visit_list.campaign, visit_list.unit
            rows = VisitListRow.objects.filter(visit_list=visit_list)
        else:
            campaign = Campaign.objects.get(pk=params["campaign_id"])
            unit = units.get(pk=params["unit_id"])
            rows = VisitListRow.objects.filter(
                campaign=campaign, visit_list__unit__path__startswith=unit.path
            )
        helper = None
        if params.get("helper_id"):
            helper = Cadre.objects.get(pk=params["helper_id"])
            rows = rows.filter(helper=helper)
    except (VisitList.DoesNotExist, Campaign.DoesNotExist, UnionUnit.DoesNotExist):
        raise VisitListNotFound(_("The visit list was not found.")) from None
    except Cadre.DoesNotExist:
        raise VisitListNotFound(_("The helper was not found.")) from None
    values = list(
        rows.values(
            *ROW_FIELDS,
            "township",
            "community",
            "priority",
            "pk",
            "visit_list__unit__path",
            "visit_list__unit__level",
            "visit_list__unit__name",
        )
    )
    # The unit tree's order (the materialized path read as numbers, whatever the
    # database's collation) keeps each street's communities together.
    values.sort(
        key=lambda row: (_path_key(row["visit_list__unit__path"]), row["priority"], row["pk"])
    )
    return Selection(unit=unit, campaign=campaign, helper=helper, rows=values)


@back_link("visit_list_pdf")
@back_link("visit_list_xlsx")
def visit_list_back(document: GeneratedDocument, user: User) -> BackLink | None:
    """The list the document was printed from, or the campaign for a whole branch's lists."""
    params = document.params
    if "visit_list_id" not in params:
        return campaign_back_link(
            campaign_id=int(params["campaign_id"]), unit_id=int(params["unit_id"]), user=user
        )
    visit_list = (
        scope_to_user(VisitList.objects.all(), user=user, unit_path="unit__path")
        .filter(pk=int(params["visit_list_id"]))
        .first()
    )
    if visit_list is None:
        return None
    return BackLink(
        reverse("visits:visit_list_detail", kwargs={"pk": visit_list.pk}),
        _("Back to the visit list"),
    )


# ====================================================================== PDF


def _path_key(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/")]


def _township_key(row: dict) -> str:
    path, level = row["visit_list__unit__path"], row["visit_list__unit__level"]
    if level == UnionUnit.Level.GRASSROOTS:
        return path.rstrip("/").rsplit("/", 1)[0] + "/"
    return path


def walking_numbers(rows: list[dict]) -> list[tuple[int, dict]]:
    """Each row (in print order) with its number in its own list's walking order, 1..n per
    list: a whole branch's print numbers every team's list as its page and its roster do."""
    numbered = []
    for _list, rows_of_list in groupby(rows, key=lambda row: row["visit_list__unit__path"]):
        numbered.extend(enumerate(rows_of_list, start=1))
    return numbered


def _printable(row: dict, number: int) -> dict:
    last = row["last_visited_on"]
    return {
        "number": number,
        "priority": row["priority"],
        "name": row["name"],
        "masked_id_number": row["masked_id_number"],
        "address": row["address"],
        "phone": row["phone"],
        "category": str(Category(row["category"]).label) if row["category"] else "",
        "main_cause": row["main_cause"],
        "last_visited_on": last.isoformat() if isinstance(last, date) else "",
        "helper_name": row["helper_name"],
        "township": row["township"] or row["visit_list__unit__name"],
        "township_key": _township_key(row),
        "community": row["community"],
        "community_key": row["visit_list__unit__path"],
    }


def visit_list_parts(rows: list[dict], *, part_rows: int = PART_ROWS) -> list[list[dict]]:
    """Cut printable rows into parts of at most ``part_rows``, at a township's start where
    one comes late enough in a part (a township starts a new page anyway).
    """
    parts: list[list[dict]] = []
    current: list[dict] = []
    for _key, township in groupby(rows, key=lambda row: row["township_key"]):
        township = list(township)
        if current and len(current) + len(township) > part_rows and len(current) >= part_rows // 2:
            parts.append(current)
            current = []
        current.extend(township)
        while len(current) > part_rows:
            parts.append(current[:part_rows])
            current = current[part_rows:]
    if current:
        parts.append(current)
    return parts


def _sections(part: list[dict], *, previous: dict | None, community_sizes: dict) -> list[dict]:
    """Townships, each with its communities, for the template; a group the previous part
    began is marked as continued.
    """
    sections = []
    for township_key, township_rows in groupby(part, key=lambda row: row["township_key"]):
        township_rows = list(township_rows)
        communities = []
        for community_key, community_rows in groupby(
            township_rows, key=lambda row: row["community_key"]
        ):
            community_rows = list(community_rows)
            communities.append(
                {
                    "name": community_rows[0]["community"],
                    "size": community_sizes[community_key],
                    "continued": previous is not None
                    and not sections
                    and not communities
                    and previous["community_key"] == community_key,
                    "rows": community_rows,
                }
            )
        sections.append(
            {
                "township": township_rows[0]["township"],
                "continued": previous is not None
                and not sections
                and previous["township_key"] == township_key,
                "communities": communities,
            }
        )
    return sections


def visit_list_pdf_contexts(selection: Selection, *, part_rows: int = PART_ROWS) -> list[dict]:
    """One template context per part of the list, each JSON-serialisable (parts may be
    rendered by other processes).
    """
    rows = [_printable(row, number) for number, row in walking_numbers(selection.rows)]
    community_sizes: dict[str, int] = {}
    for row in rows:
        community_sizes[row["community_key"]] = community_sizes.get(row["community_key"], 0) + 1
    common = {
        "title": selection.title,
        "unit_name": selection.subtitle,
        "printed_on": timezone.localdate().isoformat(),
    }
    parts = visit_list_parts(rows, part_rows=part_rows) or [[]]
    if len(parts) > 1:
        # Each part begins with a page of every character the list prints (dropped
        # when the parts are joined), so that all embed the same font subsets.
        skeleton = {
            **common,
            "sections": [
                {
                    "township": "",
                    "continued": True,
                    "communities": [
                        {"name": "-", "size": size, "continued": True, "rows": []}
                        for size in sorted(set(community_sizes.values()))
                    ],
                }
            ],
        }
        printed = pdf_template_text(TEMPLATE, skeleton)  # headings, labels, words
        groups = [row["township"] for row in rows] + [row["community"] for row in rows]
        fields = [row[field] for row in rows for field in ROW_FIELDS]
        numbers = ["0123456789", *page_number_parts().values()]
        common["primer"] = glyph_primer([*fields, *groups, printed, *numbers])
        common["primer_bold"] = glyph_primer([*groups, printed])
    contexts = []
    previous = None
    for part in parts:
        sections = _sections(part, previous=previous, community_sizes=community_sizes)
        contexts.append({**common, "sections": sections})
        previous = part[-1] if part else None
    return contexts


def visit_list_pdf_render(
    selection: Selection, *, scratch: str = "", part_rows: int = PART_ROWS, progress=None
) -> bytes:
    """The list as one PDF, numbered "第 x 页 共 y 页" throughout.

    A list of one part is rendered whole. A longer one is rendered in parts (in
    parallel where the worker has free processes), joined, and then numbered by
    laying a page of numbers over each page: no part knows how many pages come
    before it.
    """
    contexts = visit_list_pdf_contexts(selection, part_rows=part_rows)
    steps = len(contexts) + 1
    if len(contexts) == 1:
        content = render_pdf(TEMPLATE, {**contexts[0], "numbered": True}, compact_fonts=True)
    else:
        parts = render_pdf_parts(
            scratch=scratch,
            parts=[(TEMPLATE, context) for context in contexts],
            helpers=celery_helpers(),
            progress=(lambda done, _total: progress(done, steps)) if progress else None,
        )
        joined = pdf_join(parts, primed=True)
        numbers = page_numbers_pdf(
            pages=pdf_page_count(joined),
            stylesheet=STYLESHEET,
            primer=contexts[0]["primer"],
            primer_bold=contexts[0]["primer_bold"],
        )
        content = pdf_number_pages(joined, numbers, compact_fonts=True)
    if progress:
        progress(steps, steps)
    return content


def _language(job: JobContext) -> str:
    return job.params.get("language") or settings.LANGUAGE_CODE


@producer("visit_list_pdf")
def visit_list_pdf(job: JobContext) -> Produced:
    """params: visit_list_id, or campaign_id and unit_id; optional helper_id, language, and
    part_rows (rows per part, for benchmarks and tests).
    """
    with translation.override(_language(job)):
        selection = visit_list_selection(params=job.params, user=job.document.requested_by)
        content = visit_list_pdf_render(
            selection,
            scratch=f"document-{job.document.pk}",
            part_rows=max(1, int(job.params.get("part_rows") or PART_ROWS)),
            progress=job.progress,
        )
        return Produced(content, selection.file_name("pdf"), PDF_CONTENT_TYPE)


# ====================================================================== xlsx


def visit_list_xlsx_bytes(selection: Selection) -> bytes:
    """The list as a worksheet: the PDF's columns, blank ones included, one row a household.

    Every text cell is stored as text, so a name typed as "=HYPERLINK(…)" stays a
    name and never becomes a formula.
    """
    headers = [
        (_("No."), 6),
        (_("Priority"), 8),
        (_("Township or street"), 16),
        (_("Community"), 16),
        (_("Household head"), 10),
        (_("ID number"), 21),
        (_("Home address"), 36),
        (_("Phone"), 14),
        (_("Category"), 10),
        (_("Main cause"), 12),
        (_("Last visit"), 12),
        (_("Helper"), 10),
        (_("Date of visit"), 12),
        (_("Notes"), 20),
        (_("Visitor's signature"), 14),
        (_("Recipient's signature"), 14),
    ]
    sheet = PrintedSheet(
        title=_("Visit list"),
        heading=f"{selection.title} · {selection.subtitle}",
        headers=headers,
    )
    cell = sheet.cell
    for number, row in walking_numbers(selection.rows):
        printable = _printable(row, number)
        last = row["last_visited_on"]
        sheet.append(
            [
                number,
                row["priority"],
                cell(printable["township"]),
                cell(printable["community"]),
                cell(row["name"]),
                cell(row["masked_id_number"]),
                cell(row["address"]),
                cell(row["phone"]),
                cell(printable["category"]),
                cell(row["main_cause"]),
                cell(last, number_format="yyyy-mm-dd") if last else None,
                cell(row["helper_name"]),
            ]
        )
    return sheet.content()


@producer("visit_list_xlsx")
def visit_list_xlsx(job: JobContext) -> Produced:
    """params: as visit_list_pdf."""
    with translation.override(_language(job)):
        selection = visit_list_selection(params=job.params, user=job.document.requested_by)
        job.progress(0, 1)
        content = visit_list_xlsx_bytes(selection)
        job.progress(1, 1)
        return Produced(content, selection.file_name("xlsx"), XLSX_CONTENT_TYPE)
