"""The figures: counted once, rolled up the tree, read for a period and the year before."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from funds.choices import AccountKind, FundKind, ReceiptSource, TransactionKind
from funds.ledger import Line, account_for, ledger_post
from funds.models import Fund
from hardship.models import HardshipFile
from people.models import UnionUnit
from reports.measures import CHILD_MEASURES
from reports.models import AS_AT_REFRESH, BranchTally
from reports.periods import Period
from reports.statistics import PeriodTooOld, branch_figures, unit_statistics
from reports.tallies import precomputed_unit_ids, read_tallies, refresh_tallies, window_months
from tests.factories import UserFactory, open_file
from visits.models import Visit

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _precompute_every_branch(settings):
    # The tree here is small: keep every branch with units below it, as at scale.
    settings.TALLY_MIN_FILES = 0


@pytest.fixture
def recorder(tree):
    return UserFactory(username="hb.recorder", unit=tree.hubei, is_approver=True)


def _file(
    unit,
    by,
    *,
    opened_on,
    ended_on=None,
    status="on_file",
    category="deep",
    exit_reason="",
    **values,
):
    file = open_file(by=by, unit=unit, **values)
    HardshipFile.objects.filter(pk=file.pk).update(
        status=status,
        category=category,
        opened_on=opened_on,
        ended_on=ended_on,
        exit_reason=exit_reason,
    )
    file.refresh_from_db()
    return file


def _visit(file, by, day, *, kind="home", people=2, campaign=None):
    return Visit.objects.create(
        file=file,
        campaign=campaign,
        visited_on=day,
        kind=kind,
        people_reached=people,
        findings="家中困难",
        recorded_by=by,
    )


def _money(fund, by, day, lines):
    return ledger_post(
        kind=TransactionKind.RECEIPT,
        fund=fund,
        by=by,
        lines=lines,
        posted_at=timezone.make_aware(datetime.combine(day, time(10))),
    )


def _refresh():
    return refresh_tallies(months=window_months(TODAY), today=TODAY)


@pytest.fixture
def files(tree, recorder):
    """On record now in 湖北: 3 (2 in 江岸's 大智, 1 in 宜昌); one left in May 2026; 湖南 has 1."""
    return {
        "dazhi_old": _file(tree.dazhi, recorder, opened_on=date(2025, 3, 5), category="deep"),
        "dazhi_new": _file(
            tree.dazhi,
            recorder,
            opened_on=date(2026, 2, 10),
            category="relative",
            employment_status="retired",
            is_migrant_worker=True,
        ),
        "yichang": _file(tree.yichang, recorder, opened_on=date(2025, 9, 1), category="deep"),
        "left": _file(
            tree.jiangan,
            recorder,
            opened_on=date(2025, 1, 20),
            ended_on=date(2026, 5, 3),
            status="exited",
            category="relative",
            exit_reason="reemployed",
        ),
        "hunan": _file(
            tree.changsha,
            UserFactory(username="hn.rec", unit=tree.hunan),
            opened_on=date(2026, 4, 1),
            category="deep",
        ),
    }


def test_files_on_record_by_dimension_beside_the_year_before(tree, files):
    _refresh()
    figures = branch_figures(tree.hubei, Period.year_to_date(TODAY), today=TODAY)

    # Now: dazhi_old, dazhi_new, yichang. At the end of November 2025: dazhi_old, yichang, left.
    assert figures.on_record.value == 3
    assert figures.on_record.year_before == 3
    by_category = {
        row.key: (row.value, row.year_before) for row in figures.on_record_by["category"]
    }
    assert by_category["deep"] == (2, 2)
    assert by_category["relative"] == (1, 1)
    by_migrant = {row.key: row.value for row in figures.on_record_by["migrant"]}
    assert by_migrant == {"yes": 1, "no": 2}
    assert figures.opened.value == 1  # dazhi_new, in February 2026
    assert figures.opened.year_before == 3
    assert figures.exited.value == 1
    assert [row.value for row in figures.exited_by_reason if row.key == "reemployed"] == [1]


def test_stock_of_a_past_month_is_derived_from_what_moved_since(tree, files):
    _refresh()
    april = branch_figures(tree.hubei, Period.month(2026, 4), today=TODAY)
    june = branch_figures(tree.hubei, Period.month(2026, 6), today=TODAY)
    assert april.on_record.value == 4  # "left" was still on record in April
    assert june.on_record.value == 3
    assert april.on_record.year_before == 2  # April 2025: left and dazhi_old


def test_a_sibling_branch_is_never_counted(tree, files):
    _refresh()
    assert branch_figures(tree.hunan, Period.year_to_date(TODAY), today=TODAY).on_record.value == 1
    assert branch_figures(tree.hubei, Period.year_to_date(TODAY), today=TODAY).on_record.value == 3
    national = branch_figures(tree.national, Period.year_to_date(TODAY), today=TODAY)
    assert national.on_record.value == 4


def test_breakdown_by_child_unit_adds_up_to_the_branch(tree, files):
    _refresh()
    statistics = unit_statistics(tree.hubei, Period.year_to_date(TODAY), today=TODAY)
    children = {child.unit.name: child.on_record.value for child in statistics.children}
    assert children == {"武汉市总工会": 2, "宜昌市总工会": 1}
    assert sum(children.values()) == statistics.figures.on_record.value


def test_a_grassroots_union_is_counted_directly_and_agrees(tree, files, recorder):
    _refresh()
    _visit(files["dazhi_old"], recorder, date(2026, 11, 2), people=3)
    # 大智 has no units below: its own page counts it directly, so even the visit just logged
    # counts. (Its rows are only those of its parent's breakdown by child unit.)
    assert precomputed_unit_ids([tree.dazhi.pk]) == set()
    kept = set(BranchTally.objects.filter(unit=tree.dazhi).values_list("measure", flat=True))
    assert kept <= CHILD_MEASURES
    figures = branch_figures(tree.dazhi, Period.year_to_date(TODAY), today=TODAY)
    assert figures.on_record.value == 2
    assert figures.visits.value == 1
    assert figures.person_times.value == 3


def test_precomputed_figures_equal_a_direct_count_of_the_branch(tree, files, recorder, settings):
    """Rolled-up rows say what counting every row of the branch directly says."""
    _visit(files["dazhi_old"], recorder, date(2026, 11, 3), kind="home", people=2)
    _visit(files["yichang"], recorder, date(2025, 12, 24), kind="phone", people=1)
    hubei = Fund.objects.create(
        unit=tree.hubei, name="送温暖资金", kind=FundKind.WARMTH, created_by=recorder
    )
    wuhan = Fund.objects.create(
        unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, created_by=recorder
    )
    _money(
        hubei,
        recorder,
        date(2026, 1, 8),
        [
            Line(account_for(hubei, AccountKind.AVAILABLE), Decimal("800.00")),
            Line(
                account_for(hubei, AccountKind.INCOME, source=ReceiptSource.DONATION),
                Decimal("-800.00"),
            ),
        ],
    )
    _money(
        hubei,
        recorder,
        date(2026, 2, 8),
        [
            Line(account_for(hubei, AccountKind.AVAILABLE), Decimal("-300.00")),
            Line(account_for(hubei, AccountKind.ALLOCATED_DOWN), Decimal("300.00")),
            Line(
                account_for(wuhan, AccountKind.INCOME, source=ReceiptSource.HIGHER_UNION),
                Decimal("-300.00"),
            ),
            Line(account_for(wuhan, AccountKind.AVAILABLE), Decimal("300.00")),
        ],
    )
    _refresh()
    months = window_months(TODAY)
    units = [tree.national, tree.hubei, tree.wuhan, tree.jiangan, tree.dazhi, tree.hunan]
    ids = [unit.pk for unit in units]
    assert precomputed_unit_ids(ids) == {
        tree.national.pk,
        tree.hubei.pk,
        tree.wuhan.pk,
        tree.jiangan.pk,
        tree.hunan.pk,
    }
    precomputed = read_tallies(ids, months=months, today=TODAY)

    settings.TALLY_MIN_FILES = 10**9
    _refresh()
    assert precomputed_unit_ids(ids) == set()
    direct = read_tallies(ids, months=months, today=TODAY)

    for unit in units:
        assert {k: v for k, v in precomputed[unit.pk].items() if v} == {
            k: v for k, v in direct[unit.pk].items() if v
        }, unit.name
    hubei_figures = direct[tree.hubei.pk]
    assert hubei_figures["visits", "home", 202611] == 1
    assert hubei_figures["received", "donation", 202601] == Decimal("800.00")
    assert ("received", "higher", 202602) not in hubei_figures
    assert direct[tree.wuhan.pk]["received", "higher", 202602] == Decimal("300.00")
    assert hubei_figures["onfile.category", "deep", AS_AT_REFRESH] == 2


def test_only_branches_with_enough_files_are_kept(tree, files, settings):
    settings.TALLY_MIN_FILES = 4
    _refresh()
    # Files (on record or not): 全国 5, 湖北 4, 武汉 and 江岸 3, 湖南 1; 大智 has no units below.
    kept = precomputed_unit_ids([unit.pk for unit in UnionUnit.objects.all()])
    assert kept == {tree.national.pk, tree.hubei.pk}
    # Their child units keep the breakdown's figures only, for the table below the headline.
    breakdown = {tree.wuhan.pk, tree.yichang.pk, tree.hunan.pk}
    assert set(BranchTally.objects.values_list("unit_id", flat=True)) <= kept | breakdown
    assert (
        set(BranchTally.objects.filter(unit_id__in=breakdown).values_list("measure", flat=True))
        <= CHILD_MEASURES
    )
    statistics = unit_statistics(tree.hubei, Period.year_to_date(TODAY), today=TODAY)
    assert {child.unit.name: child.on_record.value for child in statistics.children} == {
        "武汉市总工会": 2,
        "宜昌市总工会": 1,
    }


def test_money_moving_inside_a_branch_is_not_counted_twice(tree, recorder):
    hubei = Fund.objects.create(
        unit=tree.hubei, name="省送温暖", kind=FundKind.WARMTH, created_by=recorder
    )
    wuhan = Fund.objects.create(
        unit=tree.wuhan, name="市送温暖", kind=FundKind.WARMTH, created_by=recorder
    )
    day = date(2026, 10, 9)
    _money(
        hubei,
        recorder,
        day,
        [
            Line(account_for(hubei, AccountKind.AVAILABLE), Decimal("1000.00")),
            Line(
                account_for(hubei, AccountKind.INCOME, source=ReceiptSource.GOVERNMENT),
                Decimal("-1000.00"),
            ),
        ],
    )
    _money(
        hubei,
        recorder,
        day,
        [
            Line(account_for(hubei, AccountKind.AVAILABLE), Decimal("-400.00")),
            Line(account_for(hubei, AccountKind.ALLOCATED_DOWN), Decimal("400.00")),
            Line(
                account_for(wuhan, AccountKind.INCOME, source=ReceiptSource.HIGHER_UNION),
                Decimal("-400.00"),
            ),
            Line(account_for(wuhan, AccountKind.AVAILABLE), Decimal("400.00")),
        ],
    )
    _refresh()
    period = Period.year_to_date(TODAY)
    province = branch_figures(tree.hubei, period, today=TODAY)
    city = branch_figures(tree.wuhan, period, today=TODAY)
    national = branch_figures(tree.national, period, today=TODAY)
    assert province.received.value == Decimal("1000.00")
    assert province.allocated_down.value == Decimal("400.00")
    assert city.received.value == Decimal("400.00")
    assert {row.key: row.value for row in city.received_by_source}["higher"] == Decimal("400.00")
    assert city.allocated_down.value == 0
    assert national.received.value == Decimal("1000.00")
    assert national.allocated_down.value == 0
    october = next(month for month in province.months if month.month == date(2026, 10, 1))
    assert october.received == Decimal("1000.00")
    assert october.allocated == Decimal("400.00")


def test_refreshing_again_changes_nothing_and_recent_refresh_keeps_older_months(
    tree, files, recorder
):
    _visit(files["yichang"], recorder, date(2025, 12, 24))
    _refresh()
    before = sorted(BranchTally.objects.values_list("unit_id", "month", "measure", "key", "value"))
    _refresh()
    assert (
        sorted(BranchTally.objects.values_list("unit_id", "month", "measure", "key", "value"))
        == before
    )

    _visit(files["yichang"], recorder, date(2026, 11, 19), people=4)
    refresh_tallies(today=TODAY)  # the every-few-minutes refresh: now and this month
    figures = branch_figures(tree.hubei, Period.year_to_date(TODAY), today=TODAY)
    assert figures.visits.value == 1
    assert figures.person_times.value == 4
    december = branch_figures(tree.hubei, Period.month(2025, 12), today=TODAY)
    assert december.visits.value == 1


def test_a_period_whose_year_before_is_no_longer_kept_is_refused(tree):
    with pytest.raises(PeriodTooOld):
        branch_figures(tree.hubei, Period.year(2024), today=TODAY)
    branch_figures(tree.hubei, Period.year(2025), today=TODAY)


class TestPeriods:
    def test_parse_and_slug_read_back(self):
        for text in ("2026", "2026-q3", "2026-10", "2025-02"):
            assert Period.parse(text, today=TODAY).slug == text
        assert Period.parse("", today=TODAY) == Period.year_to_date(TODAY)
        august = Period.year_to_date(date(2025, 8, 9))
        assert Period.parse(august.slug, today=TODAY) == august
        assert august.months == [202501 + n for n in range(8)]

    @pytest.mark.parametrize(
        "text",
        [
            "2027",
            "2026-12",
            "2026-q5",
            "26-1",
            "abcd",
            "2026-13",
            "1999",
            "2026-ytd-13",
            "2027-ytd-01",
        ],
    )
    def test_parse_refuses_nonsense_and_the_future(self, text):
        with pytest.raises(ValueError):
            Period.parse(text, today=TODAY)

    def test_months_and_the_year_before(self):
        quarter = Period.quarter(2026, 1)
        assert quarter.months == [202601, 202602, 202603]
        assert quarter.year_before() == Period.quarter(2025, 1)
        leap = Period.month(2024, 2)
        assert leap.year_before().last_day == date(2023, 2, 28)
        assert Period.previous_month(date(2026, 1, 5)) == Period.month(2025, 12)


@pytest.mark.django_db(transaction=True)
def test_the_frequent_refresh_steps_aside_while_another_runs(tree):
    """Refreshes never queue up behind a slow one; the nightly one waits its turn."""
    import psycopg
    from django.db import connection

    from reports.tallies import REFRESH_LOCK

    settings_dict = connection.settings_dict
    other = psycopg.connect(
        host=settings_dict["HOST"],
        port=settings_dict["PORT"],
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [REFRESH_LOCK])
        assert refresh_tallies(today=TODAY, wait=False) is None
        other.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])
        assert refresh_tallies(today=TODAY, wait=False) is not None
    finally:
        other.close()


def test_the_beat_tasks_refresh(tree, files):
    from reports.tasks import refresh_all_figures, refresh_recent_figures

    assert refresh_all_figures() > 0
    assert refresh_recent_figures() > 0
    assert BranchTally.objects.filter(unit=tree.hubei, month=AS_AT_REFRESH).exists()


def test_admins_see_the_refreshes_and_nobody_changes_them(tree, files, client, superuser):
    from django.urls import reverse

    log = _refresh()
    client.force_login(superuser)
    page = client.get(reverse("admin:reports_tallyrefresh_changelist"))
    assert page.status_code == 200
    assert str(log.rows) in page.content.decode()
    assert client.get(reverse("admin:reports_tallyrefresh_add")).status_code == 403
    caseworker = UserFactory(username="hb.staff", unit=tree.hubei, is_staff=True)
    client.force_login(caseworker)
    assert client.get(reverse("admin:reports_tallyrefresh_changelist")).status_code == 403


def test_money_paid_out_counts_where_the_help_went(tree, files):
    """A city's fund paying a district's household: the district's help, and the city's."""
    from funds.choices import PaymentMethod, Purpose
    from funds.services import (
        DisbursementInput,
        disbursement_approve,
        disbursement_pay,
        disbursement_propose,
        fund_create,
        receipt_record,
    )

    caseworker = UserFactory(username="wh.cw2", unit=tree.wuhan)
    approver = UserFactory(
        username="wh.ap2", unit=tree.wuhan, is_caseworker=False, is_approver=True
    )
    fund = fund_create(unit=tree.wuhan, name="帮扶资金", kind=FundKind.HELP, by=approver)
    receipt_record(
        fund=fund, source=ReceiptSource.GOVERNMENT, amount=Decimal("5000"),
        received_on=timezone.localdate(), by=approver,
    )  # fmt: skip
    payment = disbursement_propose(
        proposal=DisbursementInput(
            file=files["dazhi_old"], fund=fund, purpose=Purpose.SPECIAL, amount=Decimal("800")
        ),
        by=caseworker,
    )
    disbursement_approve(disbursement=payment, by=approver)
    disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)

    today = timezone.localdate()
    refresh_tallies(months=window_months(today), today=today)
    period = Period.year_to_date(today)
    statistics = unit_statistics(tree.wuhan, period, today=today)
    assert statistics.figures.paid.value == Decimal("800")
    assert {row.key: row.value for row in statistics.figures.paid_by_fund_kind}["help"] == 800
    assert statistics.figures.helped.value == 1
    jiangan = next(child for child in statistics.children if child.unit == tree.jiangan)
    assert (jiangan.paid.value, jiangan.helped.value) == (Decimal("800"), 1)
    district = branch_figures(tree.dazhi, period, today=today)
    assert district.paid.value == Decimal("800")
    assert {row.key: row.value for row in district.paid_by_purpose}["special"] == 800
