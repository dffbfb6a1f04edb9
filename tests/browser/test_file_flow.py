"""A household's file from search to exit, walked in the browser by three people."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hardship.models import HardshipFile
from tests.factories import (
    TEST_PASSWORD,
    UnionUnitFactory,
    UserFactory,
    make_id_number,
    put_on_closed_notice,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(standards_for_browser):
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=1)
    hubei = UnionUnitFactory(
        name="湖北省总工会", code="HB", level=2, parent=national, division_code="420000"
    )
    wuhan = UnionUnitFactory(
        name="武汉市总工会", code="HB-WH", level=3, parent=hubei, division_code="420100"
    )
    jiangan = UnionUnitFactory(
        name="江岸区总工会", code="HB-WH-JA", level=4, parent=wuhan, division_code="420102"
    )
    return {
        "caseworker": UserFactory(username="zhangmin", full_name="张敏", unit=jiangan),
        "verifier": UserFactory(username="liuyang", full_name="刘洋", unit=jiangan),
        "approver": UserFactory(
            username="zhaolei",
            full_name="赵磊",
            unit=jiangan,
            is_caseworker=False,
            is_approver=True,
        ),
    }


@pytest.fixture
def standards_for_browser(db):
    from decimal import Decimal

    from hardship.models import MinimumLivingStandard

    MinimumLivingStandard.objects.create(
        division_code="420100",
        year=timezone.localdate().year,
        urban_monthly=Decimal("1000"),
        rural_monthly=Decimal("780"),
    )


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("unit-name")).to_be_visible()


def test_search_open_verify_approve_and_exit(live_server, page, screenshot, people):
    number = make_id_number(birth="19710608", region="420102", sequence=313)

    # The caseworker looks for the household first.
    sign_in(page, live_server, "zhangmin")
    page.get_by_role("link", name="新建档案").click()
    page.get_by_label("职工姓名").fill("陈桂兰")
    page.get_by_label("身份证号").fill(number)
    page.get_by_role("button", name="搜索").click()
    expect(page.get_by_test_id("search-results")).to_contain_text("本单位及下级没有这个姓名的档案")
    screenshot(page, "20-search-before-create")
    page.get_by_role("button", name="都不是：新建档案").click()

    # The application: name and ID carried over from the search.
    expect(page.locator("#id_name")).to_have_value("陈桂兰")
    page.get_by_label("联系电话").fill("13907150123")
    page.get_by_label("家庭住址").fill("武汉市江岸区大智路 25 号 2 单元 301")
    page.get_by_label("家庭所在行政区划").fill("420102")
    page.get_by_label("户籍类型").select_option("urban")
    page.get_by_label("婚姻状况").select_option("widowed")
    page.get_by_label("健康状况").select_option("serious")
    page.get_by_label("就业状况").select_option("laid_off")
    page.get_by_label("家庭年收入（元）").fill("19200")
    page.get_by_label("本年医疗支出（元）").fill("9600")
    page.get_by_label("家庭人口").fill("2")
    page.get_by_label("主要致困原因").select_option(label="大病、慢性病")
    page.get_by_role("button", name="添加家庭成员").click()
    member = page.get_by_test_id("member-form").first
    member.get_by_label("与职工关系").select_option("son")
    member.get_by_label("姓名").fill("陈子涵")
    member.get_by_label("出生日期").fill("2008-03-02")
    member.get_by_label("就业").select_option("student")
    member.get_by_label("就学阶段").select_option("high")
    screenshot(page, "21-application-form")
    page.get_by_role("button", name="录入申请").click()
    screenshot(page, "21b-after-submit")

    expect(page.get_by_test_id("file-status")).to_have_text("已申请")
    expect(page.get_by_test_id("masked-id")).to_have_text(f"{number[:6]}********{number[-4:]}")
    expect(page.get_by_test_id("calculator")).to_contain_text("深度困难")
    file_url = page.url
    page.get_by_test_id("action-first_review").get_by_role("button", name="初审通过").click()
    expect(page.get_by_test_id("file-status")).to_have_text("初审通过")
    # The caseworker who entered it is not offered the verification.
    expect(page.get_by_test_id("action-verify")).to_have_count(0)

    # A second caseworker verifies at the household.
    sign_in(page, live_server, "liuyang")
    page.goto(file_url)
    verify = page.get_by_test_id("action-verify")
    verify.get_by_label("刘洋").check()
    verify.get_by_label("核查情况").fill("入户核实：儿子读高二，本人大病透析，情况属实。")
    verify.get_by_role("button", name="登记入户核查").click()
    screenshot(page, "22b-after-verify")
    expect(page.get_by_test_id("file-status")).to_have_text("已入户核查")

    # The notice the unit asks for ran without objection (its own flow: test_notice_flow.py).
    put_on_closed_notice(HardshipFile.objects.get(), by=people["caseworker"])

    # The approver puts it on file.
    sign_in(page, live_server, "zhaolei")
    page.goto(file_url)
    page.get_by_test_id("action-approve").get_by_role("button", name="审批入档").click()
    expect(page.get_by_test_id("file-status")).to_have_text("在档")
    screenshot(page, "22-file-on-file")

    # A year later: out of hardship.
    exit_step = page.get_by_test_id("action-exit")
    exit_step.locator("summary").click()
    exit_step.get_by_label("脱困原因").select_option("reemployed")
    exit_step.get_by_role("button", name="已脱困").click()
    expect(page.get_by_test_id("file-status")).to_have_text("已脱困")
    expect(page.get_by_test_id("timeline")).to_contain_text("录入申请")
    expect(page.get_by_test_id("timeline")).to_contain_text("审批入档")
    screenshot(page, "23-file-exited")

    file = HardshipFile.objects.get()
    assert file.status == "exited"
    assert file.members.get().name == "陈子涵"
