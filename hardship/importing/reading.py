"""Reading an uploaded workbook: the checks made before reading it and reading its first
worksheet.

Two kinds of check, so that no workbook can exhaust memory:

- ``upload_problem`` is all a web process does: the name, the size, the signature and the
  zip's table of contents (how many parts, how large each says it is once unpacked, how
  much each says it is compressed), plus the first few kilobytes of each sheet. It never
  unpacks a whole part, so it costs the same for any file.
- ``read_spreadsheet`` runs only in the worker (whose address space is capped). Before
  the reader allocates anything it streams every sheet through a pull parser, counting
  bytes, rows, columns and cells as they really are, whatever the sheet's ``dimension``
  says or whether it says anything, and checking every part's checksum; the first step
  beyond a limit stops the scan. Only then does the reader build its grid.

Reading uses python-calamine (about 13 times faster than openpyxl's read-only
mode on 100,000 rows), imported inside the function that needs it so web
processes start fast.
"""

import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from django.utils.translation import gettext as _

from hardship.identity import mask_id_number
from hardship.importing.columns import COLUMNS, fold_header

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A workbook is a zip of XML; a small file can unpack to gigabytes. Calamine also
# holds a sheet as a dense grid from A1 to its last used cell, so one stray cell
# in row 1,048,576 would take gigabytes too: both are checked before reading.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_PARTS = 1_000
# Sheet XML of real spreadsheets packs 5 to 20 times; a part packed far tighter is
# mostly repetition (millions of empty cells), refused when it is large as well.
MAX_PACKING_RATIO = 100
PACKED_PART_LIMIT = 16 * 1024 * 1024
MAX_COLUMNS = 500
# One transaction holds the whole import, and its rows get slower as it grows:
# bench/import_files.py measures 43 rows a second over 2,000 rows and 32 over 10,000
# (two cores), about 5 minutes. Beyond this, split the spreadsheet.
MAX_ROWS = 10_000
# Blank rows and a title may sit above and between the data.
MAX_ROW_NUMBER = MAX_ROWS + 100
# Every cell the sheet's XML lists, empty or not: 10,000 rows of 100 columns.
MAX_CELLS = 1_000_000
XLSX_SIGNATURE = b"PK\x03\x04"
SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")

# What reading a part of a damaged archive raises: a bad checksum (BadZipFile), a truncated or
# corrupt stream (zlib.error, EOFError, OSError), or a part compressed by a method the standard
# library lacks (zipfile's own error for that is NotImplementedError). All of them mean the same
# to the person uploading, so each becomes the one "damaged file" message.
ARCHIVE_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


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


def read_spreadsheet(source: IO[bytes], *, within_bounds: bool = False) -> Sheet:
    """Read the first worksheet of an .xlsx file; raise SpreadsheetProblem if it cannot be used.

    Refuses merged cells, naming them: a merged cell's value sits in its first
    cell only, so the rows it spans would silently lose it. ``within_bounds`` says that
    these very bytes passed ``bounds_check`` already (the caller compared their digest),
    which then is not run again: its element-by-element scan costs three times calamine's read.
    """
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if not within_bounds:
        bounds_check(source)
    source.seek(0)
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
        raise SpreadsheetProblem(_unreadable()) from None
    except MemoryError:
        # The worker's address space is capped: a sheet that slipped past the scan ends here.
        raise SpreadsheetProblem(_too_large()) from None
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


def _unreadable() -> str:
    return _("This file could not be read as an Excel workbook. Save it as .xlsx and try again.")


def _damaged() -> str:
    return _(
        "This workbook is damaged (a part of it is cut short or does not match its checksum). Open it in Excel, save it again as .xlsx and upload it again."
    )


def _too_large() -> str:
    return _(
        "This workbook is too large once unpacked. Keep only the sheet to import, or split it."
    )


def _too_far(cell: str) -> str:
    return _(
        "A sheet of this workbook reaches cell %(cell)s, beyond the %(rows)s rows and %(columns)s columns an import can hold. Delete the empty rows and columns after your data, or split the sheet, and upload it again."
    ) % {"cell": cell, "rows": MAX_ROWS, "columns": MAX_COLUMNS}


def _too_many_cells() -> str:
    return _(
        "A sheet of this workbook lists more than %(limit)s cells, most of them empty. Copy only your data into a new workbook and upload that."
    ) % {"limit": MAX_CELLS}


def upload_problem(upload: IO[bytes], *, name: str, size: int) -> str | None:
    """Why an uploaded file cannot be an .xlsx workbook, by its name, size and table of contents.

    Cheap enough for a web process: it reads the zip's table of contents and at most
    a few kilobytes of each sheet, never a whole part.
    """
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
        _contents_check(upload)
    except SpreadsheetProblem as problem:
        return problem.message
    finally:
        upload.seek(0)
    return None


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


CELL_REFERENCE = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})")


def _reference_beyond(reference: str) -> str | None:
    """The far corner of a ``dimension`` reference (``A1:BB1048576``), if beyond the limits."""
    corner = reference.rpartition(":")[2].upper()
    found = CELL_REFERENCE.fullmatch(corner)
    if found is None:
        return None
    if int(found[2]) > MAX_ROW_NUMBER or _column_number(found[1]) > MAX_COLUMNS:
        return found[1] + found[2]
    return None


def _open_archive(source: IO[bytes]):
    try:
        archive = zipfile.ZipFile(source)
        parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise SpreadsheetProblem(_unreadable()) from None
    if len(parts) > MAX_PARTS:
        raise SpreadsheetProblem(_unreadable())
    return archive, parts


def _contents_check(source: IO[bytes]) -> None:
    """Refuse by the zip's table of contents and each sheet's opening: what it says it holds."""
    archive, parts = _open_archive(source)
    if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
        raise SpreadsheetProblem(_too_large())
    for part in parts:
        packed = max(part.compress_size, 1)
        if part.file_size > PACKED_PART_LIMIT and part.file_size / packed > MAX_PACKING_RATIO:
            raise SpreadsheetProblem(_too_large())
        if not SHEET_PART.fullmatch(part.filename):
            continue
        try:
            with archive.open(part) as xml:
                start = xml.read(4096)
        except ARCHIVE_DAMAGED:
            raise SpreadsheetProblem(_damaged()) from None
        found = re.search(rb'<(?:\w+:)?dimension\s+ref="([^"]{1,40})"', start)
        beyond = found and _reference_beyond(found[1].decode("ascii", "replace"))
        if beyond:
            raise SpreadsheetProblem(_too_far(beyond))


class _SheetExtent:
    """Counts what a sheet's XML really lists, element by element, and stops at a limit.

    Rows and cells may carry their position (``r="12"``, ``r="C12"``) or leave it
    implied by their order; both count. Cells listed without a value count as well:
    a reader still places them in its grid.
    """

    def __init__(self) -> None:
        self.row = 0
        self.column = 0
        self.cells = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            self._cell(attributes.get("r", ""))
        elif local == "row":
            position = attributes.get("r", "")
            self.row = int(position) if position.isdigit() else self.row + 1
            self.column = 0
            if self.row > MAX_ROW_NUMBER:
                raise SpreadsheetProblem(_too_far(f"A{self.row}"))
        elif local == "dimension":
            beyond = _reference_beyond(attributes.get("ref", ""))
            if beyond:
                raise SpreadsheetProblem(_too_far(beyond))

    def _cell(self, reference: str) -> None:
        found = CELL_REFERENCE.fullmatch(reference.upper()) if reference else None
        if found:
            self.column = _column_number(found[1])
            self.row = max(self.row, int(found[2]))
        else:
            self.column += 1
        self.cells += 1
        if self.column > MAX_COLUMNS or self.row > MAX_ROW_NUMBER:
            raise SpreadsheetProblem(_too_far(_cell_name(self.row - 1, self.column - 1)))
        if self.cells > MAX_CELLS:
            raise SpreadsheetProblem(_too_many_cells())


def _refuse_declarations(*_args) -> None:
    # A worksheet never needs a DTD; entities are how XML bombs multiply.
    raise SpreadsheetProblem(_unreadable())


def bounds_check(source: IO[bytes]) -> None:
    """Stream every part of the workbook once, and refuse it beyond the import's limits.

    For the worker, before any grid is allocated: every part is unpacked as a stream
    (so its checksum is checked and its real size counted, whatever the table of
    contents claims), and every sheet is parsed element by element, counting its
    rows, columns and cells. Memory stays at one chunk; the first step beyond a limit
    stops the scan. Raises SpreadsheetProblem.
    """
    from xml.parsers import expat

    source.seek(0)
    _contents_check(source)
    archive, parts = _open_archive(source)
    unpacked = 0
    for part in parts:
        parser = None
        if SHEET_PART.fullmatch(part.filename):
            extent = _SheetExtent()
            parser = expat.ParserCreate()
            parser.StartElementHandler = extent.start
            parser.StartDoctypeDeclHandler = _refuse_declarations
            parser.EntityDeclHandler = _refuse_declarations
        try:
            with archive.open(part) as stream:
                while chunk := stream.read(1024 * 1024):
                    unpacked += len(chunk)
                    if unpacked > MAX_UNPACKED_BYTES:
                        raise SpreadsheetProblem(_too_large())
                    if parser is not None:
                        parser.Parse(chunk, False)
            if parser is not None:
                parser.Parse(b"", True)
        except ARCHIVE_DAMAGED:
            raise SpreadsheetProblem(_damaged()) from None
        except expat.ExpatError:
            raise SpreadsheetProblem(_unreadable()) from None
    source.seek(0)
