"""Campaigns and their visit lists: creating, building (in SQL), approving, printing, coverage.

Building the lists is a long job (hardship/documents.py, kind
``visit_lists_build``). For each unit of the organiser's branch that holds
target households it writes a frozen list, one ``INSERT … SELECT … ON
CONFLICT DO NOTHING`` per batch of units, then sets every list's count in one
UPDATE:

- a redelivered or repeated build writes each household once (the unique
  constraint on campaign and file), and rows already written stay as they were;
- a rebuild first removes the rows nobody has visited yet from lists that
  are not approved, so visits already made are kept;
- approved (frozen) lists are never touched: every statement of the build
  excludes them in its WHERE clause, the lists a statement writes are locked
  and their status read again first (a build of an overlapping branch may have
  finished a list and its approver approved it meanwhile), and database
  triggers refuse any change to an approved list or its rows;
- each batch commits on its own, so a worker killed half-way leaves whole
  batches, and the redelivered job completes the rest.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from common.statistics import statistics_refresh_after_bulk_write, statistics_refresh_if_stale
from documents.models import GeneratedDocument
from documents.services import BackLink, JobContext, back_link, document_request, producer
from hardship.choices import Category
from hardship.models import HardshipFile, HouseholdMember
from people.access import scope_to_user, units_visible_to
from people.models import UnionUnit, User
from visits.choices import VisitListStatus
from visits.models import (
    Cadre,
    Campaign,
    CampaignAidStandard,
    CampaignCorrection,
    Pairing,
    Visit,
    VisitList,
    VisitListRow,
)
from visits.rules import TargetRule, default_rule, target_files
from visits.selectors import (
    may_approve_visit_list,
    may_approve_visit_lists,
    may_build_visit_lists,
    may_correct_campaign,
    may_create_campaign,
    may_print_visit_list,
    may_print_visit_lists,
)


@transaction.atomic
def campaign_create(
    *,
    by: User,
    season: str,
    year: int,
    name: str,
    starts_on: date,
    ends_on: date,
    organiser: UnionUnit,
    rule: TargetRule | None = None,
    aid_standards: dict[str, Decimal] | None = None,
) -> Campaign:
    """Create a campaign for the organiser's branch, with its target rule and aid standards.

    Side effects: the campaign and its aid-standard rows.
    """
    may_create_campaign(by, organiser).enforce()
    if ends_on < starts_on:
        raise RuleBroken({"ends_on": _("The campaign cannot end before it starts.")})
    rule = rule or default_rule(season)
    rule.check()
    campaign = Campaign.objects.create(
        season=season, year=year, name=name.strip(), starts_on=starts_on, ends_on=ends_on,
        organiser=organiser, target_rule=rule.as_json(), created_by=by,
    )  # fmt: skip
    for category, amount in (aid_standards or {}).items():
        if category not in Category.values or amount < 0:
            raise RuleBroken(
                {
                    "aid_standards": _(
                        "An aid standard needs a category and an amount of at least 0."
                    )
                }
            )
        CampaignAidStandard.objects.create(campaign=campaign, category=category, amount=amount)
    return campaign


@transaction.atomic
def campaign_correct(
    *,
    campaign: Campaign,
    by: User,
    name: str | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    rule: TargetRule | None = None,
    aid_standards: dict[str, Decimal] | None = None,
) -> CampaignCorrection | None:
    """The organiser corrects ``campaign`` until the first of its visit lists is approved.

    Arguments left as None are not corrected; ``aid_standards``, when given, is the whole set
    (a category left out has no standard any more). Returns the correction recorded, or None
    when nothing differed.

    Side effects: the campaign's fields and aid-standard rows; one CampaignCorrection with
    who, when and each field's old → new. The campaign's lists (all still open) are locked
    first, so no list is approved half-way through a correction; lists already built keep
    the households of the old target group until they are rebuilt.
    """
    campaign = Campaign.objects.select_for_update().select_related("organiser").get(pk=campaign.pk)
    list(VisitList.objects.select_for_update().filter(campaign=campaign).values_list("pk"))
    may_correct_campaign(by, campaign).enforce()
    new_starts = starts_on or campaign.starts_on
    new_ends = ends_on or campaign.ends_on
    if new_ends < new_starts:
        raise RuleBroken({"ends_on": _("The campaign cannot end before it starts.")})
    changes: list[dict[str, str]] = []
    fields: list[str] = []
    for field, value in (
        ("name", name.strip() if name is not None else None),
        ("starts_on", starts_on),
        ("ends_on", ends_on),
    ):
        if value is None or value == getattr(campaign, field):
            continue
        if field == "name" and not value:
            raise RuleBroken({"name": _("A campaign needs a name.")})
        changes.append({"field": field, "old": str(getattr(campaign, field)), "new": str(value)})
        setattr(campaign, field, value)
        fields.append(field)
    if rule is not None:
        rule.check()
        if rule.as_json() != TargetRule.from_json(campaign.target_rule).as_json():
            changes.append(
                {"field": "target_rule", "old": campaign.target_rule, "new": rule.as_json()}
            )
            campaign.target_rule = rule.as_json()
            fields.append("target_rule")
    if fields:
        campaign.save(update_fields=fields)
    if aid_standards is not None:
        changes.extend(_correct_aid_standards(campaign, aid_standards))
    if not changes:
        return None
    return CampaignCorrection.objects.create(campaign=campaign, corrected_by=by, changes=changes)


def _correct_aid_standards(campaign: Campaign, wanted: dict[str, Decimal]) -> list[dict]:
    """Make the campaign's aid standards ``wanted``; the changes, as a correction records them."""
    for category, amount in wanted.items():
        if category not in Category.values or amount is None or amount < 0:
            raise RuleBroken(
                {
                    "aid_standards": _(
                        "An aid standard needs a category and an amount of at least 0."
                    )
                }
            )
    current = {s.category: s for s in CampaignAidStandard.objects.filter(campaign=campaign)}
    changes = []
    for category in Category.values:
        before = current.get(category)
        after = wanted.get(category)
        if before is None and after is None:
            continue
        if before is not None and after is not None and before.amount == after:
            continue
        changes.append(
            {
                "field": f"standard:{category}",
                "old": "" if before is None else str(before.amount),
                "new": "" if after is None else str(after),
            }
        )
        if after is None:
            before.delete()
        elif before is None:
            CampaignAidStandard.objects.create(campaign=campaign, category=category, amount=after)
        else:
            before.amount = after
            before.save(update_fields=["amount"])
    return changes


def campaign_corrections(*, campaign: Campaign, limit: int = 10) -> list[CampaignCorrection]:
    """The latest corrections of ``campaign``, newest first, with who made them."""
    return list(campaign.corrections.select_related("corrected_by")[:limit])


@transaction.atomic
def campaign_set_rule(*, campaign: Campaign, by: User, rule: TargetRule) -> Campaign:
    """The organiser narrows or widens the target group within the rule's options."""
    # Who may set a campaign's target group when creating it may change it afterwards.
    may_create_campaign(by, campaign.organiser).enforce()
    rule.check()
    campaign.target_rule = rule.as_json()
    campaign.save(update_fields=["target_rule"])
    return campaign


def visit_lists_request_build(
    *, campaign: Campaign, by: User, unit: UnionUnit | None = None
) -> GeneratedDocument:
    """Ask a worker to build (or rebuild) the lists of ``unit``'s branch (default: the organiser's).

    Raises JobAlreadyRunning when a build of the same lists is waiting or running.
    """
    unit = unit or campaign.organiser
    may_build_visit_lists(by, campaign, unit=unit).enforce()
    return document_request(
        kind="visit_lists_build",
        title=_("Visit lists of %(campaign)s for %(unit)s")
        % {"campaign": campaign.name, "unit": unit.name},
        by=by,
        unit=unit,
        params={"campaign_id": campaign.pk, "unit_id": unit.pk},
        dedupe_key=f"visit_lists_build:{campaign.pk}:{unit.pk}",
        reuse_recent=False,  # a rebuild reads today's files
    )


@producer("visit_lists_build")
def _build_job(job: JobContext) -> None:
    campaign = Campaign.objects.select_related("organiser").get(pk=job.params["campaign_id"])
    unit = UnionUnit.objects.get(pk=job.params["unit_id"])
    visit_lists_build(campaign=campaign, unit=unit, progress=job.progress)


@back_link("visit_lists_build")
def _build_back(document: GeneratedDocument, user: User) -> BackLink | None:
    return campaign_back_link(
        campaign_id=int(document.params["campaign_id"]),
        unit_id=int(document.params["unit_id"]),
        user=user,
    )


def campaign_back_link(*, campaign_id: int, unit_id: int, user: User) -> BackLink | None:
    """The campaign's page at ``unit`` (a job's page links back there), if ``user`` may see it.

    A unit other than the organiser is named in the link, so the page opens on
    the branch the job was about; one the user cannot see is left out (the page
    then shows the user's own view of the campaign).
    """
    campaign = (
        campaigns_for_user(user=user).select_related("organiser").filter(pk=campaign_id).first()
    )
    if campaign is None:
        return None
    url = campaign.get_absolute_url()
    unit = units_visible_to(user).filter(pk=unit_id).first()
    if (
        unit is not None
        and unit.pk != campaign.organiser_id
        and unit.is_in_branch_of(campaign.organiser)
    ):
        url = f"{url}?{urlencode({'unit': unit.pk})}"
    return BackLink(url, _("Back to the campaign"))


# The tables a build reads: their statistics are brought up to date first when stale.
BUILD_READS = [
    model._meta.db_table
    for model in (
        HardshipFile,
        HouseholdMember,
        UnionUnit,
        Pairing,
        Cadre,
        Visit,
        VisitList,
        VisitListRow,
    )
]


def visit_lists_build(*, campaign: Campaign, unit: UnionUnit, progress=None) -> int:
    """Build the lists of ``unit``'s branch for ``campaign``; returns the households listed.

    Idempotent and restartable (see the module docstring). Side effects:
    VisitList rows per unit holding target households, their rows, counts; an ANALYZE of
    the tables it reads that changed in bulk since their last one, and of the rows it wrote.
    """
    # Households imported or loaded in bulk a minute ago must not look like a few.
    statistics_refresh_if_stale(tables=BUILD_READS)
    rule = TargetRule.from_json(campaign.target_rule)
    targets = target_files(rule=rule, branch_path=unit.path)
    holding_units = list(targets.order_by().values_list("unit_id", flat=True).distinct())
    holding_units.sort()
    frozen = set(
        VisitList.objects.filter(campaign=campaign, status=VisitListStatus.APPROVED).values_list(
            "unit_id", flat=True
        )
    )
    candidates = [u for u in holding_units if u not in frozen]
    with transaction.atomic():
        VisitList.objects.bulk_create(
            [
                VisitList(campaign=campaign, unit_id=u, status=VisitListStatus.BUILDING)
                for u in candidates
            ],
            ignore_conflicts=True,
        )
        # Lock the lists this build takes over and read their status again: a list
        # approved since ``frozen`` was read (by a build of an overlapping branch
        # finishing it, then its approver) is left out, and none can be approved
        # while this transaction rewrites it.
        open_units = sorted(
            VisitList.objects.select_for_update()
            .filter(campaign=campaign, unit_id__in=candidates)
            .exclude(status=VisitListStatus.APPROVED)
            .order_by("unit_id")
            .values_list("unit_id", flat=True)
        )
        # A rebuild: rows nobody has visited yet go, and come back from today's files.
        VisitListRow.objects.filter(
            campaign=campaign, visit__isnull=True, visit_list__unit_id__in=open_units,
            visit_list__status__in=[VisitListStatus.BUILDING, VisitListStatus.READY],
        ).delete()  # fmt: skip
        VisitList.objects.filter(campaign=campaign, unit_id__in=open_units).exclude(
            status=VisitListStatus.APPROVED
        ).update(status=VisitListStatus.BUILDING)
    size = settings.VISIT_LIST_UNITS_PER_BATCH
    batches = [open_units[i : i + size] for i in range(0, len(open_units), size)]
    written = 0
    for done, batch in enumerate(batches):
        if progress:
            progress(done, len(batches))
        with transaction.atomic():
            written += _insert_rows(
                campaign=campaign, targets=targets, unit_ids=_lock_open_lists(campaign, batch)
            )
    # Each list then counts its rows: planned on statistics from before the build, that
    # count would take the new campaign's rows for none.
    statistics_refresh_after_bulk_write(table=VisitListRow._meta.db_table, rows=written)
    with transaction.atomic():
        _finish_lists(campaign=campaign, unit_ids=open_units)
    if progress:
        progress(len(batches), len(batches))
    return VisitListRow.objects.filter(
        campaign=campaign, visit_list__unit__path__startswith=unit.path
    ).count()


def _lock_open_lists(campaign: Campaign, unit_ids: list[int]) -> list[int]:
    """Lock the batch's lists that are not approved, and return their units.

    Another build (of an overlapping branch) may have finished a list and its
    approver approved it since this build began: locked, the status read here
    holds until the batch commits, so no row is written into an approved list.
    """
    return list(
        VisitList.objects.select_for_update()
        .filter(campaign=campaign, unit_id__in=unit_ids)
        .exclude(status=VisitListStatus.APPROVED)
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
    )


def _insert_rows(*, campaign: Campaign, targets: QuerySet, unit_ids: list[int]) -> int:
    """One INSERT … SELECT for a batch of units: the households, in priority order, with their
    snapshot; returns the rows written."""
    if not unit_ids:
        return 0
    target_sql, target_params = (
        targets.filter(unit_id__in=unit_ids).order_by().values("pk").query.sql_with_params()
    )
    nulls_first = "NULLS FIRST"
    # The batch's units bound the outer query too, not only the target subquery:
    # a new campaign's lists are not yet in the planner's statistics, and
    # without this bound a plan driven from them read every file of the branch
    # for every batch (bench/visit_lists.py: 12 s a batch instead of under 1 s).
    in_batch = ", ".join(["%s"] * len(unit_ids))
    sql = f"""
        INSERT INTO visits_visitlistrow
            (visit_list_id, campaign_id, file_id, priority, township, community, name,
             masked_id_number, address, phone, category, main_cause, model_worker,
             last_visited_on, helper_id, helper_name, visit_id)
        SELECT vl.id, %s, f.id,
               ROW_NUMBER() OVER (
                   PARTITION BY f.unit_id
                   ORDER BY CASE WHEN f.category = 'deep' THEN 0 ELSE 1 END,
                            CASE WHEN f.model_worker_level <> 'none' THEN 0 ELSE 1 END,
                            last_visit.visited_on ASC {nulls_first}, f.id
               ),
               CASE WHEN u.level = 6 THEN COALESCE(p.name, '') WHEN u.level = 5 THEN u.name ELSE '' END,
               CASE WHEN u.level = 6 THEN u.name ELSE '' END,
               f.name, f.id_number_masked, f.address, f.phone, f.category, cause.name,
               f.model_worker_level <> 'none',
               last_visit.visited_on, helper.cadre_id, COALESCE(cadre.name, ''), NULL
        FROM hardship_hardshipfile f
        JOIN people_unionunit u ON u.id = f.unit_id
        LEFT JOIN people_unionunit p ON p.id = u.parent_id
        JOIN hardship_hardshipcause cause ON cause.id = f.main_cause_id
        JOIN visits_visitlist vl ON vl.campaign_id = %s AND vl.unit_id = f.unit_id
        LEFT JOIN (
            SELECT file_id, MAX(visited_on) AS visited_on FROM visits_visit GROUP BY file_id
        ) last_visit ON last_visit.file_id = f.id
        LEFT JOIN visits_pairing helper
            ON helper.file_id = f.id AND helper.role = 'helper' AND helper.ends_on IS NULL
        LEFT JOIN visits_cadre cadre ON cadre.id = helper.cadre_id
        WHERE f.id IN ({target_sql}) AND vl.status <> 'approved'
            AND f.unit_id IN ({in_batch}) AND vl.unit_id IN ({in_batch})
        ON CONFLICT (campaign_id, file_id) DO NOTHING
    """  # noqa: S608 - our own SQL; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, campaign.pk, *target_params, *unit_ids, *unit_ids])
        return cursor.rowcount


def _finish_lists(*, campaign: Campaign, unit_ids: list[int]) -> None:
    # One UPDATE, each list counting its own rows: saving the lists one by one
    # cost a province's 20,000 lists 16 s of round trips (bench/visit_lists.py).
    rows = (
        VisitListRow.objects.filter(visit_list=OuterRef("pk"))
        .order_by()
        .values("visit_list")
        .annotate(n=Count("id"))
        .values("n")
    )
    # An approved list keeps its count and status, whichever build finishes last.
    VisitList.objects.filter(campaign=campaign, unit_id__in=unit_ids).exclude(
        status=VisitListStatus.APPROVED
    ).update(
        row_count=Coalesce(Subquery(rows), 0),
        status=VisitListStatus.READY,
        built_at=timezone.now(),
    )


@transaction.atomic
def visit_list_approve(*, visit_list: VisitList, by: User) -> VisitList:
    """The unit's approver freezes its list: later rebuilds and file edits leave it as it is."""
    visit_list = VisitList.objects.select_for_update().select_related("unit").get(pk=visit_list.pk)
    may_approve_visit_list(by, visit_list).enforce()
    visit_list.status = VisitListStatus.APPROVED
    visit_list.approved_by = by
    visit_list.approved_at = timezone.now()
    visit_list.save(update_fields=["status", "approved_by", "approved_at"])
    return visit_list


@transaction.atomic
def visit_lists_approve_all(*, campaign: Campaign, unit: UnionUnit, by: User) -> list[VisitList]:
    """The approver freezes every ready list of ``campaign`` in ``unit``'s branch in one step.

    Lists still being built and lists already approved are left as they are. Each list is
    held to the rule of approving it alone (``may_approve_visit_list``); two queries whatever
    the number of lists: one locks and reads them, one UPDATE freezes them.
    """
    may_approve_visit_lists(by, campaign, unit=unit).enforce()
    ready = [
        visit_list
        for visit_list in VisitList.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(
            campaign=campaign,
            unit__path__startswith=unit.path,
            status=VisitListStatus.READY,
        )
        .order_by("unit__path")
        if may_approve_visit_list(by, visit_list)
    ]
    now = timezone.now()
    VisitList.objects.filter(pk__in=[v.pk for v in ready]).update(
        status=VisitListStatus.APPROVED, approved_by=by, approved_at=now
    )
    for visit_list in ready:
        visit_list.status = VisitListStatus.APPROVED
        visit_list.approved_by = by
        visit_list.approved_at = now
    return ready


def visit_list_documents() -> dict[str, tuple[str, str]]:
    """The documents a visit list is printed as: by the name in its URL, the job kind and label."""
    return {
        "pdf": ("visit_list_pdf", _("Visit list (PDF)")),
        "xlsx": ("visit_list_xlsx", _("Visit list (Excel)")),
    }


def visit_list_request_document(
    *, visit_list: VisitList, kind: str, by: User, helper_id: int | None = None
) -> GeneratedDocument:
    """Ask a worker for ``visit_list`` as a document of ``kind`` (``"pdf"`` to print and sign,
    ``"xlsx"``), for all its households or those of one helper (``helper_id``).

    Side effects: a GeneratedDocument row, sent to a worker once the transaction commits.
    """
    may_print_visit_list(by, visit_list).enforce()
    producer_kind, label = visit_list_documents()[kind]
    return document_request(
        kind=producer_kind,
        title=f"{label} · {visit_list.unit.name} · {visit_list.campaign.name}",
        by=by,
        unit=visit_list.unit,
        params={
            "visit_list_id": visit_list.pk,
            **({"helper_id": helper_id} if helper_id is not None else {}),
        },
    )


def visit_lists_request_document(
    *, campaign: Campaign, unit: UnionUnit, kind: str, by: User
) -> GeneratedDocument:
    """Ask a worker for every visit list of ``campaign`` in ``unit``'s branch as one document of
    ``kind`` (``"pdf"`` or ``"xlsx"``): the teams' lists printed in one job, each list numbered
    1..n in its walking order as its page shows it.

    Side effects: a GeneratedDocument row, sent to a worker once the transaction commits.
    """
    may_print_visit_lists(by, campaign, unit=unit).enforce()
    producer_kind, label = visit_list_documents()[kind]
    return document_request(
        kind=producer_kind,
        title=f"{label} · {unit.name} · {campaign.name}",
        by=by,
        unit=unit,
        params={"campaign_id": campaign.pk, "unit_id": unit.pk},
    )


# ---------------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """不漏一户: households listed and visited, visits (户次) and people reached (人次)."""

    unit: UnionUnit
    listed: int = 0
    visited: int = 0
    visits: int = 0
    person_times: int = 0

    @property
    def not_visited(self) -> int:
        return self.listed - self.visited

    @property
    def percent(self) -> int:
        return round(100 * self.visited / self.listed) if self.listed else 0


def campaign_coverage(*, campaign: Campaign, unit: UnionUnit) -> tuple[Coverage, list[Coverage]]:
    """Coverage of ``unit``'s branch, and of each of its child units (rolled up the tree).

    Two grouped queries over the branch, rolled up in Python by path: constant
    work per page whatever the number of child units.
    """
    branch = {"visit_list__unit__path__startswith": unit.path}
    per_unit: dict[int, Coverage] = {}
    rows = (
        VisitListRow.objects.filter(campaign=campaign, **branch)
        .values("visit_list__unit__path")
        .annotate(listed=Count("id"), visited=Count("visit"))
    )
    paths: dict[str, tuple[int, int]] = {
        r["visit_list__unit__path"]: (r["listed"], r["visited"]) for r in rows
    }
    visits = (
        Visit.objects.filter(campaign=campaign, file__unit__path__startswith=unit.path)
        .values("file__unit__path")
        .annotate(n=Count("id"), people=Sum("people_reached"))
    )
    visit_paths = {r["file__unit__path"]: (r["n"], r["people"] or 0) for r in visits}
    children = list(UnionUnit.objects.filter(parent=unit).order_by("code"))
    total = Coverage(unit=unit)
    for child in children:
        per_unit[child.pk] = Coverage(unit=child)
    for path, (listed, visited) in paths.items():
        target = _child_for(path, unit, children)
        for coverage in filter(None, (total, per_unit.get(target))):
            coverage.listed += listed
            coverage.visited += visited
    for path, (count, people) in visit_paths.items():
        target = _child_for(path, unit, children)
        for coverage in filter(None, (total, per_unit.get(target))):
            coverage.visits += count
            coverage.person_times += people
    return total, [per_unit[c.pk] for c in children]


def _child_for(path: str, unit: UnionUnit, children: list[UnionUnit]) -> int | None:
    rest = path[len(unit.path) :].strip("/")
    if not rest:
        return None
    return int(rest.split("/")[0])


def campaigns_for_user(*, user: User) -> QuerySet[Campaign]:
    """Campaigns whose organiser's branch includes the user's unit, or lies within the user's branch."""
    if user.is_superuser:
        return Campaign.objects.all()
    if user.unit is None:
        return Campaign.objects.none()
    above = [int(pk) for pk in user.unit.path.strip("/").split("/")]
    return Campaign.objects.filter(
        Q(organiser_id__in=above) | Q(organiser__path__startswith=user.unit.path)
    )


def visit_lists_for_user(*, user: User, campaign: Campaign) -> QuerySet[VisitList]:
    return scope_to_user(
        VisitList.objects.filter(campaign=campaign).select_related("unit", "approved_by"),
        user=user,
        unit_path="unit__path",
    )
