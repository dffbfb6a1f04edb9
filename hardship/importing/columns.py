"""The columns an import reads: their template headers, kinds and fields, and matching a
spreadsheet's own headers to them.

Headers and sheet names are fixed Chinese words (the package docstring says why).
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hardship.choices import (
    ETHNIC_GROUPS,
    Disability,
    EmploymentStatus,
    EnterpriseSituation,
    Health,
    HukouType,
    MaritalStatus,
    MemberEmployment,
    ModelWorkerLevel,
    PoliticalStatus,
    Relation,
    SchoolStage,
)
from hardship.identity import check_character
from hardship.models import HardshipFile, HouseholdMember

MEMBER_SLOTS = 3
DATA_SHEET = "困难职工"
VALUES_SHEET = "可选值"
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


@dataclass(frozen=True)
class Column:
    """One column we read: its template header, how its cells are read, where they go."""

    key: str  # the mapping key: a field name, or "member2_name" for a member's field
    header: str  # the template's header (a fixed Chinese word, see the package docstring)
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


def fold_value(text: str) -> str:
    """A cell's text as compared with the values a coded column accepts."""
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
