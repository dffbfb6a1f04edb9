"""An approver prints a household's own record from its file page (desktop and phone)."""

import pytest
from playwright.sync_api import expect

from hardship.models import HouseholdRecordPrint
from tests.browser.test_file_flow import people, sign_in, standards_for_browser  # noqa: F401
from tests.factories import open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("device", ["page", "phone"])
def test_an_approver_prints_the_households_record(
    live_server,
    request,
    screenshot,
    people,  # noqa: F811
    device,
):
    browser_page = request.getfixturevalue(device)
    file = open_file(by=people["caseworker"], name="陈桂兰")
    sign_in(browser_page, live_server, "zhaolei")
    browser_page.goto(f"{live_server.url}{file.get_absolute_url()}")
    record = browser_page.get_by_test_id("action-household-record")
    record.locator("summary").click()
    record.get_by_role("button").click()
    expect(browser_page.get_by_test_id("action-household-record")).to_contain_text(
        "这个字段是必填项"
    )
    screenshot(browser_page, f"household-record-refused-{device}")

    record = browser_page.get_by_test_id("action-household-record")
    record.get_by_label("本户申请").fill("申请人本人书面申请 2026-12-05")
    with browser_page.expect_download() as download:
        record.get_by_role("button").click()
    assert download.value.suggested_filename.endswith("本户信息.pdf")
    assert HouseholdRecordPrint.objects.get().reason == "申请人本人书面申请 2026-12-05"
