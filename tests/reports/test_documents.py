"""The summary reports as PDFs: what the campaign report and the periodic statistical report
print, for whom, and the campaign report through a real worker once.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from documents.models import GeneratedDocument
from documents.services import document_request, document_run
from funds.choices import FundKind, PaymentMethod, Purpose, ReceiptSource
from funds.models import SchoolingStandard
from funds.services import (
    DisbursementInput,
    disbursement_approve,
    disbursement_pay,
    disbursement_propose,
    fund_create,
    receipt_record,
)
from hardship.choices import SchoolStage
from hardship.models import HouseholdMember
from people.models import UnionUnit
from reports import charts
from reports.documents import (
    CAMPAIGN_KIND,
    campaign_report_request,
    made_by_label,
    periodic_report_request,
    render_campaign_report,
    render_periodic_report,
)
from reports.periods import Period
from reports.statistics import PeriodTooOld
from reports.tallies import refresh_tallies, window_months
from tests.documents.test_pdf import pdf_fonts, pdf_pages, pdf_words, save_picture, squeezed
from tests.factories import (
    UnionUnitFactory,
    UserFactory,
    make_id_number,
    put_grant_on_closed_notice,
)
from tests.funds.test_disbursements import student_household
from tests.visits.test_visits import campaign, household, list_row, log
from tests.workers import database_url_for_other_processes, wait_for, worker_process
from visits.models import Visit

Status = GeneratedDocument.Status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def jianghan(tree):
    """A second county of 武汉, so the breakdown by unit below has two rows."""
    return UnionUnitFactory(
        name="江汉区总工会", code="HB-WH-JH", level=UnionUnit.Level.COUNTY, parent=tree.wuhan
    )


def pay(*, caseworker, approver, file, fund, amount, purpose=Purpose.VISIT_MONEY, **more):
    proposal = disbursement_propose(
        proposal=DisbursementInput(
            file=file, fund=fund, purpose=purpose, amount=Decimal(amount), **more
        ),
        by=caseworker,
    )
    approved = disbursement_approve(disbursement=proposal, by=approver)
    if purpose == Purpose.SCHOOLING:
        put_grant_on_closed_notice(approved, by=caseworker)
    return disbursement_pay(
        disbursement=approved, by=caseworker, method=PaymentMethod.BANK, bank_reference="B-1"
    )


@pytest.fixture
def wuhan_year(tree, jianghan, caseworker, approver, standards):
    """武汉's branch this month: three households on file, visits, money in and out, a student;
    and one visit on the same day a year before.
    """
    today = timezone.localdate()
    fund = fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    receipt_record(
        fund=fund,
        source=ReceiptSource.GOVERNMENT,
        amount=Decimal("50000"),
        received_on=today,
        by=caseworker,
    )
    winter = campaign(tree.wuhan, approver, name="2026年冬送温暖")
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("3000")
    )
    first = household(by=caseworker, unit=tree.jiangan, name="张建国",
                      id_number=make_id_number(sequence=11))  # fmt: skip
    second = household(by=caseworker, unit=tree.dazhi, name="王秀英",
                       id_number=make_id_number(sequence=13))  # fmt: skip
    third = student_household(caseworker, jianghan, name="陈桂兰", sequence=15,
                              id_number=make_id_number(birth="20070301", sequence=77))  # fmt: skip
    for file in (first, second, third):
        list_row(winter, file)
    log(first, caseworker, campaign=winter, people_reached=3)
    log(third, caseworker, campaign=winter, people_reached=2)
    a_year_ago = log(second, caseworker)
    Visit.objects.filter(pk=a_year_ago.pk).update(visited_on=today - timedelta(days=365))
    pay(caseworker=caseworker, approver=approver, file=first, fund=fund, amount="1200",
        campaign=winter)  # fmt: skip
    pay(caseworker=caseworker, approver=approver, file=third, fund=fund, amount="800",
        campaign=winter)  # fmt: skip
    pay(caseworker=caseworker, approver=approver, file=third, fund=fund, amount="3000",
        campaign=winter, purpose=Purpose.SCHOOLING,
        student=HouseholdMember.objects.get(file=third))  # fmt: skip
    refresh_tallies(months=window_months(today))
    return winter


def this_month() -> Period:
    today = timezone.localdate()
    return Period.month(today.year, today.month)


# ====================================================================== charts


def test_a_chart_escapes_its_labels_and_sets_them_in_noto_sans_cjk_sc():
    svg = charts.horizontal_bar_chart([("<b>江岸区</b>", 3), ("大智街道", 1)], title="覆盖率")

    assert "&lt;b&gt;江岸区&lt;/b&gt;" in svg
    assert "<b>" not in svg
    assert 'font-family="Noto Sans CJK SC, sans-serif"' in svg


def test_chart_numbers_read_in_ten_thousands_past_a_hundred_thousand():
    numbers = (950, 12345, 250_000, 56_490_000, 310_000_000)
    assert [charts.short_number(n) for n in numbers] == [
        "950",
        "12,345",
        "25.0万",
        "5,649万",
        "3.1亿",
    ]


# ====================================================================== the periodic report


def test_the_monthly_report_prints_the_branchs_figures_beside_the_year_before(
    tree, wuhan_year, caseworker
):
    period = this_month()

    pdf = render_periodic_report(unit=tree.wuhan, period=period, made_by_label="李建国")
    for page in range(1, pdf_pages(pdf) + 1):
        save_picture(pdf, f"report-periodic-month-{page}", page=page)

    text = pdf_words(pdf)
    assert "武汉市总工会" in text
    assert period.label in text
    assert period.year_before().label in text
    assert "第 1 页，共" in text
    assert "李建国" in text
    assert "50,000.00" in text  # received
    assert "5,000.00" in text  # paid: 1,200 + 800 + 3,000
    assert "3,000.00" in text  # the schooling grant
    fonts = pdf_fonts(pdf)
    assert [f for f in fonts if "CJK" not in f or "JP" in f] == [], fonts


def test_the_periodic_report_breaks_the_figures_down_by_unit_below(tree, wuhan_year, jianghan):
    pdf = render_periodic_report(unit=tree.wuhan, period=this_month(), made_by_label="李建国")

    text = squeezed(pdf_words(pdf))
    assert "江岸区总工会" in text
    assert "江汉区总工会" in text
    pages = pdf_pages(pdf)
    assert 3 <= pages <= 5  # main figures and charts, the breakdowns, the units below
    assert f"第 {pages} 页，共 {pages} 页" in pdf_words(pdf, page=pages)


def test_a_grassroots_units_report_says_it_has_no_unit_below(tree, wuhan_year):
    pdf = render_periodic_report(unit=tree.dazhi, period=this_month(), made_by_label="李建国")

    text = pdf_words(pdf)
    assert "大智街道工会" in text
    assert translation.gettext("This unit has no units below it.") in text


def test_a_report_for_a_period_no_longer_kept_is_refused(tree, db):
    today = timezone.localdate()

    with pytest.raises(PeriodTooOld):
        render_periodic_report(
            unit=tree.wuhan, period=Period.year(today.year - 2), made_by_label="李建国"
        )


def test_the_periodic_report_job_prints_the_requesters_name_in_the_branch(
    tree, wuhan_year, caseworker, media
):
    document = periodic_report_request(unit=tree.wuhan, period=this_month(), by=caseworker)

    assert document_run(document_id=document.pk) == Status.DONE
    document.refresh_from_db()
    pdf = document.result.read()
    assert document.result_name.endswith(".pdf")
    assert squeezed(made_by_label(caseworker)) in squeezed(pdf_words(pdf))
    assert "第 1 页" in pdf_words(pdf, page=1)


def test_a_periodic_report_job_never_prints_outside_its_requesters_branch(
    tree, wuhan_year, sibling, media
):
    document = periodic_report_request(unit=tree.wuhan, period=this_month(), by=sibling)

    assert document_run(document_id=document.pk) == Status.FAILED
    document.refresh_from_db()
    assert document.result.name in ("", None)


# ====================================================================== the campaign report


def test_the_campaign_report_prints_coverage_money_and_students_of_the_organisers_branch(
    tree, wuhan_year, jianghan
):
    pdf = render_campaign_report(campaign=wuhan_year, made_by_label="陈静")
    for page in range(1, pdf_pages(pdf) + 1):
        save_picture(pdf, f"report-campaign-{page}", page=page)

    text = pdf_words(pdf)
    flat = squeezed(text)
    assert "2026年冬送温暖" in flat
    assert "武汉市总工会" in flat
    assert "江岸区总工会" in flat and "江汉区总工会" in flat
    assert "第 1 页，共" in text
    assert "5,000.00" in text  # paid in the campaign
    assert "3,000.00" in text  # the schooling grant
    assert "67%" in text  # two of three households visited
    assert str(SchoolStage.UNIVERSITY.label) in text
    pages = pdf_pages(pdf)
    assert 1 <= pages <= 3
    assert f"第 {pages} 页，共 {pages} 页" in pdf_words(pdf, page=pages)


def test_a_county_user_prints_the_campaign_report_of_its_own_branch_only(tree, wuhan_year, media):
    county_user = UserFactory(username="jiangan.cw", unit=tree.jiangan)
    document = campaign_report_request(campaign=wuhan_year, by=county_user)

    assert document.unit == tree.jiangan
    assert document.params["unit_id"] == tree.jiangan.pk
    assert document_run(document_id=document.pk) == Status.DONE
    document.refresh_from_db()
    flat = squeezed(pdf_words(document.result.read()))
    assert "江岸区总工会" in flat
    assert "江汉区总工会" not in flat  # a sibling county of the same campaign
    assert "1,200.00" in flat  # paid to 江岸's household
    assert "5,000.00" not in flat  # the whole campaign's money is the organiser's to print
    assert "江岸区" in document.result_name


def test_a_county_user_is_refused_the_organisers_or_a_siblings_campaign_report(
    tree, wuhan_year, jianghan, media
):
    county_user = UserFactory(username="jiangan.cw", unit=tree.jiangan)
    for unit in (tree.wuhan, jianghan):
        with pytest.raises(PermissionDenied):
            campaign_report_request(campaign=wuhan_year, by=county_user, unit=unit)

    # A job for the organiser's branch, asked for while they still worked for the organiser
    # (or one from before reports had a branch of their own): the worker asks again.
    for params in ({"campaign_id": wuhan_year.pk},
                   {"campaign_id": wuhan_year.pk, "unit_id": tree.wuhan.pk}):  # fmt: skip
        document = document_request(
            kind=CAMPAIGN_KIND, title="report", by=county_user, unit=wuhan_year.organiser,
            params=params,
        )  # fmt: skip
        assert document_run(document_id=document.pk) == Status.FAILED


def test_a_campaign_report_is_refused_outside_the_campaigns_branch(tree, wuhan_year, sibling):
    with pytest.raises(PermissionDenied):
        campaign_report_request(campaign=wuhan_year, by=sibling)
    province_user = UserFactory(username="hubei.cw", unit=tree.hubei)
    # 宜昌 is the province user's, but the campaign (武汉's) never reached it.
    with pytest.raises(PermissionDenied):
        campaign_report_request(campaign=wuhan_year, by=province_user, unit=tree.yichang)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_campaign_report(
    tree, wuhan_year, approver, tmp_path, settings, own_default_queue
):
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    with worker_process(env=env, log_path=tmp_path / "worker.log", queue=own_default_queue):
        document = campaign_report_request(campaign=wuhan_year, by=approver)
        wait_for(
            lambda: GeneratedDocument.objects.filter(
                pk=document.pk, status__in=[Status.DONE, Status.FAILED]
            ).exists(),
            timeout=120,
            what="the campaign report",
        )

    document.refresh_from_db()
    assert document.status == Status.DONE, document.error
    pdf = document.result.read()
    assert "2026年冬送温暖" in squeezed(pdf_words(pdf))
    assert squeezed(made_by_label(approver)) in squeezed(pdf_words(pdf))
