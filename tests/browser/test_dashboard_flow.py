"""A city union's caseworker opens the dashboard: the large figures, the charts drawn by
Chart.js, a chart's numbers as a table, another period, and a drill-down to a district; then
the same page on a phone, which must not scroll sideways; and from the dashboard to the
campaign's report, made by a real worker and downloaded.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funds.choices import FundKind, ReceiptSource
from funds.services import fund_create, receipt_record
from hardship.models import HardshipCause, HardshipFile
from reports.tallies import refresh_tallies, window_months
from tests.browser.test_file_flow import sign_in
from tests.documents.test_pdf import pdf_words, save_picture
from tests.factories import UnionUnitFactory, UserFactory, open_file
from tests.workers import database_url_for_other_processes, jobs_on_own_queue, worker_process
from visits.campaigns import campaign_create, visit_lists_build
from visits.models import VisitListRow
from visits.services import visit_log

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DISTRICTS = {
    # name, code, files on record, of them visited in the campaign
    "江岸区总工会": ("HB-WH-JA", 4, 3),
    "江汉区总工会": ("HB-WH-JH", 3, 1),
    "硚口区总工会": ("HB-WH-QK", 2, 0),
}


@pytest.fixture
def wuhan(settings):
    """武汉市总工会 with three districts, files on record, a winter campaign under way with
    part of its lists visited, and money received; the figures refreshed (all kept)."""
    settings.TALLY_MIN_FILES = 0
    today = timezone.localdate()
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    city = UnionUnitFactory(
        name="武汉市总工会", code="HB-WH", level=3, parent=hubei, division_code="420100"
    )
    caseworker = UserFactory(
        username="wuhan.caseworker", full_name="李建国", unit=city, is_approver=True
    )
    campaign = campaign_create(
        by=caseworker, season="winter", year=today.year, name=f"{today.year}年“两节”送温暖活动",
        starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=60), organiser=city,
    )  # fmt: skip
    causes = list(HardshipCause.objects.filter(code__in=["illness", "disability", "unemployment"]))
    n = 0
    for name, (code, files, _visited) in DISTRICTS.items():
        district = UnionUnitFactory(name=name, code=code, level=4, parent=city)
        UnionUnitFactory(name=f"{name[:2]}第一街道工会", code=f"{code}-1", level=5, parent=district)
        for _ in range(files):
            n += 1
            file = open_file(by=caseworker, unit=district, main_cause=causes[n % len(causes)])
            HardshipFile.objects.filter(pk=file.pk).update(
                status="on_file",
                category="deep" if n % 3 else "relative",
                opened_on=today - timedelta(days=30 * (n % 9)),
            )
    visit_lists_build(campaign=campaign, unit=city)
    for code, _files, visited in DISTRICTS.values():
        rows = VisitListRow.objects.filter(
            campaign=campaign, visit_list__unit__code=code
        ).select_related("file")
        for row in rows[:visited]:
            visit_log(
                file=row.file, by=caseworker, visited_on=today, kind="home",
                visitors=[caseworker], cadres=[], campaign=campaign, findings="送上慰问金",
                people_reached=2,
            )  # fmt: skip
    fund = fund_create(unit=city, name="送温暖资金", kind=FundKind.WARMTH, by=caseworker)
    receipt_record(
        fund=fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("120000"), received_on=today,
        by=caseworker,
    )  # fmt: skip
    refresh_tallies(months=window_months(today))
    return caseworker


def test_the_dashboard_shows_figures_and_charts_and_drills_down(
    live_server, page, screenshot, wuhan
):
    # Charts drawn without animation: the screenshots show them whole.
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, live_server, "wuhan.caseworker")

    expect(page.get_by_test_id("unit-name")).to_have_text("武汉市总工会")
    expect(page.get_by_test_id("figure-on_record").get_by_test_id("value")).to_have_text("9")
    expect(page.get_by_test_id("figure-visits").get_by_test_id("value")).to_have_text("4")
    expect(page.get_by_test_id("figure-received").get_by_test_id("value")).to_have_text("120,000")
    # Chart.js loaded from our static files and drew every chart with figures.
    page.wait_for_function("() => window.Chart !== undefined")
    drawn = page.locator("canvas[data-drawn='true']")
    expect(drawn).to_have_count(5)
    for key in ("coverage", "money", "visits", "category", "cause"):
        canvas = page.locator(f"#chart-{key}")
        expect(canvas).to_have_attribute("role", "img")
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, key
    screenshot(page, "dashboard-01-desktop")

    # A chart's numbers as a table: 江岸 visited 3 of the 4 on its list.
    coverage = page.get_by_test_id("chart-coverage")
    table = coverage.locator("table")
    expect(table).to_be_hidden()
    coverage.locator("summary").click()
    expect(table).to_be_visible()
    expect(table.get_by_role("row").filter(has_text="江岸区总工会")).to_contain_text("75.0%")
    # …and by keyboard.
    visits = page.get_by_test_id("chart-visits")
    visits.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(visits.locator("table")).to_be_visible()
    screenshot(page, "dashboard-02-tables-open")

    # Another period: last year, when nothing had been visited yet.
    last_year = str(timezone.localdate().year - 1)
    page.locator("#period-select").select_option(last_year)
    page.get_by_test_id("period-form").get_by_role("button").click()
    expect(page.locator("#period-select")).to_have_value(last_year)
    expect(page.get_by_test_id("figure-visits").get_by_test_id("value")).to_have_text("0")

    # Drill down: the district's own dashboard, for the same period, with the trail back up.
    page.get_by_test_id("children-table").get_by_role("link", name="江岸区总工会").click()
    expect(page.get_by_test_id("unit-name")).to_have_text("江岸区总工会")
    expect(page.locator("#period-select")).to_have_value(last_year)
    expect(page.locator(".breadcrumbs").get_by_role("link", name="武汉市总工会")).to_be_visible()
    page.goto(page.url.split("?")[0])
    expect(page.get_by_test_id("figure-on_record").get_by_test_id("value")).to_have_text("4")
    page.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length > 0")
    screenshot(page, "dashboard-03-district")

    # On paper: no navigation, no period form, every chart's table printed (closed or not).
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_test_id("period-form")).to_be_hidden()
    tables = page.get_by_test_id("chart-table").locator("table").all()
    assert len(tables) >= 3
    for table in tables:
        expect(table).to_be_visible()


def test_the_dashboard_fits_a_phone(live_server, phone, screenshot, wuhan):
    phone.emulate_media(reduced_motion="reduce")
    sign_in(phone, live_server, "wuhan.caseworker")

    expect(phone.get_by_test_id("figure-on_record").get_by_test_id("value")).to_have_text("9")
    phone.wait_for_function("() => document.querySelectorAll('canvas[data-drawn]').length === 5")
    # Wide tables scroll inside their box; the page itself never scrolls sideways.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.get_by_test_id("chart-money").locator("summary").click()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "dashboard-04-phone")


@pytest.fixture
def worker(wuhan, settings, tmp_path):
    """A real worker on a queue of its own, reading the test database and the test's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "TALLY_MIN_FILES": "0",
    }
    # The live server sends its jobs to the queue only this worker reads.
    with (
        jobs_on_own_queue() as queue,
        worker_process(env=env, log_path=tmp_path / "worker.log", queue=queue) as running,
    ):
        yield running


@pytest.mark.worker
def test_from_the_dashboard_to_the_campaign_report(
    live_server, page, screenshot, wuhan, worker, tmp_path
):
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, live_server, "wuhan.caseworker")
    expect(page.get_by_test_id("figure-visits").get_by_test_id("value")).to_have_text("4")

    # Down to a district and back up by the trail.
    page.get_by_test_id("children-table").get_by_role("link", name="江汉区总工会").click()
    expect(page.get_by_test_id("unit-name")).to_have_text("江汉区总工会")
    expect(page.get_by_test_id("figure-on_record").get_by_test_id("value")).to_have_text("3")
    page.locator(".breadcrumbs").get_by_role("link", name="武汉市总工会").click()
    expect(page.get_by_test_id("unit-name")).to_have_text("武汉市总工会")

    # The campaign under way, its report asked for and made by the worker.
    page.get_by_role("link", name="活动", exact=True).click()
    campaign_name = f"{timezone.localdate().year}年“两节”送温暖活动"
    page.get_by_role("link", name=campaign_name).click()
    page.get_by_test_id("campaign-report").click()
    download_link = page.get_by_test_id("document-download")
    expect(download_link).to_be_visible(timeout=60_000)
    screenshot(page, "dashboard-05-campaign-report-ready")
    with page.expect_download() as downloading:
        download_link.click()
    saved = tmp_path / "campaign-report.pdf"
    downloading.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf[:5] == b"%PDF-"
    words = pdf_words(pdf)
    for text in (
        campaign_name,
        "武汉市总工会",
        "江岸区总工会",
        "江汉区总工会",
        "硚口区总工会",
        "第 1 页",
    ):
        assert text in words, text
    save_picture(pdf, "dashboard-06-campaign-report-page-1")
