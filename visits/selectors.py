"""Reads: helpers, visits, follow-ups and help services, always through the user's scope, and
who may do what to them (the ``may_<verb>_<thing>`` predicates pages and services share).

Every queryset here is narrowed by ``people.access.scope_to_user`` over the
unit tree (by the file's unit, or the cadre's), so a caller cannot reach a
sibling branch's rows by forgetting a filter. Functions that take an object
(``file``, ``cadre``) expect it fetched through the access rules already.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from common.rules import ALLOWED, Decision, refuse
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.access import is_in_branch, may_act_as, scope_to_user
from people.models import Role, UnionUnit, User
from visits.choices import FollowUpStatus, HelpKind, PairingRole, VisitKind, VisitListStatus
from visits.models import (
    Cadre,
    Campaign,
    EnterprisePairing,
    FollowUp,
    HelpService,
    Pairing,
    Visit,
    VisitList,
    VisitListRow,
)

# Rows a summary or a list shows at most; more would not be read on a phone anyway.
LIST_CAP = 200


# ====================================================================== cadres and pairing


def cadres_for_user(*, user: User) -> QuerySet[Cadre]:
    """The cadres of ``user``'s branch."""
    return scope_to_user(Cadre.objects.all(), user=user, unit_path="unit__path")


def pairings_for_user(*, user: User) -> QuerySet[Pairing]:
    """Pairings of the files in ``user``'s branch (by the file's unit, not the cadre's)."""
    return scope_to_user(Pairing.objects.all(), user=user, unit_path="file__unit__path")


def enterprise_pairings_for_user(*, user: User) -> QuerySet[EnterprisePairing]:
    return scope_to_user(EnterprisePairing.objects.all(), user=user, unit_path="unit__path")


def cadres_with_counts(*, user: User) -> QuerySet[Cadre]:
    """The branch's cadres, each with its numbers of current households and enterprises.

    The counts are subqueries, so paging the list stays one query per page.
    Households outside ``user``'s branch are not counted: they do not exist here.
    """

    def count_of(queryset):
        return Coalesce(
            Subquery(
                queryset.filter(cadre=OuterRef("pk"), ends_on__isnull=True)
                .order_by()
                .values("cadre")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    return cadres_for_user(user=user).annotate(
        household_count=count_of(pairings_for_user(user=user)),
        enterprise_count=count_of(enterprise_pairings_for_user(user=user)),
    )


@dataclass
class FileHelpers:
    """A file's helpers: the current pairing of each role, and every pairing, newest first."""

    leading_cadre: Pairing | None
    helper: Pairing | None
    history: list[Pairing]

    @property
    def current(self) -> list[Pairing]:
        return [p for p in (self.leading_cadre, self.helper) if p is not None]


def file_helpers(*, file: HardshipFile) -> FileHelpers:
    """The double pairing of ``file`` now, and its pairing history (one query)."""
    history = list(
        Pairing.objects.filter(file=file)
        .select_related("cadre", "cadre__unit", "created_by")
        .order_by("-starts_on", "-id")
    )
    current = {p.role: p for p in history if p.ends_on is None}
    return FileHelpers(
        leading_cadre=current.get(PairingRole.LEADING_CADRE),
        helper=current.get(PairingRole.RESPONSIBLE_HELPER),
        history=history,
    )


def cadre_households(*, cadre: Cadre, user: User, current: bool = True) -> QuerySet[Pairing]:
    """The households ``cadre`` is (or, with ``current=False``, was) paired with, that
    ``user`` may see, newest pairing first.
    """
    pairings = pairings_for_user(user=user).filter(cadre=cadre)
    pairings = (
        pairings.filter(ends_on__isnull=True) if current else pairings.exclude(ends_on__isnull=True)
    )
    return pairings.select_related("file", "file__unit").order_by("-starts_on", "-id")


def cadre_enterprises(*, cadre: Cadre, user: User) -> QuerySet[EnterprisePairing]:
    """The enterprises ``cadre`` is or was paired with, current first."""
    return (
        enterprise_pairings_for_user(user=user)
        .filter(cadre=cadre)
        .select_related("unit")
        .order_by(F("ends_on").desc(nulls_first=True), "-starts_on", "-id")
    )


MISSING_ANY = "any"
MISSING_CHOICES = (
    MISSING_ANY,
    PairingRole.LEADING_CADRE.value,
    PairingRole.RESPONSIBLE_HELPER.value,
)


def files_without_current_helper(
    *, user: User, missing: str = MISSING_ANY
) -> QuerySet[HardshipFile]:
    """Files on record in ``user``'s branch lacking a current helper.

    ``missing`` is ``"any"`` (no current pairing at all) or a pairing role
    (no current pairing in that role). The anti-join is served by the partial
    unique index on current pairings. Unordered: callers page it by keyset.
    """
    current = Pairing.objects.filter(file=OuterRef("pk"), ends_on__isnull=True)
    if missing != MISSING_ANY:
        current = current.filter(role=missing)
    return (
        scope_to_user(HardshipFile.objects.all(), user=user, unit_path="unit__path")
        .filter(status=FileStatus.ON_FILE)
        .exclude(Exists(current))
    )


# ====================================================================== follow-ups


def follow_ups_for_user(*, user: User) -> QuerySet[FollowUp]:
    """Follow-ups on the files of ``user``'s branch."""
    return scope_to_user(FollowUp.objects.all(), user=user, unit_path="file__unit__path")


def _with_context(queryset: QuerySet[FollowUp]) -> QuerySet[FollowUp]:
    return queryset.select_related("file", "file__unit", "owner", "visit")


def my_follow_ups(*, user: User) -> QuerySet[FollowUp]:
    """``user``'s open follow-ups, the most overdue first, then by due date."""
    return _with_context(
        follow_ups_for_user(user=user).filter(owner=user, status=FollowUpStatus.OPEN)
    ).order_by("due_on", "id")


def overdue_follow_ups(
    *,
    user: User,
    owner: User | None = None,
    unit: UnionUnit | None = None,
    today: date | None = None,
) -> QuerySet[FollowUp]:
    """Open follow-ups past their due date in ``user``'s branch, oldest due first.

    Narrowed to one ``owner``, or to the files of ``unit``'s branch, when given.
    """
    today = today or timezone.localdate()
    queryset = follow_ups_for_user(user=user).filter(status=FollowUpStatus.OPEN, due_on__lt=today)
    if owner is not None:
        queryset = queryset.filter(owner=owner)
    if unit is not None:
        queryset = queryset.filter(file__unit__path__startswith=unit.path)
    return _with_context(queryset).order_by("due_on", "id")


def overdue_by_owner(*, user: User, today: date | None = None) -> list[dict]:
    """Per caseworker: how many follow-ups are overdue and the oldest due date, most first."""
    rows = (
        overdue_follow_ups(user=user, today=today)
        .order_by()
        .values("owner", "owner__full_name", "owner__username", "owner__unit__name")
        .annotate(count=Count("pk"), oldest=Min("due_on"))
        .order_by("-count", "oldest", "owner")[:LIST_CAP]
    )
    return list(rows)


def overdue_by_unit(*, user: User, today: date | None = None) -> list[dict]:
    """Per unit holding the files: how many follow-ups are overdue and the oldest, most first."""
    rows = (
        overdue_follow_ups(user=user, today=today)
        .order_by()
        .values("file__unit", "file__unit__name")
        .annotate(count=Count("pk"), oldest=Min("due_on"))
        .order_by("-count", "oldest", "file__unit")[:LIST_CAP]
    )
    return list(rows)


# ====================================================================== who may do what
#
# One predicate per action, asked by the page that offers it (a Decision is true when
# allowed) and enforced by the service that does it (``may_x(by, obj).enforce()``), so the
# two cannot disagree. Each answers "may this person do this to this record now"; what the
# person types in (dates, amounts, the people, cadres, unit or campaign chosen) the
# services check themselves.


def _caseworker_of(user: User, unit: UnionUnit, refusal: str = "") -> Decision:
    """Whether ``user`` is a caseworker whose branch holds ``unit``: who records visits, help,
    pairings and follow-ups there."""
    if not (decision := may_act_as(user, Role.CASEWORKER)):
        return decision
    if not is_in_branch(user, unit):
        return refuse(refusal or _("This is not in your unit's branch."), denied=True)
    return ALLOWED


def _of_file(user: User, file: HardshipFile) -> Decision:
    return _caseworker_of(user, file.unit, _("This file is not in your unit's branch."))


def _on_file(file: HardshipFile, *, what: str) -> Decision:
    if file.status != FileStatus.ON_FILE:
        return refuse(
            _("%(what)s only for a household on file; this file is “%(status)s”.")
            % {"what": what, "status": file.get_status_display()}
        )
    return ALLOWED


def visit_kinds_for(*, file: HardshipFile) -> tuple[str, ...]:
    """The kinds of visit ``file`` takes now: every kind on file, phone calls once exited,
    none otherwise (visits/services.py explains why).
    """
    if file.status == FileStatus.ON_FILE:
        return tuple(VisitKind.values)
    if file.status == FileStatus.EXITED:
        return (VisitKind.PHONE.value,)
    return ()


def may_log_visit(user: User, file: HardshipFile) -> Decision:
    """Log a visit to ``file``'s household (of some kind: an exited one takes phone calls)."""
    if not (decision := _of_file(user, file)):
        return decision
    if visit_kinds_for(file=file):
        return ALLOWED
    if file.is_active:
        return refuse(
            _(
                "This application is not on file yet: record the home verification on the file's page instead."
            )
        )
    return refuse(
        _("This file is closed (%(reason)s): it takes no more visits.")
        % {"reason": file.get_close_reason_display()}
    )


def may_raise_follow_up(user: User, file: HardshipFile) -> Decision:
    """Raise follow-ups at a visit to ``file``'s household (the visit form's rows)."""
    if not (decision := may_log_visit(user, file)):
        return decision
    if file.status != FileStatus.ON_FILE:
        return refuse(
            _(
                "A household out of hardship gets no new follow-ups: if it is in hardship again, it applies again."
            )
        )
    return ALLOWED


def campaign_fits(*, campaign: Campaign, file: HardshipFile, on: date) -> Decision:
    """Whether a visit or help to ``file`` on ``on`` can belong to ``campaign``: organised by a
    unit whose branch holds the household, and running that day."""
    if not file.unit.is_in_branch_of(campaign.organiser):
        return refuse(_("This campaign's organiser is not above the household's unit."))
    if not campaign.starts_on <= on <= campaign.ends_on:
        return refuse(
            _("The campaign runs from %(start)s to %(end)s; the date is outside it.")
            % {"start": campaign.starts_on, "end": campaign.ends_on}
        )
    return ALLOWED


def campaign_takes_visit(*, campaign: Campaign, file: HardshipFile, on: date) -> Decision:
    """Whether a visit to ``file`` on ``on`` can count toward ``campaign``: campaigns visit
    households on file only."""
    if file.status != FileStatus.ON_FILE:
        return refuse(_("A household out of hardship is on no campaign's visit list."))
    return campaign_fits(campaign=campaign, file=file, on=on)


def may_log_campaign_visit(user: User, row: VisitListRow) -> Decision:
    """Log, today, the visit a household's row on a campaign's visit list waits for."""
    if not (decision := may_log_visit(user, row.file)):
        return decision
    return campaign_takes_visit(campaign=row.campaign, file=row.file, on=timezone.localdate())


def may_record_help(user: User, file: HardshipFile) -> Decision:
    """Record help given to ``file``'s household (to an exited one: help given before it left,
    which the service checks by the date)."""
    if not (decision := _of_file(user, file)):
        return decision
    if file.status == FileStatus.EXITED:
        return ALLOWED
    return _on_file(file, what=_("Help is recorded"))


def may_start_pairing(user: User, file: HardshipFile) -> Decision:
    """Pair a cadre with ``file``'s household."""
    if not (decision := _of_file(user, file)):
        return decision
    return _on_file(file, what=_("Helpers are paired"))


def may_end_pairing(user: User, pairing: Pairing) -> Decision:
    """End ``pairing``, whatever its file's status now (a file that left the record keeps it)."""
    if not (decision := _of_file(user, pairing.file)):
        return decision
    if pairing.ends_on is not None:
        return refuse(_("This pairing has already ended."))
    return ALLOWED


def may_create_cadre(user: User, unit: UnionUnit | None) -> Decision:
    """Add a cadre to ``unit`` (None: to some unit of the user's branch, as the cadre list asks
    before one is chosen)."""
    if not (decision := may_act_as(user, Role.CASEWORKER, Role.UNIT_ADMIN)):
        return decision
    if unit is not None and not is_in_branch(user, unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    return ALLOWED


def may_start_enterprise_pairing(user: User, cadre: Cadre) -> Decision:
    """Pair ``cadre`` with an enterprise in difficulty."""
    return _caseworker_of(user, cadre.unit, _("This cadre is not in your unit's branch."))


def may_end_enterprise_pairing(user: User, enterprise_pairing: EnterprisePairing) -> Decision:
    """End a cadre's pairing with an enterprise."""
    if not (decision := _caseworker_of(user, enterprise_pairing.unit)):
        return decision
    if enterprise_pairing.ends_on is not None:
        return refuse(_("This pairing has already ended."))
    return ALLOWED


def may_own_follow_ups(user: User, file: HardshipFile) -> Decision:
    """Be given the follow-ups of ``file``'s household: someone who may then close them."""
    return _caseworker_of(user, file.unit)


def _may_work_on(user: User, follow_up: FollowUp) -> Decision:
    # Any caseworker of the file's branch, not only its owner: a colleague takes over
    # the follow-ups of someone away, and the owner is one of them anyway.
    if not (decision := may_own_follow_ups(user, follow_up.file)):
        return decision
    if follow_up.status != FollowUpStatus.OPEN:
        return refuse(
            _("This follow-up is already “%(status)s”.")
            % {"status": follow_up.get_status_display()}
        )
    return ALLOWED


def may_close_follow_up(user: User, follow_up: FollowUp) -> Decision:
    """Close ``follow_up`` as done, whatever its file's status now."""
    return _may_work_on(user, follow_up)


def may_cancel_follow_up(user: User, follow_up: FollowUp) -> Decision:
    """Cancel ``follow_up``, with a reason."""
    return _may_work_on(user, follow_up)


def may_create_campaign(user: User, organiser: UnionUnit | None) -> Decision:
    """Create (or change the target rule of) a campaign organised by ``organiser``."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if organiser is None:
        return refuse(
            _("A campaign is organised by a union unit, and you belong to none."), denied=True
        )
    if not is_in_branch(user, organiser):
        return refuse(_("This is not in your unit's branch."), denied=True)
    return ALLOWED


def may_correct_campaign(user: User, campaign: Campaign) -> Decision:
    """Correct ``campaign``'s dates, target group or aid standards: whoever may create a
    campaign for its organiser, until the first of its visit lists is approved (an approved
    list was drawn and signed off under the campaign as it stands)."""
    if not (decision := may_create_campaign(user, campaign.organiser)):
        return decision
    if VisitList.objects.filter(campaign=campaign, status=VisitListStatus.APPROVED).exists():
        return refuse(
            _(
                "A visit list of this campaign is approved already: the campaign can no longer "
                "be corrected."
            )
        )
    return ALLOWED


def may_build_visit_lists(
    user: User, campaign: Campaign, *, unit: UnionUnit | None = None
) -> Decision:
    """Build (or rebuild) ``campaign``'s visit lists of ``unit``'s branch (the organiser's by
    default); approved lists stay as they are."""
    unit = unit or campaign.organiser
    if not (decision := may_act_as(user, Role.CASEWORKER, Role.APPROVER)):
        return decision
    if not is_in_branch(user, unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if not unit.is_in_branch_of(campaign.organiser):
        return refuse(_("This unit is not in the campaign's branch."))
    return ALLOWED


def visit_lists_awaiting_approval(*, campaign: Campaign, unit: UnionUnit) -> QuerySet[VisitList]:
    """The campaign's visit lists in ``unit``'s branch not yet approved (frozen), by unit:
    what stands between a caseworker and proposing the campaign's money."""
    return (
        VisitList.objects.filter(campaign=campaign, unit__path__startswith=unit.path)
        .exclude(status=VisitListStatus.APPROVED)
        .select_related("unit")
        .order_by("unit__path")
    )


def may_approve_visit_list(user: User, visit_list: VisitList) -> Decision:
    """Approve (freeze) ``visit_list``: later rebuilds and file edits leave it as it is."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, visit_list.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if visit_list.status != VisitListStatus.READY:
        return refuse(_("Only a built list can be approved."))
    return ALLOWED


def may_approve_visit_lists(user: User, campaign: Campaign, *, unit: UnionUnit) -> Decision:
    """Approve (freeze) every ready list of ``campaign`` in ``unit``'s branch in one step: who may
    approve one list of the branch may approve them all (each list is checked again as one)."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if not unit.is_in_branch_of(campaign.organiser):
        return refuse(_("This unit is not in the campaign's branch."))
    return ALLOWED


def may_print_visit_list(user: User, visit_list: VisitList) -> Decision:
    """Ask for ``visit_list`` as a PDF to print and sign, or as a spreadsheet: whoever may
    read it (the worker applies the requester's branch again)."""
    if not is_in_branch(user, visit_list.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    return ALLOWED


def may_print_visit_lists(user: User, campaign: Campaign, *, unit: UnionUnit) -> Decision:
    """Ask for every visit list of ``campaign`` in ``unit``'s branch as one document, each team
    (list) numbered as its page: whoever may read that branch (the worker applies the
    requester's branch again), once it has a list."""
    if not is_in_branch(user, unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if not unit.is_in_branch_of(campaign.organiser):
        return refuse(_("This unit is not in the campaign's branch."))
    if not VisitList.objects.filter(campaign=campaign, unit__path__startswith=unit.path).exists():
        return refuse(_("There are no visit lists of this campaign for this unit yet."))
    return ALLOWED


def with_follow_up_decisions(
    follow_ups: list[FollowUp], *, file: HardshipFile, user: User
) -> list[FollowUp]:
    """``follow_ups`` of ``file``, each saying whether ``user`` may close it (``may_close``) and
    cancel it (``may_cancel``), for the links to its page; no query."""
    for follow_up in follow_ups:
        follow_up.file = file
        follow_up.may_close = may_close_follow_up(user, follow_up)
        follow_up.may_cancel = may_cancel_follow_up(user, follow_up)
    return follow_ups


# ====================================================================== a file's section


def file_visits_context(*, file: HardshipFile, user: User) -> dict:
    """What ``visits/file_section.html`` needs on the page of ``file`` (fetched for ``user``)."""
    section = file_timeline(file=file)
    with_follow_up_decisions(section.open_follow_ups, file=file, user=user)
    return {
        "visits_section": section,
        "visits_allowed": {
            "log_visit": may_log_visit(user, file),
            "record_help": may_record_help(user, file),
            "start_pairing": may_start_pairing(user, file),
        },
        "visits_today": timezone.localdate(),
    }


def visits_for_user(*, user: User) -> QuerySet[Visit]:
    return scope_to_user(Visit.objects.all(), user=user, unit_path="file__unit__path")


def help_services_for_user(*, user: User) -> QuerySet[HelpService]:
    return scope_to_user(HelpService.objects.all(), user=user, unit_path="file__unit__path")


def visits_of_file(*, file: HardshipFile) -> QuerySet[Visit]:
    """A file's visits, newest first, with who went, photos and follow-ups (five queries)."""
    return (
        Visit.objects.filter(file=file)
        .select_related("campaign", "recorded_by")
        .prefetch_related(
            "visitors",
            "cadres",
            "photos",
            Prefetch("follow_ups", queryset=FollowUp.objects.select_related("owner")),
        )
        .order_by("-visited_on", "-id")
    )


def follow_ups_without_visit(*, file: HardshipFile) -> QuerySet[FollowUp]:
    """A file's follow-ups that no visit raised: the calls after its exits (one query)."""
    return (
        FollowUp.objects.filter(file=file, visit__isnull=True)
        .select_related("owner")
        .order_by("due_on", "id")
    )


@dataclass
class TimelineEntry:
    """One dated thing that happened to a household: a visit, a help service, a closed follow-up."""

    on: date
    kind: str  # "visit", "help", "follow_up_done", "follow_up_cancelled"
    item: object
    at: datetime | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.on, self.at or datetime.min.replace(tzinfo=timezone.get_current_timezone()))


@dataclass
class FileVisits:
    """What the file page's visits section shows."""

    helpers: FileHelpers
    timeline: list[TimelineEntry]
    open_follow_ups: list[FollowUp]
    help_services: list[HelpService]
    visits: list[Visit] = field(default_factory=list)


def file_timeline(*, file: HardshipFile) -> FileVisits:
    """The helpers, visits, follow-ups and help services of ``file``, merged by date, newest first.

    A follow-up shows under the visit that raised it, and again on the day it
    was closed or cancelled. A fixed number of queries, however long the file's
    history.
    """
    visits = list(visits_of_file(file=file))
    follow_ups = [f for v in visits for f in v.follow_ups.all()] + list(
        follow_ups_without_visit(file=file)
    )
    closers = {
        u.pk: u
        for u in User.objects.filter(pk__in={f.closed_by_id for f in follow_ups if f.closed_by_id})
    }
    visits_by_id = {v.pk: v for v in visits}
    for follow_up in follow_ups:
        # Fill the relations from what is loaded, so the template asks nothing more.
        follow_up.closed_by = closers.get(follow_up.closed_by_id)
        follow_up.return_visit = visits_by_id.get(follow_up.return_visit_id)
        follow_up.visit = visits_by_id.get(follow_up.visit_id)
        follow_up.file = file
    helps = list(
        HelpService.objects.filter(file=file)
        .select_related("campaign", "visit", "recorded_by")
        .order_by("-provided_on", "-id")
    )
    entries = [TimelineEntry(v.visited_on, "visit", v, v.recorded_at) for v in visits]
    entries += [TimelineEntry(h.provided_on, "help", h, h.recorded_at) for h in helps]
    for follow_up in follow_ups:
        if follow_up.status != FollowUpStatus.OPEN and follow_up.closed_at:
            local = timezone.localtime(follow_up.closed_at)
            entries.append(
                TimelineEntry(
                    local.date(),
                    "follow_up_done"
                    if follow_up.status == FollowUpStatus.DONE
                    else "follow_up_cancelled",
                    follow_up,
                    follow_up.closed_at,
                )
            )
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    open_follow_ups = sorted(
        (f for f in follow_ups if f.status == FollowUpStatus.OPEN), key=lambda f: (f.due_on, f.pk)
    )
    return FileVisits(
        helpers=file_helpers(file=file),
        timeline=entries,
        open_follow_ups=open_follow_ups,
        help_services=helps,
        visits=visits,
    )


def campaigns_for_file(*, file: HardshipFile, on: date | None = None) -> QuerySet[Campaign]:
    """Campaigns a visit to ``file`` can belong to: organised by its unit or a unit above it,
    and running on ``on`` when given (else any, newest first).

    Not scoped to the user: a campaign of a higher unit is public to the branch it covers.
    """
    organisers = [*file.unit.ancestor_ids, file.unit_id]
    campaigns = Campaign.objects.filter(organiser_id__in=organisers)
    if on is not None:
        campaigns = campaigns.filter(starts_on__lte=on, ends_on__gte=on)
    return campaigns.order_by("-starts_on", "-id")


def campaign_listing_file(
    *, file: HardshipFile, on: date, prefer: int | None = None
) -> Campaign | None:
    """The campaign a visit to ``file`` on ``on`` should count toward: one running on ``on``
    whose visit list holds the household, not yet visited in it.

    ``prefer`` (the campaign of the list row the visit form was opened from) wins
    when it is one of them; otherwise the one that started last. None when there
    is none: a household already visited in a campaign has counted toward its
    coverage, and a later visit (a return call about a follow-up) is not taken
    for a campaign visit unless the caseworker says so.
    """
    candidates = campaigns_for_file(file=file, on=on).filter(
        pk__in=VisitListRow.objects.filter(file=file, visit__isnull=True).values("campaign_id")
    )
    if prefer is not None:
        preferred = candidates.filter(pk=prefer).first()
        if preferred is not None:
            return preferred
    return candidates.first()


# ====================================================================== figures


@dataclass
class KindFigures:
    kind: str
    label: str
    records: int = 0
    households: int = 0
    person_times: int = 0
    amount: Decimal = Decimal(0)


def _figures_by_kind(
    queryset: QuerySet,
    *,
    kinds,
    user: User,
    unit: UnionUnit | None,
    date_field: str,
    starts_on: date,
    ends_on: date,
    people: str,
    amount: str,
) -> list[KindFigures]:
    queryset = scope_to_user(queryset, user=user, unit_path="file__unit__path")
    if unit is not None:
        queryset = queryset.filter(file__unit__path__startswith=unit.path)
    rows = (
        queryset.filter(**{f"{date_field}__gte": starts_on, f"{date_field}__lte": ends_on})
        .order_by()
        .values("kind")
        .annotate(
            records=Count("pk"),
            households=Count("file", distinct=True),
            person_times=Sum(people),
            amount=Sum(amount),
        )
    )
    found = {row["kind"]: row for row in rows}
    figures = []
    for kind in kinds:
        row = found.get(kind.value, {})
        figures.append(
            KindFigures(
                kind=kind.value,
                label=str(kind.label),
                records=row.get("records", 0),
                households=row.get("households", 0),
                person_times=row.get("person_times") or 0,
                amount=row.get("amount") or Decimal(0),
            )
        )
    return figures


def help_person_times(
    *, user: User, unit: UnionUnit | None = None, starts_on: date, ends_on: date
) -> list[KindFigures]:
    """Help services in ``user``'s branch (narrowed to ``unit``'s) from ``starts_on`` to
    ``ends_on``, by kind: records, households, person-times (人次) and wages recovered.

    Every kind is listed, with zeros where nothing happened, in the order of
    ``HelpKind``, as the union's report forms count them. One query.
    """
    return _figures_by_kind(
        HelpService.objects.all(),
        kinds=HelpKind,
        user=user,
        unit=unit,
        date_field="provided_on",
        starts_on=starts_on,
        ends_on=ends_on,
        people="person_times",
        amount="amount_recovered",
    )


def visit_figures(
    *, user: User, unit: UnionUnit | None = None, starts_on: date, ends_on: date
) -> list[KindFigures]:
    """Visits in the branch and period by kind: visits (户次), households (户), person-times
    (人次) and the money handed over. One query.
    """
    return _figures_by_kind(
        Visit.objects.all(),
        kinds=VisitKind,
        user=user,
        unit=unit,
        date_field="visited_on",
        starts_on=starts_on,
        ends_on=ends_on,
        people="people_reached",
        amount="cash_amount",
    )


# ---------------------------------------------------------------- the walking order of a list

# The walking order of a list's rows, the order visits/documents.py prints them in: priority
# (ties by when the row was written), grouped by street and community.
VISIT_LIST_ROW_ORDER = ("township", "community", "priority", "pk")


def visit_list_row_numbers(*, visit_lists) -> QuerySet[VisitListRow]:
    """(visit_list_id, file_id, number) of every row of ``visit_lists`` (ids or a queryset of
    ids), ``number`` being the row's number in its list's walking order: the number the
    list's page, PDF and spreadsheet show, and the roster of the list's team prints.

    Numbered in the database over whole lists, so a caller that wants a few households
    still gets their numbers on the full list.
    """
    return (
        VisitListRow.objects.filter(visit_list_id__in=visit_lists)
        .annotate(
            number=Window(
                RowNumber(),
                partition_by=[F("visit_list_id")],
                order_by=[F(name).asc() for name in VISIT_LIST_ROW_ORDER],
            )
        )
        .order_by()
        .values_list("visit_list_id", "file_id", "number")
    )
