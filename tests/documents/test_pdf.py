"""PDFs: the one renderer, its fetcher, time limit and memory cap; the file card; joining
parts and numbering them. PDFs are read back as a person's tools would: pdftotext for
the words, pdfinfo for the pages, pdffonts for the fonts.
"""

import io
import logging
import os
import subprocess
import sys
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils.translation import gettext

from documents.models import GeneratedDocument
from documents.pdf import (
    PdfTimeLimitExceeded,
    glyph_primer,
    page_numbers_pdf,
    part_lock_key,
    pdf_join,
    pdf_number_pages,
    pdf_page_count,
    pdf_parts_collect,
    pdf_parts_prepare,
    render_pdf,
    render_pdf_parts,
    static_files_fetcher,
)
from documents.services import document_request, document_run
from documents.tasks import health_check
from hardship.file_card import file_card_pdf_render
from hardship.models import IdNumberView
from hardship.services import MemberInput
from tests.factories import make_id_number, open_file
from tests.workers import ROOT, database_url_for_other_processes, worker_process

Status = GeneratedDocument.Status
VISIT_LIST = "pdf/visit_list.html"
ARTIFACTS = ROOT / "tests" / "artifacts"


# ---------------------------------------------------------------- reading PDFs back


def pdf_text(pdf: bytes, *, page: int | None = None, raw: bool = False) -> str:
    """The text; ``raw`` keeps each table cell's lines together (drawing order)."""
    options = ["-f", str(page), "-l", str(page)] if page else []
    options += ["-raw"] if raw else []
    return subprocess.run(
        ["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pdf_words(pdf: bytes, *, page: int | None = None) -> str:
    """The text with its whitespace collapsed, for phrases that may wrap."""
    return " ".join(pdf_text(pdf, page=page).split())


def squeezed(text: str) -> str:
    """Without any whitespace: a long name wraps in its narrow cell."""
    return "".join(text.split())


def pdf_pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
    line = next(line for line in info.stdout.decode().splitlines() if line.startswith("Pages:"))
    return int(line.split()[1])


def pdf_fonts(pdf: bytes) -> list[str]:
    """The embedded font names, without their subset prefixes."""
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    return sorted({line.split()[0].split("+")[-1] for line in out.stdout.decode().splitlines()[2:]})


def embedded_font_files(pdf: bytes) -> int:
    """How many font programs the file embeds (one per subset, however many pages use it)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = set()

    def walk(resources):
        for font in (resources.get("/Font") or {}).values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                if key in descriptor:
                    found.add(descriptor.raw_get(key).idnum)
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"].get_object())

    for page in reader.pages:
        walk(page["/Resources"].get_object())
    return len(found)


def save_picture(pdf: bytes, name: str, *, page: int = 1) -> None:
    """A picture of one page, to look at (tests/artifacts/, kept out of git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    pages = ["-f", str(page), "-l", str(page), "-singlefile"]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", *pages, "-", str(ARTIFACTS / name)],
        input=pdf,
        check=True,
    )


def list_row(number: int, name: str, **overrides) -> dict:
    row = {
        "number": number,
        "name": name,
        "masked_id_number": "420102********1234",
        "address": "武汉市江岸区大智路 18 号",
        "phone": "13912345678",
        "category": "相对困难",
        "main_cause": "因病",
        "last_visited_on": "2025-12-01",
        "helper_name": "刘洋",
    }
    return row | overrides


def list_context(rows: list[dict], **extra) -> dict:
    """A visit-list context as visits/documents.py builds it."""
    return {
        "title": "2026年冬送温暖：走访慰问名单",
        "unit_name": "江岸区总工会",
        "printed_on": "2026-01-05",
        "sections": [
            {
                "township": "大智街道",
                "continued": False,
                "communities": [
                    {"name": "大智路社区", "size": len(rows), "continued": False, "rows": rows}
                ],
            }
        ],
        **extra,
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# ---------------------------------------------------------------- the file card


@pytest.fixture
def household(caseworker, standards):
    members = [
        MemberInput(
            relation="spouse",
            name="王秀英",
            id_number=make_id_number(birth="19820305", sequence=2),
            birth_date=date(1982, 3, 5),
            health="chronic",
            school_stage="none",
            school_name="",
            school_year=None,
            employment="flexible",
            monthly_income=Decimal("1200"),
            medical_insurance="resident",
        ),
    ]
    return open_file(by=caseworker, name="张建国", members=members)


def test_the_file_card_prints_the_household_in_chinese_on_one_page(caseworker, household):
    _file, pdf = file_card_pdf_render(file_id=household.pk, user=caseworker)
    save_picture(pdf, "pdf-file-card")
    text = pdf_words(pdf)

    assert pdf_pages(pdf) == 1
    assert "张建国" in text
    assert "王秀英" in text
    assert "武汉江岸车辆厂" in text
    assert gettext("Applicant's signature") in text
    assert gettext("Approver") in text


def test_the_file_card_embeds_noto_sans_cjk_sc_and_no_japanese_forms(caseworker, household):
    _file, pdf = file_card_pdf_render(file_id=household.pk, user=caseworker)

    fonts = pdf_fonts(pdf)
    assert "Noto-Sans-CJK-SC" in fonts
    assert not [font for font in fonts if "JP" in font]


def test_the_file_card_masks_every_id_number_and_records_no_viewing(caseworker, household):
    _file, pdf = file_card_pdf_render(file_id=household.pk, user=caseworker)
    text = pdf_text(pdf)

    assert household.masked_id_number in text
    assert household.id_number not in text
    assert household.members.get().id_number not in text
    assert IdNumberView.objects.count() == 0


def test_a_large_household_with_endless_notes_fits_on_two_pages(caseworker, standards):
    members = [
        MemberInput(
            relation="grandchild",
            name=f"张小{'一二三四五六七八九十甲乙丙丁'[n]}",
            id_number="",
            birth_date=date(2016, 1, n + 1),
            health="healthy",
            school_stage="primary",
            school_name="武汉市江岸区实验小学",
            school_year=3,
            employment="student",
            monthly_income=Decimal(0),
            medical_insurance="resident",
        )
        for n in range(14)
    ]
    file = open_file(
        by=caseworker, name="张建国", members=members, household_size=15, notes="困" * 10_000
    )

    _file, pdf = file_card_pdf_render(file_id=file.pk, user=caseworker)
    save_picture(pdf, "pdf-file-card-large", page=2)

    assert pdf_pages(pdf) == 2
    assert gettext("The notes continue on the file's page.") in pdf_words(pdf)


def test_the_file_card_job_produces_a_pdf_for_the_branch(caseworker, household, media):
    document = document_request(
        kind="file_card_pdf",
        title="档案表",
        by=caseworker,
        unit=caseworker.unit,
        params={"file_id": household.pk},
    )

    assert document_run(document_id=document.pk) == Status.DONE
    document.refresh_from_db()
    assert document.content_type == "application/pdf"
    assert document.result_name.startswith(household.file_number)
    assert "张建国" in pdf_text(document.result.read())


def test_a_sibling_branch_cannot_print_the_file_card(sibling, household, media):
    document = document_request(
        kind="file_card_pdf",
        title="档案表",
        by=sibling,
        unit=sibling.unit,
        params={"file_id": household.pk},
    )

    assert document_run(document_id=document.pk) == Status.FAILED
    document.refresh_from_db()
    assert not document.result
    assert "张建国" not in document.error


# ---------------------------------------------------------------- hostile text


def test_markup_in_a_name_is_printed_as_text_and_fetches_nothing(caseworker, standards, caplog):
    hostile = '<img src="file:///etc/passwd">'
    file = open_file(by=caseworker, name=hostile)

    with caplog.at_level(logging.DEBUG, logger="documents.pdf"):
        _file, pdf = file_card_pdf_render(file_id=file.pk, user=caseworker)

    fetched = [r.getMessage() for r in caplog.records if r.name == "documents.pdf"]
    assert squeezed(hostile) in squeezed(pdf_text(pdf, raw=True))
    assert "root:" not in pdf_text(pdf)
    assert [m for m in fetched if "refused" in m] == []
    assert all(m.startswith("PDF renderer fetched") and "/static/pdf/" in m for m in fetched)


def test_injected_css_is_inert(caplog):
    injected = '</style><style>@import url("file:///etc/passwd");tr{display:none}</style>'
    rows = [list_row(1, "张建国", address=injected), list_row(2, "</style>李秀英")]

    with caplog.at_level(logging.DEBUG, logger="documents.pdf"):
        pdf = render_pdf(VISIT_LIST, list_context(rows))

    text = squeezed(pdf_text(pdf, raw=True))
    assert "张建国" in text  # rows are not hidden
    assert "</style>李秀英" in text
    assert squeezed(injected) in text
    assert not [r for r in caplog.records if "refused" in r.getMessage()]


def test_the_fetcher_serves_the_apps_static_files_and_refuses_everything_else():
    fetcher = static_files_fetcher()
    refused = [
        "file:///etc/passwd",
        "https://example.org/style.css",
        "http://127.0.0.1:8000/static/pdf/print.css",
        "data:text/css,body{display:none}",
        "data:image/svg+xml,<svg/>",
        "https://warmth.invalid/static/../../../../etc/passwd",
        "https://warmth.invalid/static/pdf/..%2F..%2F..%2Fconfig%2Fsettings.py",
        "https://warmth.invalid/media/documents/secret.pdf",
        "https://warmth.invalid/static/pdf/missing.css",
    ]

    for url in refused:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    served = fetcher.fetch("https://warmth.invalid/static/pdf/print.css")
    assert b"Noto Sans CJK SC" in served.read()
    assert served.content_type == "text/css"


def test_markup_that_reached_weasyprint_could_still_fetch_only_static_files(caplog):
    # Autoescaping keeps markup out of our documents; this proves the second wall.
    import weasyprint

    html = (
        '<html lang="zh-CN"><head><link rel="stylesheet" href="file:///etc/passwd"></head>'
        '<body><img src="file:///etc/passwd"><img src="https://example.org/x.png">'
        "<p>张建国</p></body></html>"
    )
    with caplog.at_level(logging.WARNING, logger="documents.pdf"):
        pdf = weasyprint.HTML(
            string=html, base_url="https://warmth.invalid/", url_fetcher=static_files_fetcher()
        ).write_pdf()

    refusals = [r.getMessage() for r in caplog.records if r.name == "documents.pdf"]
    assert len(refusals) == 3
    assert "张建国" in pdf_text(pdf)
    assert "root:" not in pdf_text(pdf)


def test_a_ten_thousand_character_name_renders_to_a_bounded_document():
    endless = "张" * 10_000
    rows = [list_row(1, endless, address="路" * 10_000, helper_name=endless), list_row(2, "李秀英")]

    pdf = render_pdf(VISIT_LIST, list_context(rows), time_limit=120)

    assert pdf_pages(pdf) == 1
    assert "李秀英" in pdf_text(pdf)


def test_a_render_past_its_time_limit_is_stopped():
    rows = [list_row(n, f"职工{n}") for n in range(1, 400)]

    with pytest.raises(PdfTimeLimitExceeded):
        render_pdf(VISIT_LIST, list_context(rows), time_limit=0.05)


# ---------------------------------------------------------------- memory cap


def run_python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


MEMORY_PROBE = """
import resource, django
django.setup()
from documents.pdf import render_pdf, worker_memory_cap
limit = worker_memory_cap()
print(limit, resource.getrlimit(resource.RLIMIT_AS)[0])
from documents.pdf import page_numbers_pdf
pdf = page_numbers_pdf(pages=2, stylesheet="pdf/visit_list.css")
print(pdf[:5].decode())
try:
    hog = bytearray(3 * 1024 ** 3)
except MemoryError:
    print("MemoryError")
"""


def test_a_capped_worker_process_renders_within_its_cap_and_cannot_grow_past_it():
    result = run_python(MEMORY_PROBE, PDF_WORKER_MEMORY_LIMIT_MB="1536")

    assert result.returncode == 0, result.stderr
    limit, rlimit, header, outcome = result.stdout.split()
    assert int(limit) == int(rlimit) == 1536 * 1024 * 1024
    assert header == "%PDF-"
    assert outcome == "MemoryError"


def test_a_cap_of_zero_leaves_the_worker_process_uncapped():
    result = run_python(MEMORY_PROBE.split("pdf = ")[0], PDF_WORKER_MEMORY_LIMIT_MB="0")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "None"


def test_a_malformed_memory_cap_stops_the_worker_process():
    result = run_python(MEMORY_PROBE, PDF_WORKER_MEMORY_LIMIT_MB="lots")

    assert result.returncode != 0
    assert "PDF_WORKER_MEMORY_LIMIT_MB" in result.stderr


def address_space_limit(pid: int) -> str:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max address space"):
            return line.split()[3]
    return ""


@pytest.mark.worker
def test_a_real_worker_caps_its_memory_before_it_takes_a_task(transactional_db, tmp_path):
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "PDF_WORKER_MEMORY_LIMIT_MB": "2048",
    }
    with worker_process(env=env, log_path=tmp_path / "worker.log") as worker:
        health_check.apply_async(queue=worker.queue).get(timeout=60)
        limit = address_space_limit(worker.process.pid)

    assert limit == str(2048 * 1024 * 1024)


# ---------------------------------------------------------------- parts, joining, numbering


def parts_of(rows_per_part: list[int], *, primed: bool) -> list[bytes]:
    parts, number = [], 1
    names = [f"{'赵钱孙李周吴郑王'[n % 8]}{'建国秀英志明丽华'[n % 7]}{n}" for n in range(100)]
    for count in rows_per_part:
        rows = [list_row(number + k, names[number + k]) for k in range(count)]
        number += count
        primer = {}
        if primed:
            primer = {
                "primer": glyph_primer([*names, *(list_row(0, "").values()), "0123456789"]),
                "primer_bold": glyph_primer(["大智街道", "大智路社区", "户"]),
            }
        parts.append(render_pdf(VISIT_LIST, list_context(rows, **primer)))
    return parts


def test_joined_parts_keep_one_copy_of_the_font_subsets_they_share():
    primed = pdf_join(parts_of([2, 3, 2], primed=True), primed=True)
    unprimed = pdf_join(parts_of([2, 3, 2], primed=False))

    assert pdf_pages(primed) == pdf_pages(unprimed) == 3
    assert embedded_font_files(primed) == 2  # regular and bold, once each
    # Unprimed, each part has its own regular subset (its own names); the bold one,
    # only the same headings, happens to be shared.
    assert embedded_font_files(unprimed) == 4
    assert len(primed) < len(unprimed)


def test_joined_parts_are_numbered_across_the_whole_document():
    joined = pdf_join(parts_of([2, 3, 2], primed=True), primed=True)

    numbers = page_numbers_pdf(pages=pdf_page_count(joined), stylesheet="pdf/visit_list.css")
    numbered = pdf_number_pages(joined, numbers)

    page_of = gettext("Page %(page)s of %(pages)s")
    for page in (1, 2, 3):
        text = pdf_words(numbered, page=page)
        assert " ".join((page_of % {"page": page, "pages": 3}).split()) in text
    assert "孙秀2" in pdf_words(numbered, page=1)
    assert "郑丽6" in pdf_words(numbered, page=3)


def test_page_numbers_for_the_wrong_number_of_pages_are_refused():
    joined = pdf_join(parts_of([1, 1], primed=False))
    numbers = page_numbers_pdf(pages=3, stylesheet="pdf/visit_list.css")

    with pytest.raises(ValueError):
        pdf_number_pages(joined, numbers)


def test_parts_rendered_here_come_back_in_order_and_leave_no_scratch_files(db, media):
    contexts = [list_context([list_row(n, f"职工{n}")]) for n in (1, 2, 3)]
    done = []

    pdfs = render_pdf_parts(
        scratch="test-order",
        parts=[(VISIT_LIST, context) for context in contexts],
        progress=lambda done_parts, total: done.append((done_parts, total)),
    )

    assert ["职工1" in pdf_text(pdf) for pdf in pdfs] == [True, False, False]
    assert ["职工3" in pdf_text(pdf) for pdf in pdfs] == [False, False, True]
    assert done == [(1, 3), (2, 3), (3, 3)]
    assert default_storage.listdir("pdf-parts/test-order") == ([], [])


@pytest.mark.django_db(transaction=True)
def test_a_part_whose_helper_died_is_rendered_by_the_producer(media):
    import psycopg

    from tests.workers import database_url_for_other_processes

    contexts = [list_context([list_row(n, f"职工{n}")]) for n in (1, 2)]
    pdf_parts_prepare(scratch="test-died", parts=[(VISIT_LIST, c) for c in contexts])
    helper = psycopg.connect(database_url_for_other_processes(), autocommit=True)
    helper.execute("SELECT pg_advisory_lock(%s)", [part_lock_key(scratch="test-died", index=1)])
    results = []

    def produce():
        try:
            results.extend(pdf_parts_collect(scratch="test-died", count=2))
        finally:
            connection.close()

    producer = threading.Thread(target=produce)
    producer.start()
    deadline = time.monotonic() + 60
    while not default_storage.exists("pdf-parts/test-died/0.pdf") and time.monotonic() < deadline:
        time.sleep(0.1)
    helper.close()  # the helper's process dies with part 1 unfinished
    producer.join(timeout=60)

    assert ["职工2" in pdf_text(pdf) for pdf in results] == [False, True]
