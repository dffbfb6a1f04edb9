"""A winter campaign walked by a caseworker: the visit lists built by a real worker while the
progress bar moves, a community's list printed as a PDF, a visit with a follow-up logged and
closed, and the campaign's coverage (不漏一户) moving with it.
"""

import io
import uuid
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from documents.models import GeneratedDocument
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.browser.test_file_flow import sign_in
from tests.documents.test_pdf import pdf_pages, pdf_words, save_picture
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from tests.workers import database_url_for_other_processes, worker_process
from visits.campaigns import campaign_create
from visits.choices import FollowUpStatus
from visits.models import FollowUp, Visit, VisitListRow

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_STEP = 60_000  # ms: a real worker on a shared two-core machine
HOUSEHOLDS = {
    "大智路社区": ["张建国", "王秀英"],
    "车辆厂社区": ["李桂兰", "陈德明"],
    "一元社区": ["刘海燕"],
}


@pytest.fixture
def winter(settings, tmp_path):
    """江岸区总工会's winter campaign: five households on file in three communities of two streets."""
    settings.MEDIA_ROOT = tmp_path / "media"
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=3, parent=hubei)
    jiangan = UnionUnitFactory(
        name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan, division_code="420102"
    )
    dazhi = UnionUnitFactory(name="大智街道工会", code="JA-DZ", level=5, parent=jiangan)
    yiyuan = UnionUnitFactory(name="一元街道工会", code="JA-YY", level=5, parent=jiangan)
    communities = {
        "大智路社区": UnionUnitFactory(name="大智路社区", code="DZ-1", level=6, parent=dazhi),
        "车辆厂社区": UnionUnitFactory(name="车辆厂社区", code="DZ-2", level=6, parent=dazhi),
        "一元社区": UnionUnitFactory(name="一元社区", code="YY-1", level=6, parent=yiyuan),
    }
    caseworker = UserFactory(username="zhangmin", full_name="张敏", unit=jiangan)
    approver = UserFactory(
        username="zhaolei", full_name="赵磊", unit=jiangan, is_caseworker=False, is_approver=True
    )
    files = {}
    for community, names in HOUSEHOLDS.items():
        for name in names:
            file = open_file(
                by=caseworker,
                unit=communities[community],
                name=name,
                id_number=make_id_number(sequence=7001 + 2 * len(files)),
                address=f"武汉市江岸区{community} {len(files) + 1} 号",
            )
            HardshipFile.objects.filter(pk=file.pk).update(
                status=FileStatus.ON_FILE, category="relative"
            )
            files[name] = file
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name=f"{today.year}年冬送温暖",
        starts_on=today - timedelta(days=3),
        ends_on=today + timedelta(days=60),
        organiser=jiangan,
    )
    return campaign, files


@pytest.fixture
def worker(winter, tmp_path):
    """A real worker on a queue of its own, reading the test database and the test's media."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        # One community per step, so the bar has steps to show.
        "VISIT_LIST_UNITS_PER_BATCH": "1",
    }
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # the live server sends its jobs there
    try:
        with worker_process(env=env, log_path=tmp_path / "worker.log", queue=queue) as running:
            yield running
    finally:
        app.conf.task_default_queue = previous


@pytest.fixture
def held_household(winter):
    """Hold a row lock on 李桂兰's file, the second community's: the build writes the first
    community, says so, and waits there until the test lets go (``release()``).
    """
    _campaign, files = winter
    blocker = psycopg.connect(database_url_for_other_processes())
    blocker.execute(
        "SELECT id FROM hardship_hardshipfile WHERE id = %s FOR UPDATE", [files["李桂兰"].pk]
    )

    def release():
        if not blocker.closed:
            blocker.rollback()
            blocker.close()

    yield release
    release()


def figures(page) -> tuple[str, str, str]:
    coverage = page.get_by_test_id("coverage")
    return (
        coverage.get_by_test_id("listed").inner_text(),
        coverage.get_by_test_id("visited").inner_text(),
        coverage.get_by_test_id("not-visited").inner_text(),
    )


def test_a_caseworker_builds_the_lists_prints_one_logs_a_visit_and_sees_coverage_move(
    live_server, page, screenshot, winter, worker, held_household, tmp_path
):
    campaign, files = winter

    # The campaign's page: nothing listed yet.
    sign_in(page, live_server, "zhangmin")
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name=campaign.name).click()
    expect(page.locator("h1")).to_have_text(campaign.name)
    expect(page.get_by_test_id("listed")).to_have_text("0")
    screenshot(page, "40-campaign-before-build")

    # Build the lists: the worker writes the first community, then waits on the held file.
    page.get_by_test_id("build-lists").click()
    progress = page.get_by_test_id("document-progress")
    expect(page.get_by_test_id("document-progress-text")).to_have_text("1 / 3", timeout=WORKER_STEP)
    expect(progress).to_have_js_property("value", 33)
    expect(page.get_by_test_id("document-status")).to_have_text("进行中")
    screenshot(page, "41-campaign-build-progress")
    held_household()
    expect(page.get_by_test_id("document-status")).to_have_text("已完成", timeout=WORKER_STEP)
    expect(progress).to_have_count(0)
    screenshot(page, "42-campaign-build-done")
    build = GeneratedDocument.objects.get(kind="visit_lists_build")
    assert (build.status, build.progress_done, build.progress_total) == ("done", 3, 3)

    # Back on the campaign: five households listed in three lists, none visited yet.
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name=campaign.name).click()
    expect(page.get_by_test_id("listed")).to_have_text("5")
    assert figures(page) == ("5", "0", "5")
    screenshot(page, "43-campaign-lists-built")

    # The community's list, printed by the worker and downloaded.
    page.get_by_role("link", name="大智路社区").click()
    rows = page.get_by_test_id("list-rows")
    expect(rows).to_contain_text("张建国")
    expect(rows).to_contain_text("王秀英")
    expect(rows).not_to_contain_text("李桂兰")
    screenshot(page, "44-community-visit-list")
    page.get_by_test_id("list-pdf").click()
    download_link = page.get_by_test_id("document-download")
    expect(download_link).to_be_visible(timeout=WORKER_STEP)
    screenshot(page, "45-visit-list-pdf-ready")
    with page.expect_download() as downloading:
        download_link.click()
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / "list.pdf"
    download.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert pdf_pages(pdf) == 1
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    words = pdf_words(pdf)
    for name in ("张建国", "王秀英", "大智路社区", campaign.name):
        assert name in words
    for name in ("李桂兰", "刘海燕"):
        assert name not in words
    save_picture(pdf, "46-visit-list-pdf-page-1")  # pdftoppm -png -r 60 -f 1 -l 1

    # A home visit to 张建国, from the list, with one problem left to follow up.
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name=campaign.name).click()
    page.get_by_role("link", name="大智路社区").click()
    page.get_by_test_id("list-rows").get_by_role("link", name="张建国").click()
    page.get_by_test_id("log-visit").click()
    expect(page.get_by_test_id("visit-form")).to_be_visible()
    page.get_by_label("入户走访").check()
    page.locator("#id_campaign").select_option(label=campaign.name)
    page.locator("#id_people_reached").fill("2")
    page.locator("#id_findings").fill("老伴卧床，本人退休金每月一千八，冬季取暖靠电热毯。")
    page.locator("#id_goods").fill("米、油、棉被")
    page.locator("#id_cash_amount").fill("800")
    row = page.get_by_test_id("follow-up-row").first
    row.locator("textarea").fill("联系社区，申请冬季取暖补贴。")
    row.locator("select").select_option(label="张敏（江岸区总工会）")
    row.locator('input[type="date"]').fill((timezone.localdate() + timedelta(days=7)).isoformat())
    screenshot(page, "47-visit-form")
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("visits-timeline")).to_contain_text(campaign.name)
    expect(page.get_by_test_id("open-follow-ups")).to_contain_text("取暖补贴")

    # The subsidy comes through; a phone call back confirms it, and the follow-up is closed.
    page.get_by_test_id("open-follow-ups").get_by_role("link").first.click()
    page.get_by_test_id("log-return-visit").click()
    expect(page.get_by_label("电话回访")).to_be_checked()
    page.locator("#id_findings").fill("电话回访：取暖补贴已发放到户。")
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("visits-timeline")).to_contain_text("取暖补贴已发放")
    page.get_by_test_id("open-follow-ups").get_by_role("link").first.click()
    close = page.get_by_test_id("close-form")
    close.locator("textarea").fill("社区已发放冬季取暖补贴 600 元。")
    close.locator("select").select_option(index=1)
    close.get_by_role("button").click()
    expect(page.get_by_test_id("visits-timeline")).to_contain_text("取暖补贴 600 元")
    expect(page.get_by_test_id("open-follow-ups")).to_have_count(0)
    page.get_by_test_id("visits-section").scroll_into_view_if_needed()
    screenshot(page, "48-file-after-follow-up-closed")

    # Coverage has moved: one household visited, four to go, and 张建国 no longer among them.
    page.get_by_role("link", name="活动", exact=True).click()
    page.get_by_role("link", name=campaign.name).click()
    expect(page.get_by_test_id("visited")).to_have_text("1")
    assert figures(page) == ("5", "1", "4")
    screenshot(page, "49-campaign-coverage-moved")
    page.get_by_test_id("not-visited").click()
    unvisited = page.get_by_test_id("unvisited-rows")
    for name in ("王秀英", "李桂兰", "陈德明", "刘海燕"):
        expect(unvisited).to_contain_text(name)
    expect(unvisited).not_to_contain_text("张建国")
    screenshot(page, "50-campaign-unvisited")

    # Drilled down to the street: its own figures, and the same household gone from its list.
    page.go_back()
    page.get_by_test_id("coverage-children").get_by_role("link", name="大智街道工会").click()
    expect(page.get_by_test_id("listed")).to_have_text("4")
    assert figures(page) == ("4", "1", "3")
    page.get_by_test_id("not-visited").click()
    unvisited = page.get_by_test_id("unvisited-rows")
    expect(unvisited.locator("tbody tr")).to_have_count(3)
    expect(unvisited).not_to_contain_text("张建国")
    expect(unvisited).not_to_contain_text("刘海燕")
    screenshot(page, "51-street-unvisited")

    visit = Visit.objects.get(campaign=campaign)
    assert VisitListRow.objects.get(file=files["张建国"]).visit == visit
    follow_up = FollowUp.objects.get()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.return_visit.kind == "phone"
