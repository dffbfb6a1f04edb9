"""A visit logged on a phone in the household's home, its follow-up closed after a return call."""

from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.test_file_flow import sign_in
from tests.factories import UnionUnitFactory, UserFactory, open_file
from tests.visits.test_visits import on_file
from visits.choices import FollowUpStatus
from visits.models import FollowUp, Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def household(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=3, parent=hubei)
    jiangan = UnionUnitFactory(
        name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan, division_code="420102"
    )
    caseworker = UserFactory(username="zhangmin", full_name="张敏", unit=jiangan)
    UserFactory(username="liuyang", full_name="刘洋", unit=jiangan)
    file = open_file(by=caseworker, name="陈桂兰", address="武汉市江岸区大智路 25 号 2 单元 301")
    return on_file(file, created_at=timezone.now() - timedelta(days=30))


def jpeg(path) -> str:
    Image.new("RGB", (640, 480), color=(190, 120, 90)).save(path, "JPEG")
    return str(path)


def test_a_caseworker_logs_a_visit_on_a_phone_and_closes_its_follow_up(
    live_server, phone, screenshot, household, tmp_path
):
    page = phone
    sign_in(page, live_server, "zhangmin")
    page.goto(f"{live_server.url}{household.get_absolute_url()}")
    expect(page.get_by_test_id("visits-section")).to_be_visible()
    page.get_by_test_id("visits-section").scroll_into_view_if_needed()
    screenshot(page, "30-visits-section-empty-phone")

    # In the living room: what was found, what was handed over, what is left to do.
    page.get_by_test_id("log-visit").click()
    expect(page.get_by_test_id("visit-form")).to_be_visible()
    page.get_by_label("入户走访").check()
    page.locator("#id_people_reached").fill("3")
    page.locator("#id_findings").fill("本人尿毒症透析，每周三次；儿子读高二，冬衣不足。")
    page.locator("#id_pressing_problems").fill("透析费用医保报销未到账。")
    page.locator("#id_solved_on_spot").fill("送去棉被两床、羽绒服一件。")
    page.locator("#id_goods").fill("棉被两床、羽绒服一件")
    page.locator("#id_goods_value").fill("680")
    page.locator("#id_cash_amount").fill("1000")
    row = page.get_by_test_id("follow-up-row").first
    row.locator("textarea").fill("协调医保中心，追回两个月的透析报销。")
    row.locator("select").select_option(label="张敏（江岸区总工会）")
    row.locator('input[type="date"]').fill((timezone.localdate() + timedelta(days=10)).isoformat())
    page.locator("#id_photos").set_input_files(jpeg(tmp_path / "客厅.jpg"))
    screenshot(page, "31-visit-form-phone")
    page.get_by_test_id("save-visit").click()

    expect(page.get_by_test_id("visits-timeline")).to_contain_text("透析")
    expect(page.get_by_test_id("open-follow-ups")).to_contain_text("追回两个月的透析报销")
    page.get_by_test_id("visits-section").scroll_into_view_if_needed()
    screenshot(page, "32-file-after-visit-phone")
    visit = Visit.objects.get()
    assert visit.photos.count() == 1
    assert visit.cash_amount == 1000
    page.get_by_test_id("visits-timeline").get_by_role("link").first.click()
    expect(page.get_by_test_id("visit-photos").locator("img")).to_have_count(1)
    screenshot(page, "32b-visit-detail-phone")
    page.go_back()

    # A week later the caseworker phones back: the money has arrived.
    page.get_by_test_id("log-visit").click()
    page.get_by_label("电话回访").check()
    page.locator("#id_findings").fill("电话回访：两个月的透析报销已到账。")
    page.get_by_test_id("save-visit").click()
    expect(page.get_by_test_id("visits-timeline")).to_contain_text("报销已到账")

    page.get_by_test_id("open-follow-ups").get_by_role("link").first.click()
    close = page.get_by_test_id("close-form")
    close.locator("textarea").fill("医保中心已补报两个月透析费用 4,260 元。")
    close.locator("select").select_option(index=1)
    screenshot(page, "33-close-follow-up-phone")
    close.get_by_role("button").click()

    expect(page.get_by_test_id("visits-timeline")).to_contain_text("4,260")
    expect(page.get_by_test_id("open-follow-ups")).to_have_count(0)
    page.get_by_test_id("visits-section").scroll_into_view_if_needed()
    screenshot(page, "34-file-after-close-phone")

    page.goto(f"{live_server.url}/visits/follow-ups/")
    expect(page.get_by_test_id("visits-tabs")).to_be_visible()
    screenshot(page, "35-my-follow-ups-phone")
    page.goto(f"{live_server.url}/visits/pairings/coverage/")
    expect(page.get_by_test_id("coverage-table")).to_contain_text("陈桂兰")
    screenshot(page, "36-pairing-coverage-phone")

    follow_up = FollowUp.objects.get()
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.return_visit.kind == "phone"
    assert follow_up.closed_by.username == "zhangmin"


def test_a_caseworker_pairs_a_leading_cadre_with_a_household_missing_one(
    live_server, phone, screenshot, household
):
    page = phone
    sign_in(page, live_server, "zhangmin")
    page.goto(f"{live_server.url}/visits/pairings/coverage/?missing=leading_cadre")
    coverage = page.get_by_test_id("coverage-table")
    expect(coverage).to_contain_text("陈桂兰")
    coverage.locator('a[href*="/pairings/"]').first.click()

    # No cadre yet: add one, then come back to pair.
    pairing_url = page.url
    page.locator('a[href="/visits/cadres/new/"]').click()
    page.locator("#id_name").fill("王建华")
    page.locator("#id_position").fill("江岸区总工会副主席")
    page.locator("#id_is_leading_cadre").check()
    page.get_by_test_id("cadre-form").locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("王建华")

    page.goto(pairing_url)
    form = page.get_by_test_id("pairing-form")
    form.get_by_label("领导干部").check()
    form.locator("#id_cadre").select_option(label="王建华（江岸区总工会副主席）")
    screenshot(page, "37-pair-a-helper-phone")
    form.locator("button[type=submit]").click()

    expect(page.get_by_test_id("helpers")).to_contain_text("王建华")
    page.get_by_test_id("helpers").scroll_into_view_if_needed()
    screenshot(page, "38-file-with-a-leading-cadre-phone")
    page.get_by_test_id("helpers").get_by_role("link", name="王建华（江岸区总工会副主席）").click()
    expect(page.get_by_test_id("cadre-households")).to_contain_text("陈桂兰")
    screenshot(page, "39-cadre-households-phone")
