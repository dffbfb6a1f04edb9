"""The reports page and the campaign report's request: who may ask, the form's errors, and a
request made while the broker is down, which waits and runs once the broker is back.
"""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from documents.models import GeneratedDocument
from documents.services import document_request, documents_resend_pending
from people.models import UnionUnit
from reports.documents import CAMPAIGN_KIND, PERIODIC_KIND, period_from_params
from reports.periods import Period
from tests.factories import SignedInClient, UserFactory
from tests.visits.test_visits import campaign
from tests.workers import database_url_for_other_processes, wait_for, worker_process

pytestmark = pytest.mark.django_db

Status = GeneratedDocument.Status
INDEX = "/reports/"


def signed_in(user) -> SignedInClient:
    client = SignedInClient()
    client.force_login(user)
    client.cookies["warmth_language"] = "en"
    return client


def month_form(unit: UnionUnit, *, year: int, month: int | str) -> dict:
    return {"unit": unit.pk, "kind": "month", "year": year, "month": month, "quarter": ""}


def last_month() -> Period:
    return Period.previous_month(timezone.localdate())


@pytest.fixture
def viewer(tree):
    return UserFactory(
        username="wuhan.viewer", full_name="周敏", unit=tree.wuhan, is_caseworker=False,
        is_viewer=True,
    )  # fmt: skip


@pytest.fixture
def county_user(tree):
    """A caseworker of 江岸区, a unit below the campaign's organiser (武汉)."""
    return UserFactory(username="jiangan.cw", full_name="吴芳", unit=tree.jiangan)


@pytest.fixture
def winter(tree, approver):
    return campaign(tree.wuhan, approver, name="冬送温暖")


# ====================================================================== the reports page


def test_the_reports_page_offers_the_users_unit_and_the_units_below_it(tree, caseworker):
    response = signed_in(caseworker).get(INDEX)

    assert response.status_code == 200
    page = response.content.decode()
    assert "武汉市总工会" in page
    assert "江岸区总工会" in page
    assert "湖南省总工会" not in page
    assert "长沙市总工会" not in page
    assert response.context["form"]["unit"].value() == tree.wuhan.pk


def test_the_menu_leads_to_the_reports_page(caseworker):
    page = signed_in(caseworker).get(reverse("reports:home")).content.decode()

    assert f'href="{INDEX}"' in page


def test_a_caseworker_asks_for_last_months_report_and_sees_its_progress_page(tree, caseworker):
    period = last_month()

    response = signed_in(caseworker).post(
        INDEX, month_form(tree.jiangan, year=period.first_day.year, month=period.first_day.month)
    )

    document = GeneratedDocument.objects.get(kind=PERIODIC_KIND)
    assert response.status_code == 302
    assert response.url == document.get_absolute_url()
    assert document.unit == tree.jiangan
    assert document.requested_by == caseworker
    assert document.status == Status.PENDING
    assert period_from_params(document.params) == period
    page = signed_in(caseworker).get(response.url).content.decode()
    assert "江岸区总工会" in page
    assert f'href="{INDEX}?unit={tree.jiangan.pk}"' in page  # the way back


def test_a_viewer_may_ask_for_a_report(tree, viewer):
    period = last_month()

    response = signed_in(viewer).post(
        INDEX, month_form(tree.wuhan, year=period.first_day.year, month=period.first_day.month)
    )

    assert response.status_code == 302
    assert GeneratedDocument.objects.filter(kind=PERIODIC_KIND, requested_by=viewer).count() == 1


def test_a_quarter_a_year_and_the_year_to_date_can_be_asked_for(tree, caseworker):
    today = timezone.localdate()
    client = signed_in(caseworker)
    forms = [
        {"kind": "quarter", "year": today.year, "quarter": (today.month + 2) // 3},
        {"kind": "year", "year": today.year - 1},
        {"kind": "ytd", "year": today.year},
    ]

    for form in forms:
        response = client.post(INDEX, {"unit": tree.wuhan.pk, "month": "", "quarter": "", **form})
        assert response.status_code == 302, response.content.decode()

    periods = [
        period_from_params(d.params)
        for d in GeneratedDocument.objects.filter(kind=PERIODIC_KIND).order_by("pk")
    ]
    assert periods == [
        Period.quarter(today.year, (today.month + 2) // 3),
        Period.year(today.year - 1),
        Period.year_to_date(today),
    ]


def test_a_period_too_old_is_refused_beside_the_year(tree, caseworker):
    year = timezone.localdate().year - 2

    response = signed_in(caseworker).post(INDEX, month_form(tree.wuhan, year=year, month=6))

    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["year"]
    assert f"Reports go back to {year + 1} only" in form.errors["year"][0]
    assert 'class="field__error" id="id_year_error"' in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_a_month_not_yet_begun_is_refused_beside_the_month(tree, caseworker):
    today = timezone.localdate()
    ahead = today.replace(day=1) + timedelta(days=32)

    response = signed_in(caseworker).post(
        INDEX, month_form(tree.wuhan, year=ahead.year, month=ahead.month)
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"month": ["This period has not begun yet."]}
    assert not GeneratedDocument.objects.exists()


def test_a_monthly_report_needs_its_month(tree, caseworker):
    response = signed_in(caseworker).post(
        INDEX, month_form(tree.wuhan, year=timezone.localdate().year, month="")
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"month": ["Choose the month."]}


def test_a_sibling_gets_404_for_a_unit_of_another_branch_and_cannot_ask_for_its_report(
    tree, sibling
):
    client = signed_in(sibling)
    period = last_month()

    assert client.get(f"{INDEX}?unit={tree.wuhan.pk}").status_code == 404
    assert client.get(f"{INDEX}?unit=999999").status_code == 404
    response = client.post(
        INDEX, month_form(tree.wuhan, year=period.first_day.year, month=period.first_day.month)
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["unit"]
    assert not GeneratedDocument.objects.exists()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, tree):
    for response in (client.get(INDEX), client.post(INDEX, {})):
        assert response.status_code == 302
        assert "login" in response.url


def test_asking_again_while_the_report_waits_leads_to_the_waiting_job(tree, caseworker):
    client = signed_in(caseworker)
    period = last_month()
    form = month_form(tree.wuhan, year=period.first_day.year, month=period.first_day.month)

    first = client.post(INDEX, form)
    second = client.post(INDEX, form)

    assert second.status_code == 302
    assert second.url == first.url
    assert GeneratedDocument.objects.filter(kind=PERIODIC_KIND).count() == 1


def test_the_reports_page_takes_as_many_queries_for_3_recent_reports_as_for_1(tree, caseworker):
    client = signed_in(caseworker)

    def queries_with(count: int) -> int:
        # Different requests: the same one asked again returns the job already made.
        while (made := GeneratedDocument.objects.count()) < count:
            document_request(
                kind=PERIODIC_KIND, title="报表", by=caseworker, unit=tree.wuhan,
                params={"request": made},
            )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            response = client.get(INDEX)
        assert len(response.context["recent"]) == count
        return len(queries)

    assert queries_with(1) == queries_with(3)


# ====================================================================== the campaign report


def campaign_report_url(campaign) -> str:
    return reverse("reports:campaign_report", kwargs={"pk": campaign.pk})


def test_the_organisers_caseworker_asks_for_the_campaign_report(tree, winter, caseworker):
    response = signed_in(caseworker).post(campaign_report_url(winter))

    document = GeneratedDocument.objects.get(kind=CAMPAIGN_KIND)
    assert response.status_code == 302
    assert response.url == document.get_absolute_url()
    assert document.unit == tree.wuhan
    assert document.params["campaign_id"] == winter.pk
    page = signed_in(caseworker).get(response.url).content.decode()
    assert f'href="{winter.get_absolute_url()}"' in page  # the way back


def test_a_viewer_of_the_organiser_and_a_user_above_it_may_ask_for_the_campaign_report(
    tree, winter, viewer
):
    province_user = UserFactory(username="hubei.cw", unit=tree.hubei)

    assert signed_in(viewer).post(campaign_report_url(winter)).status_code == 302
    assert signed_in(province_user).post(campaign_report_url(winter)).status_code == 302
    assert GeneratedDocument.objects.filter(kind=CAMPAIGN_KIND).count() == 2


def test_a_unit_below_the_organiser_asks_for_the_campaign_report_of_its_own_branch(
    tree, winter, county_user
):
    response = signed_in(county_user).post(campaign_report_url(winter))

    document = GeneratedDocument.objects.get(kind=CAMPAIGN_KIND)
    assert response.status_code == 302
    assert document.unit == tree.jiangan
    assert document.params["unit_id"] == tree.jiangan.pk
    # The way back opens the campaign page on the county's branch.
    page = signed_in(county_user).get(response.url).content.decode()
    assert f"{winter.get_absolute_url()}?unit={tree.jiangan.pk}" in page


def test_a_unit_below_the_organiser_gets_404_for_the_organisers_campaign_report(
    tree, winter, county_user
):
    client = signed_in(county_user)
    response = client.post(campaign_report_url(winter), {"unit": tree.wuhan.pk})

    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_a_sibling_and_anonymous_get_no_campaign_report(tree, winter, county_user, sibling):
    assert signed_in(sibling).post(campaign_report_url(winter)).status_code == 404
    client = signed_in(county_user)
    assert client.post("/reports/campaigns/999999/").status_code == 404
    assert client.post(campaign_report_url(winter), {"unit": tree.hunan.pk}).status_code == 404
    anonymous = SignedInClient()
    response = anonymous.post(campaign_report_url(winter))
    assert response.status_code == 302
    assert "login" in response.url
    assert not GeneratedDocument.objects.exists()


def test_the_campaign_report_is_asked_for_with_a_post_only(winter, caseworker):
    assert signed_in(caseworker).get(campaign_report_url(winter)).status_code == 405


def test_the_campaign_page_offers_each_unit_the_report_of_the_branch_it_shows(
    tree, winter, caseworker, county_user
):
    organiser_page = signed_in(caseworker).get(winter.get_absolute_url()).content.decode()
    county_page = signed_in(county_user).get(winter.get_absolute_url()).content.decode()

    assert 'data-testid="campaign-report"' in organiser_page
    assert campaign_report_url(winter) in organiser_page
    assert f'name="unit" value="{tree.wuhan.pk}"' in organiser_page
    assert 'data-testid="campaign-report"' in county_page
    assert f'name="unit" value="{tree.jiangan.pk}"' in county_page


# ====================================================================== the broker down


@contextmanager
def broker_down():
    """Point Celery at a port where no broker listens, as if Redis were down."""
    from config.celery import app

    def reset():
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:9/0"
    reset()
    try:
        yield
    finally:
        app.conf.broker_url = previous
        reset()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_asked_for_while_the_broker_is_down_waits_and_runs_once_it_is_back(
    tree, caseworker, tmp_path, settings, own_default_queue, caplog
):
    settings.MEDIA_ROOT = tmp_path / "media"
    period = last_month()
    client = signed_in(caseworker)

    with broker_down():
        response = client.post(
            INDEX,
            month_form(tree.wuhan, year=period.first_day.year, month=period.first_day.month),
            follow=True,
        )

    # The message was lost with the broker; the page says so, and the request is kept.
    assert f"Could not send document {GeneratedDocument.objects.get().pk}" in caplog.text
    page = response.content.decode()
    assert response.status_code == 200
    assert "The job queue cannot be reached just now. Your request is kept" in page
    document = GeneratedDocument.objects.get(kind=PERIODIC_KIND)
    assert document.status == Status.PENDING
    assert document.attempts == 0

    # The broker is back: the periodic resend hands the job to a worker, which makes it.
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    with worker_process(env=env, log_path=tmp_path / "worker.log", queue=own_default_queue):
        assert documents_resend_pending(older_than=timedelta(0)) == 1
        wait_for(
            lambda: GeneratedDocument.objects.filter(
                pk=document.pk, status__in=[Status.DONE, Status.FAILED]
            ).exists(),
            timeout=120,
            what="the report to be made",
        )

    document.refresh_from_db()
    assert document.status == Status.DONE, document.error
    assert document.attempts == 1
    assert document.result.read().startswith(b"%PDF-")
    assert date.fromisoformat(document.params["first_day"]) == period.first_day
