"""A schooling grant (金秋助学) in the browser: approved, it waits for its public notice; the
caseworker puts it on a notice and prints the sheet (the student's household masked, the amount
shown, no ID number); once the notice has passed without objection the grant is paid."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funds.choices import DisbursementStatus
from funds.models import SchoolingStandard
from funds.services import disbursement_approve
from hardship.choices import SchoolStage
from hardship.models import HouseholdMember, PublicNotice
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_file_flow import sign_in
from tests.factories import make_id_number
from tests.funds.conftest import city_fund, funded, winter  # noqa: F401
from tests.funds.test_disbursements import propose, student_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def grant(tree, funded, winter, caseworker, approver, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    file = student_household(
        caseworker, tree.jiangan, name="陈桂兰",
        id_number=make_id_number(birth="20070301", sequence=501), sequence=503,
    )  # fmt: skip
    student = HouseholdMember.objects.get(file=file)
    grant = propose(
        caseworker, file, funded, "5000", purpose="schooling", campaign=winter, student=student
    )
    return disbursement_approve(disbursement=grant, by=approver)


def test_a_grant_is_paid_only_after_its_notice_passed(
    live_server, page, phone, screenshot, grant, caseworker
):
    payment_url = f"{live_server.url}{grant.get_absolute_url()}"

    # Approved, the grant cannot be paid yet, and its page says why.
    sign_in(page, live_server, caseworker.username)
    page.goto(payment_url)
    expect(page.get_by_test_id("why-not-paid")).to_contain_text("公示")
    expect(page.get_by_test_id("pay-form")).to_have_count(0)
    screenshot(page, "65-grant-waiting-for-notice")

    # The caseworker puts it on a notice and prints the sheet for the notice board.
    page.get_by_test_id("nav-notices").click()
    page.get_by_test_id("grant-notice-new").click()
    page.get_by_label("陈桂兰", exact=False).check()
    page.get_by_label("异议受理方式").fill("武汉市总工会帮扶中心，电话 027-85551234")
    page.get_by_test_id("notice-start").click()
    expect(page.get_by_test_id("notice-entries")).to_contain_text("陈*兰")
    with page.expect_download() as printed:
        page.get_by_test_id("notice-sheet").click()
    ARTIFACTS.mkdir(exist_ok=True)
    sheet = ARTIFACTS / "66-grant-notice-sheet.pdf"
    printed.value.save_as(sheet)
    text = subprocess.run(["pdftotext", str(sheet), "-"], capture_output=True, text=True).stdout
    assert "陈*兰" in text and "5000.00" in text
    assert grant.file.id_number not in text and grant.student.id_number not in text
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", str(sheet), str(ARTIFACTS / "66-grant-notice-sheet")], check=True)  # fmt: skip

    # While the notice runs, the grant still waits.
    page.goto(payment_url)
    expect(page.get_by_test_id("why-not-paid")).to_contain_text("公示")
    expect(page.get_by_test_id("pay-form")).to_have_count(0)

    # Five working days later, no objection: the grant is paid in cash, on a phone.
    today = timezone.localdate()
    PublicNotice.objects.update(
        starts_on=today - timedelta(days=12), ends_on=today - timedelta(days=1)
    )
    sign_in(phone, live_server, caseworker.username)
    phone.goto(payment_url)
    expect(phone.get_by_test_id("why-not-paid")).to_have_count(0)
    phone.get_by_label("现金（花名册签领）").check()
    phone.get_by_test_id("pay-form").get_by_role("button", name="登记为已发放").click()
    expect(phone.get_by_test_id("payment-status")).to_have_text("已发放")
    screenshot(phone, "67-grant-paid-phone")
    grant.refresh_from_db()
    assert grant.status == DisbursementStatus.PAID
