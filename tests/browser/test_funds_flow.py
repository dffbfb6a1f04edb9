"""The winter visit money of a community, walked by two people: a caseworker proposes it for the
frozen visit list, an approver approves the batch, the caseworker finds the team's roster on the
campaign page, prints it (a real worker renders it), uploads the signed paper's scan and marks
the sheet signed, unticking the one household that did not sign: the others' money is paid.
"""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from funds.choices import DisbursementStatus, FundKind, ReceiptSource
from funds.models import Disbursement
from funds.selectors import fund_balance, ledger_problems
from funds.services import fund_create, receipt_record
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.browser.test_file_flow import sign_in
from tests.documents.test_pdf import pdf_words, save_picture
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from tests.workers import database_url_for_other_processes, worker_process
from visits.campaigns import campaign_create, visit_list_approve, visit_lists_build
from visits.models import VisitList

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_STEP = 60_000  # ms: a real worker on a shared two-core machine
HOUSEHOLDS = [("张建国", "deep"), ("王秀英", "relative"), ("李桂兰", "relative")]


@pytest.fixture
def winter(settings, tmp_path):
    """江岸区总工会's winter campaign, its fund, and a community's list built and frozen."""
    settings.MEDIA_ROOT = tmp_path / "media"
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=3, parent=hubei)
    jiangan = UnionUnitFactory(
        name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan, division_code="420102"
    )
    dazhi = UnionUnitFactory(name="大智街道工会", code="JA-DZ", level=5, parent=jiangan)
    community = UnionUnitFactory(name="大智路社区", code="DZ-1", level=6, parent=dazhi)
    caseworker = UserFactory(username="zhangmin", full_name="张敏", unit=jiangan)
    approver = UserFactory(
        username="zhaolei", full_name="赵磊", unit=jiangan, is_caseworker=False, is_approver=True
    )
    for n, (name, category) in enumerate(HOUSEHOLDS):
        file = open_file(by=caseworker, unit=community, name=name,
                         id_number=make_id_number(sequence=8101 + 2 * n))  # fmt: skip
        HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.ON_FILE, category=category)
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver, season="winter", year=today.year, name=f"{today.year}年冬送温暖",
        starts_on=today - timedelta(days=3), ends_on=today + timedelta(days=60), organiser=jiangan,
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
    )  # fmt: skip
    fund = fund_create(unit=jiangan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    receipt_record(fund=fund, source=ReceiptSource.ONE_DAY, amount=Decimal("50000"),
                   received_on=today - timedelta(days=5), by=caseworker)  # fmt: skip
    visit_lists_build(campaign=campaign, unit=jiangan)
    visit_list = VisitList.objects.get(campaign=campaign, unit=community)
    visit_list_approve(visit_list=visit_list, by=approver)
    return campaign, fund, visit_list, jiangan


@pytest.fixture
def worker(winter, tmp_path):
    """A real worker on a queue of its own, reading the test database and the test's media."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue  # the live server sends its jobs there
    try:
        with worker_process(env=env, log_path=tmp_path / "worker.log", queue=queue) as running:
            yield running
    finally:
        app.conf.task_default_queue = previous


def scan(path) -> str:
    Image.new("RGB", (1240, 1754), color=(250, 250, 245)).save(path, "JPEG")
    return str(path)


def test_visit_money_proposed_for_a_list_approved_printed_signed_and_paid(
    live_server, page, browser, screenshot, winter, worker, tmp_path
):
    campaign, fund, visit_list, jiangan = winter

    # The caseworker proposes the campaign's visit money for the frozen list.
    sign_in(page, live_server, "zhangmin")
    page.goto(f"{live_server.url}/visits/lists/{visit_list.pk}/")
    page.get_by_test_id("propose-batch").click()
    form = page.get_by_test_id("batch-form")
    expect(form).to_be_visible()
    form.locator("#id_fund").select_option(value=str(fund.pk))
    screenshot(page, "60-propose-visit-money")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("batch-payments")).to_have_text("3")
    expect(page.get_by_test_id("batch-total")).to_contain_text("2,600")
    expect(page.get_by_test_id("proposer-note")).to_be_visible()
    screenshot(page, "61-batch-proposed")
    batch_url = page.url

    # The approver reviews the totals and approves the batch.
    approving = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    approver_page = approving.new_page()
    approver_page.set_default_timeout(30_000)
    sign_in(approver_page, live_server, "zhaolei")
    approver_page.goto(batch_url)
    approver_page.get_by_test_id("approve-form").locator("button[type=submit]").click()
    expect(approver_page.get_by_test_id("batch-status")).to_have_text("已审批")
    screenshot(approver_page, "62-batch-approved")
    approving.close()
    assert fund_balance(fund).reserved == Decimal("2600")

    # The caseworker finds the team's roster on the campaign page and prints it to sign.
    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    expect(page.get_by_test_id("campaign-rosters")).to_be_visible()
    screenshot(page, "63-campaign-rosters")
    page.get_by_test_id("campaign-roster-team").click()
    expect(page.get_by_test_id("team-count")).to_have_text("3")
    page.get_by_test_id("team-pdf").click()
    download_link = page.get_by_test_id("document-download")
    expect(download_link).to_be_visible(timeout=WORKER_STEP)
    with page.expect_download() as downloading:
        download_link.click()
    assert downloading.value.suggested_filename.endswith("大智路社区-花名册.pdf")
    saved = tmp_path / "roster.pdf"
    downloading.value.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf[:5] == b"%PDF-"
    words = pdf_words(pdf)
    for name, _category in HOUSEHOLDS:
        assert name in words
    assert "2,600.00" in words
    save_picture(pdf, "63-roster-pdf-page-1")

    # Back from the visits with the signed paper: its scan on the roster's page (marking is
    # refused until then), then the team's sheet marked signed but for 李桂兰, who did not sign.
    page.goto(f"{live_server.url}/funds/rosters/{campaign.pk}/{jiangan.pk}/")
    expect(page.get_by_test_id("upload-first")).to_be_visible()
    scan_form = page.get_by_test_id("scan-form")
    scan_form.locator("input[type=file]").set_input_files(scan(tmp_path / "签领表.jpg"))
    scan_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("roster-scans")).to_contain_text("签领表.jpg")
    expect(page.get_by_test_id("sign-teams")).to_be_visible()
    screenshot(page, "63-roster-teams")
    page.get_by_test_id("team-link").click()
    lines = page.get_by_test_id("roster-lines")
    lines.get_by_label("李桂兰").uncheck()
    screenshot(page, "64-roster-ticking")
    page.get_by_test_id("sign-sheet").click()
    expect(page.get_by_test_id("team-signed")).to_have_text("2")
    expect(page.get_by_test_id("team-exceptions")).to_contain_text("李桂兰")
    screenshot(page, "65-roster-signed")

    paid = Disbursement.objects.filter(status=DisbursementStatus.PAID)
    assert sorted(paid.values_list("file__name", flat=True)) == ["张建国", "王秀英"]
    assert all(line.signed_at and line.method == "cash" for line in paid)
    assert Disbursement.objects.get(file__name="李桂兰").status == DisbursementStatus.APPROVED
    balance = fund_balance(fund)
    assert (balance.available, balance.reserved) == (Decimal("47400"), Decimal("800"))
    assert ledger_problems() == []
