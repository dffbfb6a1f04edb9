"""Import hardship files from the spreadsheets unions keep today (Excel .xlsx).

The steps: upload → match columns → dry run (every row checked, nothing
written) → the caseworker confirms → import (one transaction, each row through
``hardship_file_open``, so a failure anywhere writes nothing). The dry run and
the import run in Celery (``hardship.tasks.import_batch_work``); an
``ImportBatch`` row carries the job's state.

One row is one household: the worker and up to ``MEMBER_SLOTS`` household
members. Column headers and sheet names are fixed Chinese words, not
translations: they are the exchange format of the unions' own spreadsheets and
must read the same whatever language the screen is in. Everything a person reads
about them (field labels, problems found) goes through gettext.

Reading uses python-calamine (about 13 times faster than openpyxl's read-only
mode on 100,000 rows); writing the template uses openpyxl. Both are imported
inside the functions that need them, so web processes start fast.

National ID numbers never leave this module in a message: the report shows
them masked, and no log line or task argument carries one.
"""

import logging
import re
import traceback
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.crypto import keyed_hash
from common.errors import RuleBroken
from hardship.choices import (
    ACTIVE_STATUSES,
    ETHNIC_GROUPS,
    Disability,
    EmploymentStatus,
    EnterpriseSituation,
    FileStatus,
    Health,
    HukouType,
    MaritalStatus,
    MemberEmployment,
    ModelWorkerLevel,
    PoliticalStatus,
    Relation,
    SchoolStage,
)
from hardship.identity import check_character, mask_id_number, parse_id_number
from hardship.models import (
    ABSURD_YUAN,
    NEED_FIELDS,
    HardshipCause,
    HardshipFile,
    HouseholdMember,
    ImportBatch,
)

# The services' own rule checks, reused so an import refuses exactly what a form would.
from hardship.services import MemberInput, _check_causes, file_numbers_reserve, hardship_file_open
from people.access import require_in_branch, require_role
from people.models import Role, UnionUnit, User

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A workbook is a zip of XML; a small file can unpack to gigabytes. Calamine also
# holds a sheet as a dense grid from A1 to its last used cell, so one stray value
# in row 1,048,576 would take gigabytes too: both are checked before reading.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_COLUMNS = 500
# One transaction holds the whole import, and its rows get slower as it grows:
# bench/import_files.py measures 43 rows a second over 2,000 rows and 32 over 10,000
# (two cores), about 5 minutes. Beyond this, split the spreadsheet.
MAX_ROWS = 10_000
MEMBER_SLOTS = 3
DATA_SHEET = "困难职工"
VALUES_SHEET = "可选值"
XLSX_SIGNATURE = b"PK\x03\x04"
YUAN = Decimal("0.01")
HOUSEHOLD_SIZES = range(1, 31)  # the file_household_size_sane constraint
# The template's example row carries this number; a row still holding it is refused.
EXAMPLE_ID_NUMBER = "42010219800101001" + check_character("42010219800101001")

# Kinds of column: how a cell becomes a value.
TEXT = "text"
ID_NUMBER = "id_number"
MONEY = "money"
INTEGER = "integer"
BOOLEAN = "boolean"
DATE = "date"
CHOICE = "choice"
CAUSE = "cause"
CAUSES = "causes"
NEEDS = "needs"

TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "没有", "n", "no", "false", "0", "×", "✗"}


class SpreadsheetProblem(Exception):
    """The file as a whole cannot be used (not a workbook, merged cells, no header…)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CellProblem(Exception):
    """One cell's value cannot be used; the message says why, for the person fixing it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """One column we read: its template header, how its cells are read, where they go."""

    key: str  # the mapping key: a field name, or "member2_name" for a member's field
    header: str  # the template's header (a fixed Chinese word, see the module docstring)
    kind: str
    field: str  # the model field on HardshipFile, or on HouseholdMember for members
    required: bool = False
    member: int = 0  # 1.. for a household member's column
    choices: tuple = ()
    aliases: tuple[str, ...] = ()
    label_override: Any = None

    @property
    def label(self) -> str:
        """What the column-matching page calls this field, in the reader's language."""
        if self.label_override is not None:
            name = str(self.label_override)
        else:
            model = HouseholdMember if self.member else HardshipFile
            name = str(model._meta.get_field(self.field).verbose_name)
        if self.member:
            return _("Member %(number)s: %(field)s") % {"number": self.member, "field": name}
        return name


def _worker_columns() -> list[Column]:
    c = Column
    return [
        c("name", "姓名", TEXT, "name", True, aliases=("职工姓名", "困难职工姓名", "户主姓名")),
        c("id_number", "身份证号", ID_NUMBER, "id_number", True,
          aliases=("身份证号码", "公民身份号码", "身份证", "证件号码")),
        c("ethnicity", "民族", CHOICE, "ethnicity", choices=tuple(ETHNIC_GROUPS)),
        c("political_status", "政治面貌", CHOICE, "political_status",
          choices=tuple(PoliticalStatus.choices)),
        c("phone", "联系电话", TEXT, "phone", True,
          aliases=("电话", "手机", "手机号", "手机号码", "联系方式", "电话号码")),
        c("address", "家庭住址", TEXT, "address", True, aliases=("住址", "地址", "家庭地址", "现住址")),
        c("division_code", "行政区划代码", TEXT, "division_code", True, aliases=("区划代码",)),
        c("hukou_type", "户籍类型", CHOICE, "hukou_type", True, choices=tuple(HukouType.choices),
          aliases=("户籍性质", "户口性质", "户口类型", "户籍")),
        c("marital_status", "婚姻状况", CHOICE, "marital_status", True,
          choices=tuple(MaritalStatus.choices), aliases=("婚姻状态", "婚否")),
        c("health", "健康状况", CHOICE, "health", choices=tuple(Health.choices),
          aliases=("身体状况",)),
        c("disability", "残疾类别", CHOICE, "disability", choices=tuple(Disability.choices),
          aliases=("残疾类型",)),
        c("employment_status", "就业状况", CHOICE, "employment_status", True,
          choices=tuple(EmploymentStatus.choices), aliases=("就业状态", "就业情况")),
        c("is_migrant_worker", "是否农民工", BOOLEAN, "is_migrant_worker", aliases=("农民工",)),
        c("model_worker_level", "困难劳模", CHOICE, "model_worker_level",
          choices=tuple(ModelWorkerLevel.choices), aliases=("劳模级别", "劳模")),
        c("employer_name", "工作单位", TEXT, "employer_name",
          aliases=("单位", "所在单位", "单位名称", "工作单位名称")),
        c("employer_credit_code", "统一社会信用代码", TEXT, "employer_credit_code",
          aliases=("单位统一社会信用代码", "信用代码")),
        c("employer_situation", "企业状况", CHOICE, "employer_situation",
          choices=tuple(EnterpriseSituation.choices), aliases=("单位状况", "企业经营状况")),
        c("industry", "所属行业", TEXT, "industry", aliases=("行业",)),
        c("job_is_outdoor_or_hot", "是否户外或高温岗位", BOOLEAN, "job_is_outdoor_or_hot",
          aliases=("户外高温岗位",)),
        c("bank_name", "开户银行", TEXT, "bank_name", aliases=("开户行", "银行")),
        c("bank_account", "银行账号", TEXT, "bank_account", aliases=("银行卡号", "账号")),
        c("annual_income", "家庭年收入（元）", MONEY, "annual_income", True,
          aliases=("家庭年收入", "年收入", "家庭全年收入")),
        c("medical_costs", "医疗支出（元）", MONEY, "medical_costs", aliases=("医疗支出", "医疗费用")),
        c("schooling_costs", "教育支出（元）", MONEY, "schooling_costs",
          aliases=("教育支出", "教育费用", "子女教育支出")),
        c("disaster_costs", "灾害损失（元）", MONEY, "disaster_costs", aliases=("灾害损失",)),
        c("household_size", "家庭人口", INTEGER, "household_size", True,
          aliases=("家庭人口数", "家庭人数", "家庭成员数")),
        c("main_cause", "主要致困原因", CAUSE, "main_cause", True, aliases=("致困原因", "困难原因")),
        c("secondary_causes", "其他致困原因", CAUSES, "secondary_causes", aliases=("次要致困原因",)),
        c("needs", "帮扶需求", NEEDS, "", aliases=("需求", "主要需求"),
          label_override=gettext_lazy("Needs")),
        c("notes", "备注", TEXT, "notes", aliases=("说明",)),
    ]  # fmt: skip


def _member_columns(number: int) -> list[Column]:
    def c(suffix, kind, field_name, choices=(), aliases=()):
        return Column(
            key=f"member{number}_{field_name}",
            header=f"成员{number}{suffix}",
            kind=kind,
            field=field_name,
            member=number,
            choices=choices,
            aliases=(f"家庭成员{number}{suffix}", *(f"成员{number}{a}" for a in aliases)),
        )

    return [
        c("姓名", TEXT, "name"),
        c("关系", CHOICE, "relation", tuple(Relation.choices), ("与职工关系", "与户主关系")),
        c("身份证号", ID_NUMBER, "id_number", (), ("身份证号码",)),
        c("出生日期", DATE, "birth_date", (), ("出生年月",)),
        c("就业状况", CHOICE, "employment", tuple(MemberEmployment.choices), ("就业情况",)),
        c("月收入（元）", MONEY, "monthly_income", (), ("月收入",)),
        c("健康状况", CHOICE, "health", tuple(Health.choices)),
        c("在读阶段", CHOICE, "school_stage", tuple(SchoolStage.choices), ("就学阶段", "学段")),
    ]


COLUMNS: list[Column] = [
    *_worker_columns(),
    *(column for number in range(1, MEMBER_SLOTS + 1) for column in _member_columns(number)),
]
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED_KEYS = [column.key for column in COLUMNS if column.required]
# A member's row needs these once any of its cells is filled in (birth date or ID number).
MEMBER_REQUIRED = ("name", "relation", "employment")


def fold_header(text: str) -> str:
    """A header as compared: full-width forms, spaces, stars and (units) do not count."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    text = re.sub(r"\([^)]*\)", "", text)
    return re.sub(r"[\s*]+", "", text).lower()


def _fold_value(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def columns_proposed(headers: list[str]) -> dict[str, int]:
    """Match spreadsheet headers to our columns by exact header or a known alias."""
    known: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            known.setdefault(fold_header(name), column.key)
    mapping: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = known.get(fold_header(header)) if header else None
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def columns_missing(mapping: dict[str, int]) -> list[Column]:
    """The required columns no spreadsheet column is matched to."""
    return [COLUMNS_BY_KEY[key] for key in REQUIRED_KEYS if key not in mapping]


# ---------------------------------------------------------------------- reading


@dataclass
class Sheet:
    """The first worksheet: header texts by column index, and the non-blank rows below."""

    headers: list[str]
    header_row: int  # as Excel numbers rows, from 1
    rows: list[tuple[int, list]]  # (Excel row number, cells by column index)


def _cell_name(row: int, column: int) -> str:
    """``(0, 0)`` → ``A1``."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"{letters}{row + 1}"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_spreadsheet(source: IO[bytes]) -> Sheet:
    """Read the first worksheet of an .xlsx file; raise SpreadsheetProblem if it cannot be used.

    Refuses merged cells, naming them: a merged cell's value sits in its first
    cell only, so the rows it spans would silently lose it.
    """
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_filelike(source)
        sheets = [
            s.name
            for s in workbook.sheets_metadata
            if s.typ == SheetTypeEnum.WorkSheet and s.visible == SheetVisibleEnum.Visible
        ]
        if not sheets:
            raise SpreadsheetProblem(_("The workbook has no worksheet."))
        sheet = workbook.get_sheet_by_name(sheets[0])
        merged = sheet.merged_cell_ranges or []
        data = sheet.to_python(skip_empty_area=False)
    except CalamineError:
        raise SpreadsheetProblem(
            _("This file could not be read as an Excel workbook. Save it as .xlsx and try again.")
        ) from None
    if merged:
        names = [f"{_cell_name(*start)}:{_cell_name(*end)}" for start, end in merged[:10]]
        raise SpreadsheetProblem(
            _(
                "The sheet “%(sheet)s” has merged cells (%(cells)s). Unmerge them and fill in every cell, then upload the file again."
            )
            % {"sheet": sheets[0], "cells": "、".join(names) + ("…" if len(merged) > 10 else "")}
        )
    header_at = _header_row(data)
    if header_at is None:
        raise SpreadsheetProblem(_("The sheet “%(sheet)s” is empty.") % {"sheet": sheets[0]})
    # A "header" that is an ID number means the sheet has no header row: never show it whole.
    headers = [_shown(value, limit=100) for value in data[header_at]]
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        if fold_header(header) in seen:
            raise SpreadsheetProblem(
                _(
                    "The header “%(header)s” appears twice (cells %(first)s and %(second)s): rename one."
                )
                % {
                    "header": header,
                    "first": _cell_name(header_at, seen[fold_header(header)]),
                    "second": _cell_name(header_at, index),
                }
            )
        seen[fold_header(header)] = index
    rows = [
        (number + 1, row)
        for number, row in enumerate(data[header_at + 1 :], start=header_at + 1)
        if any(not _blank(v) for v in row)
    ]
    if not rows:
        raise SpreadsheetProblem(_("There are no rows below the header row."))
    if len(rows) > MAX_ROWS:
        raise SpreadsheetProblem(
            _("The sheet has %(count)s rows; at most %(limit)s can be imported at once: split it.")
            % {"count": len(rows), "limit": MAX_ROWS}
        )
    return Sheet(headers=headers, header_row=header_at + 1, rows=rows)


# ---------------------------------------------------------------------- cells


def _header_row(data: list[list]) -> int | None:
    """The first of the top filled-in rows naming two of our columns, else the first filled-in
    row: a title such as 2025年困难职工花名册 often sits above the headers."""
    filled = [i for i, row in enumerate(data[:50]) if any(not _blank(v) for v in row)][:10]
    known = {fold_header(name) for c in COLUMNS for name in (c.header, *c.aliases)}
    for index in filled:
        if sum(fold_header(_text(v)) in known for v in data[index]) >= 2:
            return index
    return filled[0] if filled else None


def _text(value) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


ID_LIKE = re.compile(r"\d{14,17}[\dXx]")


def _shown(value, limit: int = 30) -> str:
    """A cell's value as a page may show it: short, and never a whole ID number."""
    text = ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), _text(value))
    return text if len(text) <= limit else text[:limit] + "…"


def _money(value) -> Decimal:
    if isinstance(value, bool | date):
        raise CellProblem(_("Enter an amount in yuan, e.g. 18000 or 1234.56."))
    if isinstance(value, int | float):
        amount = Decimal(repr(float(value)))
        # Excel stores 0.1 + 0.2 as 0.30000000000000004: binary noise, not a third decimal.
        if abs(amount) < ABSURD_YUAN and abs(amount - amount.quantize(YUAN)) < Decimal("1e-9"):
            amount = amount.quantize(YUAN)
    else:
        text = _text(value).replace(",", "").replace("，", "").removesuffix("元").strip()
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
            % {"amount": _shown(value)}
        )
    if amount != amount.quantize(YUAN):
        raise CellProblem(
            _("%(amount)s has more than two decimal places: amounts are in yuan and fen.")
            % {"amount": _shown(value)}
        )
    return amount.quantize(YUAN)


def _integer(value) -> int:
    problem = CellProblem(_("Enter a whole number, e.g. 3."))
    if isinstance(value, bool | date):
        raise problem
    text = _text(value).removesuffix("人").strip()
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
    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", _text(value))
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass
    raise CellProblem(_("Enter a date as an Excel date or as YYYY-MM-DD, e.g. 2010-09-01."))


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    word = _fold_value(_text(value))
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
    return _text(value)


def _zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


def _en(label) -> str:
    with translation.override("en"):
        return str(label)


def _choice_variants(column: Column, text: str) -> list[str]:
    folded = _fold_value(text)
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
                causes.setdefault(_fold_value(text), cause)
        # 大病、慢性病 may be written 大病 alone: each part that names one cause only.
        parts: dict[str, list[HardshipCause]] = {}
        for cause in active:
            for part in re.split(r"[、/]", cause.name):
                parts.setdefault(_fold_value(part), []).append(cause)
        for part, holders in parts.items():
            if part and len(holders) == 1:
                causes.setdefault(part, holders[0])
        allowed["main_cause"] = allowed["secondary_causes"] = [c.name for c in active]
        needs: dict[str, str] = {}
        for name in NEED_FIELDS:
            label = HardshipFile._meta.get_field(name).verbose_name
            for text in (name.removeprefix("needs_"), _zh(label), _en(label)):
                needs.setdefault(_fold_value(text), name)
        allowed["needs"] = [_zh(HardshipFile._meta.get_field(n).verbose_name) for n in NEED_FIELDS]
        return cls(choices, allowed, causes, needs)

    def not_allowed(self, key: str, value) -> CellProblem:
        allowed = self.allowed.get(key, [])
        if len(allowed) <= 12:
            return CellProblem(
                _("“%(value)s” is not an allowed value. Allowed: %(allowed)s.")
                % {"value": _shown(value), "allowed": "、".join(allowed)}
            )
        return CellProblem(
            _(
                "“%(value)s” is not an allowed value: the sheet “%(sheet)s” of the template lists them."
            )
            % {"value": _shown(value), "sheet": VALUES_SHEET}
        )

    def choice(self, column: Column, value) -> str:
        for variant in _choice_variants(column, _text(value)):
            if variant in self.choices[column.key]:
                return self.choices[column.key][variant]
        raise self.not_allowed(column.key, value)

    def cause(self, value, key: str = "main_cause") -> HardshipCause:
        cause = self.causes.get(_fold_value(_text(value)))
        if cause is None:
            raise self.not_allowed(key, value)
        return cause

    def many(self, value, key: str, table: dict) -> list:
        found = []
        for part in re.split(r"[、,，;；/\s]+", _text(value)):
            if not part:
                continue
            item = table.get(_fold_value(part))
            if item is None:
                raise self.not_allowed(key, part)
            if item not in found:
                found.append(item)
        return found


# ---------------------------------------------------------------------- checking rows


@dataclass
class Problem:
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
    """One row, read and checked: the arguments ``hardship_file_open`` takes."""

    row: int
    id_number: str
    values: dict
    secondary_causes: list[HardshipCause]
    members: list[MemberInput]
    id_numbers: list[tuple[str, str]] = field(default_factory=list)  # (number, column key)


# The fields the services leave out of full_clean; and the two relations the dry run
# need not look up again for every row (the unit was checked once, causes came from the table).
FILE_CLEAN_EXCLUDE = [
    "id_hash", "file_number", "search_keys", "entered_by", "updated_by", "unit", "main_cause",
]  # fmt: skip


def _messages(error: ValidationError) -> dict[str, list[str]]:
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
        self.now = timezone.now()

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
            return _text(value)
        if kind == ID_NUMBER:
            return parse_id_number(_id_text(value))
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
            if _blank(raw):
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
        """Read one row and check it as ``hardship_file_open`` would, without the database."""
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
                for message in _messages(error).get("secondary_causes", error.messages):
                    found.append(("secondary_causes", message))
        found.extend(self.clean_file(values, id_number, failed={key for key, _m in found}))
        members, member_ids = [], []
        for slot in range(1, MEMBER_SLOTS + 1):
            member = self.member(cells, slot, found)
            if member is not None:
                members.append(member)
                if member.id_number:
                    member_ids.append((member.id_number, f"member{slot}_id_number"))
        name = _text(self.cell(cells, "name"))[:50]
        masked = mask_id_number(_text(self.cell(cells, "id_number")))
        problems = [Problem(number, self.header(k), m, name, masked) for k, m in found]
        if problems:
            return None, problems
        ids = [(id_number.number, "id_number"), *member_ids]
        return RowInput(number, id_number.number, values, secondary, members, ids), []

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
                for key, messages in _messages(error).items()
                for message in messages
            ]
        return []

    def member(self, cells: list, number: int, found: list) -> MemberInput | None:
        columns = [c for c in COLUMNS if c.member == number]
        if all(_blank(self.cell(cells, c.key)) for c in columns):
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
                for key, messages in _messages(error).items():
                    column = f"member{number}_{key}"
                    column = column if column in COLUMNS_BY_KEY else ""
                    problems.extend((column, message) for message in messages)
        found.extend(problems)
        if problems:
            return None
        return MemberInput(id_number=id_number.number if id_number else "", **values)

    def check_sheet(self) -> tuple[list[RowInput], list[Problem]]:
        """Every row, then the ID numbers across the sheet and against every active file."""
        rows: list[RowInput] = []
        problems: list[Problem] = []
        for number, cells in self.sheet.rows:
            row, found = self.check_row(number, cells)
            problems.extend(found)
            if row is not None:
                rows.append(row)
        problems.extend(self.check_id_numbers(rows))
        problems.sort(key=lambda p: p.row)
        bad_rows = {p.row for p in problems}
        return [r for r in rows if r.row not in bad_rows], problems

    def check_id_numbers(self, rows: list[RowInput]) -> list[Problem]:
        """One household, one file: each ID number once in the sheet, and on no active file."""
        problems = []
        first_row: dict[str, int] = {}
        occurrences = []
        for row in rows:
            seen_here: set[str] = set()
            for number, key in row.id_numbers:
                if number in seen_here:
                    message = _("This ID number is listed twice in this row.")
                elif number in first_row:
                    message = _("This ID number is also in row %(row)s.") % {
                        "row": first_row[number]
                    }
                else:
                    message = None
                    first_row[number] = row.row
                seen_here.add(number)
                if message:
                    problems.append(self.problem(row, key, message, number))
                occurrences.append((row, key, number))
        hashes = {number: keyed_hash(number) for _r, _k, number in occurrences}
        holders = active_holders_by_hash(set(hashes.values()))
        for row, key, number in occurrences:
            unit_name = holders.get(hashes[number])
            if unit_name is not None:
                message = _(
                    "This ID number is already on an active hardship file held by %(unit)s. One household has one file: ask that unit to transfer it."
                ) % {"unit": unit_name}
                problems.append(self.problem(row, key, message, number))
        return problems

    def problem(self, row: RowInput, key: str, message: str, number: str) -> Problem:
        return Problem(
            row.row, self.header(key), message, row.values.get("name", ""), mask_id_number(number)
        )


def active_holders_by_hash(id_hashes: set[str], chunk: int = 1000) -> dict[str, str]:
    """The name of the unit holding an active file with each ID hash, as worker or member.

    The batched form of ``hardship.selectors.active_file_holding_id``: two
    queries per thousand numbers instead of two per number. Deliberately not
    scoped to the user (one household, one file nationwide); only the holding
    unit's name comes back.
    """
    found: dict[str, str] = {}
    hashes = sorted(id_hashes)
    for start in range(0, len(hashes), chunk):
        part = hashes[start : start + chunk]
        members = HouseholdMember.objects.filter(
            id_hash__in=part, file__status__in=ACTIVE_STATUSES
        ).values_list("id_hash", "file__unit__name")
        workers = HardshipFile.objects.filter(
            Q(id_hash__in=part), status__in=ACTIVE_STATUSES
        ).values_list("id_hash", "unit__name")
        # As the selector does, a file held as the worker wins over one held as a member.
        found.update(dict(members))
        found.update(dict(workers))
    return found


# ---------------------------------------------------------------------- the template


def _example_row() -> dict[str, object]:
    with translation.override("zh-hans"):
        return {
            "name": "张建国",
            "id_number": EXAMPLE_ID_NUMBER,
            "ethnicity": str(ETHNIC_GROUPS[0][1]),
            "political_status": str(PoliticalStatus.MASSES.label),
            "phone": "13912345678",
            "address": "武汉市江岸区大智路 18 号 3 单元 502",
            "division_code": "420102",
            "hukou_type": str(HukouType.URBAN.label),
            "marital_status": str(MaritalStatus.MARRIED.label),
            "health": str(Health.SERIOUS.label),
            "disability": str(Disability.NONE.label),
            "employment_status": str(EmploymentStatus.LAID_OFF.label),
            "is_migrant_worker": "否",
            "model_worker_level": str(ModelWorkerLevel.NONE.label),
            "employer_name": "武汉江岸车辆厂",
            "employer_situation": str(EnterpriseSituation.HALTED.label),
            "industry": "制造业",
            "job_is_outdoor_or_hot": "否",
            "annual_income": Decimal("18000.00"),
            "medical_costs": Decimal("6000.00"),
            "schooling_costs": Decimal("0.00"),
            "disaster_costs": Decimal("0.00"),
            "household_size": 3,
            "main_cause": "大病、慢性病",
            "needs": "、".join(
                str(HardshipFile._meta.get_field(n).verbose_name)
                for n in ("needs_living", "needs_medical")
            ),
            "member1_name": "王秀英",
            "member1_relation": str(Relation.SPOUSE.label),
            "member1_birth_date": date(1982, 5, 6),
            "member1_employment": str(MemberEmployment.UNABLE.label),
            "member1_monthly_income": Decimal("0.00"),
            "member1_health": str(Health.SERIOUS.label),
            "member2_name": "张小明",
            "member2_relation": str(Relation.SON.label),
            "member2_birth_date": date(2010, 9, 1),
            "member2_employment": str(MemberEmployment.STUDENT.label),
            "member2_school_stage": str(SchoolStage.MIDDLE.label),
        }


def import_workbook(rows: Iterable[dict[str, object]] | None = None) -> bytes:
    """An .xlsx with our headers, ``rows`` (by column key; default one example row) and a
    second sheet listing the values each coded column accepts.

    The download template, and how tests and benchmarks build their files.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    lookups = Lookups.build()
    workbook = Workbook(write_only=True)
    data = workbook.create_sheet(DATA_SHEET)
    for index, column in enumerate(COLUMNS, start=1):
        data.column_dimensions[get_column_letter(index)].width = max(12, 2.2 * len(column.header))
    bold = Font(bold=True)

    def header_cell(sheet, text):
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    def cell(value, kind):
        cell = WriteOnlyCell(data, value=value)
        if kind == ID_NUMBER:
            cell.number_format = "@"  # text: an ID number typed as a number loses digits
        elif kind == MONEY:
            cell.number_format = "0.00"
        elif kind == DATE:
            cell.number_format = "yyyy-mm-dd"
        return cell

    data.append([header_cell(data, column.header) for column in COLUMNS])
    for row in [_example_row()] if rows is None else rows:
        data.append([cell(row.get(column.key), column.kind) for column in COLUMNS])

    values = workbook.create_sheet(VALUES_SHEET)
    listed: dict[str, list[str]] = {}
    for column in COLUMNS:
        header = re.sub(r"\d", "", column.header) if column.member else column.header
        if column.kind == BOOLEAN:
            listed.setdefault(header, ["是", "否"])
        elif column.key in lookups.allowed or column.kind in (CHOICE,):
            source = column.key if column.key in lookups.allowed else f"member1_{column.field}"
            listed.setdefault(header, lookups.allowed[source])
    values.append([header_cell(values, header) for header in listed])
    depth = max(len(items) for items in listed.values())
    for index in range(depth):
        values.append([items[index] if index < len(items) else None for items in listed.values()])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------- the job


def _require_caseworker_in_branch(by: User, unit: UnionUnit) -> None:
    require_role(by, Role.CASEWORKER)
    require_in_branch(by, unit)


def upload_problem(upload: IO[bytes], *, name: str, size: int) -> str | None:
    """Why an uploaded file cannot be an .xlsx workbook, by its name, size and content."""
    if not name.lower().endswith(".xlsx"):
        return _("Choose an Excel workbook saved as .xlsx (Excel 2007 or later).")
    if size > MAX_UPLOAD_BYTES:
        message = _(
            "The file is %(size)s MB; at most %(limit)s MB can be imported at once: split it."
        )
        return message % {"size": f"{size / 1048576:.1f}", "limit": MAX_UPLOAD_BYTES // 1048576}
    upload.seek(0)
    signature = upload.read(len(XLSX_SIGNATURE))
    upload.seek(0)
    if signature != XLSX_SIGNATURE:
        return _(
            "This file is not an .xlsx workbook, whatever its name says. Save it as .xlsx in Excel and try again."
        )
    try:
        return _unpacked_problem(upload)
    finally:
        upload.seek(0)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _unpacked_problem(upload: IO[bytes]) -> str | None:
    """Refuse a workbook too large once unpacked, or whose sheets reach far beyond any data."""
    import zipfile

    try:
        archive = zipfile.ZipFile(upload)
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return _(
            "This file could not be read as an Excel workbook. Save it as .xlsx and try again."
        )
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        return _(
            "This workbook is too large once unpacked. Keep only the sheet to import, or split it."
        )
    for part in parts:
        if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", part.filename):
            continue
        with archive.open(part) as xml:
            start = xml.read(4096)
        found = re.search(rb'<dimension ref="[A-Z]+\d+:([A-Z]+)(\d+)"', start)
        if found and (
            int(found[2]) > MAX_ROWS + 100 or _column_number(found[1].decode()) > MAX_COLUMNS
        ):
            return _(
                "A sheet of this workbook reaches cell %(cell)s, far beyond any data. Delete the empty rows and columns after your data and upload it again."
            ) % {"cell": (found[1] + found[2]).decode()}
    return None


@transaction.atomic
def import_batch_create(*, by: User, unit: UnionUnit, upload, language: str) -> ImportBatch:
    """Keep an uploaded spreadsheet and propose how its columns match our fields.

    Side effects: an ImportBatch and the file under MEDIA_ROOT/imports/ (a
    random name). Raises RuleBroken on ``upload`` when the file cannot be used.
    """
    _require_caseworker_in_branch(by, unit)
    problem = upload_problem(upload, name=upload.name, size=upload.size)
    if problem:
        raise RuleBroken({"upload": problem})
    try:
        sheet = read_spreadsheet(upload)
    except SpreadsheetProblem as error:
        raise RuleBroken({"upload": error.message}) from None
    upload.seek(0)
    batch = ImportBatch(
        created_by=by,
        unit=unit,
        original_name=_shown(upload.name, limit=199),
        language=language,
        headers=sheet.headers,
        mapping=columns_proposed(sheet.headers),
        row_count=len(sheet.rows),
    )
    batch.upload.save("upload.xlsx", upload, save=False)
    batch.save()
    return batch


def _editable(batch: ImportBatch) -> bool:
    return batch.status in (ImportBatch.Status.UPLOADED, ImportBatch.Status.VALIDATED) and (
        batch.confirmed_at is None
    )


@transaction.atomic
def import_batch_match_columns(
    *, batch: ImportBatch, by: User, mapping: dict[str, int], language: str
) -> ImportBatch:
    """Record which column holds which field and queue the dry run.

    Side effects: the batch (mapping, status "pending", report cleared); after
    commit, the task that checks every row.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    _require_owner(batch, by)
    if not _editable(batch):
        raise RuleBroken(_("This import is past the point where its columns can be changed."))
    unknown = [key for key in mapping if key not in COLUMNS_BY_KEY]
    out_of_range = [i for i in mapping.values() if not 0 <= int(i) < len(batch.headers)]
    if unknown or out_of_range or len(set(mapping.values())) != len(mapping):
        raise RuleBroken(_("Each column can hold one field only."))
    missing = columns_missing(mapping)
    if missing:
        raise RuleBroken(
            _("Missing columns: %(columns)s.") % {"columns": "、".join(c.label for c in missing)}
        )
    batch.mapping = {key: int(index) for key, index in mapping.items()}
    batch.language = language
    batch.status = ImportBatch.Status.PENDING
    batch.report = []
    batch.bad_row_count = 0
    batch.error = ""
    batch.validated_at = None
    batch.save(
        update_fields=[
            "mapping",
            "language",
            "status",
            "report",
            "bad_row_count",
            "error",
            "validated_at",
        ]
    )
    _enqueue(batch.pk)
    return batch


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch, by: User) -> ImportBatch:
    """The caseworker confirms a clean dry run: queue the import.

    Side effects: ``confirmed_at``; after commit, the task that imports.
    """
    batch = ImportBatch.objects.select_for_update().select_related("unit").get(pk=batch.pk)
    _require_owner(batch, by)
    _require_caseworker_in_branch(by, batch.unit)
    if not batch.can_be_imported:
        raise RuleBroken(
            _("Only a checked spreadsheet without problems can be imported, and only once.")
        )
    batch.confirmed_at = timezone.now()
    batch.save(update_fields=["confirmed_at"])
    _enqueue(batch.pk)
    return batch


def _require_owner(batch: ImportBatch, by: User) -> None:
    if batch.created_by_id != by.pk:
        raise PermissionDenied(_("Only the person who uploaded a spreadsheet may import it."))


def _enqueue(batch_id: int) -> None:
    from hardship.tasks import import_batch_work

    transaction.on_commit(lambda: import_batch_work.delay(batch_id))


def _checker_for(batch: ImportBatch) -> RowChecker:
    with batch.upload.open("rb") as source:
        sheet = read_spreadsheet(source)
    if sheet.headers != batch.headers:
        raise SpreadsheetProblem(_("The stored spreadsheet has changed since it was uploaded."))
    return RowChecker(sheet=sheet, mapping=batch.mapping, unit=batch.unit, by=batch.created_by)


def _report(problems: list[Problem]) -> tuple[list[dict], int]:
    return [p.as_json() for p in problems], len({p.row for p in problems})


def import_batch_check(*, batch_id: int) -> ImportBatch:
    """The dry run: check every row as the import would, and write nothing but the report.

    Called on a batch claimed as "validating". Side effects: the batch's status
    ("validated", or "failed" when the file cannot be read), counts and report.
    """
    batch = ImportBatch.objects.select_related("unit", "created_by").get(pk=batch_id)
    with translation.override(batch.language):
        try:
            rows, problems = _checker_for(batch).check_sheet()
        except SpreadsheetProblem as error:
            return _finish(batch, ImportBatch.Status.FAILED, error=error.message)
        report, bad_rows = _report(problems)
        return _finish(
            batch,
            ImportBatch.Status.VALIDATED,
            row_count=len(rows) + bad_rows,  # every non-blank row below the header
            bad_row_count=bad_rows,
            report=report,
            validated_at=timezone.now(),
        )


class _RowRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(len(problems))
        self.problems = problems


def import_batch_import(*, batch_id: int) -> ImportBatch:
    """Open a file for every row, all in one transaction: every row or none.

    Called on a batch claimed as "importing". Checks the whole sheet again
    first (another unit may have opened a file since the dry run), then calls
    ``hardship_file_open`` row by row, which checks each again. Side effects:
    the files, their members, "open" transitions and history rows; the batch
    becomes "done" in the same transaction, and its stored spreadsheet is
    deleted after commit. On any refusal nothing is written and the batch
    becomes "failed", with the reasons.
    """
    batch = ImportBatch.objects.select_related("unit", "created_by").get(pk=batch_id)
    Status = ImportBatch.Status
    with translation.override(batch.language):
        try:
            checker = _checker_for(batch)
            rows, problems = checker.check_sheet()
            if problems:
                raise _RowRefused(problems)
            # Numbers first, in a short transaction of their own, so the counter
            # is not locked for the whole import.
            numbers = file_numbers_reserve(year=timezone.localdate().year, count=len(rows))
            with transaction.atomic():
                for row, number in zip(rows, numbers, strict=True):
                    _open_row(batch, checker, row, number)
                stored = batch.upload.name
                ImportBatch.objects.filter(pk=batch.pk).update(
                    status=Status.DONE,
                    imported_count=len(rows),
                    upload="",
                    finished_at=timezone.now(),
                )
                storage = batch.upload.storage
                transaction.on_commit(lambda: storage.delete(stored))
        except SpreadsheetProblem as error:
            return _finish(batch, Status.FAILED, error=error.message)
        except _RowRefused as refused:
            report, bad_rows = _report(refused.problems)
            return _finish(
                batch,
                Status.FAILED,
                error=_("Nothing was imported: a row was refused when it came to be saved."),
                report=report,
                bad_row_count=bad_rows,
            )
        except PermissionDenied as error:
            return _finish(batch, Status.FAILED, error=str(error))
    batch.refresh_from_db()
    return batch


def _open_row(batch: ImportBatch, checker: RowChecker, row: RowInput, number: int) -> None:
    try:
        hardship_file_open(
            reserved_number=number,
            savepoint=False,
            by=batch.created_by,
            unit=batch.unit,
            id_number=row.id_number,
            values=row.values,
            secondary_causes=row.secondary_causes,
            members=row.members,
        )
    except ValidationError as error:
        problems = []
        for key, messages in _messages(error).items():
            if key.startswith("members-"):  # the services' form prefix: members-0-id_number
                _prefix, index, name = key.split("-", 2)
                key = f"member{int(index) + 1}_{name}"
            column = checker.header(key) if key in COLUMNS_BY_KEY else ""
            name, masked = row.values.get("name", ""), mask_id_number(row.id_number)
            problems.extend(Problem(row.row, column, m, name, masked) for m in messages)
        raise _RowRefused(problems) from None


def _finish(batch: ImportBatch, status: str, **fields) -> ImportBatch:
    finished_at = timezone.now() if status == ImportBatch.Status.FAILED else None
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, finished_at=finished_at, **fields)
    batch.refresh_from_db()
    return batch


def import_batch_fail(*, batch_id: int, error: BaseException) -> None:
    """Record an unexpected failure, logging where it happened but not its message,
    which might quote a cell (and so an ID number).
    """
    frames = "".join(traceback.format_tb(error.__traceback__))
    logger.error("Import batch %s failed with %s:\n%s", batch_id, type(error).__name__, frames)
    ImportBatch.objects.filter(pk=batch_id).exclude(status=ImportBatch.Status.DONE).update(
        status=ImportBatch.Status.FAILED,
        error=_("Something went wrong on our side; nothing was imported. Try again later."),
        finished_at=timezone.now(),
    )
