"""Reading an uploaded workbook: the checks made before reading it (name, size, signature,
size once unpacked, how far its sheets reach) and reading its first worksheet.

Reading uses python-calamine (about 13 times faster than openpyxl's read-only
mode on 100,000 rows), imported inside the function that needs it so web
processes start fast.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from django.utils.translation import gettext as _

from hardship.identity import mask_id_number
from hardship.importing.columns import COLUMNS, fold_header

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
XLSX_SIGNATURE = b"PK\x03\x04"


class SpreadsheetProblem(Exception):
    """The file as a whole cannot be used (not a workbook, merged cells, no header…)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def is_blank(value) -> bool:
    """Whether a cell holds nothing (or only spaces)."""
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
    headers = [shown(value, limit=100) for value in data[header_at]]
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
        if any(not is_blank(v) for v in row)
    ]
    if not rows:
        raise SpreadsheetProblem(_("There are no rows below the header row."))
    if len(rows) > MAX_ROWS:
        raise SpreadsheetProblem(
            _("The sheet has %(count)s rows; at most %(limit)s can be imported at once: split it.")
            % {"count": len(rows), "limit": MAX_ROWS}
        )
    return Sheet(headers=headers, header_row=header_at + 1, rows=rows)


def _header_row(data: list[list]) -> int | None:
    """The first of the top filled-in rows naming two of our columns, else the first filled-in
    row: a title such as 2025年困难职工花名册 often sits above the headers."""
    filled = [i for i, row in enumerate(data[:50]) if any(not is_blank(v) for v in row)][:10]
    known = {fold_header(name) for c in COLUMNS for name in (c.header, *c.aliases)}
    for index in filled:
        if sum(fold_header(cell_text(v)) in known for v in data[index]) >= 2:
            return index
    return filled[0] if filled else None


def cell_text(value) -> str:
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


def shown(value, limit: int = 30) -> str:
    """A cell's value as a page may show it: short, and never a whole ID number."""
    text = ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), cell_text(value))
    return text if len(text) <= limit else text[:limit] + "…"


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
