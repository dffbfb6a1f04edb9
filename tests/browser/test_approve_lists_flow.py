"""An approver approves every ready list of the district in one step, after a page listing
them with their counts; rebuild and single approve ask first and say what they keep."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_campaign_flow import winter  # noqa: F401 - the campaign and its files
from tests.browser.test_file_flow import sign_in
from visits.campaigns import visit_lists_build
from visits.choices import VisitListStatus
from visits.models import VisitList

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def built(winter):  # noqa: F811
    campaign, _files = winter
    visit_lists_build(campaign=campaign, unit=campaign.organiser)
    return campaign


def test_an_approver_approves_every_ready_list_in_one_step(
    live_server, page, phone, screenshot, built
):
    campaign = built

    # A rebuild asks first and says what it keeps (the caseworker's button).
    sign_in(page, live_server, "zhangmin")
    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    page.get_by_test_id("build-lists").click()
    expect(page.get_by_test_id("confirm-points")).to_contain_text("已登记的走访全部保留")
    expect(page.get_by_test_id("confirm-points")).to_contain_text("已审定的名单不受影响")
    screenshot(page, "60-rebuild-confirmation")
    page.get_by_role("link", name="取消").click()
    expect(page.locator("h1")).to_have_text(campaign.name)

    # The approver: the campaign page offers approving the ready lists; the page lists them.
    sign_in(page, live_server, "zhaolei")
    page.goto(f"{live_server.url}{campaign.get_absolute_url()}")
    page.get_by_test_id("approve-lists").click()
    ready = page.get_by_test_id("ready-lists")
    expect(ready.locator("tbody tr")).to_have_count(3)
    for community in ("大智路社区", "车辆厂社区", "一元社区"):
        expect(ready).to_contain_text(community)
    expect(page.get_by_test_id("ready-households")).to_have_text("5")
    expect(page.locator("main")).to_contain_text("冻结")
    screenshot(page, "61-approve-all-confirmation")
    sign_in(phone, live_server, "zhaolei")
    phone.goto(page.url)
    expect(phone.get_by_test_id("confirm-approve-all")).to_be_visible()
    screenshot(phone, "62-approve-all-confirmation-phone")

    page.get_by_test_id("confirm-approve-all").click()
    expect(page.locator("h1")).to_have_text(campaign.name)
    expect(page.locator("main")).to_contain_text("已审定3份名单")
    screenshot(page, "63-campaign-lists-approved")
    assert set(VisitList.objects.values_list("status", flat=True)) == {VisitListStatus.APPROVED}
    expect(page.get_by_test_id("approve-lists")).to_have_count(1)
