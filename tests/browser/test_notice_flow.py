"""A new file through the civil-affairs check and its public notice, in the browser: verified,
checked (request spreadsheet out, the centre's result in), put on a notice whose sheet is
printed, an objection recorded and dismissed, and approved with the notice's other files."""

import io
import subprocess
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from PIL import Image
from playwright.sync_api import expect

from documents.models import GeneratedDocument
from documents.services import document_run
from hardship.attachments import attachment_add
from hardship.models import HardshipFile, PublicNotice
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_file_flow import people, sign_in, standards_for_browser  # noqa: F401
from tests.factories import make_id_number, open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def applied(people, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    file = open_file(
        by=people["caseworker"], name="陈桂兰", id_number=make_id_number(sequence=613),
        phone="13907150123", address="武汉市江岸区大智路25号2单元301",
    )  # fmt: skip
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, "PNG")
    attachment_add(
        file=file, by=people["caseworker"], kind="consent",
        upload=SimpleUploadedFile("授权书.png", buffer.getvalue(), content_type="image/png"),
    )  # fmt: skip
    return file


def result_xlsx(path, number):
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号码", "姓名", "是否享受低保", "是否享受特困", "核对收入", "核对资产", "与申报是否一致", "备注"])  # fmt: skip
    sheet.append([number, "陈桂兰", "否", "否", "12000", "0", "是", ""])
    book.save(path)
    return path


def test_check_notice_objection_and_approval(
    live_server, page, phone, screenshot, applied, tmp_path
):
    file_url = f"{live_server.url}{applied.get_absolute_url()}"

    # First review by the caseworker, home verification by a colleague.
    sign_in(page, live_server, "zhangmin")
    page.goto(file_url)
    page.get_by_test_id("action-first_review").get_by_role("button", name="初审通过").click()
    expect(page.get_by_test_id("file-status")).to_have_text("初审通过")
    sign_in(page, live_server, "liuyang")
    page.goto(file_url)
    verify = page.get_by_test_id("action-verify")
    verify.get_by_label("刘洋").check()
    verify.get_by_label("核查情况").fill("入户核实：本人大病透析，情况属实。")
    verify.get_by_role("button", name="登记入户核查").click()
    expect(page.get_by_test_id("file-status")).to_have_text("已入户核查")

    # The caseworker asks the check centre: one spreadsheet, full ID numbers, a reason.
    sign_in(page, live_server, "zhangmin")
    page.get_by_test_id("nav-notices").click()
    page.get_by_test_id("check-list").click()
    page.get_by_label("陈桂兰", exact=False).check()
    with page.expect_download() as asked:
        page.get_by_test_id("check-request").click()
    request_path = tmp_path / "request.xlsx"
    asked.value.save_as(request_path)
    assert "民政核对" in asked.value.suggested_filename
    rows = list(load_workbook(request_path).active.iter_rows(values_only=True))
    assert rows[1][2] == applied.id_number

    # The centre's answer comes back and is imported.
    page.goto(f"{live_server.url}/checks/")
    page.get_by_label("核对中心反馈的结果文件").set_input_files(
        str(result_xlsx(tmp_path / "result.xlsx", applied.id_number))
    )
    page.get_by_test_id("check-results").click()
    # A worker reads the workbook (run here as a worker runs it), and its page says so.
    job = GeneratedDocument.objects.get(kind="finance_check_results")
    assert document_run(document_id=job.pk) == "done"
    page.reload()
    expect(page.get_by_test_id("document-status")).to_have_text("已完成")
    screenshot(page, "60-check-results-job")
    page.get_by_test_id("document-back").click()
    screenshot(page, "60-check-page")
    page.goto(file_url)
    expect(page.get_by_test_id("finance-check")).to_contain_text("一致")

    # The notice: started for the verified file, its sheet printed.
    page.get_by_test_id("nav-notices").click()
    page.get_by_test_id("notice-new").click()
    page.get_by_label("陈桂兰", exact=False).check()
    page.get_by_label("异议受理方式").fill("江岸区总工会帮扶中心，电话 027-82345678")
    screenshot(page, "60b-notice-new")
    page.get_by_test_id("notice-start").click()
    expect(page.get_by_test_id("notice-entries")).to_contain_text("陈*兰")
    with page.expect_download() as printed:
        page.get_by_test_id("notice-sheet").click()
    sheet = ARTIFACTS / "61-notice-sheet.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    printed.value.save_as(sheet)
    text = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True).stdout
    assert "陈*兰" in text and "公示" in text
    assert applied.id_number not in text and "13907150123" not in text and "大智路" not in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(sheet), str(ARTIFACTS / "61-notice-sheet")], check=True)  # fmt: skip

    # An objection arrives by phone and is recorded.
    page.get_by_label("受理方式").select_option("phone")
    page.get_by_label("异议内容").fill("邻居来电反映其家中经营一处门面房。")
    page.get_by_test_id("objection-record").click()
    expect(page.get_by_test_id("objection")).to_contain_text("门面房")
    expect(page.get_by_test_id("objection-decide")).to_have_count(0)
    screenshot(page, "62-notice-with-objection")
    notice_url = page.url

    # The approver finds the objection unfounded.
    sign_in(page, live_server, "zhaolei")
    page.goto(notice_url)
    page.get_by_label("异议不成立").check()
    page.get_by_label("理由").fill("经核实，门面房为其兄所有。")
    page.get_by_test_id("objection-decide").click()
    expect(page.get_by_test_id("objection-decision")).to_contain_text("异议不成立")
    # While the notice runs, approval waits.
    expect(page.get_by_test_id("why-not")).to_contain_text("公示期满")
    page.goto(file_url)
    expect(page.get_by_test_id("action-approve")).to_have_count(0)

    # Five working days later (the window moved into the past instead of waiting).
    today = timezone.localdate()
    PublicNotice.objects.update(
        starts_on=today - timedelta(days=9), ends_on=today - timedelta(days=2)
    )
    page.goto(notice_url)
    screenshot(page, "63-notice-closed")
    page.get_by_test_id("notice-approve").click()
    page.goto(file_url)
    expect(page.get_by_test_id("file-status")).to_have_text("在档")
    timeline = page.get_by_test_id("timeline")
    for step in [
        "已申请民政核对",
        "已收到民政核对结果",
        "进入公示",
        "登记异议",
        "异议已处理",
        "审批入档",
    ]:
        expect(timeline).to_contain_text(step)
    screenshot(page, "64-file-approved")
    assert HardshipFile.objects.get().status == "on_file"

    # The same pages on a phone.
    sign_in(phone, live_server, "zhaolei")
    phone.goto(notice_url)
    screenshot(phone, "65-notice-phone")
    phone.goto(f"{live_server.url}/checks/")
    screenshot(phone, "66-checks-phone")
