"""A schooling grant (金秋助学) is paid only after its public notice passed without objection,
where the paying unit asks for one (on by default)."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from funds.choices import DisbursementStatus, PaymentMethod, Purpose
from funds.models import Disbursement, SchoolingStandard
from funds.notices import grant_notice_start
from funds.rosters import roster_lines_sign, roster_scan_upload
from funds.selectors import may_pay_payment
from funds.services import disbursement_approve, disbursement_pay
from hardship.choices import SchoolStage
from hardship.models import HouseholdMember, Objection, PipelineSettings, PublicNotice
from hardship.notices import objection_decide, objection_record
from tests.factories import make_id_number
from tests.funds.test_disbursements import propose, student_household
from tests.funds.test_rosters import scan

WHERE = "武汉市总工会帮扶中心，电话 027-85551234"


@pytest.fixture
def grant(tree, funded, winter, caseworker, approver):
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    file = student_household(
        caseworker, tree.jiangan, name="陈桂兰",
        id_number=make_id_number(birth="20070301", sequence=501), sequence=503,
    )  # fmt: skip
    student = HouseholdMember.objects.get(file=file)
    grant = propose(
        caseworker, file, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
        student=student,
    )  # fmt: skip
    return disbursement_approve(disbursement=grant, by=approver)


def noticed(grant, by):
    return grant_notice_start(
        by=by, unit=by.unit, grants=[grant], starts_on=timezone.localdate(), working_days=5,
        where_to_object=WHERE,
    )  # fmt: skip


def close(notice):
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - timedelta(days=12), ends_on=today - timedelta(days=1)
    )


def test_a_grant_without_a_notice_is_not_paid(grant, caseworker):
    decision = may_pay_payment(caseworker, grant)
    assert not decision
    assert "public notice" in decision.reason
    with pytest.raises(RuleBroken):
        disbursement_pay(disbursement=grant, by=caseworker, method=PaymentMethod.CASH)


def test_a_grant_is_not_paid_while_its_notice_runs(grant, caseworker):
    noticed(grant, caseworker)
    grant.refresh_from_db()

    assert "wait until it has closed" in may_pay_payment(caseworker, grant).reason


def test_a_grant_is_paid_after_its_notice_passed(grant, caseworker, tmp_path):
    notice = noticed(grant, caseworker)
    entry = notice.entries.get()
    assert entry.amount == Decimal("5000.00")
    assert entry.masked_name == "陈*兰"
    close(notice)
    grant.refresh_from_db()

    paid = disbursement_pay(disbursement=grant, by=caseworker, method=PaymentMethod.CASH)

    assert paid.status == DisbursementStatus.PAID


def test_an_upheld_objection_keeps_the_grant_from_being_paid(grant, caseworker, approver):
    notice = noticed(grant, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.get(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="该生已获其他助学金。",
    )  # fmt: skip
    objection_decide(by=approver, objection=objection, decision="refused", reason="重复资助。")
    close(notice)
    grant.refresh_from_db()

    assert "upheld" in may_pay_payment(caseworker, grant).reason


def test_a_unit_that_asks_for_no_grant_notice_pays_at_once(grant, caseworker, tree):
    PipelineSettings.objects.create(unit=tree.wuhan, notice_for_grants=False)

    assert may_pay_payment(caseworker, grant)


def test_a_sibling_branch_cannot_put_our_grants_on_a_notice(grant, sibling):
    with pytest.raises((PermissionDenied, RuleBroken)):
        noticed(grant, sibling)


def test_the_grant_sheet_shows_the_amount_and_no_student_id(grant, caseworker, client, tmp_path):
    notice = noticed(grant, caseworker)
    client.force_login(caseworker)

    response = client.get(reverse("hardship:notice_sheet", args=[notice.pk]))

    path = tmp_path / "grants.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "5000.00" in text
    assert "陈*兰" in text
    assert grant.student.id_number not in text
    assert grant.file.id_number not in text


def test_the_grant_notice_page_starts_a_notice(grant, caseworker, client):
    client.force_login(caseworker)
    url = reverse("funds:grant_notice_new")
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {"files": [grant.pk], "starts_on": timezone.localdate().isoformat(), "working_days": "5",
         "where_to_object": WHERE},
    )  # fmt: skip

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.notice_entry is not None


def test_the_grant_notice_page_is_closed_to_a_viewer_and_anonymous(tree, client):
    from tests.factories import UserFactory

    viewer = UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True)
    client.force_login(viewer)
    assert client.get(reverse("funds:grant_notice_new")).status_code == 404
    client.logout()
    assert client.get(reverse("funds:grant_notice_new")).status_code == 302


def approved_grants(count, *, start, tree, funded, winter, caseworker, approver):
    """``count`` approved schooling grants whose one public notice has closed clean."""
    grants = []
    for number in range(start, start + count):
        file = student_household(
            caseworker, tree.jiangan, name=f"学生户{number}",
            id_number=make_id_number(birth="20070301", sequence=601 + 2 * number),
            sequence=801 + 2 * number,
        )  # fmt: skip
        grant = propose(
            caseworker, file, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
            student=HouseholdMember.objects.get(file=file),
        )  # fmt: skip
        grants.append(disbursement_approve(disbursement=grant, by=approver))
    notice = grant_notice_start(
        by=caseworker, unit=caseworker.unit, grants=grants, starts_on=timezone.localdate(),
        working_days=5, where_to_object=WHERE,
    )  # fmt: skip
    close(notice)
    return [Disbursement.objects.get(pk=grant.pk) for grant in grants]


def test_a_roster_sheet_of_grants_is_paid_in_the_same_queries_for_one_grant_and_three(
    tree, funded, winter, caseworker, approver, settings, tmp_path
):
    """The paying unit's notice settings and each grant's notice are read set-wise, not line
    by line."""
    settings.MEDIA_ROOT = tmp_path
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    made = {"tree": tree, "funded": funded, "winter": winter, "caseworker": caseworker,
            "approver": approver}  # fmt: skip
    first, one, three = (
        approved_grants(count, start=start, **made) for count, start in ((1, 0), (1, 1), (3, 2))
    )
    roster_scan_upload(campaign=winter, unit=first[0].unit, by=caseworker, upload=scan())

    def signed(grants) -> int:
        with CaptureQueriesContext(connection) as queries:
            roster_lines_sign(disbursements=grants, by=caseworker)
        return len(queries)

    signed(first)  # opens the fund's account of schooling grants paid out

    assert signed(one) == signed(three)
    assert set(Disbursement.objects.values_list("status", flat=True)) == {DisbursementStatus.PAID}
