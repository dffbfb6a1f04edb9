"""No page counts a large branch's figures on the spot, and a dashboard's headline and its
table of child units come from the same refresh and say when (issue 14 item 5, issue 13
item 8).

Pages are read in Chinese (the default language), as a union office reads them.
"""

import re
from decimal import Decimal

import pytest
from celery import current_app
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from reports.dashboard import unit_url
from reports.tallies import REFRESH_ASKED_KEY
from reports.tasks import refresh_all_figures
from tests.factories import UnionUnitFactory, UserFactory
from tests.reports.test_dashboard import _figures, _on_record

pytestmark = pytest.mark.django_db

# What a province's home page may cost with no figures at all: the session and the user, the
# unit and its children, which branches are kept, one capped count of the large ones, the
# small child (宜昌) counted directly (one query per breakdown measure), the causes' names and
# the last refresh: 29 here. A page that counted a large branch would grow with its files
# instead (a million files took 28 s).
HOME_PAGE_BUDGET = 32

PREPARING_ZH = "本单位及下属单位的统计数据正在首次汇总"


@pytest.fixture
def refresh_asks(monkeypatch):
    """The refreshes pages ask a worker for (recorded, not sent), once their transaction ends."""
    cache.delete(REFRESH_ASKED_KEY)
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **options: sent.append(name))
    yield sent
    cache.delete(REFRESH_ASKED_KEY)


@pytest.fixture
def province_user(tree):
    return UserFactory(username="hubei.cw", unit=tree.hubei)


def _as_at(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</p>', html, re.S)
    assert match, testid
    return " ".join(match.group(1).split())


def test_a_provinces_home_page_without_figures_says_they_are_being_prepared_and_asks_once(
    client,
    settings,
    tree,
    caseworker,
    province_user,
    refresh_asks,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    settings.TALLY_MIN_FILES = 2  # the province's branch (4 files) is large
    today = timezone.localdate()
    for _n in range(3):
        _on_record(tree.dazhi, caseworker, opened_on=today)
    _on_record(tree.yichang, province_user, opened_on=today)
    client.force_login(province_user)

    for _load in range(2):
        with (
            django_capture_on_commit_callbacks(execute=True),
            django_assert_max_num_queries(HOME_PAGE_BUDGET),
        ):
            response = client.get(reverse("reports:home"))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-testid="figures-preparing"' in html
        assert PREPARING_ZH in html
        assert 'data-testid="key-figures"' not in html

    assert refresh_asks == ["reports.refresh_all_figures"], "two loads queue one refresh"

    refresh_all_figures()  # what the worker runs
    response = client.get(reverse("reports:home"))

    html = response.content.decode()
    assert 'data-testid="figures-preparing"' not in html
    assert _figures(response)["on_record"] == 4
    refreshed = response.context["dashboard"].refreshed_at
    assert refreshed is not None
    assert f"数据截至 {refreshed:%Y-%m-%d} {refreshed:%H:%M}" in _as_at(html, "figures-as-at")


def test_a_small_branch_without_figures_is_counted_on_the_page_and_asks_nothing(
    client, settings, tree, caseworker, refresh_asks, django_capture_on_commit_callbacks
):
    settings.TALLY_MIN_FILES = 10
    _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    client.force_login(caseworker)  # 武汉's caseworker; 武汉's branch holds one file

    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("reports:home"))

    assert response.status_code == 200
    assert 'data-testid="figures-preparing"' not in response.content.decode()
    assert _figures(response)["on_record"] == 1
    assert refresh_asks == []


def test_the_headline_and_the_child_table_come_from_the_same_refresh(
    client, settings, tree, caseworker, province_user
):
    # 湖北 (4 files) is kept; 武汉 (3) and 宜昌 (1) are below the minimum: before, the table
    # of child units counted them live while the headline was the last refresh's.
    settings.TALLY_MIN_FILES = 4
    today = timezone.localdate()
    for _n in range(3):
        _on_record(tree.dazhi, caseworker, opened_on=today)
    _on_record(tree.yichang, province_user, opened_on=today)
    refresh_all_figures()
    # A file opened since the refresh: counted by the next one, on both alike.
    _on_record(tree.yichang, province_user, opened_on=today)
    client.force_login(province_user)

    response = client.get(unit_url(tree.hubei))

    html = response.content.decode()
    children = {
        row.unit.code: row.figures.on_record.value for row in response.context["child_rows"]
    }
    assert children == {"HB-WH": 3, "HB-YC": 1}
    assert _figures(response)["on_record"] == sum(children.values()) == 4
    refreshed = response.context["dashboard"].refreshed_at
    when = f"{refreshed:%Y-%m-%d} {refreshed:%H:%M}"
    assert when in _as_at(html, "figures-as-at")
    assert f"{refreshed:%H:%M}" in _as_at(html, "children-as-at")
    assert "同一次汇总" in _as_at(html, "children-as-at")

    refresh_all_figures()
    response = client.get(unit_url(tree.hubei))

    children = {
        row.unit.code: row.figures.on_record.value for row in response.context["child_rows"]
    }
    assert children == {"HB-WH": 3, "HB-YC": 2}
    assert _figures(response)["on_record"] == Decimal(5)


def test_a_child_unit_added_since_the_refresh_waits_for_the_next_one(
    client, settings, tree, caseworker, province_user
):
    settings.TALLY_MIN_FILES = 2
    for _n in range(2):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    refresh_all_figures()
    UnionUnitFactory(name="襄阳市总工会", code="HB-XY", level=tree.yichang.level, parent=tree.hubei)
    client.force_login(province_user)

    response = client.get(unit_url(tree.hubei))

    rows = {row.unit.code: row.figures for row in response.context["child_rows"]}
    assert rows["HB-XY"] is None
    assert rows["HB-WH"].on_record.value == 2
    assert 'data-testid="child-preparing"' in response.content.decode()
    assert "下次更新时统计" in response.content.decode()


def test_a_small_branchs_page_counts_its_children_directly_like_its_headline(
    client, settings, tree, caseworker
):
    settings.TALLY_MIN_FILES = 10
    _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    refresh_all_figures()
    _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    client.force_login(caseworker)

    response = client.get(unit_url(tree.wuhan))

    html = response.content.decode()
    rows = {row.unit.code: row.figures.on_record.value for row in response.context["child_rows"]}
    assert rows == {"HB-WH-JA": 2}
    assert _figures(response)["on_record"] == 2
    assert response.context["dashboard"].counted_directly
    assert 'data-testid="children-as-at"' in html


def test_a_sibling_and_anonymous_get_no_figures(client, sibling_client, tree, caseworker):
    _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    assert sibling_client.get(unit_url(tree.wuhan)).status_code == 404
    client.logout()
    response = client.get(unit_url(tree.wuhan))
    assert response.status_code == 302
    assert "login" in response.url


def test_a_report_job_counts_a_child_unit_added_since_the_refresh(
    settings, tree, caseworker, province_user
):
    from reports.periods import Period
    from reports.statistics import unit_statistics

    settings.TALLY_MIN_FILES = 2
    for _n in range(2):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    refresh_all_figures()
    xiangyang = UnionUnitFactory(
        name="襄阳市总工会", code="HB-XY", level=tree.yichang.level, parent=tree.hubei
    )
    _on_record(xiangyang, province_user, opened_on=timezone.localdate())

    # Not on a page: a worker may count the new (small) child unit directly.
    statistics = unit_statistics(tree.hubei, Period.year_to_date(timezone.localdate()))

    children = {child.unit.code: child.on_record.value for child in statistics.children}
    assert children == {"HB-WH": 2, "HB-XY": 1, "HB-YC": 0}
