"""The template workbook caseworkers download: our headers, an example row, and a second
sheet listing the values each coded column accepts. Tests and benchmarks build their
spreadsheets with it too.

Writing uses openpyxl, imported inside the function that needs it.
"""

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from io import BytesIO

from django.utils import translation

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
from hardship.importing.checking import Lookups
from hardship.importing.columns import (
    BOOLEAN,
    CHOICE,
    COLUMNS,
    DATA_SHEET,
    DATE,
    EXAMPLE_ID_NUMBER,
    ID_NUMBER,
    MONEY,
    VALUES_SHEET,
)
from hardship.models import HardshipFile


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
