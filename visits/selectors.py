"""Reads: helpers, visits, follow-ups and help services, always through the user's scope.

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
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.access import scope_to_user
from people.models import Role, UnionUnit, User
from visits.choices import FollowUpStatus, HelpKind, PairingRole, VisitKind
from visits.models import (
    Cadre,
    Campaign,
    EnterprisePairing,
    FollowUp,
    HelpService,
    Pairing,
    Visit,
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


# ====================================================================== a file's section


def may_record(*, user: User, file: HardshipFile) -> bool:
    """Whether ``user``'s role and branch let them record visits, help and pairings on ``file``.

    The services decide each action; this only says which buttons to offer.
    """
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return (
        user.has_role(Role.CASEWORKER)
        and user.unit is not None
        and file.unit.is_in_branch_of(user.unit)
    )


def visit_kinds_for(*, file: HardshipFile) -> tuple[str, ...]:
    """The kinds of visit ``file`` takes now: every kind on file, phone calls once exited,
    none otherwise (visits/services.py explains why).
    """
    if file.status == FileStatus.ON_FILE:
        return tuple(VisitKind.values)
    if file.status == FileStatus.EXITED:
        return (VisitKind.PHONE.value,)
    return ()


def file_visits_context(*, file: HardshipFile, user: User) -> dict:
    """What ``visits/file_section.html`` needs on the page of ``file`` (fetched for ``user``)."""
    can_record = may_record(user=user, file=file)
    return {
        "visits_section": file_timeline(file=file),
        "can_log_visit": can_record and bool(visit_kinds_for(file=file)),
        "can_record_help": can_record and file.status in (FileStatus.ON_FILE, FileStatus.EXITED),
        "can_pair": can_record and file.status == FileStatus.ON_FILE,
        "can_work_follow_ups": can_record,
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
    follow_ups = [f for v in visits for f in v.follow_ups.all()]
    closers = {
        u.pk: u
        for u in User.objects.filter(pk__in={f.closed_by_id for f in follow_ups if f.closed_by_id})
    }
    visits_by_id = {v.pk: v for v in visits}
    for follow_up in follow_ups:
        # Fill the relations from what is loaded, so the template asks nothing more.
        follow_up.closed_by = closers.get(follow_up.closed_by_id)
        follow_up.return_visit = visits_by_id.get(follow_up.return_visit_id)
        follow_up.visit = visits_by_id[follow_up.visit_id]
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
