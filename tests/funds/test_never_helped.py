"""The file list's "on record, never helped" filter: no payment that reached or may reach the
household, and no help service, ever. Counted set-wise, in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from funds.services import disbursement_cancel, disbursement_reject
from hardship.filters import files_never_helped
from hardship.models import HardshipFile
from tests.funds.test_disbursements import propose
from tests.visits.test_visits import household
from visits.choices import HelpKind
from visits.models import HelpService

pytestmark = pytest.mark.django_db


def helped_with_a_job_fair(file, by):
    HelpService.objects.create(
        file=file, kind=HelpKind.JOB_FAIR, provided_on=timezone.localdate(),
        provider="江岸区人社局", recorded_by=by,
    )  # fmt: skip


def never_helped_names():
    return set(files_never_helped(HardshipFile.objects.all()).values_list("name", flat=True))


def test_a_household_on_record_with_nothing_ever_is_never_helped(family):
    assert never_helped_names() == {"陈桂兰"}


def test_a_proposed_payment_counts_as_help(funded, family, caseworker):
    propose(caseworker, family, funded, "500")
    assert never_helped_names() == set()


def test_rejected_and_cancelled_payments_do_not_count(funded, family, caseworker, approver):
    disbursement_reject(
        disbursement=propose(caseworker, family, funded, "500"), by=approver, reason="重复申请"
    )
    disbursement_cancel(
        disbursement=propose(caseworker, family, funded, "300"), by=approver, reason="已搬离"
    )
    assert never_helped_names() == {"陈桂兰"}


def test_a_help_service_counts_as_help(family, caseworker):
    helped_with_a_job_fair(family, caseworker)
    assert never_helped_names() == set()


def test_a_file_not_yet_on_record_is_not_listed(caseworker, tree):
    from tests.factories import open_file

    open_file(by=caseworker, unit=tree.jiangan, name="刘新")  # still a draft
    assert never_helped_names() == set()


def test_the_file_list_filter_shows_only_never_helped_files_in_one_query(
    funded, caseworker_client, caseworker, tree
):
    helped = [household(by=caseworker, unit=tree.jiangan, name=f"帮扶{n}") for n in range(3)]
    for file in helped:
        helped_with_a_job_fair(file, caseworker)
    lonely = [household(by=caseworker, unit=tree.jiangan, name=f"未帮{n}") for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        count = files_never_helped(HardshipFile.objects.all()).count()
    assert count == 3
    assert len(queries) == 1
    page = caseworker_client.get(reverse("hardship:file_list"), {"never_helped": "on"})
    body = page.content.decode()
    assert all(f.name in body for f in lonely)
    assert not any(f.name in body for f in helped)


def test_a_sibling_branch_sees_none_of_them(family, sibling_client):
    page = sibling_client.get(reverse("hardship:file_list"), {"never_helped": "on"})
    assert page.status_code == 200
    assert "陈桂兰" not in page.content.decode()
