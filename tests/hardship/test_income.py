"""Income over time (动态管理) and the "may exit" suggestion: six consecutive months of income
per person above the local 低保, quarters counting for their three months."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.income import (
    IncomeInput,
    files_that_may_exit,
    income_record_create,
    months_above_standard,
)
from hardship.models import HardshipFile, IncomeRecord, MinimumLivingStandard
from hardship.services import hardship_file_review
from tests.factories import open_file

pytestmark = pytest.mark.django_db

LAST_YEAR = timezone.localdate().year - 1
MONTH = IncomeRecord.Kind.MONTH
QUARTER = IncomeRecord.Kind.QUARTER


def record(month: int, income: str, people: int = 3, kind: str = MONTH, year: int = LAST_YEAR):
    return IncomeRecord(
        period_start=date(year, month, 1), kind=kind, household_income=Decimal(income),
        people=people,
    )  # fmt: skip


def flat(standard: str):
    return lambda year: Decimal(standard)


def on_record(file: HardshipFile) -> HardshipFile:
    HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.ON_FILE, category="relative")
    file.refresh_from_db()
    return file


def enter(file, by, month, income, *, people=3, kind=MONTH, year=LAST_YEAR):
    return income_record_create(
        file=file, by=by,
        data=IncomeInput(period_start=date(year, month, 1), kind=kind,
                         household_income=Decimal(income), people=people),
    )  # fmt: skip


# ---------------------------------------------------------------- the rule, without a database


def test_five_months_above_the_standard_are_not_enough():
    run = months_above_standard([record(m, "3000") for m in range(1, 6)], standard_for=flat("800"))
    assert len(run) == 5


def test_six_consecutive_months_above_the_standard_make_a_run_of_six():
    run = months_above_standard([record(m, "3000") for m in range(1, 7)], standard_for=flat("800"))
    assert [m.month.month for m in run] == [1, 2, 3, 4, 5, 6]


def test_a_month_not_recorded_breaks_the_run():
    records = [record(m, "3000") for m in (1, 2, 3, 5, 6, 7)]
    run = months_above_standard(records, standard_for=flat("800"))
    assert [m.month.month for m in run] == [5, 6, 7]


def test_a_month_below_the_standard_breaks_the_run():
    records = [record(m, "3000") for m in range(1, 8)] + [record(4, "900")]
    records = [r for r in records if not (r.period_start.month == 4 and r.household_income == 3000)]
    run = months_above_standard(records, standard_for=flat("800"))
    assert [m.month.month for m in run] == [5, 6, 7]


def test_a_latest_month_below_the_standard_means_no_run_at_all():
    records = [record(m, "3000") for m in range(1, 8)] + [record(8, "1500")]
    assert months_above_standard(records, standard_for=flat("800")) == []


def test_a_quarter_counts_for_each_of_its_three_months():
    records = [record(1, "3000", kind=QUARTER), record(4, "3000", kind=QUARTER)]
    run = months_above_standard(records, standard_for=flat("800"))
    assert [m.month.month for m in run] == [1, 2, 3, 4, 5, 6]


def test_income_per_person_is_the_household_income_divided_by_its_people():
    # 2,500 ÷ 3 = 833.33 is above 800; 2,400 ÷ 3 = 800.00 is not (above means above).
    assert record(1, "2500").per_capita == Decimal("833.33")
    above = months_above_standard([record(1, "2500")], standard_for=flat("800"))
    level = months_above_standard([record(1, "2400")], standard_for=flat("800"))
    assert len(above) == 1
    assert level == []


def test_each_month_is_compared_with_the_standard_of_its_year():
    records = [record(m, "2700", year=LAST_YEAR - 1) for m in (10, 11, 12)]
    records += [record(m, "2700") for m in (1, 2, 3)]
    # 900 a person: above 850 last year, not above 950 the year before.
    standards = {LAST_YEAR - 1: Decimal("950"), LAST_YEAR: Decimal("850")}
    run = months_above_standard(records, standard_for=standards.get)
    assert [(m.month.year, m.month.month) for m in run] == [(LAST_YEAR, 1), (LAST_YEAR, 2),
                                                            (LAST_YEAR, 3)]  # fmt: skip


def test_a_year_without_a_known_standard_breaks_the_run():
    run = months_above_standard(
        [record(m, "3000") for m in range(1, 7)], standard_for=lambda y: None
    )
    assert run == []


# ---------------------------------------------------------------- recording income


@pytest.fixture
def file(caseworker, standards, tree):
    return on_record(open_file(by=caseworker, unit=tree.jiangan))


def test_a_caseworker_records_a_month_and_a_quarter(file, caseworker):
    enter(file, caseworker, 1, "2400", kind=QUARTER)
    enter(file, caseworker, 4, "2500")

    assert [
        (r.period_start.month, r.kind) for r in file.income_records.order_by("period_start")
    ] == [
        (1, QUARTER),
        (4, MONTH),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"household_income": Decimal("-1")}, "household_income"),
        ({"people": 0}, "people"),
        ({"kind": QUARTER, "period_start": date(LAST_YEAR, 2, 1)}, "period_start"),
    ],
    ids=["negative income", "nobody", "quarter starting in February"],
)
def test_impossible_figures_are_refused_beside_their_field(file, caseworker, change, field):
    data = {"period_start": date(LAST_YEAR, 1, 1), "kind": MONTH,
            "household_income": Decimal("2000"), "people": 3} | change  # fmt: skip
    with pytest.raises(RuleBroken) as refused:
        income_record_create(file=file, by=caseworker, data=IncomeInput(**data))
    assert list(refused.value.message_dict) == [field]


def test_a_future_month_is_refused(file, caseworker):
    today = timezone.localdate()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    with pytest.raises(RuleBroken) as refused:
        income_record_create(
            file=file, by=caseworker,
            data=IncomeInput(period_start=next_month, kind=MONTH,
                             household_income=Decimal("2000"), people=3),
        )  # fmt: skip
    assert "period_start" in refused.value.message_dict


def test_the_same_month_twice_is_refused(file, caseworker):
    enter(file, caseworker, 3, "2000")
    with pytest.raises(RuleBroken, match=f"{LAST_YEAR}-03"):
        enter(file, caseworker, 3, "2100")


def test_a_quarter_over_a_month_already_recorded_is_refused(file, caseworker):
    enter(file, caseworker, 5, "2000")
    with pytest.raises(RuleBroken, match=f"{LAST_YEAR}-05"):
        enter(file, caseworker, 4, "2100", kind=QUARTER)


def test_income_is_recorded_only_while_the_file_is_on_record(caseworker, standards, tree):
    applied = open_file(by=caseworker, unit=tree.jiangan)
    with pytest.raises(RuleBroken, match="只有在档期间"):
        enter(applied, caseworker, 1, "2000")


def test_a_sibling_branch_cannot_record_income(file, sibling):
    with pytest.raises(PermissionDenied):
        enter(file, sibling, 1, "2000")


def test_the_yearly_review_records_the_income_it_found(file, caseworker):
    hardship_file_review(
        file=file, by=caseworker, notes="家访核实收入",
        income=IncomeInput(period_start=date(LAST_YEAR, 6, 1), kind=MONTH,
                           household_income=Decimal("2600"), people=3,
                           source=IncomeRecord.Source.REVIEW),
    )  # fmt: skip

    (saved,) = file.income_records.all()
    assert (saved.source, saved.household_income) == (IncomeRecord.Source.REVIEW, Decimal("2600"))


# ---------------------------------------------------------------- who may exit


def six_months_at(file, by, income, *, people=3):
    for month in range(1, 7):
        enter(file, by, month, income, people=people)


def test_a_household_above_the_standard_for_six_months_may_exit(file, caseworker):
    six_months_at(file, caseworker, "3000")

    (row,) = files_that_may_exit(user=caseworker)

    assert row.file == file
    assert (row.first, row.last) == (date(LAST_YEAR, 1, 1), date(LAST_YEAR, 6, 1))
    assert row.latest.standard == Decimal("800")


def test_five_months_recorded_do_not_suggest_an_exit(file, caseworker):
    for month in range(1, 6):
        enter(file, caseworker, month, "3000")
    assert files_that_may_exit(user=caseworker) == []


def test_the_standard_of_the_households_own_division_applies(file, caseworker):
    # 2,370 ÷ 3 = 790 a person: above the city's 780, below the district's 800 (420102).
    six_months_at(file, caseworker, "2370")
    assert files_that_may_exit(user=caseworker) == []


def test_a_rural_household_is_compared_with_the_rural_standard(caseworker, standards, tree):
    rural = on_record(open_file(by=caseworker, unit=tree.jiangan, hukou_type="rural"))
    six_months_at(rural, caseworker, "2100")  # 700 a person: above 650 rural, below 800 urban
    assert [row.file for row in files_that_may_exit(user=caseworker)] == [rural]


def test_the_standard_of_each_year_applies(file, caseworker):
    MinimumLivingStandard.objects.filter(division_code="420102", year=LAST_YEAR).update(
        urban_monthly=Decimal("1100")
    )
    six_months_at(file, caseworker, "3000")  # 1,000 a person: below last year's 1,100
    assert files_that_may_exit(user=caseworker) == []


def test_a_file_that_left_the_record_is_not_suggested(file, caseworker):
    six_months_at(file, caseworker, "3000")
    HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.EXITED, exit_reason="other")
    assert files_that_may_exit(user=caseworker) == []


def test_a_sibling_branch_is_not_told_of_our_households(file, caseworker, sibling):
    six_months_at(file, caseworker, "3000")
    assert files_that_may_exit(user=sibling) == []


# ---------------------------------------------------------------- pages


def test_the_may_exit_page_lists_the_household_with_its_months(caseworker_client, file, caseworker):
    six_months_at(file, caseworker, "3000")

    page = caseworker_client.get(reverse("hardship:may_exit"))

    body = page.content.decode()
    assert page.status_code == 200
    assert file.get_absolute_url() in body
    assert f"{LAST_YEAR}-01 – {LAST_YEAR}-06" in body


def test_the_review_queue_links_to_the_may_exit_page(caseworker_client):
    body = caseworker_client.get(reverse("hardship:review_queue")).content.decode()
    assert reverse("hardship:may_exit") in body


def test_a_sibling_sees_an_empty_may_exit_page(sibling_client, file, caseworker):
    six_months_at(file, caseworker, "3000")
    page = sibling_client.get(reverse("hardship:may_exit"))
    assert page.status_code == 200
    assert file.get_absolute_url() not in page.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_income_pages(client, file):
    for url in (reverse("hardship:may_exit"), reverse("hardship:file_income", args=[file.pk])):
        page = client.get(url)
        assert page.status_code == 302
        assert page["Location"].startswith(reverse(settings.LOGIN_URL))


def test_the_may_exit_page_costs_the_same_queries_for_one_and_three_files(
    caseworker_client, caseworker, standards, tree, django_assert_max_num_queries
):
    six_months_at(on_record(open_file(by=caseworker, unit=tree.jiangan)), caseworker, "3000")
    with django_assert_max_num_queries(20) as one:
        caseworker_client.get(reverse("hardship:may_exit"))
    for _ in range(2):
        six_months_at(on_record(open_file(by=caseworker, unit=tree.dazhi)), caseworker, "3000")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = caseworker_client.get(reverse("hardship:may_exit"))
    assert page.content.decode().count("/income/") == 3


def test_a_caseworker_records_income_on_the_files_income_page(caseworker_client, file):
    url = reverse("hardship:file_income", args=[file.pk])
    page = caseworker_client.post(
        url, {"period_start": f"{LAST_YEAR}-03", "kind": MONTH, "household_income": "2400",
              "people": "3", "source": "visit"},
    )  # fmt: skip
    assert page.status_code == 302
    assert file.income_records.get().period_start == date(LAST_YEAR, 3, 1)
    assert "2400" in caseworker_client.get(file.get_absolute_url()).content.decode()


def test_a_refused_income_shows_its_message_beside_the_field(caseworker_client, file, caseworker):
    enter(file, caseworker, 3, "2000")
    page = caseworker_client.post(
        reverse("hardship:file_income", args=[file.pk]),
        {"period_start": f"{LAST_YEAR}-03", "kind": MONTH, "household_income": "2400",
         "people": "3", "source": "visit"},
    )  # fmt: skip
    assert page.status_code == 400
    assert 'id="id_period_start_error"' in page.content.decode()


def test_a_sibling_gets_404_from_the_income_page(sibling_client, file):
    assert sibling_client.get(reverse("hardship:file_income", args=[file.pk])).status_code == 404
    page = sibling_client.post(
        reverse("hardship:file_income", args=[file.pk]),
        {"period_start": f"{LAST_YEAR}-03", "kind": MONTH, "household_income": "2400",
         "people": "3", "source": "visit"},
    )  # fmt: skip
    assert page.status_code == 404
    assert not file.income_records.exists()


def test_the_review_form_on_the_file_page_records_the_income_found(caseworker_client, file):
    url = reverse("hardship:file_action", args=[file.pk, "review"])
    page = caseworker_client.post(
        url, {"review-notes": "家访核实", "review-period_start": f"{LAST_YEAR}-07",
              "review-kind": QUARTER, "review-household_income": "2600", "review-people": "3"},
    )  # fmt: skip
    assert page.status_code == 302
    saved = file.income_records.get()
    assert (saved.kind, saved.source) == (QUARTER, IncomeRecord.Source.REVIEW)


def test_a_review_with_half_an_income_is_refused_beside_the_missing_fields(caseworker_client, file):
    url = reverse("hardship:file_action", args=[file.pk, "review"])
    page = caseworker_client.post(
        url, {"review-notes": "家访核实", "review-period_start": f"{LAST_YEAR}-07",
              "review-kind": MONTH},
    )  # fmt: skip
    assert page.status_code == 400
    body = page.content.decode()
    assert 'id="id_review-household_income_error"' in body
    assert not file.income_records.exists()
    file.refresh_from_db()
    assert not file.transitions.filter(action="review").exists()


def test_a_review_without_income_still_works(caseworker_client, file):
    url = reverse("hardship:file_action", args=[file.pk, "review"])
    page = caseworker_client.post(url, {"review-notes": "情况未变", "review-kind": MONTH})
    assert page.status_code == 302
    assert not file.income_records.exists()
