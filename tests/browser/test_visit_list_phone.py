"""A caseworker in a household's home: the community's visit list on a phone, one card a
household with its address and a tap-to-call phone; the log-visit button within reach; after
saving, back at the same household's row."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_file_flow import sign_in
from tests.browser.test_funds_flow import winter  # noqa: F401 - the fixture
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visit_logged_from_the_list_on_a_phone_returns_to_the_row(
    live_server,
    phone,
    screenshot,
    winter,  # noqa: F811 - the fixture
):
    _campaign, _fund, visit_list, _jiangan = winter
    sign_in(phone, live_server, "zhangmin")
    phone.goto(f"{live_server.url}/visits/lists/{visit_list.pk}/")

    first = visit_list.rows.order_by("priority", "pk").first()
    row = phone.locator(f"#row-{first.file_id}")
    expect(row).to_contain_text(first.address)
    expect(row.locator("a[href^='tel:']")).to_be_visible()
    button = row.get_by_test_id("log-visit-from-list")
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the screen, not off to the right
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing to the side
    screenshot(phone, "47-visit-list-phone")

    button.click()
    phone.get_by_label("走访情况").fill("老人卧床，冬衣不足，已送棉被。")
    phone.get_by_test_id("save-visit").click()

    expect(phone).to_have_url(
        f"{live_server.url}/visits/lists/{visit_list.pk}/#row-{first.file_id}"
    )
    expect(phone.locator(".messages, [role=status]").first).to_be_visible()
    assert Visit.objects.filter(file_id=first.file_id).exists()
    screenshot(phone, "48-visit-list-after-visit-phone")
