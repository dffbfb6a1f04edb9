"""An approver draws this year's spot check from the review queue; a caseworker marks a file
verified again and the progress moves; on a desktop and a phone."""

import pytest
from playwright.sync_api import expect

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.browser.test_file_flow import people, sign_in, standards_for_browser  # noqa: F401
from tests.factories import make_id_number, open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_approver_draws_the_spot_check_and_a_caseworker_works_through_it(
    live_server,
    page,
    phone,
    screenshot,
    people,  # noqa: F811
):
    files = [
        open_file(by=people["caseworker"], id_number=make_id_number(sequence=901 + 2 * n),
                  name=f"抽查{n}户", division_code="420102")
        for n in range(10)
    ]  # fmt: skip
    HardshipFile.objects.filter(pk__in=[f.pk for f in files]).update(
        status=FileStatus.ON_FILE, category="relative"
    )

    sign_in(page, live_server, "zhaolei")
    page.goto(f"{live_server.url}/reviews/")
    page.get_by_role("link", name="本年度抽查").click()
    expect(page.get_by_label("在档档案抽查比例（%）")).to_have_value("30")
    page.get_by_test_id("spot-check-draw").click()
    expect(page.get_by_text("抽查样本已抽取。")).to_be_visible()
    expect(page.get_by_test_id("spot-check-entry")).to_have_count(3)
    expect(page.get_by_test_id("spot-check-progress")).to_have_text("已复核 0 份，共 3 份")
    screenshot(page, "90-spot-check")

    sign_in(phone, live_server, "zhangmin")
    phone.goto(page.url)
    phone.get_by_role("button", name="标记为已复核").first.click()
    expect(phone.get_by_text("档案已标记为已复核。")).to_be_visible()
    expect(phone.get_by_test_id("spot-check-progress")).to_have_text("已复核 1 份，共 3 份")
    screenshot(phone, "91-spot-check-phone")
