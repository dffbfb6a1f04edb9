"""Hostile workbooks: none may exhaust memory, and each gets a message, never a 500.

Each workbook is made here, from a real one whose sheet XML is replaced: a cell at the
last cell Excel allows, with the sheet's declared extent absent, lying or huge; millions
of empty cells; a part that packs a thousand times; a cut-off archive; a bad checksum.
The web process only looks at the zip's table of contents; the worker's read streams
the sheet and stops at the first step beyond the import's limits, before any grid.
"""

import hashlib
import zipfile
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import translation

from hardship.importing.reading import (
    MAX_CELLS,
    SpreadsheetProblem,
    read_spreadsheet,
    upload_problem,
)
from hardship.importing.services import import_batch_confirm, import_batch_match_columns
from hardship.models import ImportBatch
from tests.hardship.test_importing import household, read, spreadsheet, work, xlsx

Status = ImportBatch.Status
SHEET = "xl/worksheets/sheet1.xml"
OPENING = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>\xe5\xa7\x93\xe5\x90\x8d</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7</t></is></c></row>'
)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def english(client):
    client.cookies["warmth_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def sheet_xml(rows: bytes, *, dimension: str | None = None) -> bytes:
    declared = f'<dimension ref="{dimension}"/>'.encode() if dimension else b""
    return OPENING + declared + b"<sheetData>" + rows + b"</sheetData></worksheet>"


def with_sheet(xml: bytes, *, stored: bool = False) -> bytes:
    """A real workbook (openpyxl's) whose first sheet's XML is ``xml``."""
    source = zipfile.ZipFile(BytesIO(spreadsheet([household(1)])))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            content = xml if part.filename == SHEET else source.read(part)
            method = zipfile.ZIP_STORED if stored and part.filename == SHEET else None
            target.writestr(part.filename, content, compress_type=method)
    return out.getvalue()


def with_bad_checksum(content: bytes) -> bytes:
    """``content`` (its sheet stored unpacked) with one byte of the sheet changed near its end."""
    archive = zipfile.ZipFile(BytesIO(content))
    part = archive.getinfo(SHEET)
    # The part's data follows its local header: 30 bytes, its name and its extra field.
    header = content[part.header_offset : part.header_offset + 30]
    name_length = int.from_bytes(header[26:28], "little")
    extra_length = int.from_bytes(header[28:30], "little")
    data_start = part.header_offset + 30 + name_length + extra_length
    position = data_start + part.file_size - 40  # inside a padding comment, still XML
    damaged = bytearray(content)
    damaged[position] = ord("Z") if damaged[position] != ord("Z") else ord("Y")
    return bytes(damaged)


def uploaded_through_the_page(client, user, content: bytes):
    client.force_login(user)
    return client.post(
        reverse("hardship:import_start"), {"upload": xlsx(content), "unit": user.unit.pk}
    )


def refusal(response) -> str:
    [error] = response.context["form"].errors["upload"]
    return error


def a_cell_at_the_last_excel_cell(*, dimension: str | None) -> bytes:
    return with_sheet(
        sheet_xml(HEADER_ROW + b'<row><c r="XFD1048576"/></row>', dimension=dimension)
    )


@pytest.mark.parametrize("dimension", [None, "A1:B2"], ids=["no extent", "a lying extent"])
def test_a_cell_at_the_last_excel_cell_is_refused_by_the_worker_before_any_grid(
    english, caseworker, dimension
):
    response = uploaded_through_the_page(
        english, caseworker, a_cell_at_the_last_excel_cell(dimension=dimension)
    )

    assert response.status_code == 302  # the table of contents says nothing wrong
    batch = ImportBatch.objects.get()
    assert work(batch) == Status.FAILED
    assert "reaches cell XFD1048576" in batch.error
    assert batch.headers == []


def test_a_huge_declared_extent_is_refused_at_upload_without_unpacking(english, caseworker):
    content = with_sheet(sheet_xml(HEADER_ROW, dimension="A1:XFD1048576"))

    response = uploaded_through_the_page(english, caseworker, content)

    assert response.status_code == 200
    assert "reaches cell XFD1048576" in refusal(response)
    assert "10000 rows and 500 columns" in refusal(response)
    assert ImportBatch.objects.count() == 0


def test_a_row_beyond_the_limit_without_any_position_is_still_counted():
    rows = HEADER_ROW + b"<row><c/></row>" * 10_200
    with pytest.raises(SpreadsheetProblem, match="reaches cell A10101"):
        read_spreadsheet(BytesIO(with_sheet(sheet_xml(rows))))


def test_millions_of_empty_cells_within_the_row_and_column_limits_are_refused_by_their_count():
    # 120 empty cells in each of 10,000 rows: no position beyond the limits, no extent
    # declared, a part small enough to pass the upload, and 1.2 million cells in a grid.
    row = b"<row>" + b"<c/>" * 120 + b"</row>"
    content = with_sheet(sheet_xml(HEADER_ROW + row * 10_000))
    assert upload_problem(BytesIO(content), name="a.xlsx", size=len(content)) is None

    with pytest.raises(SpreadsheetProblem) as refused:
        read_spreadsheet(BytesIO(content))

    assert f"more than {MAX_CELLS} cells" in refused.value.message


def test_a_part_that_packs_a_thousand_times_is_refused_at_upload(english, caseworker):
    padding = b"<!--" + b" " * (40 * 1024 * 1024) + b"-->"
    content = with_sheet(sheet_xml(HEADER_ROW) + padding)
    assert len(content) < 1024 * 1024

    response = uploaded_through_the_page(english, caseworker, content)

    assert response.status_code == 200
    assert "too large once unpacked" in refusal(response)
    assert ImportBatch.objects.count() == 0


def test_a_truncated_workbook_gets_a_message(english, caseworker):
    whole = spreadsheet([household(1)])

    response = uploaded_through_the_page(english, caseworker, whole[: len(whole) // 2])

    assert response.status_code == 200
    assert "could not be read as an Excel workbook" in refusal(response)


def test_a_workbook_whose_sheet_fails_its_checksum_gets_a_message_from_the_worker(
    english, caseworker
):
    # A comment after the sheet makes the part longer than the few kilobytes the upload
    # looks at: only a whole read can find the damage, and only the worker reads it whole.
    padded = sheet_xml(HEADER_ROW) + b"<!--" + b"x" * 20_000 + b"-->"
    content = with_bad_checksum(with_sheet(padded, stored=True))

    response = uploaded_through_the_page(english, caseworker, content)

    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert work(batch) == Status.FAILED
    assert "does not match its checksum" in batch.error


def test_a_damaged_sheet_within_the_part_the_upload_looks_at_is_refused_at_upload(
    english, caseworker
):
    content = with_bad_checksum(
        with_sheet(
            sheet_xml(HEADER_ROW) + b"<!--xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-->",
            stored=True,
        )
    )

    response = uploaded_through_the_page(english, caseworker, content)

    assert response.status_code == 200
    assert "does not match its checksum" in refusal(response)


def test_a_sheet_declaring_entities_is_refused():
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
        + sheet_xml(HEADER_ROW)[len(b'<?xml version="1.0" encoding="UTF-8"?>') :]
    )
    with pytest.raises(SpreadsheetProblem, match="could not be read"):
        read_spreadsheet(BytesIO(with_sheet(xml)))


def test_a_sheet_within_the_limits_is_read_as_before():
    sheet = read_spreadsheet(BytesIO(spreadsheet([household(n) for n in range(1, 4)])))

    assert [number for number, _row in sheet.rows] == [2, 3, 4]


# ------------------------------------------------- the same bytes are scanned once, others again


def scans_during(monkeypatch, action) -> int:
    """How many times ``action`` streams a workbook through ``bounds_check``."""
    from hardship.importing import reading

    scans = []
    real = reading.bounds_check

    def counted(source):
        scans.append(1)
        return real(source)

    monkeypatch.setattr(reading, "bounds_check", counted)
    action()
    return len(scans)


def test_the_dry_run_and_the_import_of_the_bytes_read_first_skip_the_scan(
    monkeypatch, caseworker, standards
):
    content = spreadsheet([household(1), household(2)])
    first_reads = []
    assert scans_during(monkeypatch, lambda: first_reads.append(read(caseworker, content))) == 1
    [batch] = first_reads
    assert batch.upload_digest == hashlib.sha256(content).hexdigest()

    def dry_run_and_import():
        import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
        assert work(batch) == Status.VALIDATED
        import_batch_confirm(batch=batch, by=caseworker)
        assert work(batch) == Status.DONE

    assert scans_during(monkeypatch, dry_run_and_import) == 0
    assert batch.imported_count == 2


def test_a_stored_spreadsheet_whose_bytes_changed_is_scanned_again_and_refused(
    caseworker, standards
):
    batch = read(caseworker, spreadsheet([household(1)]))
    # Whatever replaced the stored file after its first read (a restore, a hand), it is
    # not the workbook that passed the scan: the dry run scans it before calamine reads it.
    with batch.upload.storage.open(batch.upload.name, "wb") as stored:
        stored.write(a_cell_at_the_last_excel_cell(dimension="A1:B2"))
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")

    assert work(batch) == Status.FAILED
    assert "reaches cell XFD1048576" in batch.error
