"""A household's own record: everything held on it, printed on its request by an approver."""

from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from documents.pdf import PDF_CONTENT_TYPE
from hardship.household_record import household_record_print
from hardship.models import HouseholdRecordPrint, IdNumberView
from hardship.selectors import may_print_household_record
from hardship.services import id_number_reveal
from tests.funds.test_disbursements import propose
from tests.visits.test_visits import log

pytestmark = pytest.mark.django_db

FINDINGS = "老人卧床，女儿在读高二，冬衣不足。"
REQUEST = "申请人本人书面申请 2026-12-05"


def pdf_text(pdf: bytes) -> str:
    import subprocess

    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return "".join(out.stdout.decode().split())


def url(file) -> str:
    return reverse("hardship:household_record", args=[file.pk])


@pytest.fixture
def history(family, funded, caseworker):
    """The household visited, paid 1,234 yuan, and its full ID number seen once."""
    log(family, caseworker)
    propose(caseworker, family, funded, "1234")
    id_number_reveal(file=family, by=caseworker)
    return family


def test_only_approvers_of_the_branch_may_print(family, approver, caseworker, sibling_approver):
    assert may_print_household_record(approver, family)
    refused = may_print_household_record(caseworker, family)
    assert not refused and refused.denied
    refused = may_print_household_record(sibling_approver, family)
    assert not refused and refused.denied
    with pytest.raises(PermissionDenied):
        household_record_print(file=family, by=caseworker, reason=REQUEST)
    assert HouseholdRecordPrint.objects.count() == 0


def test_the_record_holds_everything_and_the_print_is_recorded(
    history, approver, caseworker, django_assert_max_num_queries
):
    household_record_print(file=history, by=approver, reason="早先的申请")
    with django_assert_max_num_queries(40):
        pdf = household_record_print(file=history, by=approver, reason=REQUEST)
    text = pdf_text(pdf)

    assert pdf.startswith(b"%PDF")
    assert history.name in text
    assert history.id_number in text  # the household's own record: in full
    assert "".join(FINDINGS.split()) in text
    assert "1234.00" in text
    assert caseworker.full_name in text  # who saw the full ID number
    assert "早先的申请" in text  # the earlier print
    printed = HouseholdRecordPrint.objects.filter(file=history).first()
    assert (printed.printed_by, printed.reason) == (approver, REQUEST)
    assert (
        IdNumberView.objects.filter(
            file=history, user=approver, purpose=IdNumberView.Purpose.RECORD
        ).count()
        == 2
    )


def test_the_page_offers_the_print_to_approvers_only(client, history, approver, caseworker):
    client.force_login(caseworker)
    page = client.get(history.get_absolute_url())
    assert 'data-testid="action-household-record"' not in page.content.decode()
    assert client.post(url(history), {"record-reason": REQUEST}).status_code == 302
    assert HouseholdRecordPrint.objects.count() == 0

    client.force_login(approver)
    page = client.get(history.get_absolute_url())
    assert 'data-testid="action-household-record"' in page.content.decode()


def test_an_approver_downloads_the_record_with_a_chinese_name(client, history, approver):
    client.force_login(approver)
    response = client.post(url(history), {"record-reason": REQUEST}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert response["Content-Type"] == PDF_CONTENT_TYPE
    assert response["Cache-Control"] == "no-store"
    assert quote(f"{history.file_number}-本户信息.pdf") in response["Content-Disposition"]
    assert HouseholdRecordPrint.objects.get().reason == REQUEST


def test_the_request_is_required_with_the_error_beside_the_field(client, history, approver):
    client.force_login(approver)
    response = client.post(url(history), {"record-reason": "   "})

    assert response.status_code == 400
    assert 'id="id_record-reason"' in response.content.decode()
    assert response.context["action_forms"]["record"].errors["reason"]
    assert HouseholdRecordPrint.objects.count() == 0


def test_a_sibling_branch_gets_404_and_anonymous_is_sent_to_sign_in(
    client, history, sibling_approver
):
    assert client.post(url(history), {"record-reason": REQUEST}).status_code == 302
    client.force_login(sibling_approver)
    assert client.post(url(history), {"record-reason": REQUEST}).status_code == 404
    assert HouseholdRecordPrint.objects.count() == 0
