"""Pages holding personal data are never stored, and error reports never carry it.

Every answer to a signed-in person is marked ``Cache-Control: no-store``
(common/middleware.py); every view that receives ID numbers, bank accounts,
phones or passwords is marked with ``sensitive_post_parameters``, and the
error-report filter (common/error_reports.py) hides what such a form sent,
in the request and in the traceback's variables alike.
"""

import sys

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from hardship.models import HardshipCause
from tests.factories import make_id_number, open_file
from tests.test_url_access_walk import APP_VIEWS, example_url

WORKER_ID = make_id_number(birth="19660101", sequence=517)
MEMBER_ID = make_id_number(birth="20080808", sequence=528)
ACCOUNT = "6228480011223344556"
PHONE = "13907190417"
SECRETS = (WORKER_ID, MEMBER_ID, ACCOUNT, PHONE)


@pytest.mark.parametrize(("route", "pattern", "namespaces"), APP_VIEWS)
def test_every_answer_to_a_signed_in_person_is_marked_no_store(
    caseworker_client, file_of_caseworker, route, pattern, namespaces
):
    url = example_url(route.replace("<int:pk>", str(file_of_caseworker.pk)))

    response = caseworker_client.get(url)

    assert "no-store" in response.get("Cache-Control", ""), f"{url} ({response.status_code})"


@pytest.fixture
def file_of_caseworker(caseworker, standards):
    return open_file(by=caseworker, id_number=WORKER_ID)


def file_post(**extra) -> dict:
    return {
        "name": "王秀英", "id_number": WORKER_ID, "ethnicity": "01", "political_status": "masses",
        "phone": PHONE, "address": "武汉市江岸区一元路 5 号", "division_code": "420102",
        "hukou_type": "urban", "marital_status": "widowed", "health": "serious",
        "disability": "none", "employment_status": "unemployed", "model_worker_level": "none",
        "employer_situation": "normal", "bank_name": "农业银行", "bank_account": ACCOUNT,
        "annual_income": "21600", "medical_costs": "0", "schooling_costs": "0",
        "disaster_costs": "0", "household_size": "2",
        "main_cause": str(HardshipCause.objects.get(code="illness").pk),
        "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "0", "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "20", "members-0-relation": "daughter",
        "members-0-name": "王小丽", "members-0-id_number": MEMBER_ID,
        "members-0-birth_date": "2008-08-08", "members-0-health": "healthy",
        "members-0-school_stage": "high", "members-0-employment": "student",
        "members-0-medical_insurance": "resident", "members-0-monthly_income": "0",
        **extra,
    }  # fmt: skip


def report_of(request) -> str:
    """The text and HTML error reports of an exception raised while the posted values, and
    what the form made of them, sit in the frame's variables."""
    posted = request.POST
    cleaned = {"id_number": WORKER_ID, "bank_account": ACCOUNT, "members": [MEMBER_ID]}
    try:
        raise RuntimeError(f"failed with {len(posted)} fields, {len(cleaned)} cleaned")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_text() + reporter.get_traceback_html()


SENSITIVE_VIEWS = [
    ("hardship:file_new", lambda file: [], lambda: {"name": "王秀英", "id_number": WORKER_ID}),
    ("hardship:file_create", lambda file: [], file_post),
    ("hardship:file_edit", lambda file: [file.pk], file_post),
    ("hardship:file_find_by_id", lambda file: [], lambda: {"id_number": WORKER_ID}),
    ("visits:cadre_new", lambda file: [], lambda: {"name": "张帮扶", "phone": PHONE}),
]


@pytest.mark.parametrize(
    ("name", "args", "data"), SENSITIVE_VIEWS, ids=[v[0] for v in SENSITIVE_VIEWS]
)
def test_an_error_report_from_a_form_with_personal_data_carries_none_of_it(
    caseworker_client, file_of_caseworker, settings, name, args, data
):
    settings.DEBUG = False  # the filter works where it matters, in production
    response = caseworker_client.post(reverse(name, args=args(file_of_caseworker)), data())
    request = response.wsgi_request

    report = report_of(request)

    assert request.sensitive_post_parameters == "__ALL__"
    assert "王秀英" not in report or name == "visits:cadre_new"
    for secret in SECRETS:
        assert secret not in report, f"{name} leaks {secret}"


def test_a_view_nobody_marked_still_hides_fields_named_for_personal_data(settings):
    settings.DEBUG = False
    request = RequestFactory().post(
        "/anything/",
        {"members-3-id_number": MEMBER_ID, "bank_account": ACCOUNT, "contact_phone": PHONE,
         "new_password1": "Hunter-2-secret", "notes": "nothing personal"},
    )  # fmt: skip

    reporter = ExceptionReporter(request, None, None, None)
    report = reporter.get_traceback_text()

    for secret in (MEMBER_ID, ACCOUNT, PHONE, "Hunter-2-secret"):
        assert secret not in report
    assert "nothing personal" in report
