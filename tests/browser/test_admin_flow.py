"""An administrator signs into Django admin (password, then the authenticator's code) and adds a
union unit under an existing one."""

import pytest
from playwright.sync_api import expect

from people.models import UnionUnit, User
from tests.factories import TEST_PASSWORD, UnionUnitFactory, second_factor_device, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_unit_in_admin(live_server, page, screenshot):
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    UnionUnitFactory(name="湖北省总工会", code="HB", level=2, parent=national)
    admin = User.objects.create_superuser("admin", password=TEST_PASSWORD, full_name="系统管理员")
    authenticator = second_factor_device(admin)

    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # A password alone does not open admin: the second step asks for the app's code.
    expect(page.get_by_role("heading", name="登录第二步")).to_be_visible()
    page.get_by_label("验证码").fill(totp_code(authenticator))
    page.get_by_role("button", name="继续").click()
    page.get_by_role("link", name="工会组织", exact=True).first.click()
    page.get_by_role("link", name="增加 工会组织").click()

    page.get_by_label("名称").fill("武汉市总工会")
    page.get_by_label("单位编码").fill("HB-WH")
    page.get_by_label("层级").select_option(label="市（州）级")
    # The parent is an autocomplete (a 200,000-unit tree does not fit a <select>).
    page.locator(".field-parent .select2-selection").click()
    page.locator(".select2-search__field").fill("湖北")
    page.get_by_role("option", name="湖北省总工会").click()
    page.get_by_label("行政区划代码").fill("420100")
    screenshot(page, "10-admin-add-unit")
    page.get_by_role("button", name="保存", exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("武汉市总工会")
    screenshot(page, "11-admin-unit-list")
    wuhan = UnionUnit.objects.get(code="HB-WH")
    assert wuhan.parent.code == "HB"
    assert wuhan.path == f"{wuhan.parent.path}{wuhan.pk}/"
