"""The visit list as a PDF to print and sign, and as a spreadsheet: what they show, to whom,
and how a long list is rendered in parts, joined and numbered, by real worker processes.
"""

import io
import os
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from documents.models import GeneratedDocument
from documents.pdf import PART_TASK, pdf_parts_collect, pdf_parts_prepare
from documents.services import document_request, document_run
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.documents.test_pdf import (
    embedded_font_files,
    pdf_fonts,
    pdf_pages,
    pdf_text,
    pdf_words,
    save_picture,
    squeezed,
)
from tests.factories import UnionUnitFactory, make_id_number, open_file
from tests.workers import ROOT, database_url_for_other_processes, wait_for
from visits.campaigns import campaign_create, visit_lists_build
from visits.documents import visit_list_pdf_render, visit_list_selection
from visits.models import Cadre, VisitList, VisitListRow

Status = GeneratedDocument.Status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def county(tree, caseworker, approver, standards):
    """江岸区: two streets, three communities, seven households on file, and the winter lists."""
    yiyuan = UnionUnitFactory(name="一元街道工会", code="JA-YY", level=5, parent=tree.jiangan)
    communities = {
        "大智路社区": UnionUnitFactory(name="大智路社区", code="DZ-1", level=6, parent=tree.dazhi),
        "车辆厂工会": UnionUnitFactory(name="车辆厂工会", code="DZ-2", level=6, parent=tree.dazhi),
        "一元社区": UnionUnitFactory(name="一元社区", code="YY-1", level=6, parent=yiyuan),
    }
    households = [
        ("大智路社区", "张建国"),
        ("大智路社区", "王秀英"),
        ("大智路社区", "欧阳志明"),
        ("车辆厂工会", "李桂兰"),
        ("车辆厂工会", "陈德明"),
        ("一元社区", "刘海燕"),
        ("一元社区", "赵卫东"),
    ]
    files = []
    for n, (community, name) in enumerate(households):
        file = open_file(
            by=caseworker,
            unit=communities[community],
            name=name,
            id_number=make_id_number(sequence=5001 + 2 * n),
        )
        HardshipFile.objects.filter(pk=file.pk).update(
            status=FileStatus.ON_FILE, category="relative"
        )
        files.append(file)
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name="2026年冬送温暖",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=60),
        organiser=tree.wuhan,
    )
    visit_lists_build(campaign=campaign, unit=tree.wuhan)
    return campaign, files


def request_pdf(user, unit, **params):
    return document_request(
        kind=params.pop("kind", "visit_list_pdf"),
        title="走访名单",
        by=user,
        unit=unit,
        params=params,
    )


def produced(document) -> bytes:
    assert document_run(document_id=document.pk) == Status.DONE, GeneratedDocument.objects.get(
        pk=document.pk
    ).error
    document.refresh_from_db()
    return document.result.read()


def test_a_countys_list_prints_every_household_grouped_by_street_and_community(
    county, caseworker, tree, media
):
    campaign, _files = county

    pdf = produced(
        request_pdf(caseworker, tree.jiangan, campaign_id=campaign.pk, unit_id=tree.jiangan.pk)
    )
    save_picture(pdf, "pdf-visit-list-county")

    text = pdf_words(pdf)
    assert pdf_pages(pdf) == 2  # each street starts a page
    for name in ("张建国", "王秀英", "欧阳志明", "李桂兰", "陈德明", "刘海燕", "赵卫东"):
        assert name in text
    first, second = pdf_words(pdf, page=1), pdf_words(pdf, page=2)
    assert "大智街道" in first and "大智路社区" in first and "车辆厂工会" in first
    assert "一元街道工会" in second and "刘海燕" in second and "张建国" not in second
    for page, words in ((1, first), (2, second)):
        assert squeezed(gettext("Recipient's signature")) in squeezed(words)  # the header repeats
        assert squeezed(gettext("Priority")) in squeezed(words)  # its own column, not the number
        assert "江岸区总工会" in words and "2026年冬送温暖" in words
        assert (
            " ".join((gettext("Page %(page)s of %(pages)s") % {"page": page, "pages": 2}).split())
            in words
        )


def test_the_list_shows_masked_id_numbers_only(county, caseworker, tree, media):
    campaign, files = county

    text = pdf_text(
        produced(
            request_pdf(caseworker, tree.jiangan, campaign_id=campaign.pk, unit_id=tree.jiangan.pk)
        )
    )

    for file in files:
        assert file.masked_id_number in text
        assert file.id_number not in text


def test_the_list_embeds_noto_sans_cjk_sc_and_no_japanese_forms(county, caseworker, tree, media):
    campaign, _files = county

    pdf = produced(
        request_pdf(caseworker, tree.jiangan, campaign_id=campaign.pk, unit_id=tree.jiangan.pk)
    )

    fonts = pdf_fonts(pdf)
    assert "Noto-Sans-CJK-SC" in fonts
    assert not [font for font in fonts if "JP" in font]


def test_one_communitys_list_is_printed_from_its_own_visit_list(county, caseworker, media):
    campaign, _files = county
    visit_list = VisitList.objects.get(campaign=campaign, unit__name="车辆厂工会")

    pdf = produced(request_pdf(caseworker, visit_list.unit, visit_list_id=visit_list.pk))

    text = pdf_words(pdf)
    assert pdf_pages(pdf) == 1
    assert "李桂兰" in text and "陈德明" in text
    assert "张建国" not in text


def test_a_helpers_sheets_show_only_that_helpers_households(county, caseworker, tree, media):
    campaign, files = county
    helper = Cadre.objects.create(unit=tree.jiangan, name="周芳")
    VisitListRow.objects.filter(file__in=[files[0], files[5]]).update(
        helper=helper, helper_name=helper.name
    )

    pdf = produced(
        request_pdf(
            caseworker,
            tree.jiangan,
            campaign_id=campaign.pk,
            unit_id=tree.jiangan.pk,
            helper_id=helper.pk,
        )
    )

    text = pdf_words(pdf)
    assert "张建国" in text and "刘海燕" in text
    assert "王秀英" not in text and "赵卫东" not in text


def test_a_sibling_branch_cannot_print_the_list(county, sibling, tree, media):
    campaign, _files = county

    document = request_pdf(sibling, sibling.unit, campaign_id=campaign.pk, unit_id=tree.jiangan.pk)

    assert document_run(document_id=document.pk) == Status.FAILED
    document.refresh_from_db()
    assert not document.result
    assert "张建国" not in document.error


def test_hostile_text_in_a_row_is_printed_as_text_and_fetches_nothing(
    county, caseworker, tree, media, caplog
):
    campaign, files = county
    injected = '</style><style>@import url("file:///etc/passwd");tr{display:none}</style>'
    VisitListRow.objects.filter(file=files[0]).update(
        name='<img src="file:///etc/passwd">', address=injected
    )

    with caplog.at_level("WARNING", logger="documents.pdf"):
        pdf = produced(
            request_pdf(caseworker, tree.jiangan, campaign_id=campaign.pk, unit_id=tree.jiangan.pk)
        )

    text = squeezed(pdf_text(pdf, raw=True))
    assert '<imgsrc="file:///etc/passwd">' in text
    assert squeezed(injected) in text
    assert "王秀英" in text  # the injected rule hid nothing
    assert "root:" not in text
    assert [r for r in caplog.records if r.name == "documents.pdf"] == []


def test_a_long_list_is_rendered_in_parts_joined_and_numbered_across_the_whole(
    county, caseworker, tree, media
):
    campaign, _files = county
    selection = visit_list_selection(
        params={"campaign_id": campaign.pk, "unit_id": tree.jiangan.pk}, user=caseworker
    )

    pdf = visit_list_pdf_render(selection, scratch="test-long", part_rows=2)
    save_picture(pdf, "pdf-visit-list-parts", page=2)

    # Parts of at most two rows, cut where a street begins: 张王 | 欧阳李 | 陈 | 刘赵
    pages = pdf_pages(pdf)
    assert pages == 4
    assert embedded_font_files(pdf) == 2  # one regular and one bold subset for all parts
    page_of = gettext("Page %(page)s of %(pages)s")
    for page in range(1, pages + 1):
        assert " ".join((page_of % {"page": page, "pages": pages}).split()) in pdf_words(
            pdf, page=page
        )
    assert "欧阳志明" in pdf_words(pdf, page=2)
    assert gettext("(continued)") in squeezed(pdf_words(pdf, page=2))
    assert "陈德明" in pdf_words(pdf, page=3) and "刘海燕" in pdf_words(pdf, page=4)


def test_the_spreadsheet_has_a_row_per_household_and_keeps_text_as_text(
    county, caseworker, tree, media
):
    from openpyxl import load_workbook

    campaign, files = county
    VisitListRow.objects.filter(file=files[1]).update(name='=HYPERLINK("http://x","点我")')

    content = produced(
        request_pdf(
            caseworker,
            tree.jiangan,
            kind="visit_list_xlsx",
            campaign_id=campaign.pk,
            unit_id=tree.jiangan.pk,
        )
    )

    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert sheet.cell(row=2, column=2).value in {"Priority", "优先顺序"}
    assert all(isinstance(row[1], int) for row in rows)  # priority, beside the walking number
    assert [row[4] for row in rows] == [
        "张建国", "=HYPERLINK(\"http://x\",\"点我\")", "欧阳志明", "李桂兰", "陈德明", "刘海燕", "赵卫东",
    ]  # fmt: skip
    assert sheet.cell(row=4, column=5).data_type == "s"
    assert [row[0] for row in rows] == [1, 2, 3, 1, 2, 1, 2]  # each community's list 1..n
    assert rows[0][5] == files[0].masked_id_number
    assert all(files[0].id_number not in str(value) for row in rows for value in row)
    assert rows[5][2] == "一元街道工会"


# ---------------------------------------------------------------- real worker processes


def prefork_worker(*, log_path: Path, queue: str, env: dict):
    """A prefork worker with two processes, as in production, that loads the producers."""
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
        "--concurrency", "2", "--queues", queue, "--hostname", f"{queue}@%h",
        "--include", "visits.documents,hardship.file_card", "--without-heartbeat",
        "--without-mingle", "--without-gossip", "--loglevel", "INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            command, cwd=ROOT, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT
        )


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_a_long_list_in_parts_and_the_parts_helpers_render(
    county, caseworker, tree, tmp_path, settings
):
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    campaign, _files = county
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    worker = prefork_worker(log_path=tmp_path / "worker.log", queue=queue, env=env)
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # the job is sent there when its row commits
    try:
        # The whole job, through the worker: parts shared among its processes.
        document = request_pdf(
            caseworker, tree.jiangan, campaign_id=campaign.pk, unit_id=tree.jiangan.pk, part_rows=2
        )
        wait_for(
            lambda: GeneratedDocument.objects.filter(
                pk=document.pk, status__in=["done", "failed"]
            ).exists(),
            timeout=180,
            what="the list to be rendered",
        )
        document.refresh_from_db()
        assert document.status == Status.DONE, document.error
        pdf = document.result.read()
        assert pdf_pages(pdf) == 4
        assert "赵卫东" in pdf_words(pdf, page=4)

        # A helper's half, on its own: parts stored here, each rendered by the worker.
        contexts = [
            {
                "title": "名单",
                "unit_name": "江岸区总工会",
                "printed_on": "2026-01-05",
                "sections": [],
            }
            for _ in range(3)
        ]
        pdf_parts_prepare(
            scratch="test-helpers", parts=[("pdf/visit_list.html", c) for c in contexts]
        )
        rendered = [
            app.send_task(PART_TASK, args=["test-helpers", index], queue=queue).get(timeout=120)
            for index in range(3)
        ]
        again = app.send_task(PART_TASK, args=["test-helpers", 0], queue=queue).get(timeout=60)
        parts = pdf_parts_collect(scratch="test-helpers", count=3)
    finally:
        app.conf.task_default_queue = default_queue
        stop(worker)

    assert rendered == [True, True, True]
    assert again is False  # done already: not rendered twice
    assert [pdf[:5] for pdf in parts] == [b"%PDF-"] * 3


def test_the_page_numbers_households_in_the_walking_order_the_print_uses(
    county, caseworker, client
):
    # Equal priorities (as a rebuild beside rows already visited can leave them): the page
    # numbers the households 1..n in the order the printed list and the spreadsheet put
    # them, and shows the priority beside it under its own heading.
    campaign, _files = county
    visit_list = VisitList.objects.get(campaign=campaign, unit__name="大智路社区")
    VisitListRow.objects.filter(visit_list=visit_list).update(priority=4)
    client.force_login(caseworker)

    page = client.get(reverse("visits:visit_list_detail", args=[visit_list.pk]))

    rows = page.context["rows"]
    assert [row.number for row in rows] == [1, 2, 3]
    assert len({row.priority for row in rows}) == 1
    printed = visit_list_selection(params={"visit_list_id": visit_list.pk}, user=caseworker).rows
    assert [row.name for row in rows] == [row["name"] for row in printed]
    html = page.content.decode()
    assert html.count('data-testid="walking-number"') == 3
    assert 'data-testid="priority"' in html
