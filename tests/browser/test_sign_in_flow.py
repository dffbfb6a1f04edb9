"""A caseworker signs in, finds their unit, switches to English and signs out."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, UnionUnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def jiangan_caseworker():
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=3, parent=hubei)
    jiangan = UnionUnitFactory(name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan)
    UnionUnitFactory(name="大智街道工会", code="HB-WH-JA-DZ", level=5, parent=jiangan)
    return UserFactory(username="jiangan.caseworker", full_name="张敏", unit=jiangan)


def test_a_caseworker_signs_in_in_chinese_switches_to_english_and_signs_out(
    live_server, page, screenshot, jiangan_caseworker
):
    page.goto(f"{live_server.url}/")

    # Sent to the sign-in page, in Chinese although the browser did not ask.
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "01-login-zh")
    page.get_by_label("用户名").fill("jiangan.caseworker")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()

    # Home: the caseworker's own unit, and the unit below it.
    expect(page.get_by_test_id("unit-name")).to_have_text("江岸区总工会")
    expect(page.get_by_test_id("current-unit")).to_have_text("江岸区总工会")
    expect(page.get_by_role("link", name="大智街道工会")).to_be_visible()
    screenshot(page, "02-home-zh")

    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()

    expect(page.get_by_role("heading", name="Units below")).to_be_visible()
    expect(page.get_by_test_id("unit-name")).to_have_text("江岸区总工会")
    screenshot(page, "03-home-en")

    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_the_home_page_works_on_a_phone_by_its_menu(
    live_server, phone, screenshot, jiangan_caseworker
):
    phone.goto(f"{live_server.url}/accounts/login/")
    phone.get_by_label("用户名").fill("jiangan.caseworker")
    phone.get_by_label("密码").fill(TEST_PASSWORD)
    phone.get_by_label("密码").press("Enter")

    expect(phone.get_by_test_id("unit-name")).to_have_text("江岸区总工会")
    sign_out = phone.get_by_role("button", name="退出登录")
    expect(sign_out).to_be_hidden()
    screenshot(phone, "04-home-phone")

    phone.get_by_text("菜单").click()

    expect(sign_out).to_be_visible()
    screenshot(phone, "05-menu-phone")


def test_the_sign_in_form_works_by_keyboard_alone(live_server, page, jiangan_caseworker):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").focus()
    page.keyboard.type("jiangan.caseworker")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_test_id("unit-name")).to_have_text("江岸区总工会")
