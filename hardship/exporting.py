"""Exports of the file list to Excel (xlsx) and CSV, masked as the user's role requires."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hardship.models import HardshipFile, IdNumberView, User

# A web request exports at most this many files; larger sets belong in a background job.
EXPORT_LIMIT = 50_000
CHUNK = 2_000


def _columns() -> list[tuple[str, str]]:
    return [
        ("file_number", _("File number")),
        ("name", _("Name")),
        ("id_number", _("ID number")),
        ("gender", _("Gender")),
        ("birth_date", _("Birth date")),
        ("phone", _("Phone")),
        ("address", _("Home address")),
        ("unit", _("Unit")),
        ("status", _("Status")),
        ("category", _("Category")),
        ("main_cause", _("Main cause")),
        ("employment_status", _("Employment status")),
        ("model_worker_level", _("Model worker in hardship")),
        ("migrant", _("Migrant worker")),
        ("annual_income", _("Household income this year")),
        ("household_size", _("Household size")),
        ("review_due_on", _("Review due")),
    ]


def file_rows(queryset: QuerySet[HardshipFile], *, full_ids: bool) -> Iterator[list]:
    """The header, then one row per file, reading the database in chunks by primary key."""
    yield [label for _key, label in _columns()]
    last_pk = 0
    base = queryset.select_related("unit", "main_cause").order_by("pk")
    sent = 0
    while sent < EXPORT_LIMIT:
        chunk = list(base.filter(pk__gt=last_pk)[: min(CHUNK, EXPORT_LIMIT - sent)])
        if not chunk:
            return
        for file in chunk:
            yield [
                file.file_number,
                file.name,
                file.id_number if full_ids else file.masked_id_number,
                file.get_gender_display(),
                file.birth_date.isoformat(),
                file.phone,
                file.address,
                file.unit.name,
                file.get_status_display(),
                file.get_category_display(),
                str(file.main_cause),
                file.get_employment_status_display(),
                file.get_model_worker_level_display(),
                _("Yes") if file.is_migrant_worker else _("No"),
                file.annual_income,
                file.household_size,
                file.review_due_on.isoformat() if file.review_due_on else "",
            ]
        last_pk = chunk[-1].pk
        sent += len(chunk)


def record_full_id_export(*, queryset: QuerySet[HardshipFile], by: User) -> None:
    """Record that ``by`` saw the full ID number of every exported file."""
    ids = queryset.order_by("pk").values_list("pk", flat=True)[:EXPORT_LIMIT]
    IdNumberView.objects.bulk_create(
        [IdNumberView(user=by, file_id=pk, purpose=IdNumberView.Purpose.EXPORT) for pk in ids],
        batch_size=2_000,
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value) -> str:
    """A cell as plain text; text a spreadsheet would run as a formula gets a leading quote."""
    text = "" if value is None else str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_chunks(rows: Iterable[list]) -> Iterator[str]:
    """CSV text with a byte-order mark, so Excel on Windows reads the Chinese correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow([_as_text(value) for value in row])


def xlsx_bytes(rows: Iterable[list], *, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    from openpyxl.cell import WriteOnlyCell

    for row in rows:
        cells = []
        for value in row:
            if hasattr(value, "as_tuple"):
                cells.append(float(value))
            elif isinstance(value, str):
                # Text stays text: "=HYPERLINK(…)" typed into a file must not run in Excel.
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class PrintedSheet:
    """A one-sheet workbook laid out like a printed list: a bold heading line, the column
    headers (with their widths) frozen under it, then rows appended by the caller.

    ``cell`` stores text as text, so a name typed as "=HYPERLINK(…)" never becomes a
    formula. Used by the visit lists and the rosters.
    """

    def __init__(self, *, title: str, heading: str, headers: list[tuple[str, int]]):
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title=title[:31])
        for column, (_label, width) in enumerate(headers, start=1):
            self.sheet.column_dimensions[get_column_letter(column)].width = width
        self.sheet.freeze_panes = "A3"
        self.append([self.cell(heading, bold=True)])
        self.append([self.cell(label, bold=True) for label, _width in headers])

    def cell(self, value, *, bold: bool = False, number_format: str | None = None):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        written = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"
        if bold:
            written.font = Font(bold=True)
        if number_format:
            written.number_format = number_format
        return written

    def append(self, cells: list) -> None:
        self.sheet.append(cells)

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.book.save(buffer)
        return buffer.getvalue()
