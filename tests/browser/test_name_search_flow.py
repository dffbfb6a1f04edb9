"""A caseworker looks for every 建国 of the city, narrows them to deep hardship and pages
through them, on a desktop and on a phone (the list counts and pages a name search from its
keys' own index: hardship.selectors.file_list_page)."""

import re

import pytest
from playwright.sync_api import expect

from hardship.models import HardshipFile
from tests.factories import TEST_PASSWORD, UserFactory, open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SURNAMES = "张王赵刘陈杨黄周吴徐孙马朱胡郭何高罗郑梁谢宋唐许韩冯邓曹彭曾"


@pytest.fixture
def jianguos(caseworker, standards, tree):
    """60 files of 武汉 a search for 建国 finds, 12 of them in deep hardship; one of 宜昌."""
    files = [
        open_file(by=caseworker, unit=tree.jiangan, name=f"{SURNAMES[n % 30]}建国")
        for n in range(60)
    ]
    HardshipFile.objects.filter(pk__in=[f.pk for f in files]).update(category="relative")
    HardshipFile.objects.filter(pk__in=[f.pk for f in files[:12]]).update(category="deep")
    open_file(by=UserFactory(unit=tree.yichang), name="宜昌建国")
    return files


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("wuhan.cw")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("unit-name")).to_be_visible()


def names_shown(page) -> list[str]:
    return page.get_by_test_id("file-table").locator("tbody tr td:nth-child(2)").all_inner_texts()


def files_shown(page) -> list[int]:
    links = page.get_by_test_id("file-table").locator("tbody tr td:first-child a")
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [int(re.search(r"/files/(\d+)/", href).group(1)) for href in hrefs]


@pytest.mark.parametrize("device", ["page", "phone"])
def test_find_every_jianguo_narrow_to_deep_hardship_and_page_through(
    live_server, request, screenshot, jianguos, device
):
    page = request.getfixturevalue(device)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/files/")

    page.get_by_label("搜索").fill("建国")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#results-heading")).to_contain_text("60")
    assert all(name.endswith("建国") for name in names_shown(page))
    assert "宜昌建国" not in names_shown(page)
    first = files_shown(page)
    assert len(first) == 50
    screenshot(page, f"name-search-{device}")

    page.get_by_role("link", name="下一页").click()
    second = files_shown(page)
    assert len(second) == 10
    assert set(first) | set(second) == {f.pk for f in jianguos}
    page.get_by_role("link", name="上一页").click()
    assert files_shown(page) == first

    # "More filters" stays open once the list has been filtered.
    expect(page.locator("details", has=page.get_by_label("深度困难"))).to_have_attribute("open", "")
    page.get_by_label("深度困难").check()
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#results-heading")).to_contain_text("12")
    assert set(files_shown(page)) == {f.pk for f in jianguos[:12]}
    screenshot(page, f"name-search-deep-{device}")
