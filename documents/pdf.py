"""PDFs: one function renders a template to PDF; the rest joins, numbers and parallelises.

``render_pdf`` is the only way a PDF is made. WeasyPrint is imported inside it,
so web processes start without it. It renders templates under ``templates/pdf/``
(which set ``<html lang="zh-CN">``: without it some characters take their
Japanese glyph forms) with fonts found by fontconfig (Noto Sans CJK SC from
Debian's fonts-noto-cjk; no font files in the repository), and it is safe with
whatever text people typed:

- Django's autoescaping turns markup in a name (``<img src="file:///etc/passwd">``,
  ``</style>``) into text; data never goes into CSS.
- The URL fetcher serves only the app's own static files; anything else
  (``file:``, ``http(s):``, ``data:``, a path outside the static folders) is
  refused and logged, and WeasyPrint leaves the resource out.
- A render stops after ``PDF_RENDER_TIME_LIMIT`` seconds (``PdfTimeLimitExceeded``),
  inside the Celery task's own limits; ``worker_memory_cap`` caps the address
  space of a worker process.

Long documents (a county's visit list) are rendered in parts by several worker
processes at once (``render_pdf_parts``) and put together with ``pdf_join`` and
``pdf_number_pages``: the parts are numbered after joining, because no part
knows how many pages the parts before it have.
"""

import hashlib
import io
import json
import logging
import mimetypes
import resource
import signal
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urljoin

from celery import shared_task
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.template.loader import render_to_string

from common.collector import garbage_collection_paused

logger = logging.getLogger(__name__)

# Documents are rendered from strings: relative and root-relative URLs in the
# templates (``{% static %}``) resolve against this made-up origin, and the
# fetcher answers only for its static prefix, from the files on disk. Nothing
# is ever fetched over a network.
BASE_URL = "https://warmth.invalid/"
PDF_CONTENT_TYPE = "application/pdf"


class PdfTimeLimitExceeded(Exception):
    """A render took longer than its time limit and was stopped."""


class _Interrupted(BaseException):
    # A BaseException, so that WeasyPrint's own ``except Exception`` blocks
    # (around images, fonts, stylesheets) cannot swallow the time limit.
    pass


def render_pdf(
    template_name: str,
    context: dict,
    *,
    time_limit: float | None = None,
    compact_fonts: bool = False,
) -> bytes:
    """Render ``template_name`` with ``context`` to PDF bytes.

    Stops with PdfTimeLimitExceeded after ``time_limit`` seconds (default
    ``settings.PDF_RENDER_TIME_LIMIT``, 300) when called in a process's main
    thread, as Celery's prefork workers do. ``compact_fonts`` cuts the embedded
    fonts down to the glyphs drawn (documents/pdf_compact.py): a fraction of a
    second for a file several times lighter.
    """
    import weasyprint

    from documents import pdf_compact

    pdf_compact.merge_collapsed_table_grids()
    if time_limit is None:
        time_limit = settings.PDF_RENDER_TIME_LIMIT
    html = render_to_string(template_name, {"page_number": page_number_parts(), **context})
    try:
        with _time_limit(time_limit), garbage_collection_paused():
            document = weasyprint.HTML(
                string=html, base_url=BASE_URL, url_fetcher=static_files_fetcher()
            )
            return document.write_pdf(finisher=pdf_compact.compact_fonts if compact_fonts else None)
    except _Interrupted:
        raise PdfTimeLimitExceeded(
            f"{template_name} took longer than {time_limit} seconds to render"
        ) from None


def page_number_parts() -> dict[str, str]:
    """The words around the page numbers ("第 ", " 页，共 ", " 页"), for the templates to set as
    strings the page margins show: CSS never holds text, so a translation cannot break it.
    """
    from django.utils.translation import gettext

    text = gettext("Page %(page)s of %(pages)s")
    before, found, rest = text.partition("%(page)s")
    middle, found_pages, after = rest.partition("%(pages)s")
    if not (found and found_pages):
        before, middle, after = "", " / ", ""
    # string-set trims each part; the stylesheet puts one space around each number.
    return {"before": before.strip(), "middle": middle.strip(), "after": after.strip()}


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    # SIGALRM reaches only the main thread; elsewhere (a test's live server
    # thread) the Celery task's limits are the only ones.
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- fetching


def static_files_fetcher():
    """A WeasyPrint URL fetcher that serves the app's static files and refuses anything else."""
    return _fetcher_class()()


@cache
def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_file_for_url(url)
            if path is None:
                logger.warning("PDF renderer refused to fetch %.200r", url)
                raise ValueError("only the app's static files may be fetched")
            logger.debug("PDF renderer fetched %s", path)
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticFilesOnly


def static_file_for_url(url: str) -> Path | None:
    """The static file ``url`` names under BASE_URL, or None for anything else."""
    prefix = urljoin(BASE_URL, settings.STATIC_URL)
    if not url.startswith(prefix):
        return None
    name = unquote(url[len(prefix) :].split("#")[0].split("?")[0])
    if not name or "\x00" in name or "\\" in name or ".." in name.split("/"):
        return None
    try:
        found = finders.find(name)
    except SuspiciousFileOperation:
        return None
    if found:
        return Path(found)
    # With hashed names (STATIC_MANIFEST) the file exists only in STATIC_ROOT.
    root = Path(settings.STATIC_ROOT).resolve()
    candidate = (root / name).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    return None


# ---------------------------------------------------------------- memory


def worker_memory_cap(**_signal_kwargs) -> int | None:
    """Cap this process's address space (RLIMIT_AS) at ``settings.PDF_WORKER_MEMORY_LIMIT_MB``.

    Connected to Celery's ``worker_init`` in config/celery.py: the pool's
    processes are forked from the worker and inherit the limit, so a render
    that runs away fails with MemoryError (or its process dies and the task is
    delivered again) instead of taking the machine. 0 means no cap. Returns
    the limit set, in bytes.
    """
    megabytes = settings.PDF_WORKER_MEMORY_LIMIT_MB
    if megabytes <= 0:
        return None
    limit = megabytes * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


# ---------------------------------------------------------------- joining and numbering


def pdf_join(parts: list[bytes], *, primed: bool = False) -> bytes:
    """One PDF of ``parts``' pages in order, each object the parts share stored once, with the
    first part's title.

    ``primed``: each part begins with a glyph primer page (see ``glyph_primer``),
    which is left out; the parts then embed the same font subsets byte for byte,
    and the joined file holds them once.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    for index, part in enumerate(parts):
        reader = PdfReader(io.BytesIO(part))
        writer.append(reader, pages=(1 if primed else 0, len(reader.pages)))
        if index == 0:
            if reader.metadata:
                # The title a reader shows instead of the file's name.
                writer.add_metadata(reader.metadata)
            if "/Lang" in reader.trailer["/Root"]:
                # The language screen readers speak and search engines index the text in.
                writer.root_object[NameObject("/Lang")] = reader.trailer["/Root"]["/Lang"]
    _outline_defaults_dropped(writer)
    return _written(writer)


def _outline_defaults_dropped(writer) -> None:
    # pypdf gives every bookmark it copies a style (/F 0) and a colour (/C [0.0 0.0 0.0]),
    # the defaults a reader assumes anyway: some 30 bytes a bookmark that a document
    # rendered whole does not have.
    from pypdf.generic import NameObject

    outline = writer.root_object.get("/Outlines")
    items = [outline.get_object().get("/First")] if outline is not None else []
    seen = set()
    while items:
        item = items.pop()
        if item is None or item.idnum in seen:
            continue
        seen.add(item.idnum)
        item = item.get_object()
        if item.get("/F") == 0:
            del item[NameObject("/F")]
        if "/C" in item and all(value == 0 for value in item["/C"]):
            del item[NameObject("/C")]
        items.extend(item.raw_get(key) for key in ("/First", "/Next") if key in item)


def pdf_number_pages(pdf: bytes, numbers: bytes, *, compact_fonts: bool = False) -> bytes:
    """Draw page ``i`` of ``numbers`` (a page with only "第 i 页 共 n 页") over page ``i`` of ``pdf``.

    Both must have as many pages, of the same size. The number is drawn at the end
    of the page's own content, in the same stream, as a document rendered whole
    draws it: straight when the page's resources hold the number's fonts under
    the same names (as when both embed the document's primed subsets), else as a
    form of its own. ``compact_fonts``: cut each font file, stored once, down to
    the glyphs drawn (documents/pdf_compact.py), as ``render_pdf`` does for a
    document rendered whole.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    from documents.pdf_compact import drawn_over, same_content

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    overlays = PdfReader(io.BytesIO(numbers)).pages
    if len(overlays) != len(writer.pages):
        raise ValueError(f"{len(overlays)} page numbers for {len(writer.pages)} pages")

    def stream(data: bytes, **entries):
        obj = DecodedStreamObject()
        obj.set_data(data)
        obj.update({NameObject(k): v for k, v in entries.items()})
        # As WeasyPrint compresses its own streams.
        return writer._add_object(obj.flate_encode(level=9))

    compared: dict = {}  # pages share resources, and so do the numbers: compare each pair once

    def same(first, second) -> bool:
        return same_content(first, second, compared)

    for number, (page, overlay) in enumerate(zip(writer.pages, overlays, strict=True), start=1):
        number_resources = overlay["/Resources"]
        resources = page["/Resources"].get_object()
        drawing = overlay.get_contents().get_data()
        if not _resources_cover(resources, number_resources, same=same):
            # A name of its own on every page: pages may share one resources dictionary.
            name = NameObject(f"/WarmthPageNumber{number}")
            form = stream(
                drawing,
                **{
                    "/Type": NameObject("/XObject"),
                    "/Subtype": NameObject("/Form"),
                    "/BBox": ArrayObject(overlay.mediabox),
                    "/Resources": number_resources.clone(writer),
                },
            )
            xobjects = resources.get("/XObject")
            if xobjects is None:
                xobjects = DictionaryObject()
                resources[NameObject("/XObject")] = xobjects
            xobjects.get_object()[name] = form
            drawing = f"q {name} Do Q".encode()
        # One stream a page, as a document rendered whole has: a stream of its own
        # for each number cost a hundred bytes and more a page.
        content = drawn_over(page.get_contents().get_data(), drawing)
        page[NameObject("/Contents")] = stream(content)
    return _written(writer, compact_fonts=compact_fonts)


def _resources_cover(resources, wanted, *, same) -> bool:
    """Whether ``resources`` names, under each of ``wanted``'s names, the same thing."""
    for kind, entries in wanted.items():
        entries = entries.get_object()
        if kind == "/ProcSet" or not entries:
            continue
        have = resources.get(kind)
        if have is None:
            return False
        have = have.get_object()
        for name in dict.keys(entries):
            if name not in have or not same(have.raw_get(name), entries.raw_get(name)):
                return False
    return True


def _written(writer, *, compact_fonts: bool = False) -> bytes:
    """``writer``'s document as bytes, every object stored once however many parts held it,
    written as WeasyPrint writes a whole document (see ``pdf_compact.written``).
    """
    from documents.pdf_compact import compact_joined_fonts, written

    _deduplicate(writer)
    if compact_fonts:
        compact_joined_fonts(writer)
        _deduplicate(writer)  # and drop what the fonts no longer refer to
    return written(writer)


def _deduplicate(writer) -> None:
    # One pass merges identical objects; a font dictionary becomes identical to another
    # only once the objects it refers to (its widths, its font file) have been merged.
    stored = len(writer._objects) + 1
    while (left := sum(obj is not None for obj in writer._objects)) < stored:
        stored = left
        writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)


def pdf_page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def glyph_primer(texts) -> list[str]:
    """Lines holding every character of ``texts``, to print on a first page of every part of
    a long document (``primer`` in templates/pdf/base.html) so that each part embeds the
    same font subsets; ``pdf_join(primed=True)`` drops that page and keeps them once.

    Digits and punctuation take different glyphs beside Chinese, beside Latin letters
    and alone (a "3" in "3 households" is not the "3" of "3号"): they are printed in
    all three settings.
    """
    seen = dict.fromkeys(character for text in texts for character in str(text))
    characters = [c for c in seen if c.isprintable() and not c.isspace()]
    shared = [c for c in characters if unicodedata.category(c)[0] in "NPS"]
    return [
        "".join(characters),
        "".join(f"张{c}" for c in shared),
        " ".join(f"a{c}" for c in shared),
        *shared,
    ]


def pdf_template_text(template_name: str, context: dict) -> str:
    """The text a PDF template prints with ``context``, markup stripped: for glyph primers."""
    from html import unescape

    from django.utils.html import strip_tags

    context = {"page_number": page_number_parts(), **context}
    return unescape(strip_tags(render_to_string(template_name, context)))


def page_numbers_pdf(
    *, pages: int, stylesheet: str, primer: list[str] = (), primer_bold: list[str] = ()
) -> bytes:
    """``pages`` pages that show only "第 x 页 共 y 页", laid out by ``stylesheet`` (the
    document's own, for the same page size and margins), for ``pdf_number_pages``.

    With the document's glyph primer, the numbers use the very font subset the
    document's parts embed, which the numbered file then holds once.
    """
    from django.utils.translation import gettext

    # Translators: the page number at the foot of a printed page.
    page_of = gettext("Page %(page)s of %(pages)s")
    labels = [page_of % {"page": page, "pages": pages} for page in range(1, pages + 1)]
    context = {
        "labels": labels,
        "stylesheet": stylesheet,
        "primer": primer,
        "primer_bold": primer_bold,
    }
    numbers = render_pdf("pdf/page_numbers.html", context)
    return pdf_join([numbers], primed=True) if primer else numbers


# ---------------------------------------------------------------- rendering in parts
#
# A long document is cut into parts by its producer; each part is a template
# and a JSON-serialisable context. The producer writes each part's spec to
# storage and asks the worker's other processes (through the
# ``documents.render_pdf_part`` task, on its own queue) to render them; it
# renders parts itself too, in order. Whoever renders a part first holds a
# PostgreSQL advisory lock on it, so no part is rendered twice, and a lock
# dies with its process: a part whose helper died is rendered by the producer.
# Results go back to storage beside the specs (MEDIA_ROOT, which every worker
# shares).

PARTS_FOLDER = "pdf-parts"
PART_TASK = "documents.render_pdf_part"
POLL_SECONDS = 0.2


def render_pdf_parts(
    *,
    scratch: str,
    parts: list[tuple[str, dict]],
    helpers: Callable[[str, int], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[bytes]:
    """Render each (template name, context) of ``parts`` with ``render_pdf``; return the PDFs
    in order.

    ``scratch`` names this job's folder of specs and results (emptied before and
    after); ``helpers(scratch, index)`` asks another process to render part
    ``index`` (see ``celery_helpers``); ``progress(done, total)`` hears of each
    part done.
    """
    if len(parts) == 1 or not scratch:
        results = []
        for index, (template_name, context) in enumerate(parts):
            results.append(render_pdf(template_name, context))
            if progress:
                progress(index + 1, len(parts))
        return results
    pdf_parts_prepare(scratch=scratch, parts=parts)
    if helpers is not None:
        for index in range(1, len(parts)):
            helpers(scratch, index)
    return pdf_parts_collect(scratch=scratch, count=len(parts), progress=progress)


def pdf_parts_prepare(*, scratch: str, parts: list[tuple[str, dict]]) -> None:
    """Store each part's template name and context where any worker process can read them."""
    folder = f"{PARTS_FOLDER}/{scratch}"
    _discard(folder)
    for index, (template_name, context) in enumerate(parts):
        spec = json.dumps({"template_name": template_name, "context": context})
        default_storage.save(f"{folder}/{index}.json", ContentFile(spec.encode()))


def pdf_parts_collect(
    *, scratch: str, count: int, progress: Callable[[int, int], None] | None = None
) -> list[bytes]:
    """Render, in order, every stored part nobody has rendered or is rendering; wait for the
    parts other processes hold (a dead process's part is rendered here); return all the
    PDFs in order and empty the folder.

    Raises PdfTimeLimitExceeded when no part is done for longer than a render may
    take: a helper stuck past its own time limit.
    """
    folder = f"{PARTS_FOLDER}/{scratch}"
    patience = settings.PDF_RENDER_TIME_LIMIT + 30
    try:
        pending = list(range(count))
        last_done = time.monotonic()
        while pending:
            for index in pending:
                with _part_claim(folder, index) as claimed:
                    if not claimed:
                        continue  # another process is rendering it
                    if not default_storage.exists(f"{folder}/{index}.pdf"):
                        _render_stored(folder, index)
                pending.remove(index)
                last_done = time.monotonic()
                if progress:
                    progress(count - len(pending), count)
                break  # back to the first part still pending: keep to the order
            else:
                if time.monotonic() - last_done > patience:
                    raise PdfTimeLimitExceeded(f"part {pending[0]} of {scratch} never finished")
                time.sleep(POLL_SECONDS)
        return [_read(f"{folder}/{index}.pdf") for index in range(count)]
    finally:
        _discard(folder)


def render_pdf_part(*, scratch: str, index: int) -> bool:
    """Render part ``index`` of job ``scratch`` unless it is done, being done, or the job is
    over. What a helper process runs; returns whether it rendered the part.
    """
    folder = f"{PARTS_FOLDER}/{scratch}"
    with _part_claim(folder, index) as claimed:
        if not claimed or default_storage.exists(f"{folder}/{index}.pdf"):
            return False
        try:
            _render_stored(folder, index)
        except FileNotFoundError:  # the job finished (or failed) meanwhile
            return False
    return True


def celery_helpers() -> Callable[[str, int], None] | None:
    """Inside a Celery task: a function that asks the worker's other processes, through the
    task's own queue, to render parts. None outside a task (called directly).
    """
    from celery import current_app, current_task

    if not current_task or current_task.request.called_directly:
        return None
    queue = (current_task.request.delivery_info or {}).get("routing_key")

    def ask(scratch: str, index: int) -> None:
        current_app.send_task(PART_TASK, args=[scratch, index], queue=queue)

    return ask


def _render_stored(folder: str, index: int) -> None:
    spec = json.loads(_read(f"{folder}/{index}.json"))
    pdf = render_pdf(spec["template_name"], spec["context"])
    default_storage.save(f"{folder}/{index}.pdf", ContentFile(pdf))


def _read(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def _discard(folder: str) -> None:
    try:
        _directories, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")


def part_lock_key(*, scratch: str, index: int) -> int:
    """The PostgreSQL advisory lock key of one part (a signed 64-bit number)."""
    digest = hashlib.blake2b(f"warmth-pdf-part:{scratch}:{index}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


@contextmanager
def _part_claim(folder: str, index: int) -> Iterator[bool]:
    """Hold the lock on one part, if nobody else does (PostgreSQL advisory lock, released when
    its connection closes, so with its process).
    """
    key = part_lock_key(scratch=folder.removeprefix(f"{PARTS_FOLDER}/"), index=index)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@shared_task(name=PART_TASK)
def render_pdf_part_task(scratch: str, index: int) -> bool:
    """Render one part of a long PDF for the producer of another process (see above)."""
    return render_pdf_part(scratch=scratch, index=index)
