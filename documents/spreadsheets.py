"""Spreadsheets the app writes: CSV and xlsx exports, and printed lists laid out as sheets.

Text stays text everywhere: a name typed as "=HYPERLINK(…)" never runs as a formula.
"""

import csv
import io
from collections.abc import Iterable, Iterator


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
