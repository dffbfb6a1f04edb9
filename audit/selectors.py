"""What the audit shows: who saw full ID numbers, who changed what, who signed in, who changed
whose account — each part scoped to the reader's branch through ``scope_to_user``.

Each part is read newest first, ``limit`` rows older than ``before`` (the page's "older" link),
so a province's years of records are read a page at a time, by the time indexes.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import islice

from axes.models import AccessFailureLog, AccessLog
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from audit.models import AuditReading, AuditSection
from funds.models import BankFileExport, DisbursementEvent
from hardship.models import (
    FullIdExport,
    HardshipFile,
    HardshipFileEvent,
    HouseholdMemberEvent,
    IdHolderLookup,
    IdNumberView,
)
from hardship.selectors import shown_change
from people.access import Role, may_act_as, scope_to_user
from people.models import AccountEvent, User
from visits.models import FollowUpEvent, PairingEvent, VisitEvent

PAGE_ROWS = 100
AUDIT_READERS = (Role.UNIT_ADMIN, Role.APPROVER)


def may_read_audit(user: User):
    """Whether ``user`` may read the audit of their branch: its administrators and approvers."""
    return may_act_as(user, *AUDIT_READERS)


@dataclass(frozen=True)
class AuditFilters:
    person: User | None = None
    file: HardshipFile | None = None
    since: date | None = None
    until: date | None = None
    before: datetime | None = None


@dataclass
class AuditRow:
    at: datetime
    person: str
    what: str
    subject: str = ""
    file: HardshipFile | None = None
    details: list[str] = field(default_factory=list)


def audit_rows(
    *, user: User, section: str, filters: AuditFilters, limit: int = PAGE_ROWS
) -> list[AuditRow]:
    """The newest ``limit`` rows of ``section`` that ``user`` may read, under ``filters``."""
    part = {
        AuditSection.ID_NUMBERS: _id_number_rows,
        AuditSection.CHANGES: _change_rows,
        AuditSection.SIGN_INS: _sign_in_rows,
        AuditSection.ACCOUNTS: _account_rows,
        AuditSection.READINGS: _reading_rows,
    }[section]
    return part(user, filters, limit)


# ---------------------------------------------------------------- shared filtering


def _in_period(queryset: QuerySet, filters: AuditFilters, at: str) -> QuerySet:
    zone = timezone.get_current_timezone()
    if filters.since:
        queryset = queryset.filter(
            **{f"{at}__gte": datetime.combine(filters.since, time.min, tzinfo=zone)}
        )
    if filters.until:
        queryset = queryset.filter(
            **{f"{at}__lte": datetime.combine(filters.until, time.max, tzinfo=zone)}
        )
    if filters.before:
        queryset = queryset.filter(**{f"{at}__lt": filters.before})
    return queryset.order_by(f"-{at}")


def _newest(parts: list[list[AuditRow]], limit: int) -> list[AuditRow]:
    rows = sorted((row for part in parts for row in part), key=lambda r: r.at, reverse=True)
    return list(islice(rows, limit))


def _name(person: User | None) -> str:
    if person is None:
        return ""
    return person.get_full_name() or person.username


def _file_subject(file: HardshipFile) -> str:
    return f"{file.file_number} {file.name}"


# ---------------------------------------------------------------- the parts


def _id_number_rows(user: User, filters: AuditFilters, limit: int) -> list[AuditRow]:
    views = _in_period(
        scope_to_user(IdNumberView.objects.all(), user=user, unit_path="file__unit__path"),
        filters,
        "at",
    ).select_related("user", "file")
    if filters.person:
        views = views.filter(user=filters.person)
    if filters.file:
        views = views.filter(file=filters.file)
    parts = [
        [
            AuditRow(
                at=view.at,
                person=_name(view.user),
                what=_("Saw a full ID number: %(how)s") % {"how": view.get_purpose_display()},
                subject=_file_subject(view.file),
                file=view.file,
            )
            for view in views[:limit]
        ]
    ]
    if filters.file is None:
        # Exports and look-ups name no one file: they belong to the branch of who made them.
        exports = _in_period(
            scope_to_user(FullIdExport.objects.all(), user=user, unit_path="user__unit__path"),
            filters,
            "at",
        ).select_related("user")
        lookups = _in_period(
            scope_to_user(IdHolderLookup.objects.all(), user=user, unit_path="user__unit__path"),
            filters,
            "at",
        ).select_related("user")
        if filters.person:
            exports = exports.filter(user=filters.person)
            lookups = lookups.filter(user=filters.person)
        parts.append(
            [
                AuditRow(
                    at=export.at,
                    person=_name(export.user),
                    what=_("Exported %(count)s files with full ID numbers")
                    % {"count": export.row_count},
                    details=[_("Reason: %(reason)s") % {"reason": export.reason}],
                )
                for export in exports[:limit]
            ]
        )
        bank_exports = _in_period(
            scope_to_user(BankFileExport.objects.all(), user=user, unit_path="user__unit__path"),
            filters,
            "at",
        ).select_related("user")
        if filters.person:
            bank_exports = bank_exports.filter(user=filters.person)
        parts.append(
            [
                AuditRow(
                    at=export.at,
                    person=_name(export.user),
                    what=_("Exported %(count)s bank payment lines with full account numbers")
                    % {"count": export.row_count},
                    details=[_("Reason: %(reason)s") % {"reason": export.reason}],
                )
                for export in bank_exports[:limit]
            ]
        )
        parts.append(
            [
                AuditRow(
                    at=lookup.at,
                    person=_name(lookup.user),
                    what=_("Looked up which unit holds an ID number"),
                    details=[_("Found") if lookup.found else _("Not found")],
                )
                for lookup in lookups[:limit]
            ]
        )
    return _newest(parts, limit)


# Which record each kind of history event belongs to, and how to find the file it concerns.
HISTORY = [
    # (event model, what it is, lookup from the event to the file)
    (HardshipFileEvent, pgettext_lazy("audit subject", "file"), "pgh_obj"),
    (HouseholdMemberEvent, pgettext_lazy("audit subject", "household member"), "file"),
    (VisitEvent, pgettext_lazy("audit subject", "visit"), "file"),
    (FollowUpEvent, pgettext_lazy("audit subject", "follow-up"), "file"),
    (PairingEvent, pgettext_lazy("audit subject", "pairing"), "file"),
    (DisbursementEvent, pgettext_lazy("audit subject", "payment"), "file"),
]
# Columns that are bookkeeping or keys, never shown as a change.
HIDDEN_COLUMNS = {"id", "updated_at", "search_keys", "created_at", "recorded_at", "proposed_at"}


def _change_rows(user: User, filters: AuditFilters, limit: int) -> list[AuditRow]:
    parts = []
    for event_model, kind, to_file in HISTORY:
        events = _in_period(
            scope_to_user(event_model.objects.all(), user=user, unit_path=f"{to_file}__unit__path"),
            filters,
            "pgh_created_at",
        ).select_related("pgh_context", f"{to_file}__unit")
        if filters.person:
            events = events.filter(pgh_context__metadata__user=filters.person.pk)
        if filters.file:
            events = events.filter(**{to_file: filters.file})
        events = list(events[:limit])
        parts.append(_described(events, event_model, kind, to_file))
    rows = _newest(parts, limit)
    people = User.objects.in_bulk({row.person for row in rows if row.person})
    for row in rows:
        row.person = _name(people.get(row.person)) if row.person else _("(no one signed in)")
    return rows


def _described(events: list, event_model: type[Model], kind: str, to_file: str) -> list[AuditRow]:
    """Each event as a row, with the fields it changed from the event before it."""
    previous_ids = {
        event.pk: previous
        for event, previous in zip(events, _previous_event_ids(events, event_model), strict=True)
    }
    previous = event_model.objects.in_bulk([pk for pk in previous_ids.values() if pk])
    fields = [
        f
        for f in event_model._meta.concrete_fields
        if not f.name.startswith("pgh_")
        and f.name not in HIDDEN_COLUMNS
        and not f.name.endswith("_hash")
    ]
    rows = []
    for event in events:
        before = previous.get(previous_ids[event.pk])
        if before is None:
            what = _("Entered a %(kind)s") % {"kind": kind}
            details = []
        else:
            what = _("Changed a %(kind)s") % {"kind": kind}
            details = [
                _("%(field)s: %(old)s → %(new)s") % change
                for change in (
                    shown_change(f, before, event)
                    for f in fields
                    if getattr(before, f.attname) != getattr(event, f.attname)
                )
            ]
        if event.pgh_label == "delete":
            what = _("Removed a %(kind)s") % {"kind": kind}
        file = getattr(event, to_file)
        who = event.pgh_context.metadata.get("user") if event.pgh_context_id else None
        rows.append(
            AuditRow(
                at=event.pgh_created_at,
                person=who or "",
                what=what,
                subject=_file_subject(file),
                file=file,
                details=details,
            )
        )
    return rows


def _previous_event_ids(events: list, event_model: type[Model]) -> list[int | None]:
    """For each event, the id of the event of the same record just before it (one query)."""
    if not events:
        return []
    found: dict[tuple[int, int], int] = {}
    pairs = {(e.pgh_obj_id, e.pgh_id) for e in events}
    earlier = (
        event_model.objects.filter(pgh_obj_id__in={obj for obj, _pk in pairs})
        .filter(pgh_id__lt=max(pk for _obj, pk in pairs))
        .order_by("pgh_obj_id", "-pgh_id")
        .values_list("pgh_obj_id", "pgh_id")
    )
    by_object: dict[int, list[int]] = {}
    for obj, pk in earlier:
        by_object.setdefault(obj, []).append(pk)
    for obj, pk in pairs:
        found[(obj, pk)] = next((p for p in by_object.get(obj, []) if p < pk), None)
    return [found[(e.pgh_obj_id, e.pgh_id)] for e in events]


def _sign_in_rows(user: User, filters: AuditFilters, limit: int) -> list[AuditRow]:
    usernames = scope_to_user(User.objects.all(), user=user, unit_path="unit__path").values(
        "username"
    )
    people = {}
    parts = []
    for model, what in (
        (AccessLog, _("Signed in")),
        (AccessFailureLog, _("Failed to sign in")),
    ):
        attempts = _in_period(model.objects.filter(username__in=usernames), filters, "attempt_time")
        if filters.person:
            attempts = attempts.filter(username=filters.person.username)
        attempts = list(attempts[:limit])
        people.update(
            User.objects.filter(username__in={a.username for a in attempts}).in_bulk(
                field_name="username"
            )
        )
        parts.append(
            [
                AuditRow(
                    at=attempt.attempt_time,
                    person=_name(people.get(attempt.username)),
                    what=what
                    if not getattr(attempt, "locked_out", False)
                    else _("Failed to sign in and was locked out"),
                    details=[_("From %(address)s") % {"address": attempt.ip_address or "?"}],
                )
                for attempt in attempts
            ]
        )
    return _newest(parts, limit)


def _account_rows(user: User, filters: AuditFilters, limit: int) -> list[AuditRow]:
    events = scope_to_user(
        AccountEvent.objects.all(), user=user, unit_path="unit__path"
    ) | scope_to_user(AccountEvent.objects.all(), user=user, unit_path="previous_unit__path")
    events = _in_period(events, filters, "at").select_related("user", "actor")
    if filters.person:
        events = events.filter(Q(user=filters.person) | Q(actor=filters.person))
    return [
        AuditRow(
            at=event.at,
            person=_name(event.actor),
            what=event.get_kind_display(),
            subject=_name(event.user),
            details=[
                _("%(field)s: %(old)s → %(new)s")
                % {"field": event.get_kind_display(), "old": event.before, "new": event.after}
            ]
            if event.before or event.after
            else [],
        )
        for event in events[:limit]
    ]


def _reading_rows(user: User, filters: AuditFilters, limit: int) -> list[AuditRow]:
    readings = _in_period(
        scope_to_user(AuditReading.objects.all(), user=user, unit_path="user__unit__path"),
        filters,
        "at",
    ).select_related("user")
    if filters.person:
        readings = readings.filter(user=filters.person)
    return [
        AuditRow(
            at=reading.at,
            person=_name(reading.user),
            what=(
                _("Exported %(count)s rows of “%(part)s”")
                % {"count": reading.exported_rows, "part": reading.get_section_display()}
                if reading.exported_rows is not None
                else _("Read “%(part)s”") % {"part": reading.get_section_display()}
            ),
            details=[f"{k}: {v}" for k, v in sorted(reading.filters.items()) if v],
        )
        for reading in readings[:limit]
    ]
