"""Lighter PDFs that look the same: table grids drawn as long lines, fonts cut to the glyphs drawn.

WeasyPrint (70) writes two things much heavier than they need be; on the visit list of
5,000 households they were nine tenths of its 2.6 MB, against 0.76 MB for the same rows
in a plain table (bench/pdf.py):

- **Table grids.** In a collapsed grid every side of every cell is a stroked line of its
  own, in a graphics state of its own: about 90 bytes a side, two sides a cell, three
  quarters of a page's content. ``merge_collapsed_table_grids`` draws a grid whose lines
  all look alike (solid, one width, one opaque colour) as one path of long lines, each
  row's and each column's run once: the same area painted with the same colour, a
  twentieth of the bytes. Any other grid (dashed, mixed colours or widths, translucent) is
  drawn line by line as before, in the same order.
- **Font subsets.** WeasyPrint keeps every glyph's number in a subset ("retain GIDs": the
  page text names glyphs by their number in the full font), so a subset of Noto Sans CJK
  of 400 glyphs still carries tables sized for its 65,000: 200 kB where 55 kB do.
  ``compact_fonts`` (a finisher for ``write_pdf``) keeps only the glyphs drawn, as a bare
  CID-keyed CFF font (``FontFile3`` of subtype ``CIDFontType0C``, the way Acrobat embeds
  CJK fonts). In such a font a glyph is found by its CID through the font's charset, not
  by its position, so the numbers in the page text stay valid. Only fonts whose glyph
  numbers are their CIDs (Noto Sans CJK's are) are changed; any other is left whole.

Checked by rendering pages before and after with poppler, pdfium and MuPDF (the engines of
desktop Linux, Chrome and Android, and many phone readers): the same glyphs in the same
places; tests/documents/test_pdf_compact.py keeps the text and the sizes honest.
"""

import io
import re
import sys
import threading
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

# This module is imported by the renderer (documents/pdf.py) only once it renders, as
# WeasyPrint is; pypdf comes with it.
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

_install_lock = threading.Lock()
_installed = False


# ---------------------------------------------------------------- table grids


class _GridRecorder:
    """Stands in for the page's stream while WeasyPrint works out a grid's lines: it keeps
    the lines instead of drawing them."""

    def __init__(self) -> None:
        self.lines: list[tuple] = []

    @contextmanager
    def artifact(self) -> Iterator[None]:
        yield

    @contextmanager
    def stacked(self) -> Iterator[None]:
        yield


def merge_collapsed_table_grids() -> None:
    """Have WeasyPrint draw each collapsed table grid whose lines look alike as one path
    (see the module's docstring). Once per process; safe to call again.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        from weasyprint import draw

        grid_lines = draw.draw_collapsed_borders
        draw_line = draw.draw_line

        def recording_draw_line(stream, *line, **options):
            if isinstance(stream, _GridRecorder):
                stream.lines.append((line, options))
                return None
            return draw_line(stream, *line, **options)

        def draw_collapsed_borders(stream, table):
            recorder = _GridRecorder()
            # WeasyPrint works out every line, their widths and their order as it always
            # does; only the drawing differs.
            grid_lines(recorder, table)
            draw_grid(stream, recorder.lines, draw_line=draw_line)

        # draw_collapsed_borders looks draw_line up in its module when it runs.
        draw.draw_line = recording_draw_line
        draw.draw_collapsed_borders = draw_collapsed_borders
        _installed = True


def draw_grid(stream, lines: list[tuple], *, draw_line) -> None:
    """Draw the recorded ``lines`` ((x1, y1, x2, y2, width, style, color), options) of one
    grid: as one path of merged runs when they all look alike, else one by one, in order.
    """
    if not lines:
        return
    looks = {_look(line) for line, options in lines}
    (width, style, color) = lines[0][0][4:7]
    if len(looks) != 1 or style != "solid" or color.alpha != 1 or any(o for _l, o in lines):
        for line, options in lines:
            with stream.artifact(), stream.stacked():
                draw_line(stream, *line, **options)
        return
    with stream.artifact(), stream.stacked():
        stream.set_color(color, stroke=True)
        stream.set_line_width(width)
        for x1, y1, x2, y2 in grid_runs(line[:4] for line, _options in lines):
            stream.move_to(x1, y1)
            stream.line_to(x2, y2)
        stream.stroke()


def _look(line: tuple) -> tuple:
    width, style, color = line[4:7]
    if isinstance(color, tuple) and not hasattr(color, "space"):  # ridge, groove: two colours
        return (width, style, tuple(tuple(c) for c in color))
    return (width, style, getattr(color, "space", None), tuple(color))


def grid_runs(lines: Iterable[tuple[float, float, float, float]]) -> list[tuple]:
    """The runs covering ``lines`` (horizontal or vertical, x1, y1, x2, y2): overlapping or
    touching lines on the same row or column become one. Stroked alike with butt ends
    (PDF's default), the runs cover exactly what the lines covered.
    """
    rows: dict[float, list[tuple[float, float]]] = defaultdict(list)
    columns: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for x1, y1, x2, y2 in lines:
        if y1 == y2:
            rows[y1].append((min(x1, x2), max(x1, x2)))
        else:
            columns[x1].append((min(y1, y2), max(y1, y2)))
    runs = [(start, y, end, y) for y, spans in rows.items() for start, end in _union(spans)]
    runs += [(x, start, x, end) for x, spans in columns.items() for start, end in _union(spans)]
    return runs


def _union(spans: list[tuple[float, float]]) -> Iterator[tuple[float, float]]:
    spans.sort()
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if next_start <= end:
            end = max(end, next_end)
        else:
            yield start, end
            start, end = next_start, next_end
    yield start, end


# ---------------------------------------------------------------- fonts


def compact_fonts(_document, pdf) -> None:
    """A ``write_pdf`` finisher: cut each embedded CID-keyed CFF font (WeasyPrint's subset,
    every glyph number kept) down to the glyphs its fonts draw (see the module's docstring).
    """
    objects = pdf.objects

    def target(reference):
        return objects[int(bytes(reference).split()[0])]

    glyphs: dict[int, set[int]] = defaultdict(set)
    cid_fonts: dict[int, list] = defaultdict(list)
    for obj in objects:
        if not (isinstance(obj, dict) and obj.get("Subtype") == "/CIDFontType0"):
            continue
        font_file = target(obj["FontDescriptor"]).get("FontFile3")
        if font_file is None:
            continue
        number = int(bytes(font_file).split()[0])
        # A font file may serve several fonts (sizes, styles): it keeps what any of them draws.
        glyphs[number].update(width_keys(obj.get("W", [])))
        cid_fonts[number].append(obj)
    for number, glyph_ids in glyphs.items():
        stream = objects[number]
        if stream.extra.get("Subtype") != "/OpenType":
            continue
        compact = cff_compacted(b"".join(stream.stream), glyph_ids)
        if compact is None:
            continue
        stream.stream = [compact]
        stream.extra["Subtype"] = "/CIDFontType0C"
        for font in cid_fonts[number]:
            # Meaningless for a CFF CIDFont (glyphs are found by CID), and no longer true.
            font.pop("CIDToGIDMap", None)


def width_keys(widths) -> set[int]:
    """The glyph numbers a CIDFont's ``W`` array gives widths for: the glyphs its text draws."""
    keys: set[int] = set()
    items = list(widths)
    index = 0
    while index < len(items):
        first, following = int(items[index]), items[index + 1]
        if isinstance(following, (list, tuple)):  # c [w1 w2 …]
            keys.update(range(first, first + len(following)))
            index += 2
        else:  # c_first c_last w
            keys.update(range(first, int(following) + 1))
            index += 3
    return keys


def cff_compacted(program: bytes, glyph_ids: set[int]) -> bytes | None:
    """A bare CID-keyed CFF font of only ``glyph_ids`` out of ``program`` (an OpenType CFF
    font whose glyph numbers are its CIDs), each glyph kept under its CID; None when
    ``program`` is not such a font, which is then best left as it is.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont, TTLibError

    if not program.startswith(b"OTTO"):
        return None
    try:
        font = TTFont(io.BytesIO(program), lazy=True, recalcBBoxes=False)
        if "CFF " not in font or not hasattr(font["CFF "].cff.topDictIndex[0], "ROS"):
            return None  # not CID-keyed: its glyphs are found by position
        order = font.getGlyphOrder()
        wanted = {glyph for glyph in glyph_ids if glyph}
        if any(glyph >= len(order) or order[glyph] != f"cid{glyph:05d}" for glyph in wanted):
            return None  # a glyph's number is not its CID
        # Only the CFF table is embedded: the others would only slow the subsetter down.
        for tag in list(font.keys()):
            if tag not in ("GlyphOrder", "head", "maxp", "CFF "):
                del font[tag]
        options = subset.Options(
            retain_gids=False,
            hinting=True,
            desubroutinize=False,  # WeasyPrint's subset has no subroutines left
            notdef_outline=True,
            ignore_missing_glyphs=True,
            passthrough_tables=False,
            drop_tables=[],
        )
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=wanted)
        subsetter.subset(font)
        output = io.BytesIO()
        font["CFF "].cff.compile(output, font)
    except (TTLibError, KeyError, ValueError, AssertionError):
        return None
    return output.getvalue()


def compact_joined_fonts(writer) -> None:
    """``compact_fonts`` for a document put together with pypdf (``writer``, a PdfWriter):
    the joined parts of a long document, whose identical font files are stored once.

    Each part's widths name every glyph of the document (its primer page drew them all,
    see ``documents.pdf.glyph_primer``), some of which no page left draws (a street's
    name printed in bold only, a digit beside a Latin letter): the glyphs kept are those
    the pages' text shows, read from the pages, whenever the pages can be read so.
    """

    widths: dict[int, set[int]] = defaultdict(set)
    cid_fonts: dict[int, list] = defaultdict(list)
    for obj in writer._objects:
        if not (isinstance(obj, DictionaryObject) and obj.get("/Subtype") == "/CIDFontType0"):
            continue
        descriptor = obj["/FontDescriptor"].get_object()
        if "/FontFile3" not in descriptor:
            continue
        number = descriptor.raw_get("/FontFile3").idnum
        widths[number].update(width_keys(obj.get("/W", [])))
        cid_fonts[number].append(obj)
    shown = glyphs_shown(writer)
    for number, glyph_ids in widths.items():
        stream = writer.get_object(number)
        if stream.get("/Subtype") != "/OpenType":
            continue
        exact = shown is not None and shown.get(number, set()) <= glyph_ids
        if exact:
            glyph_ids = shown.get(number, set())
        compact = cff_compacted(stream.get_data(), glyph_ids)
        if compact is None:
            continue
        stream.set_data(compact)
        stream[NameObject("/Subtype")] = NameObject("/CIDFontType0C")
        for font in cid_fonts[number]:
            font.pop("/CIDToGIDMap", None)
            if exact:  # the primer's other glyphs are gone: so are their widths and meanings
                font[NameObject("/W")] = _widths_of(font.get("/W", []), glyph_ids)
                _keep_unicode_of(writer, font, glyph_ids)


def _widths_of(widths, glyph_ids: set[int]):
    """A CIDFont's ``W`` array with only ``glyph_ids``, written as WeasyPrint writes one."""

    kept: dict[int, object] = {}
    items = list(widths)
    index = 0
    while index < len(items):
        first, following = int(items[index]), items[index + 1]
        if isinstance(following, (list, tuple)):
            kept.update(zip(range(first, first + len(following)), following, strict=True))
            index += 2
        else:
            kept.update(dict.fromkeys(range(first, int(following) + 1), items[index + 2]))
            index += 3
    written = ArrayObject()
    for glyph in sorted(set(kept) & glyph_ids):
        if glyph - 1 not in glyph_ids or glyph - 1 not in kept:
            written.append(NumberObject(glyph))
            written.append(ArrayObject())
        written[-1].append(kept[glyph])
    return written


_UNICODE_ENTRY = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")


def _keep_unicode_of(writer, font, glyph_ids: set[int]) -> None:
    """Cut the text a Type0 font's glyphs stand for (its ToUnicode CMap, as WeasyPrint writes
    it: single glyphs only) down to ``glyph_ids``."""

    for parent in writer._objects:
        if not (isinstance(parent, DictionaryObject) and parent.get("/Subtype") == "/Type0"):
            continue
        if parent["/DescendantFonts"][0].get_object() is not font or "/ToUnicode" not in parent:
            continue
        cmap = parent["/ToUnicode"].get_object()
        data = cmap.get_data()
        first, last = data.find(b"beginbfchar"), data.rfind(b"endbfchar")
        if first < 0 or b"bfrange" in data:
            continue
        head = data[: data.rfind(b"\n", 0, first) + 1]
        # In the order of their glyphs, not of first use as WeasyPrint writes them: numbers
        # that climb compress better (a twentieth less).
        entries = sorted(
            (glyph, entry.group(0))
            for entry in _UNICODE_ENTRY.finditer(data, first, last)
            if (glyph := int(entry.group(1), 16)) in glyph_ids
        )
        entries = [entry for _glyph, entry in entries]
        batches = [entries[i : i + 100] for i in range(0, len(entries), 100)]
        body = b"".join(
            b"%d beginbfchar\n" % len(batch) + b"\n".join(batch) + b"\nendbfchar\n"
            for batch in batches
        )
        replacement = writer._add_object(_stream_like(cmap, head + body + data[last + 10 :]))
        parent[NameObject("/ToUnicode")] = replacement


def _stream_like(model, data: bytes):

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream.flate_encode(level=9) if "/Filter" in model else stream


# A font chosen (/F1 9 Tf) or glyphs shown ([<0012002a>-20<0031>] TJ): all that text in a
# page WeasyPrint draws is made of (weasyprint/draw/text.py; pydyf's show_text).
_TEXT_OPERATION = re.compile(rb"/([^\s/\[\]<>(){}%]+)\s+[-+.\d]+\s+Tf|\[([^\]]*)\]\s*TJ")
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_OTHER_TEXT = re.compile(rb"\bTj\b|\bTJ\b|\sTf\b|\s[\'\"]\s")


def glyphs_shown(writer) -> dict[int, set[int]] | None:
    """The glyph numbers the pages of ``writer`` show, by font file (object number); None
    when a page draws text in a way this reading does not follow (forms, patterns,
    annotations, literal strings), and the fonts' widths must be trusted instead.
    """

    shown: dict[int, set[int]] = defaultdict(set)
    for page in writer.pages:
        if "/Annots" in page:
            return None
        resources = page["/Resources"].get_object()
        if any(resources.get(NameObject(kind)) for kind in ("/XObject", "/Pattern", "/Shading")):
            return None
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else {}
        content = page.get_contents().get_data() if page.get_contents() is not None else b""
        operations = list(_TEXT_OPERATION.finditer(content))
        if len(_OTHER_TEXT.findall(content)) != len(operations):
            return None  # text shown some other way (Tj, ', ")
        font_file = None
        for operation in operations:
            name, glyphs = operation.groups()
            if name is not None:
                font_file = _font_file_of(fonts.get("/" + name.decode("latin-1")))
                continue
            if b"(" in glyphs or font_file is None:
                return None
            digits = b"".join(b"".join(_HEX_STRING.findall(glyphs)).split())
            if len(digits) % 4:
                return None  # not two-byte glyph numbers (Identity-H)
            numbers = array("H", bytes.fromhex(digits.decode("ascii")))
            if sys.byteorder == "little":
                numbers.byteswap()  # written big-endian
            shown[font_file].update(numbers)
    return shown


def _font_file_of(font) -> int | None:
    """The object number of the CFF font file a Type0 font's glyphs come from, or None."""
    if font is None:
        return None
    font = font.get_object()
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    descendant = font["/DescendantFonts"][0].get_object()
    descriptor = descendant["/FontDescriptor"].get_object()
    if "/FontFile3" not in descriptor:
        return None
    return descriptor.raw_get("/FontFile3").idnum


# ---------------------------------------------------------------- documents put together


def same_content(first, second, _compared: dict | None = None) -> bool:
    """Whether two pypdf objects hold the same content, references followed: the same font
    though each document of a join carries its own copy.
    """
    compared = {} if _compared is None else _compared
    if not isinstance(first, StreamObject) and first == second:
        return True  # the same references, the same values (a stream's == sees its dictionary)
    if isinstance(first, IndirectObject) and isinstance(second, IndirectObject):
        if first.pdf is second.pdf and first.idnum == second.idnum:
            return True
        key = (id(first.pdf), first.idnum, id(second.pdf), second.idnum)
        if key not in compared:
            compared[key] = True  # a cycle compares equal as far as it goes
            compared[key] = same_content(first.get_object(), second.get_object(), compared)
        return compared[key]
    first, second = first.get_object(), second.get_object()
    if type(first) is not type(second):
        return False
    if isinstance(first, StreamObject) and first._data != second._data:
        return False
    if isinstance(first, DictionaryObject):
        return first.keys() == second.keys() and all(
            same_content(first.raw_get(key), second.raw_get(key), compared)
            for key in dict.keys(first)
        )
    if isinstance(first, ArrayObject):
        return len(first) == len(second) and all(
            same_content(a, b, compared) for a, b in zip(first, second, strict=True)
        )
    return first == second


def drawn_over(content: bytes, drawing: bytes) -> bytes:
    """One page's content stream: ``content`` with ``drawing`` (the content of a page of the
    same size, whose resources ``content``'s page holds under the same names) drawn over it.

    WeasyPrint begins every page alike, a flip and a scale, each after a ``q``, and draws
    all else in groups (``q`` … ``Q``) before it closes those ``q``s; a document rendered
    whole draws its page number as the last such group. When both pages begin alike and
    are built so, ``drawing``'s groups go where the whole render draws them, and the page
    is its page rendered whole, byte for byte. Otherwise ``content``, which may leave its
    transformation changed, is drawn within ``q`` … ``Q`` and ``drawing`` after it: some 60
    bytes a page more, 7 compressed: 2 kB on a list of 5,000 households.
    """
    lines = content.rstrip().split(b"\n")
    over = drawing.rstrip().split(b"\n")
    # After each q of the beginning both share (q, and cm to move or scale, nothing drawn).
    opened = []
    for shared, (line, other) in enumerate(zip(lines, over, strict=False), start=1):
        if line != other or not (line == b"q" or line.endswith(b" cm")):
            break
        if line == b"q":
            opened.append(shared)
    # The last shared q may open a group of the page's own (both pages begin with their
    # first group): try the deepest beginning first, then shallower ones.
    for depth in range(len(opened), 0, -1):
        begun = opened[depth - 1]
        closing = [b"Q"] * depth
        if (
            lines[-depth:] == closing
            and over[-depth:] == closing
            and _groups_only(lines[begun:-depth], strict=True)
            and _groups_only(over[begun:-depth], strict=False)
        ):
            return b"\n".join(lines[:-depth]) + b"\n" + b"\n".join(over[begun:])
    return b"q\n" + content + b"\nQ\n" + drawing


def _groups_only(lines: list[bytes], *, strict: bool) -> bool:
    """Whether ``lines`` (one operator a line, as pydyf writes them) close no group they did
    not open and leave none open; ``strict``: and change nothing outside their groups, so
    that whatever follows them finds the graphics state they found.
    """
    depth = 0
    for line in lines:
        if line == b"q":
            depth += 1
        elif line == b"Q":
            depth -= 1
            if depth < 0:
                return False
        elif strict and depth == 0:
            return False
    return depth == 0


class _Written:
    """One object of a pypdf document, already written out, for pydyf to place."""

    def __init__(self, number: int, data: bytes, *, stream: bool) -> None:
        self.number, self.generation, self.offset, self.free = number, 0, 0, "n"
        self.data, self.stream = data, stream

    @property
    def compressible(self) -> bool:
        return not self.stream

    @property
    def indirect(self) -> bytes:
        return f"{self.number} 0 obj\n".encode() + self.data + b"\nendobj"

    @property
    def reference(self) -> bytes:
        return f"{self.number} 0 R".encode()


def written(writer) -> bytes:
    """The document of ``writer`` (a pypdf PdfWriter) as bytes, written as WeasyPrint (pydyf)
    writes a whole document: the objects numbered anew without the gaps the merged ones
    left, written without pypdf's spaces and line breaks, all but the streams compressed
    together in one object stream. pypdf writes each page's dictionary out in full, some
    220 bytes a page; compressed together they take a tenth of that.
    """
    import pydyf

    writer._resolve_links()  # as pypdf does before it writes
    info = writer._info
    info_number = info.indirect_reference.idnum if info is not None else None
    kept = [
        (number, obj)
        for number, obj in enumerate(writer._objects, start=1)
        if obj is not None and number != info_number
    ]
    kept = _contents_before_pages(writer, kept)
    numbers = {old: new for new, (old, _obj) in enumerate(kept, start=1)}
    pdf = pydyf.PDF()
    placed = [pdf.objects[0]]  # the free head of the cross-reference list
    for new, (_old, obj) in enumerate(kept, start=1):
        stream = isinstance(obj, StreamObject)
        placed.append(_Written(new, _serialised(obj, numbers), stream=stream))
    pdf.objects = placed
    pdf.catalog = placed[numbers[writer.root_object.indirect_reference.idnum]]
    pdf.info = pydyf.Dictionary(
        {key[1:]: pydyf.String(str(value)) for key, value in (info or {}).items()}
    )
    out = io.BytesIO()
    pdf.write(out, version=b"1.7", compress=True)
    return out.getvalue()


def _contents_before_pages(writer, objects: list[tuple[int, object]]) -> list[tuple[int, object]]:
    """``objects`` ((number, object) pairs) with each page's content stream moved to just
    before the page, as WeasyPrint numbers them: the pages' dictionaries, compressed
    together, then differ in the same way from one to the next (their content's number, up
    by two), and weigh a few bytes less each.
    """
    content_of = {}
    for page in writer.pages:
        content = page.raw_get("/Contents")
        if isinstance(content, IndirectObject):
            content_of[page.indirect_reference.idnum] = content.idnum
    kept = dict(objects)
    contents = {content for content in content_of.values() if content in kept}
    pending = set(contents)
    ordered = []
    for number, obj in objects:
        content = content_of.get(number)
        if content in pending:  # pages may share one (identical blank pages): placed once
            pending.discard(content)
            ordered.append((content, kept[content]))
        if number not in contents:
            ordered.append((number, obj))
    # A content stream whose page was not among the objects is kept all the same.
    ordered += [(content, kept[content]) for content in sorted(pending)]
    return ordered


def _serialised(obj, numbers: dict[int, int]) -> bytes:
    """``obj`` in PDF syntax, its references renumbered by ``numbers``."""

    if isinstance(obj, IndirectObject):
        return b"%d 0 R" % numbers[obj.idnum]
    if isinstance(obj, DictionaryObject):
        # As stored: references, not the objects they name (which pypdf's own lookups give,
        # and an outline item's iteration, its children).
        entries = dict(dict.items(obj))
        if isinstance(obj, StreamObject):
            entries[NameObject("/Length")] = NumberObject(len(obj._data))
        body = b"".join(
            _serialised(key, numbers) + b" " + _serialised(value, numbers)
            for key, value in entries.items()
        )
        written = b"<<" + body + b">>"
        if isinstance(obj, StreamObject):
            written += b"\nstream\n" + obj._data + b"\nendstream"
        return written
    if isinstance(obj, ArrayObject):
        return b"[" + b" ".join(_serialised(item, numbers) for item in list.__iter__(obj)) + b"]"
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()
