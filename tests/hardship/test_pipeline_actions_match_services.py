"""The notice and check buttons are offered exactly when their services accept them, for each
person who could meet them: the caseworker who started the notice, an approver, a viewer, a
sibling branch's approver; on a running notice and one that closed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hardship.checks import finance_check_decide
from hardship.models import FinanceCheck, FinanceCheckFinding, FullIdExport, Objection, PublicNotice
from hardship.notices import (
    objection_decide,
    objection_record,
    public_notice_approve_files,
)
from tests.actions import ActionCase, assert_button_matches_service
from tests.factories import UserFactory
from tests.hardship.test_public_notice import start, verified_files  # noqa: F401

OBJECTION_DECIDE = ActionCase(
    "objection-decide",
    lambda objection: reverse("hardship:notice_detail", args=[objection.entry.notice_id]),
    lambda objection, user: objection_decide(
        by=user, objection=objection, decision="dismissed", reason="不属实。"
    ),
)
OBJECTION_RECORD = ActionCase(
    "objection-record",
    lambda notice: reverse("hardship:notice_detail", args=[notice.pk]),
    lambda notice, user: objection_record(
        by=user,
        entry=notice.entries.first(),
        received_at=timezone.now(),
        channel=Objection.Channel.PHONE,
        content="反映情况。",
    ),
)
NOTICE_APPROVE = ActionCase(
    "notice-approve",
    lambda notice: reverse("hardship:notice_detail", args=[notice.pk]),
    lambda notice, user: public_notice_approve_files(by=user, notice=notice),
)
CHECK_DECIDE = ActionCase(
    "check-decide",
    lambda check: reverse("hardship:check_list"),
    lambda check, user: finance_check_decide(
        by=user, check=check, decision="proceed", reason="一次性补偿。"
    ),
)


@pytest.fixture
def people(tree, caseworker, approver):
    return {
        "caseworker": caseworker,
        "approver": approver,
        "viewer": UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True),
        "sibling approver": UserFactory(unit=tree.hunan, is_caseworker=False, is_approver=True),
    }


def closed(notice):
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - timedelta(days=12), ends_on=today - timedelta(days=1)
    )
    notice.refresh_from_db()
    return notice


WHO = ["caseworker", "approver", "viewer", "sibling approver"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("state", ["running", "closed"])
def test_recording_an_objection(client, people, verified_files, who, state):  # noqa: F811
    notice = start(verified_files, people["caseworker"])
    if state == "closed":
        closed(notice)
    assert_button_matches_service(client, OBJECTION_RECORD, notice, people[who])


@pytest.mark.parametrize("who", WHO)
def test_deciding_an_objection(client, people, verified_files, who):  # noqa: F811
    notice = start(verified_files, people["caseworker"])
    objection = objection_record(
        by=people["caseworker"], entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="反映情况。",
    )  # fmt: skip
    assert_button_matches_service(client, OBJECTION_DECIDE, objection, people[who])


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("state", ["running", "closed"])
def test_approving_a_notices_files_together(client, people, verified_files, who, state):  # noqa: F811
    notice = start(verified_files, people["caseworker"])
    if state == "closed":
        closed(notice)
    assert_button_matches_service(client, NOTICE_APPROVE, notice, people[who])


@pytest.mark.parametrize("who", WHO)
def test_deciding_a_checks_mismatch(client, people, verified_files, who):  # noqa: F811
    file = verified_files[0]
    export = FullIdExport.objects.create(user=people["caseworker"], reason="核对", row_count=1)
    check = FinanceCheck.objects.create(
        file=file, requested_by=people["caseworker"], export=export,
        status=FinanceCheck.Status.ANSWERED, answered_at=timezone.now(), mismatch=True,
    )  # fmt: skip
    FinanceCheckFinding.objects.create(
        finance_check=check, name=file.name, id_number_masked=file.masked_id_number,
        receives_dibao=False, receives_tekun=False, income_found=90000, assets_found=0,
        centre_mismatch=True,
    )  # fmt: skip
    assert_button_matches_service(client, CHECK_DECIDE, check, people[who])
