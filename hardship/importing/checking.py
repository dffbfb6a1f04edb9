"""Checking an import's rows: each cell read as its column's kind, each ID number once in the
sheet, then the rows through the rules of opening a file, the very functions the form's
service calls (``hardship.services.hardship_files_check``: check digits, one active file per
household nationwide, causes, category, the model's field checks), for the whole sheet at
once. The outcome is the rows ready to open and the problems report.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.identity import mask_id_number, parse_id_number
from hardship.importing.columns import (
    BOOLEAN,
    CAUSE,
    CAUSES,
    CHOICE,
    COLUMNS,
    COLUMNS_BY_KEY,
    DATE,
    EXAMPLE_ID_NUMBER,
    ID_NUMBER,
    INTEGER,
    MEMBER_REQUIRED,
    MEMBER_SLOTS,
    MONEY,
    NEEDS,
    TEXT,
    VALUES_SHEET,
    Column,
    fold_value,
)
from hardship.importing.reading import Sheet, cell_text, is_blank, shown
from hardship.models import ABSURD_YUAN, NEED_FIELDS, HardshipCause, HardshipFile, HouseholdMember

# The services' own rule checks, reused so an import refuses exactly what a form would.
from hardship.services import (
    FILE_CLEAN_EXCLUDE,
    HouseholdInput,
    MemberInput,
    _check_causes,
    hardship_files_check,
    repeated_id_numbers,
)
from people.models import UnionUnit, User

YUAN = Decimal("0.01")
HOUSEHOLD_SIZES = range(1, 31)  # the file_household_size_sane constraint

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "没有", "n", "no", "false", "0", "×", "✗"}
# Rows checked (or saved) between two reports of progress: a write per row would cost more
# than the check of the row itself.
PROGRESS_STEP = 100


class CellProblem(Exception):
    """One cell's value cannot be used; the message says why, for the person fixing it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _money(value) -> Decimal:
    if isinstance(value, bool | date):
        raise CellProblem(_("Enter an amount in yuan, e.g. 18000 or 1234.56."))
    if isinstance(value, int | float):
        amount = Decimal(repr(float(value)))
        # Excel stores 0.1 + 0.2 as 0.30000000000000004: binary noise, not a third decimal.
        if abs(amount) < ABSURD_YUAN and abs(amount - amount.quantize(YUAN)) < Decimal("1e-9"):
            amount = amount.quantize(YUAN)
    else:
        text = cell_text(value).replace(",", "").replace("，", "").removesuffix("元").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise CellProblem(_("Enter an amount in yuan, e.g. 18000 or 1234.56."))
    if amount < 0:
        raise CellProblem(_("An amount cannot be negative."))
    if amount >= ABSURD_YUAN:
        raise CellProblem(
            _("%(amount)s yuan is too large for a household: check for a typing error.")
            % {"amount": shown(value)}
        )
    if amount != amount.quantize(YUAN):
        raise CellProblem(
            _("%(amount)s has more than two decimal places: amounts are in yuan and fen.")
            % {"amount": shown(value)}
        )
    return amount.quantize(YUAN)


def _integer(value) -> int:
    problem = CellProblem(_("Enter a whole number, e.g. 3."))
    if isinstance(value, bool | date):
        raise problem
    text = cell_text(value).removesuffix("人").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise problem from None
    if not number.is_finite() or number != number.to_integral_value():
        raise problem
    return int(number)


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", cell_text(value))
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise CellProblem(_("Enter a date as an Excel date or as YYYY-MM-DD, e.g. 2010-09-01."))


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    word = fold_value(cell_text(value))
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellProblem(_("Enter 是 (yes) or 否 (no)."))


def _id_text(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellProblem(
            _(
                "This ID number is stored as a number, which loses its last digits: format the column as text and type the number again."
            )
        )
    return cell_text(value)


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def _en(label) -> str:
    with translation.override("en"):
        return str(label)


def _choice_variants(column: Column, text: str) -> list[str]:
    folded = fold_value(text)
    if column.key == "ethnicity" and len(folded) > 1:
        # 汉 and 汉族 are both written.
        return [folded, folded.removesuffix("族"), folded + "族"]
    return [folded]


@dataclass
class Lookups:
    """What coded cells may say, built once per run: code or label (Chinese or English) → value."""

    choices: dict[str, dict[str, str]]  # column key → folded text → code
    allowed: dict[str, list[str]]  # column key → the Chinese labels, for messages
    causes: dict[str, HardshipCause]
    needs: dict[str, str]  # folded text → need field

    @classmethod
    def build(cls) -> "Lookups":
        choices, allowed = {}, {}
        for column in COLUMNS:
            if column.kind != CHOICE:
                continue
            table: dict[str, str] = {}
            for code, label in column.choices:
                for text in (code, _zh(label), _en(label)):
                    for variant in _choice_variants(column, text):
                        table.setdefault(variant, code)
            choices[column.key] = table
            allowed[column.key] = [_zh(label) for _code, label in column.choices]
        causes: dict[str, HardshipCause] = {}
        active = list(HardshipCause.objects.filter(is_active=True))
        for cause in active:
            for text in (cause.code, cause.name, cause.name_en):
                causes.setdefault(fold_value(text), cause)
        # 大病、慢性病 may be written 大病 alone: each part that names one cause only.
        parts: dict[str, list[HardshipCause]] = {}
        for cause in active:
            for part in re.split(r"[、/]", cause.name):
                parts.setdefault(fold_value(part), []).append(cause)
        for part, holders in parts.items():
            if part and len(holders) == 1:
                causes.setdefault(part, holders[0])
        allowed["main_cause"] = allowed["secondary_causes"] = [c.name for c in active]
        needs: dict[str, str] = {}
        for name in NEED_FIELDS:
            label = HardshipFile._meta.get_field(name).verbose_name
            for text in (name.removeprefix("needs_"), _zh(label), _en(label)):
                needs.setdefault(fold_value(text), name)
        allowed["needs"] = [_zh(HardshipFile._meta.get_field(n).verbose_name) for n in NEED_FIELDS]
        return cls(choices, allowed, causes, needs)

    def not_allowed(self, key: str, value) -> CellProblem:
        allowed = self.allowed.get(key, [])
        if len(allowed) <= 12:
            return CellProblem(
                _("“%(value)s” is not an allowed value. Allowed: %(allowed)s.")
                % {"value": shown(value), "allowed": "、".join(allowed)}
            )
        return CellProblem(
            _(
                "“%(value)s” is not an allowed value: the sheet “%(sheet)s” of the template lists them."
            )
            % {"value": shown(value), "sheet": VALUES_SHEET}
        )

    def choice(self, column: Column, value) -> str:
        for variant in _choice_variants(column, cell_text(value)):
            if variant in self.choices[column.key]:
                return self.choices[column.key][variant]
        raise self.not_allowed(column.key, value)

    def cause(self, value, key: str = "main_cause") -> HardshipCause:
        cause = self.causes.get(fold_value(cell_text(value)))
        if cause is None:
            raise self.not_allowed(key, value)
        return cause

    def many(self, value, key: str, table: dict) -> list:
        found = []
        for part in re.split(r"[、,，;；/\s]+", cell_text(value)):
            if not part:
                continue
            item = table.get(fold_value(part))
            if item is None:
                raise self.not_allowed(key, part)
            if item not in found:
                found.append(item)
        return found


@dataclass
class Problem:
    """One problem found in a row: where, why, and whom the row names (its ID number masked)."""

    row: int
    column: str  # the spreadsheet's header, or "" for the row as a whole
    message: str
    name: str = ""
    masked_id: str = ""

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "name": self.name,
            "id": self.masked_id,
        }


@dataclass
class RowInput:
    """One row, its cells read and checked: the household ``hardship_files_open`` takes."""

    row: int
    household: HouseholdInput
    id_numbers: list[tuple[str, str]] = field(default_factory=list)  # (number, column key)
    member_slots: list[int] = field(default_factory=list)  # each member's slot (成员1…)


def error_messages(error: ValidationError) -> dict[str, list[str]]:
    """A ValidationError's messages by field ("__all__" for the whole)."""
    if hasattr(error, "error_dict"):
        return {
            key: [str(m) for m in ValidationError(errors).messages]
            for key, errors in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


class RowChecker:
    """Read and check rows one by one, then across the sheet (``check_sheet``)."""

    def __init__(self, *, sheet: Sheet, mapping: dict[str, int], unit: UnionUnit, by: User):
        self.sheet = sheet
        self.mapping = {key: int(index) for key, index in mapping.items() if key in COLUMNS_BY_KEY}
        self.unit = unit
        self.by = by
        self.lookups = Lookups.build()
        # Each member slot's columns, and whether the sheet has any of them, once for all rows.
        self.member_columns = {
            slot: [c for c in COLUMNS if c.member == slot] for slot in range(1, MEMBER_SLOTS + 1)
        }
        self.slots_in_sheet = [
            slot
            for slot, columns in self.member_columns.items()
            if any(c.key in self.mapping for c in columns)
        ]
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)

    def header(self, key: str) -> str:
        """The spreadsheet's header of a column key; "" for a problem of the row as a whole."""
        if key not in COLUMNS_BY_KEY:
            return ""
        index = self.mapping.get(key)
        return self.sheet.headers[index] if index is not None else COLUMNS_BY_KEY[key].header

    def cell(self, cells: list, key: str):
        index = self.mapping.get(key)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def convert(self, column: Column, value):
        kind = column.kind
        if kind == TEXT:
            return cell_text(value)
        if kind == ID_NUMBER:
            return parse_id_number(_id_text(value), today=self.today)
        if kind == MONEY:
            return _money(value)
        if kind == INTEGER:
            return _integer(value)
        if kind == BOOLEAN:
            return _boolean(value)
        if kind == DATE:
            return _date(value)
        if kind == CHOICE:
            return self.lookups.choice(column, value)
        if kind == CAUSE:
            return self.lookups.cause(value)
        if kind == CAUSES:
            return self.lookups.many(value, column.key, self.lookups.causes)
        if kind == NEEDS:
            return self.lookups.many(value, column.key, self.lookups.needs)
        raise AssertionError(kind)  # pragma: no cover

    def read(self, cells: list, columns: Iterable[Column], problems: list[tuple[str, str]]):
        """The converted values of ``columns`` that are filled in; problems by column key."""
        values = {}
        for column in columns:
            raw = self.cell(cells, column.key)
            if is_blank(raw):
                if column.required:
                    problems.append((column.key, _("This cell must be filled in.")))
                continue
            try:
                values[column.key] = self.convert(column, raw)
            except CellProblem as problem:
                problems.append((column.key, problem.message))
            except ValidationError as error:
                problems.extend((column.key, message) for message in error.messages)
        return values

    def check_row(self, number: int, cells: list) -> tuple[RowInput | None, list[Problem]]:
        """Read one row's cells and check what can be checked without the database."""
        found: list[tuple[str, str]] = []
        worker = self.read(cells, (c for c in COLUMNS if not c.member), found)
        id_number = worker.pop("id_number", None)
        if id_number is not None and id_number.number == EXAMPLE_ID_NUMBER:
            found.append(("id_number", _("This is the template's example row: delete it.")))
        values = worker
        secondary = values.pop("secondary_causes", [])
        for need in values.pop("needs", []):
            values[need] = True
        if "household_size" in values and values["household_size"] not in HOUSEHOLD_SIZES:
            found.append(("household_size", _("A household has between 1 and 30 people.")))
            del values["household_size"]
        if "main_cause" in values:
            try:
                _check_causes(values["main_cause"], secondary)
            except RuleBroken as error:
                for message in error_messages(error).get("secondary_causes", error.messages):
                    found.append(("secondary_causes", message))
        failed, before_members = {key for key, _m in found}, len(found)
        members, member_ids, slots = [], [], []
        for slot in self.slots_in_sheet:
            member = self.member(cells, slot, found)
            if member is not None:
                members.append(member)
                slots.append(slot)
                if member.id_number:
                    member_ids.append((member.id_number, f"member{slot}_id_number"))
        if found:
            # A row with a bad cell is put through the model's field checks here too, on the
            # cells that did read, so that its report lists all it has to fix at once. A row
            # whose cells all read meets the same checks in ``hardship_files_check``.
            found[before_members:before_members] = self.clean_file(values, id_number, failed)
        name = cell_text(self.cell(cells, "name"))[:50]
        masked = mask_id_number(cell_text(self.cell(cells, "id_number")))
        problems = [Problem(number, self.header(k), m, name, masked) for k, m in found]
        if problems:
            return None, problems
        ids = [(id_number.number, "id_number"), *member_ids]
        household = HouseholdInput(id_number.number, values, secondary, members)
        return RowInput(number, household, ids, slots), []

    def clean_file(self, values: dict, id_number, failed: set[str]) -> list[tuple[str, str]]:
        """The model's own checks (lengths, choices, phone, credit code, division code)."""
        fields = {key: value for key, value in values.items() if key not in failed}
        file = HardshipFile(
            unit=self.unit,
            status=FileStatus.APPLIED,
            entered_by=self.by,
            updated_by=self.by,
            content_changed_at=self.now,
            id_number=id_number.number if id_number else "",
            gender=id_number.gender if id_number else "",
            birth_date=id_number.birth_date if id_number else None,
            **fields,
        )
        absent = [c.field for c in COLUMNS if c.field and not c.member and c.key not in fields]
        exclude = [*FILE_CLEAN_EXCLUDE, *failed, *absent]
        if id_number is None:
            exclude += ["id_number", "gender", "birth_date"]
        try:
            # Constraints cost a query each; their ranges are the checks above (_money, sizes).
            file.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            return [
                (key if key in COLUMNS_BY_KEY else "", message)
                for key, messages in error_messages(error).items()
                for message in messages
            ]
        return []

    def member(self, cells: list, number: int, found: list) -> MemberInput | None:
        columns = self.member_columns[number]
        if all(is_blank(self.cell(cells, c.key)) for c in columns):
            return None
        problems: list[tuple[str, str]] = []
        values = {
            COLUMNS_BY_KEY[k].field: v for k, v in self.read(cells, columns, problems).items()
        }
        for name in MEMBER_REQUIRED:
            key = f"member{number}_{name}"
            if name not in values and not any(k == key for k, _m in problems):
                problems.append((key, _("This cell must be filled in for a household member.")))
        id_number = values.pop("id_number", None)
        birth_key = f"member{number}_birth_date"
        if id_number is not None:
            if values.get("birth_date", id_number.birth_date) != id_number.birth_date:
                message = _("The birth date differs from the one in the ID number.")
                problems.append((birth_key, message))
            values["birth_date"] = id_number.birth_date
        elif "birth_date" not in values and birth_key not in {k for k, _m in problems}:
            problems.append((birth_key, _("Enter the birth date or the ID number.")))
        if not problems:
            member = HouseholdMember(id_number=id_number.number if id_number else "", **values)
            try:
                member.full_clean(
                    exclude=["file", "id_hash"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as error:
                for key, messages in error_messages(error).items():
                    column = f"member{number}_{key}"
                    column = column if column in COLUMNS_BY_KEY else ""
                    problems.extend((column, message) for message in messages)
        found.extend(problems)
        if problems:
            return None
        return MemberInput(id_number=id_number.number if id_number else "", **values)

    def check_cells(
        self, progress: Callable[[int, int], None] | None = None
    ) -> tuple[list[RowInput], list[Problem]]:
        """Every row's cells, then each ID number once in the sheet; no query.

        ``progress(done, total)`` hears of the rows checked every ``PROGRESS_STEP`` rows.
        """
        rows: list[RowInput] = []
        problems: list[Problem] = []
        total = len(self.sheet.rows)
        for done, (number, cells) in enumerate(self.sheet.rows, start=1):
            row, found = self.check_row(number, cells)
            problems.extend(found)
            if row is not None:
                rows.append(row)
            if progress is not None and done % PROGRESS_STEP == 0:
                progress(done, total)
        problems.extend(self.check_id_numbers(rows))
        return self._outcome(rows, problems)

    def check_sheet(
        self, progress: Callable[[int, int], None] | None = None
    ) -> tuple[list[RowInput], list[Problem]]:
        """The dry run: ``check_cells``, then the rows that passed through the rules of opening
        their files, all at once, as the import will (``hardship_files_check``).

        Raises PermissionDenied when the uploader may no longer open files for the unit.
        """
        rows, problems = self.check_cells(progress)
        if rows:
            _openings, refusals = hardship_files_check(
                by=self.by, unit=self.unit, households=[row.household for row in rows]
            )
            problems.extend(self.refusal_problems(rows, refusals))
        return self._outcome(rows, problems)

    @staticmethod
    def _outcome(rows: list[RowInput], problems: list[Problem]):
        problems.sort(key=lambda p: p.row)
        bad_rows = {p.row for p in problems}
        return [r for r in rows if r.row not in bad_rows], problems

    def refusal_problems(
        self, rows: list[RowInput], refusals: dict[int, ValidationError]
    ) -> list[Problem]:
        """The services' refusals of ``rows`` (by index), each message under its column."""
        problems = []
        for index, error in refusals.items():
            row = rows[index]
            for key, messages in error_messages(error).items():
                number = row.household.id_number
                if key.startswith("members-"):  # the services' form prefix: members-0-id_number
                    _prefix, position, name = key.split("-", 2)
                    key = f"member{row.member_slots[int(position)]}_{name}"
                    number = row.household.members[int(position)].id_number or number
                problems.extend(self.problem(row, key, message, number) for message in messages)
        return problems

    def check_id_numbers(self, rows: list[RowInput]) -> list[Problem]:
        """Each ID number once in the sheet, each repeat named by its row (the services refuse
        the same, ``repeated_id_numbers``, and check each household against the country's)."""
        problems = []
        listed = [[number for number, _key in row.id_numbers] for row in rows]
        for index, position, first, _position in repeated_id_numbers(listed):
            row = rows[index]
            number, key = row.id_numbers[position]
            if number in listed[index][:position]:
                message = _("This ID number is listed twice in this row.")
            else:
                message = _("This ID number is also in row %(row)s.") % {"row": rows[first].row}
            problems.append(self.problem(row, key, message, number))
        return problems

    def problem(self, row: RowInput, key: str, message: str, number: str) -> Problem:
        name = row.household.values.get("name", "")
        return Problem(row.row, self.header(key), message, name, mask_id_number(number))


def problems_report(problems: list[Problem]) -> tuple[list[dict], int]:
    """The report kept on a batch (problems as JSON), and how many rows have problems."""
    return [p.as_json() for p in problems], len({p.row for p in problems})
