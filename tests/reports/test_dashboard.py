"""A unit's dashboard (its home page): key figures, charts with their tables, the breakdown by
child unit, the period, and who may see which unit's figures."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funds.choices import FundKind, ReceiptSource
from funds.services import fund_create, receipt_record
from hardship.models import HardshipFile
from reports.dashboard import period_choices, unit_url
from reports.periods import Period
from reports.tallies import refresh_tallies, window_months
from tests.factories import UnionUnitFactory, UserFactory, open_file
from visits.services import visit_log


def _a_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _on_record(unit, by, *, opened_on: date, category: str = "deep") -> HardshipFile:
    """A file on record since ``opened_on`` (the approval steps are not what is tested here)."""
    file = open_file(by=by, unit=unit)
    HardshipFile.objects.filter(pk=file.pk).update(
        status="on_file", category=category, opened_on=opened_on
    )
    file.refresh_from_db()
    return file


def _refresh():
    return refresh_tallies(months=window_months(timezone.localdate()))


def _figures(response) -> dict[str, Decimal]:
    return {figure.key: figure.value for figure in response.context["dashboard"].key_figures}


def _shown(html: str, key: str) -> str:
    """The large number shown for one key figure."""
    match = re.search(
        rf'data-testid="figure-{key}">\s*<dt>[^<]*</dt>\s*<dd[^>]*data-testid="value">([^<]*)<',
        html,
    )
    assert match, key
    return match.group(1)


@pytest.fixture(params=["counted directly", "precomputed"])
def kept(request, settings):
    """Both ways a branch's figures are read: counted from its records as the page opens (a
    small branch) and read from the last refresh (with no minimum, every branch with units
    below it)."""
    if request.param == "precomputed":
        settings.TALLY_MIN_FILES = 0
    return request.param


@pytest.fixture
def world(kept, tree, caseworker):
    """武汉's branch: 3 files on record (2 in 大智, 1 in 江岸), one of them opened this year and
    two a year ago; a visit reaching 3 people today; 1,000 yuan received by 武汉 today.
    湖南 (a sibling branch) has a file, visits and money that must never show in 武汉.
    """
    today = timezone.localdate()
    year_ago = _a_year_before(today)
    approver = UserFactory(
        username="wuhan.money", unit=tree.wuhan, is_caseworker=True, is_approver=True
    )
    files = {
        "new": _on_record(tree.dazhi, caseworker, opened_on=today),
        "old": _on_record(tree.dazhi, caseworker, opened_on=year_ago, category="relative"),
        "jiangan": _on_record(tree.jiangan, caseworker, opened_on=year_ago),
    }
    visit_log(
        file=files["new"], by=caseworker, visited_on=today, kind="home", visitors=[caseworker],
        cadres=[], campaign=None, findings="家中困难", people_reached=3,
    )  # fmt: skip
    fund = fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    receipt_record(
        fund=fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("1000"), received_on=today,
        by=approver,
    )  # fmt: skip
    hunan_worker = UserFactory(
        username="changsha.money", unit=tree.changsha, is_caseworker=True, is_approver=True
    )
    hunan_file = _on_record(tree.changsha, hunan_worker, opened_on=today)
    for _ in range(5):
        visit_log(
            file=hunan_file, by=hunan_worker, visited_on=today, kind="home",
            visitors=[hunan_worker], cadres=[], campaign=None, findings="家中困难",
            people_reached=7,
        )  # fmt: skip
    hunan_fund = fund_create(
        unit=tree.changsha, name="送温暖资金", kind=FundKind.WARMTH, by=hunan_worker
    )
    receipt_record(
        fund=hunan_fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("777777"),
        received_on=today, by=hunan_worker,
    )  # fmt: skip
    _refresh()
    return files


def test_the_home_page_shows_the_users_unit_figures_after_a_refresh(caseworker_client, world, kept):
    response = caseworker_client.get(reverse("reports:home"))

    assert response.status_code == 200
    assert response.context["dashboard"].counted_directly == (kept == "counted directly")
    assert response.context["unit"].name == "武汉市总工会"
    figures = _figures(response)
    assert figures["on_record"] == 3
    assert figures["opened"] == 1
    assert figures["visits"] == 1
    assert figures["person_times"] == 3
    assert figures["received"] == Decimal("1000.00")
    assert figures["paid"] == 0
    assert figures["overdue"] == 0
    html = response.content.decode()
    assert _shown(html, "on_record") == "3"
    assert _shown(html, "received") == "1,000"
    as_at = re.search(r'data-testid="figures-as-at">(.*?)</p>', html, re.S).group(1)
    refreshed = timezone.localtime(response.context["dashboard"].figures.refreshed.finished_at)
    assert (f"{refreshed:%H:%M}" in as_at) == (kept == "precomputed")


def test_each_figure_is_compared_with_the_same_period_a_year_earlier(caseworker_client, world):
    response = caseworker_client.get(reverse("reports:home"))

    by_key = {figure.key: figure for figure in response.context["dashboard"].key_figures}
    # A year ago: "old" and "jiangan" were on record, both opened then; nothing was visited.
    assert (by_key["on_record"].year_before, by_key["on_record"].change_percent) == (2, 50)
    assert (by_key["opened"].year_before, by_key["opened"].direction) == (2, "down")
    assert (by_key["visits"].year_before, by_key["visits"].change_percent) == (0, None)
    assert by_key["overdue"].figure is None
    html = response.content.decode()
    assert "+50.0%" in html
    assert "−50.0%" in html


def test_the_charts_data_and_their_tables_carry_the_same_numbers(caseworker_client, world):
    response = caseworker_client.get(reverse("reports:home"))
    html = response.content.decode()

    data = json.loads(
        re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
        .group(1)
    )  # fmt: skip
    charts = {chart["key"]: chart for chart in data["charts"]}
    assert set(charts) == {"money", "visits", "category", "cause"}  # no campaign under way
    this_month = len(Period.year_to_date(timezone.localdate()).months) - 1
    money = {series["label"]: series["values"] for series in charts["money"]["series"]}
    assert money["收入"][this_month] == 1000
    visits = charts["visits"]["series"]
    assert [series["values"][this_month] for series in visits] == [1, 3]
    assert charts["category"]["kind"] == "doughnut"
    assert sum(charts["category"]["series"][0]["values"]) == 3
    # Every chart drawn has a canvas described for screen readers, and a table with a caption.
    for key in charts:
        assert re.search(rf'<canvas id="chart-{key}" role="img" aria-label="[^"]+"', html), key
    assert html.count('<details class="chart-table"') == len(
        [c for c in response.context["charts"] if c.has_figures]
    )
    assert html.count("<caption>") >= len(charts)
    assert "vendor/chartjs/chart.umd.js" in html
    assert "js/dashboard.js" in html


def test_the_breakdown_by_child_unit_links_to_each_childs_dashboard(caseworker_client, world, tree):
    response = caseworker_client.get(reverse("reports:home"))

    rows = response.context["child_rows"]
    assert [(row.unit.name, row.figures.on_record.value) for row in rows] == [("江岸区总工会", 3)]
    assert rows[0].figures.visits.value == 1
    assert f'href="{unit_url(tree.jiangan)}"' in response.content.decode()


def test_the_parents_user_drills_down_to_a_child_unit_for_the_same_period(
    caseworker_client, world, tree
):
    year = str(timezone.localdate().year)

    response = caseworker_client.get(unit_url(tree.jiangan), {"period": year})

    assert response.status_code == 200
    assert response.context["dashboard"].period == Period.year(int(year))
    assert _figures(response)["on_record"] == 3
    html = response.content.decode()
    # The child (大智) and the trail back up (武汉) keep the period.
    assert f'href="{unit_url(tree.dazhi)}?period={year}"' in html
    assert f'href="{unit_url(tree.wuhan)}?period={year}"' in html
    assert [row.figures.on_record.value for row in response.context["child_rows"]] == [2]

    leaf = caseworker_client.get(unit_url(tree.dazhi), {"period": year})

    assert leaf.status_code == 200
    assert [step.name for step, _url in leaf.context["trail"]] == [
        "武汉市总工会",
        "江岸区总工会",
        "大智街道工会",
    ]


def test_a_grassroots_unit_page_counts_its_own_records_directly(
    caseworker_client, caseworker, world, tree
):
    # A visit logged after the refresh: a unit with no units below is counted as the page opens.
    visit_log(
        file=world["old"], by=caseworker, visited_on=timezone.localdate(), kind="phone",
        visitors=[caseworker], cadres=[], campaign=None, findings="电话回访", people_reached=1,
    )  # fmt: skip

    response = caseworker_client.get(unit_url(tree.dazhi))

    assert response.status_code == 200
    figures = _figures(response)
    assert (figures["on_record"], figures["visits"], figures["person_times"]) == (2, 2, 4)
    assert response.context["child_rows"] == []
    assert "coverage" not in {chart.key for chart in response.context["charts"]}
    html = response.content.decode()
    assert 'data-testid="children-table"' not in html


def test_the_period_parameter_chooses_the_period_and_its_year_before(caseworker_client, world):
    today = timezone.localdate()
    last_year = today.year - 1

    response = caseworker_client.get(reverse("reports:home"), {"period": str(last_year)})

    dashboard = response.context["dashboard"]
    assert dashboard.period == Period.year(last_year)
    assert dashboard.figures.year_before_period == Period.year(last_year - 1)
    assert dashboard.period_error == ""
    figures = _figures(response)
    assert (figures["on_record"], figures["opened"], figures["visits"]) == (2, 2, 0)
    assert f'<option value="{last_year}" selected>' in response.content.decode()

    month = f"{today:%Y-%m}"
    this_month = caseworker_client.get(reverse("reports:home"), {"period": month})

    assert this_month.context["dashboard"].period == Period.month(today.year, today.month)
    assert _figures(this_month)["visits"] == 1
    quarter = f"{today.year}-q{(today.month + 2) // 3}"
    assert (
        caseworker_client.get(reverse("reports:home"), {"period": quarter})
        .context["dashboard"]
        .period_value
        == quarter
    )


@pytest.mark.parametrize("text", ["nonsense", "2026-13", "2026-q5", "3000"])
def test_a_bad_period_shows_a_message_and_the_year_to_date(caseworker_client, world, text):
    response = caseworker_client.get(reverse("reports:home"), {"period": text})

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.period == Period.year_to_date(timezone.localdate())
    assert dashboard.period_error
    assert 'data-testid="period-error"' in response.content.decode()
    assert _figures(response)["on_record"] == 3


def test_a_period_older_than_the_figures_kept_shows_a_message_and_the_year_to_date(
    caseworker_client, world
):
    too_old = str(timezone.localdate().year - 2)

    response = caseworker_client.get(reverse("reports:home"), {"period": too_old})

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert dashboard.period == Period.year_to_date(timezone.localdate())
    assert str(timezone.localdate().year - 1) in dashboard.period_error
    assert 'data-testid="period-error"' in response.content.decode()


def test_the_periods_offered_are_those_whose_year_before_is_kept():
    choices = dict(period_choices(date(2026, 11, 20)))
    values = [value for options in choices.values() for value, _label in options]

    assert values[:3] == ["ytd", "2026", "2025"]
    assert "2026-q4" in values and "2026-q1" in values and "2025-q1" in values
    assert "2026-11" in values and "2026-12" not in values and "2025-01" in values
    assert "2024" not in values


def test_a_user_of_a_sibling_unit_gets_404_and_never_sees_its_figures(sibling_client, world, tree):
    for unit in (tree.wuhan, tree.jiangan, tree.dazhi):
        assert sibling_client.get(unit_url(unit)).status_code == 404

    own = sibling_client.get(reverse("reports:home"))

    assert own.context["unit"] == tree.hunan
    figures = _figures(own)
    assert (figures["on_record"], figures["visits"], figures["person_times"]) == (1, 5, 35)
    assert figures["received"] == Decimal("777777.00")
    html = own.content.decode()
    assert "武汉市总工会" not in html
    assert "1,000" not in html


def test_the_caseworker_never_sees_the_sibling_branchs_figures(caseworker_client, world):
    html = caseworker_client.get(reverse("reports:home")).content.decode()

    assert "湖南省总工会" not in html
    assert "长沙市总工会" not in html
    assert "777" not in html


def test_a_superuser_without_a_unit_keeps_the_list_of_top_units(client, superuser, tree):
    client.force_login(superuser)

    response = client.get(reverse("reports:home"))

    assert response.templates[0].name == "reports/tree_roots.html"
    assert "中华全国总工会" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, tree):
    response = client.get(unit_url(tree.wuhan))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_the_dashboard_takes_the_same_queries_for_one_and_three_child_units(
    kept, caseworker_client, caseworker, tree
):
    parent = UnionUnitFactory(level=tree.jiangan.level, parent=tree.wuhan, code="HB-WH-NEW")

    def add_child(n: int) -> None:
        child = UnionUnitFactory(level=tree.dazhi.level, parent=parent, code=f"HB-WH-NEW-{n}")
        _on_record(child, caseworker, opened_on=timezone.localdate() - timedelta(days=1))

    def queries_of_the_page() -> int:
        _refresh()
        with CaptureQueriesContext(connection) as queries:
            response = caseworker_client.get(unit_url(parent))
        assert response.status_code == 200
        assert _figures(response)["on_record"] == len(response.context["child_rows"])
        return len(queries)

    add_child(0)
    with_one = queries_of_the_page()
    add_child(1)
    add_child(2)
    with_three = queries_of_the_page()

    assert with_three == with_one


def test_the_home_page_names_the_unit_and_keeps_the_units_below_table(caseworker_client, tree):
    response = caseworker_client.get(reverse("reports:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="children-heading"' in html
    assert "HB-WH-JA" in html  # the child's code
    assert 'data-testid="figures-as-at"' in html


@pytest.fixture
def refresh_asks(monkeypatch):
    """The refreshes the pages ask a worker for (the message is recorded, not sent)."""
    from celery import current_app
    from django.core.cache import cache

    from reports.tallies import REFRESH_ASKED_KEY

    cache.delete(REFRESH_ASKED_KEY)
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **options: sent.append(name))
    yield sent
    cache.delete(REFRESH_ASKED_KEY)


def test_a_large_branch_without_figures_is_prepared_not_counted_on_the_page(
    client, settings, tree, caseworker, refresh_asks, django_capture_on_commit_callbacks
):
    # A province whose figures were never counted (a new installation, a fresh import, a
    # stopped beat), with branches above the minimum: the page must not count them itself.
    settings.TALLY_MIN_FILES = 2
    province_caseworker = UserFactory(username="hubei.cw", unit=tree.hubei)
    for _n in range(3):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    _on_record(tree.yichang, province_caseworker, opened_on=timezone.localdate())
    client.force_login(province_caseworker)

    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(unit_url(tree.hubei))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="figures-preparing"' in html
    assert 'data-testid="key-figures"' not in html
    # 武汉 (3 files) is being prepared; 宜昌 (1 file, no units below) is counted as it stands.
    rows = {row.unit.code: row.figures for row in response.context["child_rows"]}
    assert rows["HB-WH"] is None
    assert rows["HB-YC"].on_record.value == 1
    assert refresh_asks == ["reports.refresh_all_figures"]
    # The large branches read no records: a fixed number of statements (the rest count the
    # small 宜昌 directly, as it stands).
    assert len(queries) <= 35, "\n".join(query["sql"] for query in queries.captured_queries)

    with django_capture_on_commit_callbacks(execute=True):
        client.get(unit_url(tree.wuhan))
    assert refresh_asks == ["reports.refresh_all_figures"], "asked once, not per page load"

    _refresh()
    response = client.get(unit_url(tree.hubei))
    assert 'data-testid="figures-preparing"' not in response.content.decode()
    assert _figures(response)["on_record"] == 4


def test_a_province_pages_queries_do_not_grow_with_its_files(
    client, settings, tree, caseworker, refresh_asks
):
    settings.TALLY_MIN_FILES = 2
    client.force_login(UserFactory(username="hubei.cw", unit=tree.hubei))

    def queries_of_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(unit_url(tree.hubei)).status_code == 200
        return len(queries)

    for _n in range(3):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    with_three = queries_of_the_page()
    for _n in range(30):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())

    assert queries_of_the_page() == with_three


def test_a_refresh_not_sent_because_the_broker_is_down_is_asked_again_by_the_next_page(
    client, settings, tree, caseworker, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app
    from django.core.cache import cache

    from reports.tallies import REFRESH_ASKED_KEY

    cache.delete(REFRESH_ASKED_KEY)
    settings.TALLY_MIN_FILES = 2
    for _n in range(3):
        _on_record(tree.dazhi, caseworker, opened_on=timezone.localdate())
    attempts = []

    def broker_down(name, **options):
        attempts.append(name)
        raise ConnectionError("broker down")

    monkeypatch.setattr(current_app, "send_task", broker_down)
    client.force_login(UserFactory(username="hubei.cw", unit=tree.hubei))

    for _load in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(unit_url(tree.hubei)).status_code == 200

    assert len(attempts) == 2
    cache.delete(REFRESH_ASKED_KEY)
