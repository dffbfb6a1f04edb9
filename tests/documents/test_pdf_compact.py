"""Lighter PDFs that look the same (documents/pdf_compact.py), and a list rendered in parts
that weighs what the same list rendered whole weighs.

Looks are checked as poppler draws them (pdftoppm): the same pixels, not just the same words.
"""

import io
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.utils.translation import gettext

from documents.pdf import render_pdf
from documents.pdf_compact import draw_grid, drawn_over, grid_runs, written
from people.models import UnionUnit
from tests.documents.test_pdf import (
    embedded_font_files,
    list_context,
    list_row,
    pdf_pages,
    pdf_text,
    pdf_words,
)
from visits.documents import Selection, visit_list_pdf_render
from visits.models import Campaign

VISIT_LIST = "pdf/visit_list.html"
FAMILY_NAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN_NAMES = "建国秀英志明丽华海燕卫东桂兰德明玉梅国强淑珍红霞春生"


def picture(pdf: bytes, *, page: int = 1) -> bytes:
    """Page ``page`` as poppler draws it (PNG bytes)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "page"
        pages = ["-f", str(page), "-l", str(page), "-singlefile"]
        subprocess.run(
            ["pdftoppm", "-png", "-r", "50", *pages, "-", str(root)], input=pdf, check=True
        )
        drawn = root.with_suffix(".png").read_bytes()
    assert drawn.startswith(b"\x89PNG")
    return drawn


def font_types(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    # name, type (words), encoding, emb, sub, uni, object, generation
    return sorted({" ".join(line.split()[1:-6]) for line in out.stdout.decode().splitlines()[2:]})


def page_content(pdf: bytes, page: int = 0) -> bytes:
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf)).pages[page].get_contents().get_data()


# ---------------------------------------------------------------- table grids


def test_lines_of_one_row_or_column_that_overlap_or_touch_become_one_run():
    lines = [
        (0, 10, 5, 10),
        (4.5, 10, 9, 10),  # overlaps the first
        (9, 10, 12, 10),  # touches it
        (20, 10, 25, 10),  # a gap: a run of its own
        (0, 20, 5, 20),  # another row
        (3, 0, 3, 10),
        (3, 9.5, 3, 20),  # a column, overlapping
    ]

    assert sorted(grid_runs(lines)) == sorted(
        [(0, 10, 12, 10), (20, 10, 25, 10), (0, 20, 5, 20), (3, 0, 3, 20)]
    )


class Recorder:
    """A stand-in for a page's stream: what was drawn, in order."""

    def __init__(self):
        self.drawn = []

    @contextmanager
    def artifact(self):
        yield

    @contextmanager
    def stacked(self):
        self.drawn.append("q")
        yield
        self.drawn.append("Q")

    def set_color(self, color, stroke=False):
        self.drawn.append(("color", tuple(color)))

    def set_line_width(self, width):
        self.drawn.append(("width", width))

    def move_to(self, x, y):
        self.drawn.append(("m", x, y))

    def line_to(self, x, y):
        self.drawn.append(("l", x, y))

    def stroke(self):
        self.drawn.append("S")


def test_a_grid_of_borders_that_do_not_all_look_alike_is_drawn_line_by_line_in_order():
    from tinycss2.color4 import parse_color

    black, grey = parse_color("#000"), parse_color("#888")
    lines = [
        ((0, 0, 10, 0, 1, "solid", black), {}),
        ((0, 0, 0, 10, 2, "solid", grey), {}),
        ((10, 0, 10, 10, 1, "solid", black), {}),
    ]
    stream, drawn_lines = Recorder(), []

    draw_grid(stream, lines, draw_line=lambda stream, *line: drawn_lines.append(line))

    assert drawn_lines == [line for line, _options in lines]
    assert stream.drawn == ["q", "Q"] * 3


def test_a_grid_of_borders_alike_is_one_path_of_runs():
    from tinycss2.color4 import parse_color

    black = parse_color("#000")
    lines = [
        ((0, 0, 10, 0, 1, "solid", black), {}),
        ((9, 0, 20, 0, 1, "solid", black), {}),
        ((0, 0, 0, 10, 1, "solid", black), {}),
    ]
    stream = Recorder()

    draw_grid(stream, lines, draw_line=None)

    assert stream.drawn == [
        "q",
        ("color", tuple(black)),
        ("width", 1),
        ("m", 0, 0),
        ("l", 20, 0),
        ("m", 0, 0),
        ("l", 0, 10),
        "S",
        "Q",
    ]


def test_a_long_tables_grid_takes_a_line_per_row_and_column_not_two_per_cell():
    rows = [list_row(n, f"职工{n}") for n in range(1, 16)]

    pdf = render_pdf(VISIT_LIST, list_context(rows))

    strokes = page_content(pdf).count(b" l\n")
    # A line under each of the 17 rows (header, community, 15 households) and one over the
    # table; 15 down the header and 15 down the households (the community's row spans the
    # table, cutting them): some 48. Each side of each of 17 × 14 cells was a line of its
    # own before (some 480).
    assert strokes <= 2 * (17 + 1 + 15)
    assert "职工15" in pdf_words(pdf)


# ---------------------------------------------------------------- fonts


def test_fonts_cut_to_the_glyphs_drawn_draw_the_very_same_page_in_a_fraction_of_the_bytes():
    rows = [list_row(n, f"{FAMILY_NAMES[n]}{GIVEN_NAMES[n]}") for n in range(1, 12)]
    context = list_context(rows, numbered=True)

    whole_fonts = render_pdf(VISIT_LIST, context)
    cut = render_pdf(VISIT_LIST, context, compact_fonts=True)

    assert picture(cut) == picture(whole_fonts)
    assert pdf_text(cut) == pdf_text(whole_fonts)
    assert font_types(whole_fonts) == ["CID Type 0C (OT)"]
    assert font_types(cut) == ["CID Type 0C"]  # bare CFF, glyphs found by CID
    assert len(cut) * 3 < len(whole_fonts)


# ---------------------------------------------------------------- page numbers laid over

# How WeasyPrint begins and ends a page: a flip, a scale, and groups of their own inside.
PAGE_BEGINS = [b"1 0 0 -1 0 595.275591 cm", b"q", b"0.75 0 0 0.75 0 0 cm", b"q", b"q"]
PAGE_ENDS = [b"Q", b"Q", b"Q"]


def a_page(*groups: list[bytes]) -> bytes:
    return b"\n".join(PAGE_BEGINS + [line for group in groups for line in group] + PAGE_ENDS)


CELL = [b"q", b"q", b"0 0 10 10 re", b"f", b"Q", b"Q"]
NUMBER = [b"q", b"q", b"BT", b"/F1 10 Tf", b"[<0013>] TJ", b"ET", b"Q", b"Q"]


def test_a_number_laid_over_a_page_that_begins_alike_is_drawn_as_its_last_group():
    # As a page rendered whole draws it: the same bytes, and no group around the page.
    assert drawn_over(a_page(CELL, CELL), a_page(NUMBER)) == a_page(CELL, CELL, NUMBER)


def test_a_number_laid_over_a_page_that_changes_its_state_in_its_outer_group_is_drawn_after_it():
    changed = a_page(CELL, [b"2 0 0 2 0 0 cm"], CELL)

    # The number goes one group out, where the page's own change is undone.
    assert drawn_over(changed, a_page(NUMBER)) == b"\n".join(
        [*PAGE_BEGINS, *CELL, b"2 0 0 2 0 0 cm", *CELL, b"Q", b"q", *NUMBER, *PAGE_ENDS]
    )


def test_a_page_that_changes_its_state_outside_any_group_has_the_number_drawn_after_it_undone():
    changed = b"\n".join([*PAGE_BEGINS[:2], b"2 0 0 2 0 0 cm", *PAGE_BEGINS[2:], *CELL, *PAGE_ENDS])

    assert drawn_over(changed, a_page(NUMBER)) == b"q\n" + changed + b"\nQ\n" + a_page(NUMBER)


def test_a_page_that_begins_otherwise_has_the_number_drawn_after_it_undone():
    page = b"\n".join([b"1 0 0 -1 0 842 cm", *PAGE_BEGINS[1:], *CELL, *PAGE_ENDS])

    assert drawn_over(page, a_page(NUMBER)) == b"q\n" + page + b"\nQ\n" + a_page(NUMBER)


def test_pages_that_share_their_content_are_written_with_it_once():
    # Identical pages of a join (blank ones) are merged down to one content stream.
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DecodedStreamObject, NameObject

    writer = PdfWriter()
    content = DecodedStreamObject()
    content.set_data(b"0 0 10 10 re\nf")
    shared = writer._add_object(content)
    for _page in range(2):
        writer.add_blank_page(width=100, height=100)[NameObject("/Contents")] = shared

    pdf = written(writer)

    pages = PdfReader(io.BytesIO(pdf), strict=True).pages
    assert [page.get_contents().get_data() for page in pages] == [b"0 0 10 10 re\nf"] * 2
    assert pdf.count(b"0 0 10 10 re") == 1


# ---------------------------------------------------------------- a list in parts


STREETS = ("大智街道", "一元街道", "车站街道")
COMMUNITIES = ("第一社区", "第二社区", "第三社区")


def three_streets(rows_per_community: int) -> Selection:
    """A county's list held in memory: three streets of three communities each."""
    rows, pk = [], 0
    for s, street in enumerate(STREETS):
        for c, community in enumerate(COMMUNITIES):
            for n in range(rows_per_community):
                pk += 1
                rows.append(
                    {
                        "name": f"{FAMILY_NAMES[pk % 30]}{GIVEN_NAMES[pk % 24]}{pk}",
                        "masked_id_number": f"4201{pk:02d}********{pk:04d}",
                        "address": f"武汉市江岸区{street}{community}{n + 1}号",
                        "phone": f"139{pk:08d}",
                        "category": "relative",
                        "main_cause": "因病",
                        "last_visited_on": None,
                        "helper_name": "刘洋",
                        "township": f"{street}工会",
                        "community": f"{street[:2]}{community}",
                        "priority": n + 1,
                        "pk": pk,
                        "visit_list__unit__path": f"/1/{s + 2}/{c + 10}/",
                        "visit_list__unit__level": UnionUnit.Level.GRASSROOTS,
                        "visit_list__unit__name": f"{street[:2]}{community}",
                    }
                )
    return Selection(
        unit=UnionUnit(name="江岸区总工会"),
        campaign=Campaign(name="2026年冬送温暖"),
        helper=None,
        rows=rows,
    )


@pytest.fixture(scope="module")
def long_list():
    """27 households a street, two pages each: parts of a street each, two pages a part.
    Rendered once for the module's tests, which only read the bytes.
    """
    selection = three_streets(rows_per_community=9)
    whole = visit_list_pdf_render(selection, part_rows=len(selection.rows))
    in_parts = visit_list_pdf_render(selection, part_rows=27)
    return selection, whole, in_parts


def test_a_list_rendered_in_parts_weighs_no_more_than_rendered_whole(long_list):
    _selection, whole, in_parts = long_list

    assert pdf_pages(in_parts) == pdf_pages(whole) == 6
    # The same fonts, cut to the same glyphs; the same pages, each number drawn where and
    # as the whole document draws it.
    assert embedded_font_files(in_parts) == embedded_font_files(whole) == 2
    assert len(in_parts) <= len(whole)


def test_a_list_rendered_in_parts_reads_as_the_whole_one_page_by_page(long_list):
    selection, whole, in_parts = long_list
    page_of = gettext("Page %(page)s of %(pages)s")

    for page in range(1, 7):
        words = pdf_words(in_parts, page=page)
        assert " ".join((page_of % {"page": page, "pages": 6}).split()) in words
        assert words == pdf_words(whole, page=page)
    text = pdf_text(in_parts)
    for row in selection.rows:
        assert row["name"] in text
    assert "车站街道工会" in text


def test_a_list_rendered_in_parts_looks_as_the_whole_one_page_by_page(long_list):
    _selection, whole, in_parts = long_list

    for page in range(1, 7):
        assert picture(in_parts, page=page) == picture(whole, page=page)


def test_a_list_rendered_in_parts_keeps_its_title_and_language():
    from pypdf import PdfReader

    selection = three_streets(rows_per_community=2)
    in_parts = PdfReader(io.BytesIO(visit_list_pdf_render(selection, part_rows=6)))

    assert in_parts.metadata.title == selection.title
    assert in_parts.trailer["/Root"]["/Lang"] == "zh-CN"


def test_a_list_cut_within_its_townships_bookmarks_each_township_once_where_it_begins():
    from pypdf import PdfReader

    selection = three_streets(rows_per_community=2)
    in_parts = PdfReader(io.BytesIO(visit_list_pdf_render(selection, part_rows=4)))

    # Six rows a township, four a part: each township goes on in a part of its own.
    bookmarks = [
        (item.title, in_parts.get_destination_page_number(item)) for item in in_parts.outline
    ]
    assert bookmarks == [("大智街道工会", 0), ("一元街道工会", 2), ("车站街道工会", 4)]


def test_every_page_of_a_joined_list_refers_to_its_content_as_an_object_of_its_own(long_list):
    # A stream written inside the page's dictionary (as the page numbers once were) is no
    # PDF at all: strict readers refuse the file.
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    _selection, _whole, in_parts = long_list
    reader = PdfReader(io.BytesIO(in_parts), strict=True)

    assert [isinstance(page.raw_get("/Contents"), IndirectObject) for page in reader.pages] == [
        True
    ] * 6
