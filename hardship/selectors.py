"""Reads: the union-unit tree and the hardship files, always through the user's scope."""

import re
from datetime import timedelta

from django.db.models import ForeignKey, Q, QuerySet
from django.utils import timezone

from common.crypto import keyed_hash
from hardship.choices import ACTIVE_STATUSES, FileStatus
from hardship.identity import mask_id_number
from hardship.models import HardshipFile, HouseholdMember, MinimumLivingStandard, SearchKeys
from people.access import scope_to_user
from people.models import User


def minimum_living_standard_for(*, division_code: str, year: int) -> MinimumLivingStandard | None:
    """The most specific standard for ``division_code`` in ``year`` (or the latest before it).

    A 9- or 12-digit township code falls back to its county's six digits, then
    the city's (``4201xx`` → ``420100``) and the province's (``420000``).
    """
    code = division_code or ""
    candidates = [
        c for c in (code, code[:9], code[:6], code[:4] + "00", code[:2] + "0000") if len(c) >= 6
    ]
    rows = list(
        MinimumLivingStandard.objects.filter(division_code__in=candidates, year__lte=year).order_by(
            "-year"
        )
    )
    if not rows:
        return None
    latest_year = rows[0].year
    specificity = {c: i for i, c in enumerate(dict.fromkeys(candidates))}
    return min(
        (r for r in rows if r.year == latest_year), key=lambda r: specificity[r.division_code]
    )


def active_file_holding_id(
    *, id_hash: str, exclude_file_id: int | None = None
) -> HardshipFile | None:
    """An active file anywhere in the country whose worker or a member has this ID number.

    Deliberately not scoped to the user: one household has one file nationwide.
    Callers may show only the holding unit's name, nothing else of the file.
    """
    if not id_hash:
        return None
    as_worker = HardshipFile.objects.filter(id_hash=id_hash, status__in=ACTIVE_STATUSES)
    as_member = HardshipFile.objects.filter(members__id_hash=id_hash, status__in=ACTIVE_STATUSES)
    if exclude_file_id is not None:
        as_worker = as_worker.exclude(pk=exclude_file_id)
        as_member = as_member.exclude(pk=exclude_file_id)
    return (as_worker.select_related("unit").first()) or (as_member.select_related("unit").first())


def files_with_same_name_and_birth_date(
    *, name: str, birth_date, exclude_file_id: int | None = None
) -> QuerySet[HardshipFile]:
    """Near matches across the country, for a warning before saving (not a refusal)."""
    queryset = HardshipFile.objects.filter(name=name, birth_date=birth_date).select_related("unit")
    if exclude_file_id is not None:
        queryset = queryset.exclude(pk=exclude_file_id)
    return queryset.order_by("-created_at")[:5]


ID_NUMBER_LIKE = re.compile(r"^\d{17}[\dXx]$")
PHONE_LIKE = re.compile(r"^[\d-]{7,14}$")
FILE_NUMBER_LIKE = re.compile(r"^\d{6}-\d{4}-\d{1,7}$")


def files_for_user(*, user: User) -> QuerySet[HardshipFile]:
    """Every hardship file ``user`` may see: those held by units of their branch."""
    return scope_to_user(HardshipFile.objects.all(), user=user, unit_path="unit__path")


def files_search(queryset: QuerySet[HardshipFile], *, text: str) -> QuerySet[HardshipFile]:
    """Narrow ``queryset`` by what a caseworker typed: a name (Chinese or pinyin), a file
    number, a phone number, or an exact national ID number (the worker's or a member's).

    Each form of query is served by an index: the ID by its keyed hash, phone and
    file number by b-tree, names by the GIN index over the search keys.
    """
    text = re.sub(r"\s+", "", text or "")
    if not text:
        return queryset
    if ID_NUMBER_LIKE.match(text):
        digest = keyed_hash(text.upper())
        return queryset.filter(
            Q(id_hash=digest)
            | Q(pk__in=HouseholdMember.objects.filter(id_hash=digest).values("file_id"))
        )
    if FILE_NUMBER_LIKE.match(text):
        return queryset.filter(file_number=text)
    if PHONE_LIKE.match(text):
        return queryset.filter(phone=text)
    key = text.lower() if text.isascii() else text
    if len(key) == 1:
        # One character: a surname. A prefix of the name column.
        return queryset.filter(name__startswith=key)
    return queryset.alias(search_key_array=SearchKeys("search_keys")).filter(
        search_key_array__contains=[key]
    )


def files_due_for_review(*, user: User, within_days: int = 30) -> QuerySet[HardshipFile]:
    """Files on record whose yearly review is due within ``within_days`` days, or overdue."""
    limit = timezone.localdate() + timedelta(days=within_days)
    return (
        files_for_user(user=user)
        .filter(status=FileStatus.ON_FILE, review_due_on__lte=limit)
        .order_by("review_due_on", "pk")
    )


def files_unchanged_for_a_year(*, user: User) -> QuerySet[HardshipFile]:
    """Active files whose content nobody has changed for a year (一年未改)."""
    return (
        files_for_user(user=user)
        .filter(
            status__in=ACTIVE_STATUSES, content_changed_at__lt=timezone.now() - timedelta(days=365)
        )
        .order_by("content_changed_at", "pk")
    )


def file_changes(*, file: HardshipFile) -> list[dict]:
    """The field-by-field history of a file and its members, newest first.

    Built from the trigger-written event rows: each update is compared with the
    row before it, so bulk and queryset updates appear too. ID numbers are
    shown masked; bank accounts not at all.
    """
    from hardship.models import HardshipFileEvent, HouseholdMemberEvent

    hidden = {
        "id_hash",
        "search_keys",
        "updated_at",
        # Who saved each version is shown beside it already.
        "updated_by",
        "pgh_id",
        "pgh_created_at",
        "pgh_label",
        "pgh_obj",
        "pgh_obj_id",
        "pgh_context",
        "pgh_context_id",
        "id",
    }
    changes: list[dict] = []

    def compare(events, label_for, fields):
        previous = {}
        for event in events:
            before = previous.get(event.pgh_obj_id)
            who = event.pgh_context.metadata.get("user") if event.pgh_context_id else None
            if before is None:
                changes.append(
                    {
                        "at": event.pgh_created_at,
                        "who": who,
                        "subject": label_for(event),
                        "kind": event.pgh_label,
                        "fields": [],
                    }
                )
            else:
                diffs = []
                for f in fields:
                    old, new = getattr(before, f.attname), getattr(event, f.attname)
                    if old != new:
                        diffs.append(_display_change(f, before, event))
                if diffs or event.pgh_label == "delete":
                    changes.append(
                        {
                            "at": event.pgh_created_at,
                            "who": who,
                            "subject": label_for(event),
                            "kind": event.pgh_label,
                            "fields": diffs,
                        }
                    )
            previous[event.pgh_obj_id] = event

    file_fields = [f for f in HardshipFileEvent._meta.concrete_fields if f.name not in hidden]
    member_fields = [
        f
        for f in HouseholdMemberEvent._meta.concrete_fields
        if f.name not in hidden and f.name != "file"
    ]
    compare(
        file.events.select_related("pgh_context").order_by("pgh_id"),
        lambda e: file.name,
        file_fields,
    )
    compare(
        HouseholdMemberEvent.objects.filter(file_id=file.pk)
        .select_related("pgh_context")
        .order_by("pgh_id"),
        lambda e: e.name,
        member_fields,
    )
    users = dict(
        User.objects.filter(pk__in={c["who"] for c in changes if c["who"]}).values_list(
            "pk", "full_name"
        )
    )
    for change in changes:
        change["who"] = users.get(change["who"], "")
    changes.sort(key=lambda c: c["at"], reverse=True)
    return changes


def _display_change(field, before, after) -> dict:
    def shown(event):
        value = getattr(event, field.attname)
        if field.name == "id_number":
            return mask_id_number(value)
        if field.name == "bank_account":
            return "••••" if value else ""
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, ForeignKey):
            return str(getattr(event, field.name)) if value else ""
        return "" if value is None else str(value)

    return {"field": str(field.verbose_name), "old": shown(before), "new": shown(after)}
