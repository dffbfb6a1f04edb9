"""Writes: the life of hardship files.

Each public function is one transaction, takes keyword arguments, and lists
its side effects. Rules that refuse an action raise ``RuleBroken`` (a
ValidationError whose message a person can act on) or ``PermissionDenied``.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from common.crypto import keyed_hash
from common.errors import RuleBroken
from hardship.choices import (
    Category,
    CloseReason,
    ExitReason,
    FileStatus,
    Health,
    HukouType,
    MedicalInsurance,
    SchoolStage,
    TransferStatus,
)
from hardship.identity import IdNumber, parse_id_number, pinyin_keys
from hardship.income import IncomeInput, income_record_create
from hardship.models import (
    FileChangeRequest,
    FileNumberCounter,
    FileTransfer,
    FileTransition,
    HardshipCause,
    HardshipFile,
    HomeVerification,
    HouseholdMember,
    IdHolderLookup,
    IdNumberView,
    MinimumLivingStandard,
)
from hardship.selectors import (
    active_file_holding_id,
    active_files_holding_ids,
    exited_file_of_worker,
    exited_files_of_workers,
    may_approve_file,
    may_close_file,
    may_decide_change_request,
    may_decide_transfer,
    may_edit_file,
    may_exit_file,
    may_first_review_file,
    may_reject_file,
    may_reopen_file,
    may_request_transfer,
    may_reveal_id_number,
    may_review_file,
    may_verify_file,
    minimum_living_standard_for,
    minimum_living_standards_for,
    most_specific_standard,
)
from people.access import is_in_branch, require_in_branch, require_role
from people.models import Role, UnionUnit, User

MONTHS = Decimal(12)
YUAN = Decimal("0.01")
# Hardship costs above this share of the household's income make hardship by accident.
SUDDEN_COST_SHARE = Decimal("0.8")


@dataclass(frozen=True)
class CategoryProposal:
    """The calculator's answer and its working, shown on the page as it is."""

    category: str  # a Category value, or "" when no standard is known
    per_capita_monthly: Decimal
    standard_monthly: Decimal | None
    standard_source: str
    steps: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(Category(self.category).label) if self.category else ""


def category_propose(
    *,
    annual_income: Decimal,
    medical_costs: Decimal,
    schooling_costs: Decimal,
    disaster_costs: Decimal,
    household_size: int,
    division_code: str,
    hukou_type: str,
    sudden_cause: bool,
    year: int,
    standards: list[MinimumLivingStandard] | None = None,
    explain: bool = True,
) -> CategoryProposal:
    """Propose a category from the household's figures, showing each step.

    深度困难 (deep) when (income − rigid spending) ÷ 12 ÷ household size is below
    the local minimum living standard; 意外致困 (by accident) for a sudden cause
    or when the year's hardship costs exceed 80% of income; 相对困难 (relative)
    when below twice the standard. Deep takes precedence over accident, which
    takes precedence over relative. ``standards`` (``minimum_living_standards_for``, loaded
    once for many households) spares the query for the standard; without ``explain`` the
    steps and the standard's source are left out (a service that only keeps the category
    spares their translation, which costs more than the arithmetic).
    """
    notes: list[tuple[str, dict]] = []  # each step's message and its values, translated last

    def proposal(category: str, monthly: Decimal | None, source: str = "") -> CategoryProposal:
        steps = [_(message) % values for message, values in notes] if explain else []
        return CategoryProposal(category, per_capita, monthly, source, steps)

    rigid = medical_costs + schooling_costs + disaster_costs
    per_capita = ((annual_income - rigid) / MONTHS / max(household_size, 1)).quantize(
        YUAN, ROUND_HALF_UP
    )
    notes.append(
        (
            gettext_noop(
                "Rigid spending: medical %(medical)s + schooling %(schooling)s + disaster %(disaster)s = %(rigid)s yuan."
            ),
            {
                "medical": medical_costs,
                "schooling": schooling_costs,
                "disaster": disaster_costs,
                "rigid": rigid,
            },
        )
    )
    notes.append(
        (
            gettext_noop(
                "Monthly income per person: (%(income)s − %(rigid)s) ÷ 12 ÷ %(size)s = %(per_capita)s yuan."
            ),
            {
                "income": annual_income,
                "rigid": rigid,
                "size": household_size,
                "per_capita": per_capita,
            },
        )
    )
    if standards is None:
        standard = minimum_living_standard_for(division_code=division_code, year=year)
    else:
        standard = most_specific_standard(standards, division_code=division_code, year=year)
    if standard is None:
        notes.append(
            (
                gettext_noop(
                    "No minimum living standard is recorded for division %(code)s: an administrator must enter it before a category can be proposed."
                ),
                {"code": division_code},
            )
        )
        return proposal("", None)
    monthly = standard.urban_monthly if hukou_type == HukouType.URBAN else standard.rural_monthly
    source = ""
    if explain:
        source = _("%(code)s, %(year)s, %(kind)s") % {
            "code": standard.division_code,
            "year": standard.year,
            "kind": HukouType(hukou_type).label if hukou_type in HukouType.values else "",
        }
    notes.append(
        (
            gettext_noop(
                "Local minimum living standard (%(source)s): %(standard)s yuan a person a month."
            ),
            {"source": source, "standard": monthly},
        )
    )
    costs_share_exceeded = annual_income > 0 and rigid > SUDDEN_COST_SHARE * annual_income
    if annual_income <= 0 and rigid > 0:
        costs_share_exceeded = True
    if per_capita < monthly:
        category = Category.DEEP
        notes.append(
            (
                gettext_noop("%(per_capita)s is below %(standard)s: deep hardship."),
                {"per_capita": per_capita, "standard": monthly},
            )
        )
    elif sudden_cause or costs_share_exceeded:
        category = Category.ACCIDENT
        if sudden_cause:
            notes.append(
                (
                    gettext_noop(
                        "A cause is a disaster, accident or injury: hardship by accident."
                    ),
                    {},
                )
            )
        else:
            notes.append(
                (
                    gettext_noop(
                        "Hardship costs %(rigid)s exceed 80%% of the income %(income)s: hardship by accident."
                    ),
                    {"rigid": rigid, "income": annual_income},
                )
            )
    elif per_capita < 2 * monthly:
        category = Category.RELATIVE
        notes.append(
            (
                gettext_noop(
                    "%(per_capita)s is below twice the standard (%(double)s): relative hardship."
                ),
                {"per_capita": per_capita, "double": 2 * monthly},
            )
        )
    else:
        category = Category.NONE
        notes.append(
            (
                gettext_noop(
                    "%(per_capita)s is not below twice the standard (%(double)s) and no sudden cause applies: not in hardship by these rules."
                ),
                {"per_capita": per_capita, "double": 2 * monthly},
            )
        )
    return proposal(category, monthly, source)


def history_context(by: User):
    """Attach who is acting to the history rows the database triggers write."""
    return pghistory.context(user=by.pk)


def _locked(file: HardshipFile) -> HardshipFile:
    """``file`` read again with its row locked until the transaction ends, so that what the
    rules checked cannot change before the write."""
    return (
        HardshipFile.objects.select_for_update(of=("self",)).select_related("unit").get(pk=file.pk)
    )


def _transition(
    file: HardshipFile, *, action: str, by: User, from_status: str, reason: str = ""
) -> FileTransition:
    return FileTransition(
        file=file,
        action=action,
        from_status=from_status,
        to_status=file.status,
        by=by,
        reason=reason,
    )


def _record(
    file: HardshipFile, *, action: str, by: User, from_status: str, reason: str = ""
) -> None:
    _transition(file, action=action, by=by, from_status=from_status, reason=reason).save()


def _format_file_number(*, unit: UnionUnit, year: int, number: int) -> str:
    return f"{(unit.division_code or '000000')[:6]}-{year}-{number:07d}"


def file_numbers_reserve(*, year: int, count: int) -> range:
    """Reserve ``count`` consecutive file numbers of ``year``.

    Called outside a transaction (a long import does so before its own), the
    counter row is locked only for this one UPDATE, so nobody else opening a
    file waits for the import. Numbers of an import that fails stay unused:
    file numbers are unique, not gapless.
    """
    with transaction.atomic():
        counter, _created = FileNumberCounter.objects.select_for_update().get_or_create(year=year)
        first = counter.last + 1
        counter.last += count
        counter.save(update_fields=["last"])
    return range(first, first + count)


def _household_id_numbers(worker_id: IdNumber, members: list["MemberInput"]) -> list[str]:
    return [worker_id.number, *(m.id_number for m in members if m.id_number)]


def repeated_id_numbers(households: list[list[str]]) -> list[tuple[int, int, int, int]]:
    """Every later listing of an ID number among ``households``, each given as its numbers in
    order (the worker's first, then each member's, "" for a member without one): the
    household and position of the repeat, then of the number's first listing.

    One household, one file: the one rule behind refusing a number listed twice in a
    household, in households opened together, or in an import's spreadsheet.
    """
    first: dict[str, tuple[int, int]] = {}
    repeats = []
    for household, numbers in enumerate(households):
        for position, number in enumerate(numbers):
            if not number:
                continue
            if number in first:
                repeats.append((household, position, *first[number]))
            else:
                first[number] = (household, position)
    return repeats


def _check_identity_numbers(
    *,
    worker_id: IdNumber,
    members: list["MemberInput"],
    exclude_file_id: int | None,
    holders: dict[str, HardshipFile] | None = None,
) -> None:
    """Refuse an ID number that is on another active file, or listed twice in this household.

    ``holders`` (``active_files_holding_ids``), when many households are checked at once, holds
    the active file of every number among them; otherwise this household's are looked up.
    """
    if holders is None:
        holders = active_files_holding_ids(
            id_numbers=_household_id_numbers(worker_id, members), exclude_file_id=exclude_file_id
        )
    errors: dict[str, list] = {}
    numbers = [worker_id.number, *(member.id_number for member in members)]
    for _household, position, _first, first_position in repeated_id_numbers([numbers]):
        who = _("the worker") if first_position == 0 else members[first_position - 1].name
        errors.setdefault(f"members-{position - 1}-id_number", []).append(
            _("This ID number is already listed in this household (%(who)s).") % {"who": who}
        )
    for number in dict.fromkeys(number for number in numbers if number):
        holder = holders.get(number)
        if holder is not None:
            field_name = (
                "id_number"
                if number == worker_id.number
                else next(
                    f"members-{i}-id_number" for i, m in enumerate(members) if m.id_number == number
                )
            )
            errors.setdefault(field_name, []).append(
                _(
                    "This ID number is already on an active hardship file held by %(unit)s. One household has one file: ask that unit to transfer it."
                )
                % {"unit": holder.unit.name}
            )
    if errors:
        raise RuleBroken(errors)


def _check_not_exited(
    *, worker_id: IdNumber, by: User, exited_files: dict[str, HardshipFile] | None = None
) -> None:
    """Refuse a new file for a worker whose household has a file out of hardship: it is
    reopened (``hardship_file_reopen``), so its history stays with it. ``exited_files``
    (``exited_files_of_workers``) when many workers are checked at once."""
    if exited_files is None:
        exited = exited_file_of_worker(id_number=worker_id.number)
    else:
        exited = exited_files.get(worker_id.number)
    if exited is None:
        return
    if is_in_branch(by, exited.unit):
        message = _(
            "This worker's household has a file out of hardship (%(number)s, %(unit)s). If it is in hardship again, reopen that file from its page, so that its history stays with it."
        ) % {"number": exited.file_number, "unit": exited.unit.name}
    else:
        message = _(
            "This worker's household has a file out of hardship held by %(unit)s. If it is in hardship again, ask that unit to reopen the file (and then to transfer it), so that its history stays with it."
        ) % {"unit": exited.unit.name}
    raise RuleBroken({"id_number": [message]})


@dataclass
class MemberInput:
    """One household member as a form hands it to the services."""

    relation: str
    name: str
    birth_date: date
    employment: str
    id_number: str = ""
    health: str = Health.HEALTHY
    school_stage: str = SchoolStage.NONE
    school_name: str = ""
    school_year: int | None = None
    monthly_income: Decimal = Decimal(0)
    medical_insurance: str = MedicalInsurance.RESIDENT
    pk: int | None = None


FILE_INPUT_FIELDS = (
    "name", "ethnicity", "political_status", "phone", "address", "division_code", "hukou_type",
    "marital_status", "health", "disability", "employment_status", "is_migrant_worker",
    "model_worker_level", "employer_name", "employer_credit_code", "employer_situation",
    "industry", "job_is_outdoor_or_hot", "bank_name", "bank_account", "annual_income",
    "medical_costs", "schooling_costs", "disaster_costs", "household_size", "main_cause",
    "needs_living", "needs_medical", "needs_schooling", "needs_employment", "needs_housing",
    "needs_legal", "notes",
)  # fmt: skip


def _apply_members(file: HardshipFile, members: list[MemberInput]) -> None:
    """Make the file's members exactly ``members``: update, add, and remove the rest.

    Refuses (``RuleBroken``, keyed ``removed-member-<pk>``) to remove a member whom a
    protected record names, such as a schooling grant paid for them.
    """
    existing = {m.pk: m for m in file.members.all()}
    listed = {data.pk for data in members if data.pk in existing}
    # Removed first, so a number they held may pass to another member in the same edit.
    refused = {}
    for member in existing.values():
        if member.pk in listed:
            continue
        try:
            member.delete()
        except ProtectedError:
            refused[f"removed-member-{member.pk}"] = [
                _(
                    "%(name)s cannot be removed from the household: aid paid for them, such as a schooling grant, is on record."
                )
                % {"name": member.name}
            ]
    if refused:
        raise RuleBroken(refused)
    # Two members may trade ID numbers in one edit. Saved one by one, the first would hold
    # the other's number for a moment and break member_listed_once, so the members whose
    # number changes let go of theirs first.
    changing = [
        data.pk
        for data in members
        if data.pk in existing
        and existing[data.pk].id_hash
        and existing[data.pk].id_hash != (keyed_hash(data.id_number) if data.id_number else "")
    ]
    if changing:
        file.members.filter(pk__in=changing).update(id_hash="")
    for data in members:
        member = existing.get(data.pk) if data.pk else None
        _member_set(member or HouseholdMember(file=file), data).save()


def _member_set(member: HouseholdMember, data: MemberInput) -> HouseholdMember:
    """``member`` given the values of ``data``, its ID number's keyed hash included."""
    for name in ("relation", "name", "birth_date", "employment", "health", "school_stage",
                 "school_name", "school_year", "monthly_income", "medical_insurance"):  # fmt: skip
        setattr(member, name, getattr(data, name))
    member.id_number = data.id_number
    member.id_hash = keyed_hash(data.id_number) if data.id_number else ""
    return member


def _validate_category_choice(
    *, proposal: CategoryProposal, category: str, override_reason: str
) -> None:
    if (
        category
        and proposal.category
        and category != proposal.category
        and not override_reason.strip()
    ):
        raise RuleBroken(
            {
                "category_override_reason": _(
                    "The category differs from the calculator's proposal: give the reason."
                )
            }
        )


def _year() -> int:
    return timezone.localdate().year


def _proposal_for(
    values: dict,
    secondary_causes,
    standards: list[MinimumLivingStandard] | None = None,
    year: int | None = None,
) -> CategoryProposal:
    causes = [values["main_cause"], *secondary_causes]
    return category_propose(
        annual_income=values["annual_income"],
        medical_costs=values.get("medical_costs") or Decimal(0),
        schooling_costs=values.get("schooling_costs") or Decimal(0),
        disaster_costs=values.get("disaster_costs") or Decimal(0),
        household_size=values["household_size"],
        division_code=values["division_code"],
        hukou_type=values["hukou_type"],
        sudden_cause=any(cause.is_sudden for cause in causes),
        year=year or _year(),
        standards=standards,
        explain=False,  # the services keep the category; the page shows its own proposal
    )


def _check_causes(main_cause: HardshipCause, secondary_causes) -> None:
    if len(secondary_causes) > 3:
        raise RuleBroken({"secondary_causes": _("Choose at most three other causes.")})
    if main_cause in secondary_causes:
        raise RuleBroken({"secondary_causes": _("The main cause cannot also be another cause.")})


@dataclass
class HouseholdInput:
    """One household's application as the services take it: from the form or a spreadsheet row."""

    id_number: str
    values: dict
    secondary_causes: list[HardshipCause]
    members: list[MemberInput]
    category: str = ""
    category_override_reason: str = ""


@dataclass
class FileOpening:
    """A household that passed every rule of opening a file: its rows, built but not saved
    (the file's number and search keys are given it as it is written)."""

    file: HardshipFile
    secondary_causes: list[HardshipCause]
    members: list[HouseholdMember]


class FilesRefused(Exception):
    """Households of a set whose files may not be opened: why, by each one's index in the set."""

    def __init__(self, refusals: dict[int, ValidationError]) -> None:
        super().__init__(f"{len(refusals)} households refused")
        self.refusals = refusals


# What a new file's full_clean leaves out: what the service sets itself, the relations to rows
# it was handed (the unit, the main cause, the people), each of which would cost a query, and
# what a new file leaves at its default (the clean costs a file of thousands in a spreadsheet).
FILE_CLEAN_EXCLUDE = (
    "id_hash", "file_number", "search_keys", "entered_by", "updated_by", "unit", "main_cause",
    "created_at", "updated_at", "opened_on", "review_due_on", "ended_on", "anonymised_at",
    "exit_reason", "close_reason",
)  # fmt: skip
# Files written per statement: big enough that a spreadsheet costs a few statements, small
# enough to keep each statement's parameters and the progress reports reasonable.
OPENING_CHUNK = 1000


def hardship_file_open(
    *,
    by: User,
    unit: UnionUnit,
    id_number: str,
    values: dict,
    secondary_causes: list[HardshipCause],
    members: list[MemberInput],
    category: str = "",
    category_override_reason: str = "",
) -> HardshipFile:
    """Open a file on an application (申请), for a household no other active file holds.

    The rules and the writes are those of ``hardship_files_open`` for a set of one, so a
    form and an import open files alike. Side effects: the file, its members and an "open"
    transition; history rows. Raises RuleBroken (field errors) or PermissionDenied.
    """
    household = HouseholdInput(
        id_number=id_number,
        values=values,
        secondary_causes=secondary_causes,
        members=members,
        category=category,
        category_override_reason=category_override_reason,
    )
    try:
        (file,) = _files_open(by=by, unit=unit, households=[household], validate_constraints=True)
    except FilesRefused as refused:
        raise refused.refusals[0] from None
    return file


def hardship_files_open(
    *,
    by: User,
    unit: UnionUnit,
    households: list[HouseholdInput],
    year: int | None = None,
    numbers: range | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[HardshipFile]:
    """Open a file for each of ``households`` at once, in one transaction: all of them or none.

    The rules are ``hardship_files_check``'s; the rows are then written a few statements per
    thousand files (files, their other causes, members, "open" transitions), and the history
    triggers record each row as they do for one. ``numbers`` are file numbers of ``year``
    reserved beforehand (``file_numbers_reserve``, outside a long transaction); without them
    they are reserved here. ``progress(done, total)`` hears of the files written.

    Side effects: the files, their members and "open" transitions; history rows. Raises
    FilesRefused (each refused household's errors, by index) or PermissionDenied.
    """
    return _files_open(
        by=by,
        unit=unit,
        households=households,
        year=year,
        numbers=numbers,
        progress=progress,
        validate_constraints=False,
    )


def _files_open(
    *,
    by: User,
    unit: UnionUnit,
    households: list[HouseholdInput],
    validate_constraints: bool,
    year: int | None = None,
    numbers: range | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[HardshipFile]:
    with transaction.atomic():
        openings, refusals = hardship_files_check(by=by, unit=unit, households=households)
        if refusals:
            raise FilesRefused(refusals)
        opened = [opening for opening in openings if opening is not None]  # none was refused
        files = [opening.file for opening in opened]
        if not files:
            return []
        if validate_constraints:
            # A query per constraint and file: worth it for one file, whose figure out of range
            # is then refused beside its field. A set relies on the database's own CHECK
            # constraints (the import checks those ranges cell by cell first).
            for file in files:
                file.validate_constraints()
        year = year or _year()
        if numbers is None:
            numbers = file_numbers_reserve(year=year, count=len(files))
        for file, number in zip(files, numbers, strict=True):
            file.file_number = _format_file_number(unit=unit, year=year, number=number)
            # Derived, not checked: worked out only for files about to be written.
            file.search_keys = " ".join(pinyin_keys(file.name))
        through = HardshipFile.secondary_causes.through
        field = HardshipFile._meta.get_field("secondary_causes")
        own, cause = field.m2m_field_name(), field.m2m_reverse_field_name()
        # Nothing here reads the tables it has just written (the foreign keys, checked at commit,
        # probe primary keys), so their planner statistics may lag behind these rows harmlessly.
        with history_context(by):
            for start in range(0, len(opened), OPENING_CHUNK):
                chunk = opened[start : start + OPENING_CHUNK]
                HardshipFile.objects.bulk_create([o.file for o in chunk])
                through.objects.bulk_create(
                    through(**{f"{own}_id": o.file.pk, f"{cause}_id": c.pk})
                    for o in chunk
                    for c in o.secondary_causes
                )
                HouseholdMember.objects.bulk_create(m for o in chunk for m in o.members)
                FileTransition.objects.bulk_create(
                    _transition(o.file, action=FileTransition.Action.OPEN, by=by, from_status="")
                    for o in chunk
                )
                if progress is not None:
                    progress(start + len(chunk), len(files))
    return files


def hardship_files_check(
    *, by: User, unit: UnionUnit, households: list[HouseholdInput]
) -> tuple[list[FileOpening | None], dict[int, ValidationError]]:
    """Check ``households`` as opening their files requires, all at once, writing nothing.

    The rules of opening a file: the worker's ID number well formed (check digit included),
    causes, no ID number twice in the household, in two households of the set, or on an
    active file anywhere in the country, no file of the worker's out of hardship (it is reopened instead), the category
    against the calculator's proposal, the model's own field checks. The database is asked
    the same few queries per thousand households whatever their number (the numbers'
    active and exited files nationwide, the living standards), never one per household.

    Returns each household's opening, built but unsaved (None when refused), and the
    refusals by index: the ValidationError (RuleBroken) a single opening would raise.
    Raises PermissionDenied when ``by`` may not open files for ``unit``.
    """
    require_role(by, Role.CASEWORKER)
    require_in_branch(by, unit)
    refusals: dict[int, ValidationError] = {}
    worker_ids: dict[int, IdNumber] = {}
    now = timezone.now()
    today = timezone.localdate(now)
    for index, household in enumerate(households):
        try:
            worker_ids[index] = parse_id_number(household.id_number, today=today)
        except ValidationError as error:
            refusals[index] = error
    listed = [
        [worker_ids[index].number, *(m.id_number for m in household.members)]
        if index in worker_ids
        else []
        for index, household in enumerate(households)
    ]
    for index, refusal in _repeated_across_households(listed).items():
        refusals[index] = refusal
        del worker_ids[index]
    numbers = {number for household in listed for number in household if number}
    holders = active_files_holding_ids(id_numbers=numbers)
    exited = exited_files_of_workers(id_numbers=[w.number for w in worker_ids.values()])
    standards = minimum_living_standards_for(
        division_codes={h.values.get("division_code") or "" for h in households}, year=today.year
    )
    openings: list[FileOpening | None] = [None] * len(households)
    for index, worker_id in worker_ids.items():
        household = households[index]
        try:
            openings[index] = _file_opening(
                by=by,
                unit=unit,
                worker_id=worker_id,
                household=household,
                holders=holders,
                exited=exited,
                standards=standards,
                now=now,
                year=today.year,
            )
        except ValidationError as error:
            refusals[index] = error
    return openings, dict(sorted(refusals.items()))


def _repeated_across_households(listed: list[list[str]]) -> dict[int, RuleBroken]:
    """The refusal of each household listing an ID number that an earlier one of the set lists
    (a repeat within one household is ``_check_identity_numbers``')."""
    errors: dict[int, dict[str, list]] = {}
    for index, position, first, _position in repeated_id_numbers(listed):
        if index != first:
            field_name = "id_number" if position == 0 else f"members-{position - 1}-id_number"
            errors.setdefault(index, {}).setdefault(field_name, []).append(
                _(
                    "This ID number is also in another household opened at the same time. One household has one file."
                )
            )
    return {index: RuleBroken(fields) for index, fields in errors.items()}


def _file_opening(
    *,
    by: User,
    unit: UnionUnit,
    worker_id: IdNumber,
    household: HouseholdInput,
    holders: dict[str, HardshipFile],
    exited: dict[str, HardshipFile],
    standards: list[MinimumLivingStandard],
    now: datetime,
    year: int,
) -> FileOpening:
    """One household through the rules of opening its file, its rows built but not saved.

    Raises ValidationError (RuleBroken) saying what a person must change.
    """
    values, secondary_causes = household.values, household.secondary_causes
    _check_causes(values["main_cause"], secondary_causes)
    _check_identity_numbers(
        worker_id=worker_id, members=household.members, exclude_file_id=None, holders=holders
    )
    _check_not_exited(worker_id=worker_id, by=by, exited_files=exited)
    proposal = _proposal_for(values, secondary_causes, standards, year=year)
    _validate_category_choice(
        proposal=proposal,
        category=household.category,
        override_reason=household.category_override_reason,
    )
    file = HardshipFile(
        unit=unit,
        status=FileStatus.APPLIED,
        id_number=worker_id.number,
        id_hash=keyed_hash(worker_id.number),
        id_number_masked=worker_id.masked,
        gender=worker_id.gender,
        birth_date=worker_id.birth_date,
        proposed_category=proposal.category,
        category=household.category or proposal.category,
        category_override_reason=household.category_override_reason.strip(),
        entered_by=by,
        updated_by=by,
        content_changed_at=now,
        **{name: values[name] for name in FILE_INPUT_FIELDS if name in values},
    )
    file.full_clean(exclude=FILE_CLEAN_EXCLUDE, validate_unique=False, validate_constraints=False)
    members = [_member_set(HouseholdMember(file=file), data) for data in household.members]
    return FileOpening(file=file, secondary_causes=list(secondary_causes), members=members)


# What decides eligibility or money: on a file on record a change to these waits for a
# second person (FileChangeRequest). The rest (phone, address, notes...) applies at once.
GUARDED_FIELDS = (
    "annual_income", "medical_costs", "schooling_costs", "disaster_costs", "household_size",
    "main_cause", "division_code", "hukou_type", "bank_name", "bank_account",
)  # fmt: skip
MONEY_FIELDS = ("annual_income", "medical_costs", "schooling_costs", "disaster_costs")
MEMBER_FIELDS = (
    "relation", "name", "birth_date", "employment", "id_number", "health", "school_stage",
    "school_name", "school_year", "monthly_income", "medical_insurance",
)  # fmt: skip


def _plain(value) -> object:
    """``value`` as JSON holds it, the same for equal values (100 and 100.00 yuan)."""
    if isinstance(value, Decimal):
        return str(value.quantize(YUAN))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, HardshipCause):
        return value.pk
    return value


def _member_state(member) -> dict:
    return {name: _plain(getattr(member, name)) for name in MEMBER_FIELDS} | {"pk": member.pk}


def _guarded_state(
    *, values: dict, secondary_causes, members, category: str, category_override_reason: str
) -> dict:
    """The guarded part of a file or of an edit, comparable and JSON-ready."""
    return {
        "values": {name: _plain(values.get(name)) for name in GUARDED_FIELDS},
        "secondary_causes": sorted(_plain(cause) for cause in secondary_causes),
        "members": sorted(
            (_member_state(m) for m in members), key=lambda m: (m["pk"] or 0, m["name"])
        ),
        "category": category,
        "category_override_reason": category_override_reason.strip(),
    }


def _file_guarded_state(file: HardshipFile) -> dict:
    return _guarded_state(
        values={name: getattr(file, name) for name in GUARDED_FIELDS},
        secondary_causes=list(file.secondary_causes.all()),
        members=list(file.members.order_by("pk")),
        category=file.category,
        category_override_reason=file.category_override_reason,
    )


def _fingerprint(state: dict) -> str:
    return keyed_hash(json.dumps(state, sort_keys=True, ensure_ascii=False))


def _mask_account(number: str) -> str:
    return f"****{number[-4:]}" if number else ""


def _members_line(members: list[dict]) -> str:
    return "、".join(f"{m['name']}（{m['relation']}）" for m in members)


def _change_lines(old: dict, new: dict) -> list[dict]:
    """Old → new of each guarded item that differs, masked for display."""
    labels = {name: str(HardshipFile._meta.get_field(name).verbose_name) for name in GUARDED_FIELDS}
    causes = {
        c.pk: str(c)
        for c in HardshipCause.objects.filter(
            pk__in={
                *old["secondary_causes"],
                *new["secondary_causes"],
                old["values"]["main_cause"],
                new["values"]["main_cause"],
            }
        )
    }
    lines = []
    for name in GUARDED_FIELDS:
        before, after = old["values"][name], new["values"][name]
        if before == after:
            continue
        if name == "bank_account":
            before, after = _mask_account(before or ""), _mask_account(after or "")
        elif name == "main_cause":
            before, after = causes.get(before, ""), causes.get(after, "")
        lines.append({"field": labels[name], "old": str(before or ""), "new": str(after or "")})
    if old["secondary_causes"] != new["secondary_causes"]:
        lines.append(
            {
                "field": str(_("other causes")),
                "old": "、".join(causes.get(pk, "") for pk in old["secondary_causes"]),
                "new": "、".join(causes.get(pk, "") for pk in new["secondary_causes"]),
            }
        )
    if old["category"] != new["category"]:
        lines.append(
            {
                "field": str(_("category")),
                "old": str(Category(old["category"]).label) if old["category"] else "",
                "new": str(Category(new["category"]).label) if new["category"] else "",
            }
        )
    if old["members"] != new["members"]:
        lines.append(
            {
                "field": str(_("household members")),
                "old": _members_line(old["members"]),
                "new": _members_line(new["members"]),
            }
        )
    return lines


def _apply_edit(
    file: HardshipFile,
    *,
    by: User,
    worker_id: IdNumber,
    values: dict,
    secondary_causes,
    members: list[MemberInput],
    category: str,
    category_override_reason: str,
) -> None:
    proposal = _proposal_for(values, secondary_causes)
    _validate_category_choice(
        proposal=proposal, category=category, override_reason=category_override_reason
    )
    for name in FILE_INPUT_FIELDS:
        if name in values:
            setattr(file, name, values[name])
    file.id_number = worker_id.number
    file.id_hash = keyed_hash(worker_id.number)
    file.id_number_masked = worker_id.masked
    file.gender = worker_id.gender
    file.birth_date = worker_id.birth_date
    file.proposed_category = proposal.category
    file.category = category or proposal.category
    file.category_override_reason = category_override_reason.strip()
    file.search_keys = " ".join(pinyin_keys(file.name))
    file.updated_by = by
    file.content_changed_at = timezone.now()
    file.full_clean(exclude=["id_hash", "file_number", "search_keys", "entered_by", "updated_by"])
    file.save()
    file.secondary_causes.set(secondary_causes)
    _apply_members(file, members)


@transaction.atomic
def hardship_file_update(
    *,
    file: HardshipFile,
    by: User,
    id_number: str,
    values: dict,
    secondary_causes: list[HardshipCause],
    members: list[MemberInput],
    category: str = "",
    category_override_reason: str = "",
) -> HardshipFile:
    """Change an active file's content and members.

    On a file on record (在档) the guarded part of the edit (``GUARDED_FIELDS``, causes,
    category, members) is not applied: it becomes a ``FileChangeRequest`` for an approver,
    left on the returned file as ``proposed_change`` (None when nothing guarded changed).
    The rest applies at once.

    Side effects: the file and member rows; history rows recording each changed field; a
    change request. Exited and closed files are kept as they were.
    """
    file = _locked(file)
    may_edit_file(by, file).enforce()
    worker_id = parse_id_number(id_number)
    _check_causes(values["main_cause"], secondary_causes)
    _check_identity_numbers(worker_id=worker_id, members=members, exclude_file_id=file.pk)
    proposed_change = None
    if file.status == FileStatus.ON_FILE:
        old = _file_guarded_state(file)
        new = _guarded_state(
            values=values,
            secondary_causes=secondary_causes,
            members=members,
            category=category,
            category_override_reason=category_override_reason,
        )
        if old != new:
            if file.change_requests.filter(status=FileChangeRequest.Status.PROPOSED).exists():
                raise RuleBroken(
                    _(
                        "A change to this file's income, members, category, causes or bank account already waits for an approver: it must be decided first."
                    )
                )
            # Checked now, so that a proposal an approver could never apply is not saved.
            _validate_category_choice(
                proposal=_proposal_for(values, secondary_causes),
                category=category,
                override_reason=category_override_reason,
            )
            proposed_change = FileChangeRequest.objects.create(
                file=file,
                proposal=json.dumps(new, ensure_ascii=False),
                changes=_change_lines(old, new),
                base_fingerprint=_fingerprint(old),
                proposed_by=by,
            )
        # What applies at once: the guarded part stays as it is on record.
        values = values | {name: getattr(file, name) for name in GUARDED_FIELDS}
        secondary_causes = list(file.secondary_causes.all())
        members = [_member_input_of(m) for m in file.members.order_by("pk")]
        category, category_override_reason = file.category, file.category_override_reason
    with history_context(by):
        _apply_edit(
            file,
            by=by,
            worker_id=worker_id,
            values=values,
            secondary_causes=secondary_causes,
            members=members,
            category=category,
            category_override_reason=category_override_reason,
        )
    file.proposed_change = proposed_change
    return file


def _member_input_of(member: HouseholdMember) -> MemberInput:
    return MemberInput(**{name: getattr(member, name) for name in MEMBER_FIELDS}, pk=member.pk)


def _member_input_from_state(state: dict) -> MemberInput:
    data = dict(state)
    data["birth_date"] = date.fromisoformat(data["birth_date"])
    data["monthly_income"] = Decimal(data["monthly_income"])
    return MemberInput(**data)


def _locked_request(change: FileChangeRequest) -> FileChangeRequest:
    return (
        FileChangeRequest.objects.select_for_update().select_related("file__unit").get(pk=change.pk)
    )


@transaction.atomic
def hardship_file_change_accept(*, change: FileChangeRequest, by: User) -> FileChangeRequest:
    """Apply a proposed change to a file on record, as an approver who did not propose it.

    Refused (``RuleBroken``) when the file's guarded values changed since the proposal.
    Side effects: the file and member rows, with history rows naming the approver and the
    proposer; the request accepted.
    """
    change = _locked_request(change)
    file = _locked(change.file)
    change.file = file
    may_decide_change_request(by, change).enforce()
    old = _file_guarded_state(file)
    if _fingerprint(old) != change.base_fingerprint:
        raise RuleBroken(
            _(
                "The file changed since this change was proposed: refuse it, and let the caseworker propose it again."
            )
        )
    new = json.loads(change.proposal)
    causes = {c.pk: c for c in HardshipCause.objects.filter(pk__in=new["secondary_causes"])}
    values = {name: getattr(file, name) for name in FILE_INPUT_FIELDS}
    for name, value in new["values"].items():
        if name == "main_cause":
            value = HardshipCause.objects.get(pk=value)
        elif name in MONEY_FIELDS and value is not None:
            value = Decimal(value)
        values[name] = value
    with pghistory.context(user=by.pk, proposed_by=change.proposed_by_id, change_request=change.pk):
        _apply_edit(
            file,
            by=by,
            worker_id=parse_id_number(file.id_number),
            values=values,
            secondary_causes=[causes[pk] for pk in new["secondary_causes"]],
            members=[_member_input_from_state(m) for m in new["members"]],
            category=new["category"],
            category_override_reason=new["category_override_reason"],
        )
    change.status = FileChangeRequest.Status.ACCEPTED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    return change


@transaction.atomic
def hardship_file_change_refuse(
    *, change: FileChangeRequest, by: User, reason: str
) -> FileChangeRequest:
    """Refuse a proposed change, with a reason. Side effects: the request refused."""
    change = _locked_request(change)
    may_decide_change_request(by, change).enforce()
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the change is refused.")})
    change.status = FileChangeRequest.Status.REFUSED
    change.decided_by = by
    change.decided_at = timezone.now()
    change.reason = reason.strip()
    change.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    return change


def _save_status(file: HardshipFile, by: User, *fields: str) -> None:
    file.updated_by = by
    file.save(update_fields=["status", "updated_by", "updated_at", *fields])


@transaction.atomic
def hardship_file_first_review(*, file: HardshipFile, by: User, notes: str = "") -> HardshipFile:
    """The grassroots union's first review (初审) of an application. Side effects: status, transition."""
    file = _locked(file)
    may_first_review_file(by, file).enforce()
    before = file.status
    with history_context(by):
        file.status = FileStatus.FIRST_REVIEWED
        _save_status(file, by)
        _record(
            file, action=FileTransition.Action.FIRST_REVIEW, by=by, from_status=before, reason=notes
        )
    return file


@transaction.atomic
def hardship_file_record_verification(
    *,
    file: HardshipFile,
    by: User,
    visited_on: date,
    verifiers: list[User],
    findings: str,
    confirms_application: bool = True,
) -> HomeVerification:
    """Record a home verification (入户核查) by people other than whoever entered the file.

    Side effects: a HomeVerification; when it confirms the application the file
    becomes "verified", with a transition.
    """
    file = _locked(file)
    may_verify_file(by, file).enforce()
    before = file.status
    if any(v.pk == file.entered_by_id for v in verifiers):
        raise RuleBroken(
            {
                "verifiers": _(
                    "The home verification must be made by someone other than the person who entered the file."
                )
            }
        )
    if not verifiers:
        raise RuleBroken({"verifiers": _("Name at least one person who went.")})
    if visited_on > timezone.localdate():
        raise RuleBroken({"visited_on": _("The visit date cannot be in the future.")})
    if visited_on < file.created_at.astimezone(timezone.get_current_timezone()).date():
        raise RuleBroken(
            {"visited_on": _("The visit date cannot be before the application was entered.")}
        )
    if not findings.strip():
        raise RuleBroken({"findings": _("Write down what the visit found.")})
    with history_context(by):
        verification = HomeVerification.objects.create(
            file=file, visited_on=visited_on, findings=findings.strip(),
            confirms_application=confirms_application, recorded_by=by,
        )  # fmt: skip
        verification.verifiers.set(verifiers)
        if confirms_application:
            file.status = FileStatus.VERIFIED
            _save_status(file, by)
            _record(
                file,
                action=FileTransition.Action.VERIFY,
                by=by,
                from_status=before,
                reason=findings.strip(),
            )
    return verification


@transaction.atomic
def hardship_file_approve(*, file: HardshipFile, by: User, notes: str = "") -> HardshipFile:
    """Approve a verified application (审批): the file goes on file for a year until its review.

    Nobody approves a file they entered or verified. Side effects: status,
    opened_on, review_due_on, transition.
    """
    file = _locked(file)
    may_approve_file(by, file).enforce()
    before = file.status
    today = timezone.localdate()
    with history_context(by):
        file.status = FileStatus.ON_FILE
        file.opened_on = today
        file.review_due_on = a_year_after(today)
        _save_status(file, by, "opened_on", "review_due_on")
        _record(file, action=FileTransition.Action.APPROVE, by=by, from_status=before, reason=notes)
    return file


@transaction.atomic
def hardship_file_reject(*, file: HardshipFile, by: User, reason: str) -> HardshipFile:
    """Refuse an application at any step before approval; the file is closed as not eligible, and kept."""
    file = _locked(file)
    may_reject_file(by, file).enforce()
    before = file.status
    if not reason.strip():
        raise RuleBroken({"reason": _("Give the reason for refusing.")})
    with history_context(by):
        file.status = FileStatus.CLOSED
        file.close_reason = CloseReason.INELIGIBLE
        file.ended_on = timezone.localdate()
        _save_status(file, by, "close_reason", "ended_on")
        _record(
            file,
            action=FileTransition.Action.REJECT,
            by=by,
            from_status=before,
            reason=reason.strip(),
        )
    return file


@transaction.atomic
def hardship_file_review(
    *, file: HardshipFile, by: User, notes: str, income: IncomeInput | None = None
) -> HardshipFile:
    """The yearly review (动态管理) of a file on record, with the household's income of a month
    or quarter when the reviewer found it (``income``).

    Side effects: next review date, transition; an IncomeRecord (source "review").
    """
    file = _locked(file)
    may_review_file(by, file).enforce()
    before = file.status
    if not notes.strip():
        raise RuleBroken({"notes": _("Write down what the review found.")})
    if income is not None:
        income_record_create(file=file, by=by, data=income, checked=True)
    with history_context(by):
        file.review_due_on = a_year_after(timezone.localdate())
        _save_status(file, by, "review_due_on")
        _record(
            file,
            action=FileTransition.Action.REVIEW,
            by=by,
            from_status=before,
            reason=notes.strip(),
        )
    return file


@transaction.atomic
def hardship_file_exit(
    *, file: HardshipFile, by: User, reason: str, notes: str = ""
) -> HardshipFile:
    """The household is out of hardship (脱困). The file stays searchable and is kept."""
    file = _locked(file)
    may_exit_file(by, file).enforce()
    before = file.status
    if reason not in ExitReason.values:
        raise RuleBroken({"reason": _("Choose why the household is out of hardship.")})
    if reason == ExitReason.OTHER and not notes.strip():
        raise RuleBroken({"notes": _("Describe the reason.")})
    with history_context(by):
        file.status = FileStatus.EXITED
        file.exit_reason = reason
        file.ended_on = timezone.localdate()
        file.review_due_on = None
        _save_status(file, by, "exit_reason", "ended_on", "review_due_on")
        _record(
            file, action=FileTransition.Action.EXIT, by=by, from_status=before, reason=notes.strip()
        )
    return file


@transaction.atomic
def hardship_file_reopen(*, file: HardshipFile, by: User, reason: str) -> HardshipFile:
    """Reopen the file of a household out of hardship that has fallen back into it, with its
    history: the file goes back to "applied", and so through the first review, the home
    verification, the civil-affairs check and a new public notice before it is approved again
    — the union's procedure for any household entering hardship, since its situation must be
    verified anew. Refused while the worker or a member is on another active file (one
    household, one file nationwide).

    Side effects: status applied; exit reason, end date and on-file date cleared (kept in the
    history rows); a "reopen" transition with the reason.
    """
    file = _locked(file)
    may_reopen_file(by, file).enforce()
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why the household needs help again.")})
    numbers = [file.id_number, *(m.id_number for m in file.members.all() if m.id_number)]
    for number in numbers:
        holder = active_file_holding_id(id_number=number, exclude_file_id=file.pk)
        if holder is not None:
            raise RuleBroken(
                _(
                    "A member of this household is on an active hardship file held by %(unit)s. One household has one file: that file must be closed or the member removed from it first."
                )
                % {"unit": holder.unit.name}
            )
    before = file.status
    with history_context(by):
        file.status = FileStatus.APPLIED
        file.exit_reason = ""
        file.ended_on = None
        file.opened_on = None
        file.review_due_on = None
        _save_status(file, by, "exit_reason", "ended_on", "opened_on", "review_due_on")
        _record(
            file,
            action=FileTransition.Action.REOPEN,
            by=by,
            from_status=before,
            reason=reason.strip(),
        )
    return file


@transaction.atomic
def hardship_file_close(
    *, file: HardshipFile, by: User, reason: str, notes: str = ""
) -> HardshipFile:
    """Close a file (注销): deceased, moved, duplicate or not eligible. It is kept, never deleted."""
    file = _locked(file)
    may_close_file(by, file).enforce()
    before = file.status
    if reason not in CloseReason.values:
        raise RuleBroken({"reason": _("Choose why the file is closed.")})
    with history_context(by):
        file.status = FileStatus.CLOSED
        file.close_reason = reason
        file.ended_on = timezone.localdate()
        file.review_due_on = None
        _save_status(file, by, "close_reason", "ended_on", "review_due_on")
        _record(
            file,
            action=FileTransition.Action.CLOSE,
            by=by,
            from_status=before,
            reason=notes.strip(),
        )
    return file


@transaction.atomic
def hardship_file_transfer_request(
    *, file: HardshipFile, by: User, to_unit: UnionUnit, reason: str
) -> FileTransfer:
    """Ask another unit to take the file over (the employer closed, the worker moved)."""
    file = _locked(file)
    may_request_transfer(by, file).enforce()
    if to_unit.pk == file.unit_id:
        raise RuleBroken({"to_unit": _("The file is already held by this unit.")})
    if not reason.strip():
        raise RuleBroken({"reason": _("Give the reason for the transfer.")})
    return FileTransfer.objects.create(
        file=file, from_unit=file.unit, to_unit=to_unit, reason=reason.strip(), requested_by=by
    )


@transaction.atomic
def hardship_file_transfer_decide(
    *, transfer: FileTransfer, by: User, accept: bool, note: str = ""
) -> FileTransfer:
    """The receiving unit accepts (the file moves to it) or refuses a transfer."""
    transfer = (
        FileTransfer.objects.select_for_update(of=("self",))
        .select_related("from_unit", "to_unit")
        .get(pk=transfer.pk)
    )
    may_decide_transfer(by, transfer).enforce()
    if not accept and not note.strip():
        raise RuleBroken({"note": _("Give the reason for refusing.")})
    transfer.status = TransferStatus.ACCEPTED if accept else TransferStatus.REFUSED
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    transfer.decision_note = note.strip()
    transfer.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if accept:
        file = HardshipFile.objects.select_for_update().get(pk=transfer.file_id)
        with history_context(by):
            file.unit = transfer.to_unit
            file.updated_by = by
            file.save(update_fields=["unit", "updated_by", "updated_at"])
            reason = _("From %(from)s to %(to)s.") % {
                "from": transfer.from_unit.name,
                "to": transfer.to_unit.name,
            }
            _record(
                file,
                action=FileTransition.Action.TRANSFER_IN,
                by=by,
                from_status=file.status,
                reason=reason,
            )
    return transfer


def id_number_reveal(
    *, file: HardshipFile, by: User, purpose: str = IdNumberView.Purpose.DETAIL
) -> str:
    """Show a file's full ID number to someone whose role allows it, and record that they saw it."""
    may_reveal_id_number(by, file).enforce()
    IdNumberView.objects.create(user=by, file=file, purpose=purpose)
    return file.id_number


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# ====================================================================== who holds an ID number


def id_holder_lookup(*, by: User, id_number: str) -> HardshipFile | None:
    """The active file anywhere in the country holding ``id_number``, for ``by`` to be told
    only its unit's name; each look-up recorded, and limited per person per hour.

    The answer crosses every branch, so a person could map the country's files by
    asking it number after number: ``ID_HOLDER_LOOKUPS_PER_HOUR`` (Django's cache)
    bounds that. Raises RuleBroken beyond the limit. Side effects: an
    IdHolderLookup row (who, when, whether found; not the number); the counter.
    """
    from django.conf import settings
    from django.core.cache import cache

    limit = settings.ID_HOLDER_LOOKUPS_PER_HOUR
    key = f"id-holder-lookups:{by.pk}:{timezone.now():%Y%m%d%H}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted in between
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > limit:
        raise RuleBroken(
            _(
                "You have asked which unit holds an ID number %(limit)s times this hour, the most allowed. Try again next hour, or search your own branch's files."
            )
            % {"limit": limit}
        )
    holder = active_file_holding_id(id_number=id_number)
    IdHolderLookup.objects.create(user=by, found=holder is not None)
    return holder
