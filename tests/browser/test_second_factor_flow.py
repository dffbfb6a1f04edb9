"""A unit administrator's first sign-in sets up an authenticator; the next one asks for a code,
and a recovery code stands in for a lost phone."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, UnionUnitFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def jiangan_admin():
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=3, parent=hubei)
    jiangan = UnionUnitFactory(name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan)
    return UserFactory(
        username="jiangan.admin", full_name="周芳", unit=jiangan, is_caseworker=False,
        is_viewer=True, is_unit_admin=True, is_staff=True,
    )  # fmt: skip


def sign_in_with_password(page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("用户名").fill("jiangan.admin")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_an_admin_enrols_on_first_sign_in_and_later_signs_in_with_a_recovery_code(
    live_server, page, screenshot, jiangan_admin
):
    sign_in_with_password(page, live_server.url)

    expect(page.get_by_role("heading", name="设置第二重验证")).to_be_visible()
    expect(page.locator(".qr-code svg")).to_be_visible()
    screenshot(page, "12-second-factor-enrol")
    # What an authenticator app does with the key shown under the QR code.
    secret = page.get_by_test_id("totp-secret").inner_text()
    code = TOTP(b32decode(secret)).token()
    page.get_by_label("应用中的验证码").fill(f"{code:06d}")
    page.get_by_role("button", name="确认").click()

    codes = page.get_by_test_id("recovery-codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "13-recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_test_id("unit-name")).to_have_text("江岸区总工会")

    page.get_by_role("button", name="退出登录").click()
    sign_in_with_password(page, live_server.url)

    expect(page.get_by_role("heading", name="登录第二步")).to_be_visible()
    page.goto(f"{live_server.url}/admin/")  # nothing opens before the second step
    expect(page.get_by_role("heading", name="登录第二步")).to_be_visible()
    page.get_by_label("验证码").fill(codes[0])
    page.get_by_role("button", name="继续").click()

    expect(page.locator("#site-name")).to_be_visible()
    screenshot(page, "14-admin-after-recovery-code")
