"""The main pages work under the Content-Security-Policy and the Permissions-Policy: the
dashboard's charts are drawn, progress bars move, admin's autocomplete opens, and the browser
reports no violation of either policy on any of them.

Violations are caught twice: by a `securitypolicyviolation` listener an init script adds to
every page before the page's own scripts run, and by Chromium's console messages (which also
name a Permissions-Policy it could not read).
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from documents.models import GeneratedDocument
from funds.models import Fund
from hardship.models import HardshipFile
from people.models import User
from tests.browser import test_dashboard_flow
from tests.browser.test_file_flow import sign_in
from tests.factories import TEST_PASSWORD, second_factor_device, totp_code
from visits.models import Campaign, VisitList, VisitListRow
from visits.services import visit_log

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 武汉市总工会 with three districts, files on record, a winter campaign with part of its lists
# visited, and money received: the dashboard's fixture, so every chart has figures.
wuhan = test_dashboard_flow.wuhan

COLLECT_VIOLATIONS = """
window.__policyViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__policyViolations.push(
    event.violatedDirective + " blocked " + (event.blockedURI || "inline") + " at " +
    event.sourceFile + ":" + event.lineNumber
  );
});
"""
# A canvas Chart.js drew on has painted pixels; a refused script leaves it blank.
CANVAS_PAINTED = """canvas => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


class PolicyWatch:
    """Everything the browser said about the policies, and the scripts' own errors."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.context.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message):
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            self.console.append(f"{self.page.url}: {text}")

    def visit(self, url: str):
        """Open a page, check it was sent with both policies, and wait until it settles."""
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        policy = response.header_value("content-security-policy") or ""
        assert "default-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "camera=()" in (response.header_value("permissions-policy") or ""), url
        self.page.wait_for_load_state("load")
        # menu.js ran: on a wide screen it lays the menu out inline.
        expect(self.page.locator("html.menu-inline")).to_have_count(1)
        return response

    def violations(self) -> list[str]:
        """Violations the current page's listener saw, then the console's over all pages."""
        return self.page.evaluate("window.__policyViolations") + self.console

    def assert_clean(self, where: str):
        assert self.violations() == [], where
        assert self.errors == [], where


def test_the_main_pages_work_under_the_policies(live_server, page, screenshot, wuhan):
    page.emulate_media(reduced_motion="reduce")
    watch = PolicyWatch(page)
    sign_in(page, live_server, "wuhan.caseworker")
    watch.assert_clean("sign-in")
    url = live_server.url

    # The dashboard: Chart.js from our static files draws every chart.
    watch.visit(f"{url}/")
    charts = page.locator("canvas[data-drawn='true']")
    expect(charts).to_have_count(5)
    for canvas in charts.all():
        assert canvas.evaluate(CANVAS_PAINTED), canvas.get_attribute("id")
    # dashboard.js sized a box through the CSSOM (allowed), not a style attribute (refused).
    watch.assert_clean("dashboard")
    screenshot(page, "csp-01-dashboard")

    file = HardshipFile.objects.filter(unit__code="HB-WH-JA").order_by("pk").first()
    campaign = Campaign.objects.get()
    visit_list = VisitList.objects.filter(campaign=campaign).order_by("pk").first()
    fund = Fund.objects.get()
    for where in (
        "/files/",
        f"/files/{file.pk}/",
        f"/files/{file.pk}/edit/",
        "/visits/campaigns/",
        f"/visits/lists/{visit_list.pk}/",
        "/visits/follow-ups/",
        "/funds/",
        f"/funds/{fund.pk}/",
        "/funds/payments/waiting/",
        "/funds/budgets/",
        "/funds/units/",
        "/reports/",
        "/accounts/profile/",
    ):
        watch.visit(url + where)
        watch.assert_clean(where)

    # The campaign's coverage bar moves when a household on its lists is visited.
    watch.visit(f"{url}/visits/campaigns/{campaign.pk}/")
    coverage = page.locator("progress[aria-label]").first
    before = coverage.evaluate("bar => bar.value")
    row = VisitListRow.objects.filter(campaign=campaign, visit__isnull=True).first()
    caseworker = User.objects.get(username="wuhan.caseworker")
    visit_log(
        file=row.file, by=caseworker, visited_on=timezone.localdate(), kind="home",
        visitors=[caseworker], cadres=[], campaign=campaign, findings="送上慰问金",
        people_reached=1,
    )  # fmt: skip
    page.reload()
    after = page.locator("progress[aria-label]").first.evaluate("bar => bar.value")
    assert after > before
    watch.assert_clean("campaign")
    screenshot(page, "csp-02-campaign")

    # A job's progress bar: progress.js polls the job and moves the bar, then reloads.
    job = GeneratedDocument.objects.create(
        kind="campaign_report", title="活动报告", requested_by=caseworker, unit=caseworker.unit,
        status=GeneratedDocument.Status.RUNNING, progress_done=1, progress_total=4,
    )  # fmt: skip
    watch.visit(f"{url}/documents/{job.pk}/")
    progress = page.get_by_test_id("document-progress")
    expect(progress).to_have_js_property("value", 25)
    GeneratedDocument.objects.filter(pk=job.pk).update(progress_done=3)
    expect(page.get_by_test_id("document-progress-text")).to_have_text("3 / 4")
    expect(progress).to_have_js_property("value", 75)
    GeneratedDocument.objects.filter(pk=job.pk).update(
        status=GeneratedDocument.Status.DONE, progress_done=4
    )
    expect(progress).to_have_count(0)
    expect(page.get_by_test_id("document-status")).to_have_text("已完成")
    watch.assert_clean("job progress")

    # The watch sees what the policy refuses: a style attribute set from a script.
    page.evaluate("document.body.setAttribute('style', 'color: red')")
    page.wait_for_function("window.__policyViolations.length > 0")
    assert any("style-src" in v for v in watch.violations())


def test_django_admin_works_under_the_policies(live_server, page, screenshot, wuhan):
    admin = User.objects.create_superuser("admin", password=TEST_PASSWORD, full_name="系统管理员")
    authenticator = second_factor_device(admin)
    watch = PolicyWatch(page)
    url = live_server.url

    page.goto(f"{url}/admin/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # The second step (the authenticator's code) is a page of ours, under the same policy.
    page.get_by_label("验证码").fill(totp_code(authenticator))
    page.get_by_role("button", name="继续").click()
    expect(page.locator("#site-name")).to_be_visible()
    watch.assert_clean("admin sign-in")

    for where in ("/admin/", "/admin/people/unionunit/", "/admin/people/user/"):
        response = page.goto(url + where)
        assert "default-src 'self'" in (response.header_value("content-security-policy") or "")
        watch.assert_clean(where)

    # The unit's parent is a select2 autocomplete: jQuery and select2 under the policy.
    page.goto(f"{url}/admin/people/unionunit/add/")
    page.locator(".field-parent .select2-selection").click()
    page.locator(".select2-search__field").fill("武汉")
    expect(page.get_by_role("option", name="武汉市总工会")).to_be_visible()
    page.get_by_role("option", name="武汉市总工会").click()
    expect(page.locator(".field-parent .select2-selection__rendered")).to_contain_text(
        "武汉市总工会"
    )
    screenshot(page, "csp-03-admin-autocomplete")
    watch.assert_clean("admin autocomplete")
