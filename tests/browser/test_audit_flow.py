"""An approver reads the audit of their branch: who saw a household's full ID number, who
changed its phone, then narrows to that file and exports what they see."""

import pghistory
import pytest
from playwright.sync_api import expect

from hardship.models import HardshipFile
from hardship.services import id_number_reveal
from tests.browser.test_file_flow import sign_in
from tests.factories import UserFactory, open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def branch(tree):
    caseworker = UserFactory(username="zhangmin", full_name="张敏", unit=tree.jiangan)
    approver = UserFactory(
        username="zhaolei", full_name="赵磊", unit=tree.jiangan, is_caseworker=False,
        is_approver=True,
    )  # fmt: skip
    file = open_file(by=caseworker, name="王秀英")
    id_number_reveal(file=file, by=approver)
    with pghistory.context(user=caseworker.pk):
        HardshipFile.objects.filter(pk=file.pk).update(phone="13907110000")
    return file


def test_an_approver_reads_filters_and_exports_the_audit(
    live_server, page, phone, screenshot, branch
):
    sign_in(page, live_server, "zhaolei")
    page.get_by_role("link", name="审计").click()

    rows = page.get_by_test_id("audit-rows")
    expect(rows).to_contain_text(branch.file_number)
    expect(rows).to_contain_text("赵磊")
    screenshot(page, "70-audit-id-numbers")

    page.get_by_test_id("audit-tab-changes").click()
    expect(page.get_by_test_id("audit-rows")).to_contain_text("13907110000")
    expect(page.get_by_test_id("audit-rows")).to_contain_text("张敏")
    page.get_by_label("档案编号").fill(branch.file_number)
    page.get_by_role("button", name="显示").click()
    expect(page.get_by_test_id("audit-rows")).to_contain_text(branch.file_number)
    screenshot(page, "71-audit-changes-of-a-file")

    with page.expect_download() as download:
        page.get_by_test_id("audit-export").click()
    assert download.value.suggested_filename.startswith("审计-档案变更-")
    page.get_by_test_id("audit-tab-readings").click()
    expect(page.get_by_test_id("audit-rows")).to_contain_text("导出")

    sign_in(phone, live_server, "zhaolei")
    phone.goto(f"{live_server.url}/audit/?section=changes")
    expect(phone.get_by_test_id("audit-rows")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to the side
    screenshot(phone, "72-audit-phone")
