"""Reads: the hardship files, always through the user's scope, and who may do what to them.

The ``may_<verb>_<thing>(user, obj)`` predicates are the one copy of each rule that
decides both whether a page offers an action and whether its service allows it.
"""

import re
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import F, ForeignKey, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.crypto import keyed_hashes
from common.paging import (
    KeysetPage,
    capped_counts,
    counts_among_first,
    counts_and_page_among_first,
    keyset_page,
)
from common.rules import ALLOWED, Decision, refuse
from hardship.choices import ACTIVE_STATUSES, Category, FileStatus, TransferStatus
from hardship.identity import mask_id_number
from hardship.models import (
    FileChangeRequest,
    FileNameKey,
    FileTransfer,
    HardshipFile,
    HomeVerification,
    HouseholdMember,
    MinimumLivingStandard,
    SearchKeys,
)
from hardship.pipeline import check_hold_on_approval, notice_hold_on_approval
from people.access import has_any_role, is_in_branch, may_act_as, scope_to_user
from people.models import Role, User


def minimum_living_standard_for(*, division_code: str, year: int) -> MinimumLivingStandard | None:
    """The most specific standard for ``division_code`` in ``year`` (or the latest before it).

    A 9- or 12-digit township code falls back to its county's six digits, then
    the city's (``4201xx`` → ``420100``) and the province's (``420000``).
    """
    rows = minimum_living_standards_for(division_codes=[division_code], year=year)
    return most_specific_standard(rows, division_code=division_code, year=year)


def minimum_living_standards_for(
    *, division_codes: Iterable[str], year: int
) -> list[MinimumLivingStandard]:
    """Every standard that may apply to any of ``division_codes`` in ``year``, in one query:
    many households' proposals then pick theirs with ``most_specific_standard``."""
    candidates = {c for code in division_codes for c in standard_division_candidates(code)}
    if not candidates:
        return []
    return list(MinimumLivingStandard.objects.filter(division_code__in=candidates, year__lte=year))


def standard_division_candidates(division_code: str) -> list[str]:
    """The division codes whose standard may apply to ``division_code``, most specific first."""
    code = division_code or ""
    candidates = [
        c for c in (code, code[:9], code[:6], code[:4] + "00", code[:2] + "0000") if len(c) >= 6
    ]
    return list(dict.fromkeys(candidates))


def most_specific_standard(
    rows: list[MinimumLivingStandard], *, division_code: str, year: int
) -> MinimumLivingStandard | None:
    """Of ``rows`` (any standards, loaded once for many households), the one that applies to
    ``division_code`` in ``year``: the latest year up to ``year``, then the most specific code.
    No query."""
    specificity = {c: i for i, c in enumerate(standard_division_candidates(division_code))}
    usable = [r for r in rows if r.division_code in specificity and r.year <= year]
    if not usable:
        return None
    latest_year = max(r.year for r in usable)
    return min(
        (r for r in usable if r.year == latest_year), key=lambda r: specificity[r.division_code]
    )


def active_file_holding_id(
    *, id_number: str, exclude_file_id: int | None = None
) -> HardshipFile | None:
    """An active file anywhere in the country whose worker or a member has this ID number.

    Deliberately not scoped to the user: one household has one file nationwide.
    Callers may show only the holding unit's name, nothing else of the file.
    """
    holders = active_files_holding_ids(id_numbers=[id_number], exclude_file_id=exclude_file_id)
    return holders.get(id_number)


def active_files_holding_ids(
    *, id_numbers: Iterable[str], exclude_file_id: int | None = None, chunk: int = 1000
) -> dict[str, HardshipFile]:
    """For each of ``id_numbers`` on an active file anywhere in the country, as its worker or
    as a member, that file (its unit loaded); numbers on none are left out.

    The one rule of "one household, one file" for one number or a whole spreadsheet: two
    queries per ``chunk`` numbers, whatever their count. A file holding the number as its
    worker wins over one holding it as a member; among equals, the oldest. Not scoped to the
    user, as ``active_file_holding_id`` says.
    """
    best: dict[str, tuple[tuple[bool, int], HardshipFile]] = {}
    by_hash = {h: number for number in set(id_numbers) if number for h in keyed_hashes(number)}
    hashes = sorted(by_hash)
    for start in range(0, len(hashes), chunk):
        part = hashes[start : start + chunk]
        active = HardshipFile.objects.filter(status__in=ACTIVE_STATUSES).select_related("unit")
        if exclude_file_id is not None:
            active = active.exclude(pk=exclude_file_id)
        as_worker = active.filter(id_hash__in=part).annotate(held_hash=F("id_hash"))
        as_member = active.filter(members__id_hash__in=part).annotate(
            held_hash=F("members__id_hash")
        )
        for is_member, holders in ((False, as_worker), (True, as_member)):
            for file in holders:
                number, rank = by_hash[file.held_hash], (is_member, file.pk)
                if number not in best or rank < best[number][0]:
                    best[number] = (rank, file)
    return {number: file for number, (_rank, file) in best.items()}


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
    """Every hardship file ``user`` may see: those held by units of their branch.

    Checked on each file's own copy of its unit's path, which the list's indexes hold
    (``HardshipFile.Meta.indexes``): a branch's files are one range of each, and a search's
    matches, read from the table, are checked without joining the branch's units (at a
    province that join cost as much as reading 5,716 matches of 建国).
    """
    return scope_to_user(HardshipFile.objects.all(), user=user, unit_path="unit_path")


def files_search(queryset: QuerySet[HardshipFile], *, text: str) -> QuerySet[HardshipFile]:
    """Narrow ``queryset`` by what a caseworker typed: a name (Chinese or pinyin), a file
    number, a phone number, or an exact national ID number (the worker's or a member's).

    Each form of query is served by an index: the ID by its keyed hash, phone and
    file number by b-tree, a surname by the name's, other names by the GIN index over the
    search keys. (The file list reads a name search from its keys' own rows instead when it
    may: ``file_list_page``. Read from here, with other conditions on the files, those rows
    cost a probe of the files' primary key each, the GIN index none.)
    """
    text = re.sub(r"\s+", "", text or "")
    if not text:
        return queryset
    if (key := search_name_key(text)) is not None:
        return queryset.alias(search_key_array=SearchKeys("search_keys")).filter(
            search_key_array__contains=[key]
        )
    if ID_NUMBER_LIKE.match(text):
        digests = keyed_hashes(text.upper())
        return queryset.filter(
            Q(id_hash__in=digests)
            | Q(pk__in=HouseholdMember.objects.filter(id_hash__in=digests).values("file_id"))
        )
    if FILE_NUMBER_LIKE.match(text):
        return queryset.filter(file_number=text)
    if PHONE_LIKE.match(text):
        return queryset.filter(phone=text)
    # One character: a surname. A prefix of the name column.
    return queryset.filter(name__startswith=_as_name(text))


def search_name_key(text: str) -> str | None:
    """The name key (FileNameKey.key) a search for ``text`` looks up; None when it is searched
    another way: an ID, file or phone number, or one character (a surname)."""
    text = re.sub(r"\s+", "", text or "")
    if ID_NUMBER_LIKE.match(text) or FILE_NUMBER_LIKE.match(text) or PHONE_LIKE.match(text):
        return None
    return _as_name(text) if len(text) > 1 else None


def _as_name(text: str) -> str:
    """``text`` as names and their keys are stored: pinyin in lower case."""
    return text.lower() if text.isascii() else text


def name_keys_for_user(*, user: User) -> QuerySet[FileNameKey]:
    """The name keys of every file ``user`` may see (``files_for_user``'s), by the same copy of
    the path."""
    return scope_to_user(FileNameKey.objects.all(), user=user, unit_path="unit_path")


# What the file list shows of each file, and its sort keys: never the ciphertext (the stored
# mask is shown), the search keys or the household's economics.
FILE_LIST_COLUMNS = (
    "file_number", "name", "id_number_masked", "status", "category", "created_at",
    "unit__name", "main_cause__name", "main_cause__name_en",
)  # fmt: skip
FILE_LIST_TOTAL_CAP = 10_000
FILE_LIST_STATUS_CAP = 1_000


def file_list_rows(queryset: QuerySet[HardshipFile]) -> QuerySet[HardshipFile]:
    """``queryset`` narrowed to the columns the file list shows, with its unit and main cause."""
    return queryset.select_related("unit", "main_cause").only(*FILE_LIST_COLUMNS)


def file_list_page(
    *,
    listed: QuerySet[HardshipFile],
    files: QuerySet[HardshipFile],
    statuses: list[str],
    searched: bool,
    order: tuple[str, ...],
    size: int,
    after: str = "",
    before: str = "",
    name_keys: QuerySet[FileNameKey] | None = None,
) -> tuple[KeysetPage, tuple[int, bool], dict[str, tuple[int, bool]]]:
    """A page of the file list ``listed`` (``files`` holding one of ``statuses``, all when
    empty) and its figures, as ``file_list_counts`` gives them.

    A search's matches are read from the table whatever the plan: the search index holds
    neither their status nor their sort keys. So when the list is ``searched`` one pass over
    at most 10,001 matches both counts them and, when that was all of them, chooses the page
    among them; otherwise (and for a list not searched, whose counts an index of unit and
    status serves alone) the page is chosen apart.

    ``name_keys``, when given, are the name search's key rows of exactly ``files`` (the
    search, a unit and categories being its only filters but the status): they hold the
    status and the entry time too, so a list in order of entry is counted and paged from
    their index without reading a file.
    """
    page = None
    if searched:
        by_keys = name_keys is not None and [n.lstrip("-") for n in order] == ["created_at", "id"]
        seen, whole, page = counts_and_page_among_first(
            name_keys if by_keys else files,
            listed=files if by_keys else None,
            stands_for="file" if by_keys else "",
            field="status",
            rows=FILE_LIST_TOTAL_CAP,
            narrow=Q(status__in=statuses) if statuses else Q(),
            order=order,
            size=size,
            after=after,
            before=before,
            fetch=file_list_rows,
        )
    else:
        seen, whole = counts_among_first(files, field="status", rows=FILE_LIST_TOTAL_CAP)
    if page is None:
        page = keyset_page(
            listed, order=order, size=size, after=after, before=before, fetch=file_list_rows
        )
    total, by_status = _file_list_figures(files=files, statuses=statuses, seen=seen, whole=whole)
    return page, total, by_status


def file_list_counts(
    *, files: QuerySet[HardshipFile], statuses: list[str]
) -> tuple[tuple[int, bool], dict[str, tuple[int, bool]]]:
    """The file list's figures: how many of ``files`` hold one of ``statuses`` (all when
    empty), up to 10,000, and how many hold each status, up to 1,000 each, as (count, more).

    ``files`` is the list before its status filter. One pass over at most 10,001 of them
    counts everything when they are few (a street, a county, a name search). Otherwise that
    pass still settles every status it saw more than 1,000 times, and one more statement
    counts the rest; each count stops at its cap, as an exact one over a province would
    read every file.
    """
    seen, whole = counts_among_first(files, field="status", rows=FILE_LIST_TOTAL_CAP)
    return _file_list_figures(files=files, statuses=statuses, seen=seen, whole=whole)


def _file_list_figures(
    *, files: QuerySet[HardshipFile], statuses: list[str], seen: dict[str, int], whole: bool
) -> tuple[tuple[int, bool], dict[str, tuple[int, bool]]]:
    """``file_list_counts`` from what its first pass ``seen``, and whether that was ``whole``."""
    asked = statuses or list(FileStatus.values)
    if whole:
        total = (sum(seen.get(status, 0) for status in asked), False)
        return total, {
            status: (
                min(seen.get(status, 0), FILE_LIST_STATUS_CAP),
                seen.get(status, 0) > FILE_LIST_STATUS_CAP,
            )
            for status in FileStatus.values
        }
    settled = {
        status: (FILE_LIST_STATUS_CAP, True)
        for status in FileStatus.values
        if seen.get(status, 0) > FILE_LIST_STATUS_CAP
    }
    pending = {
        status: (files.filter(status=status), FILE_LIST_STATUS_CAP)
        for status in FileStatus.values
        if status not in settled
    }
    if statuses and sum(seen.get(status, 0) for status in statuses) <= FILE_LIST_TOTAL_CAP:
        pending["total"] = (files.filter(status__in=statuses), FILE_LIST_TOTAL_CAP)
    counted = capped_counts(pending)
    total = counted.pop("total", (FILE_LIST_TOTAL_CAP, True))
    return total, settled | counted


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
                        diffs.append(shown_change(f, before, event))
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


def shown_change(field, before, after) -> dict:
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


# ====================================================================== who may do what
#
# Each predicate refuses first for who is asking (a role, a branch: ``denied``, which
# services raise as PermissionDenied), then for the state of the record (RuleBroken).
# Services call them on the row they have locked; pages put them in their context.

# Who takes most steps of a file's life.
CASEWORKERS_AND_APPROVERS = (Role.CASEWORKER, Role.APPROVER)
# Before approval an application may be refused at any step.
UNDECIDED_STATUSES = (FileStatus.APPLIED, FileStatus.FIRST_REVIEWED, FileStatus.VERIFIED)


def _may_work_on(user: User, file: HardshipFile, *roles: Role) -> Decision:
    """Whether ``user`` holds one of ``roles`` and ``file`` is held in their branch."""
    decision = may_act_as(user, *roles)
    if not decision:
        return decision
    if not is_in_branch(user, file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    return ALLOWED


def _may_take_step(user: User, file: HardshipFile, roles: tuple, statuses: tuple) -> Decision:
    """Whether ``user`` may take a step of the file's life that ``roles`` take in ``statuses``."""
    decision = _may_work_on(user, file, *roles)
    if not decision:
        return decision
    if file.status not in statuses:
        return refuse(
            _("This cannot be done to a file whose status is “%(status)s”.")
            % {"status": file.get_status_display()}
        )
    return ALLOWED


def may_edit_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may change the content and members of ``file``: a caseworker, while the
    file is active (exited and closed files are kept as they were)."""
    decision = _may_work_on(user, file, Role.CASEWORKER)
    if not decision:
        return decision
    if not file.is_active:
        return refuse(_("Exited and closed files are kept as they were and cannot be changed."))
    return ALLOWED


def may_decide_change_request(user: User, change: FileChangeRequest) -> Decision:
    """Whether ``user`` may accept or refuse a proposed change to a file on record: an approver
    of the file's branch who did not propose it, while it is still proposed."""
    decision = _may_work_on(user, change.file, Role.APPROVER)
    if not decision:
        return decision
    if change.status != FileChangeRequest.Status.PROPOSED:
        return refuse(_("This change is already decided."))
    if user.pk == change.proposed_by_id:
        return refuse(_("You proposed this change, so someone else must decide it."))
    return ALLOWED


def change_requests_for_user(*, user: User) -> QuerySet[FileChangeRequest]:
    """Proposed changes to files in ``user``'s branch, oldest first."""
    return (
        FileChangeRequest.objects.filter(
            status=FileChangeRequest.Status.PROPOSED,
            file__in=files_for_user(user=user),
        )
        .select_related("file", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def may_first_review_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may pass the first review (初审) of an application."""
    return _may_take_step(user, file, CASEWORKERS_AND_APPROVERS, (FileStatus.APPLIED,))


def may_verify_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may record the home verification (入户核查) of a first-reviewed file:
    anyone but whoever entered it."""
    decision = _may_take_step(user, file, CASEWORKERS_AND_APPROVERS, (FileStatus.FIRST_REVIEWED,))
    if not decision:
        return decision
    if user.pk == file.entered_by_id:
        return refuse(
            _(
                "The home verification must be made by someone other than the person who entered the file."
            )
        )
    return ALLOWED


def may_approve_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may approve (审批) a verified file with a hardship category: an approver
    who neither entered the file nor took part in its home verification."""
    decision = _may_take_step(user, file, (Role.APPROVER,), (FileStatus.VERIFIED,))
    if not decision:
        return decision
    if user.pk == file.entered_by_id:
        return refuse(_("You entered this file, so someone else must approve it."))
    took_part = (
        HomeVerification.objects.filter(file=file)
        .filter(Q(recorded_by=user) | Q(verifiers=user))
        .exists()
    )
    if took_part:
        return refuse(_("You took part in the home verification, so someone else must approve it."))
    if not file.category or file.category == Category.NONE:
        return refuse(
            _("A file goes on record only with a hardship category: correct the category first.")
        )
    return may_pass_pipeline(file)


def may_pass_pipeline(file: HardshipFile) -> Decision:
    """Whether the civil-affairs check and the public notice let ``file`` be approved: no
    mismatch waits for a decision, and the notice (where the unit asks for one) has closed
    with no objection undecided or upheld."""
    hold = check_hold_on_approval(file) or notice_hold_on_approval(file)
    return refuse(hold) if hold else ALLOWED


def may_reject_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may refuse the application of ``file`` (an approver, before approval)."""
    return _may_take_step(user, file, (Role.APPROVER,), UNDECIDED_STATUSES)


def may_review_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may record the yearly review of a file on record."""
    return _may_take_step(user, file, CASEWORKERS_AND_APPROVERS, (FileStatus.ON_FILE,))


def may_record_income(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may record the household's income of a month or quarter: a caseworker
    of the file's branch, while the file is on record (hardship/income.py)."""
    decision = _may_work_on(user, file, Role.CASEWORKER)
    if not decision:
        return decision
    if file.status != FileStatus.ON_FILE:
        return refuse(
            _("Income is recorded only while the file is on record; this file is “%(status)s”.")
            % {"status": file.get_status_display()}
        )
    return ALLOWED


def may_exit_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may record that the household of a file on record is out of hardship."""
    return _may_take_step(user, file, (Role.APPROVER,), (FileStatus.ON_FILE,))


def may_reopen_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may reopen ``file``: a caseworker of its branch, when its household
    had come out of hardship (exited). A closed file (deceased, moved, a duplicate, refused) is
    not reopened: a new application from such a household is a new file."""
    decision = _may_work_on(user, file, Role.CASEWORKER)
    if not decision:
        return decision
    if file.status == FileStatus.CLOSED:
        return refuse(
            _(
                "A closed file is not reopened: only a household that came out of hardship is. If this household applies again, enter its application as a new file."
            )
        )
    if file.status != FileStatus.EXITED:
        return refuse(
            _("Only a file out of hardship can be reopened; this file is “%(status)s”.")
            % {"status": file.get_status_display()}
        )
    if file.anonymised_at is not None:
        return refuse(_("This file's personal data has been erased: it cannot be reopened."))
    return ALLOWED


def exited_file_of_worker(*, id_number: str) -> HardshipFile | None:
    """The latest file out of hardship whose worker has this ID number, anywhere in the country:
    a household that falls back into hardship is reopened there, not entered again.

    Not scoped to the user, like ``active_file_holding_id``: callers show only its unit's name
    outside their branch.
    """
    return exited_files_of_workers(id_numbers=[id_number]).get(id_number)


def exited_files_of_workers(
    *, id_numbers: Iterable[str], chunk: int = 1000
) -> dict[str, HardshipFile]:
    """``exited_file_of_worker`` for many ID numbers at once: one query per ``chunk``."""
    latest: dict[str, HardshipFile] = {}
    by_hash = {h: number for number in set(id_numbers) if number for h in keyed_hashes(number)}
    hashes = sorted(by_hash)

    def recency(file: HardshipFile) -> tuple:  # ORDER BY ended_on DESC (nulls first), pk DESC
        return (file.ended_on is None, file.ended_on or date.min, file.pk)

    for start in range(0, len(hashes), chunk):
        exited = HardshipFile.objects.filter(
            id_hash__in=hashes[start : start + chunk], status=FileStatus.EXITED
        ).select_related("unit")
        for file in exited:
            number = by_hash[file.id_hash]
            if number not in latest or recency(file) > recency(latest[number]):
                latest[number] = file
    return latest


def may_close_file(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may close (注销) an active file."""
    return _may_take_step(user, file, (Role.APPROVER,), ACTIVE_STATUSES)


def may_request_transfer(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may ask another unit to take over an active file; one request at a time.

    Reads ``file.transfers`` through its prefetched rows when the page has them.
    """
    decision = _may_take_step(user, file, CASEWORKERS_AND_APPROVERS, ACTIVE_STATUSES)
    if not decision:
        return decision
    if any(transfer.status == TransferStatus.PENDING for transfer in file.transfers.all()):
        return refuse(_("A transfer of this file is already waiting for an answer."))
    return ALLOWED


def may_decide_transfer(user: User, transfer: FileTransfer) -> Decision:
    """Whether ``user`` may accept or refuse ``transfer``: someone of the receiving branch, while
    it waits for an answer."""
    decision = may_act_as(user, *CASEWORKERS_AND_APPROVERS)
    if not decision:
        return decision
    if not is_in_branch(user, transfer.to_unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if transfer.status != TransferStatus.PENDING:
        return refuse(_("This transfer has already been answered."))
    return ALLOWED


def may_see_full_id_numbers(user: User) -> Decision:
    """Whether ``user``'s role lets them see full ID numbers of their branch's files: caseworkers
    and approvers work with them (verification, payments); viewers never."""
    if not has_any_role(user, *CASEWORKERS_AND_APPROVERS):
        return refuse(_("Your role does not allow seeing full ID numbers."), denied=True)
    return ALLOWED


def may_reveal_id_number(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may see the full ID number of ``file`` (and be recorded seeing it)."""
    decision = may_see_full_id_numbers(user)
    if not decision:
        return decision
    if not is_in_branch(user, file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    return ALLOWED


def may_add_attachment(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may attach a scan or photo to ``file``: a caseworker of its branch, while
    the file is active."""
    decision = _may_work_on(user, file, Role.CASEWORKER)
    if not decision:
        return decision
    if not file.is_active:
        return refuse(
            _("Attachments can be added only while the file is active; this file is “%(status)s”.")
            % {"status": file.get_status_display()}
        )
    return ALLOWED


def may_request_file_card(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may ask for the card of ``file`` as a PDF: anyone of its branch (ID
    numbers are masked on paper)."""
    if not is_in_branch(user, file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    return ALLOWED


def may_print_household_record(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may print everything held on ``file``'s household, at its request: an
    approver of the file's branch (the print holds full ID numbers and is recorded)."""
    return _may_work_on(user, file, Role.APPROVER)
