"""Four eyes after opening: on a file on record, a change to income, members, category,
causes or bank account waits for an approver who did not propose it; other edits apply at once."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import FileChangeRequest, HardshipFile
from hardship.services import (
    MemberInput,
    hardship_file_change_accept,
    hardship_file_change_refuse,
    hardship_file_update,
)
from tests.factories import UserFactory, file_values, open_file

pytestmark = pytest.mark.usefixtures("standards")
ACCOUNT = "6222021234567890123"
NEW_ACCOUNT = "6222029999999994321"


@pytest.fixture
def file(caseworker) -> HardshipFile:
    opened = open_file(by=caseworker, bank_name="工商银行", bank_account=ACCOUNT)
    HardshipFile.objects.filter(pk=opened.pk).update(status=FileStatus.ON_FILE)
    opened.refresh_from_db()
    return opened


def edit(file, by, members=None, **overrides):
    return hardship_file_update(
        file=file,
        by=by,
        id_number=file.id_number,
        values=file_values(bank_name="工商银行", bank_account=ACCOUNT) | overrides,
        secondary_causes=[],
        members=members or [],
        category=file.category,
        category_override_reason=file.category_override_reason,
    )


def propose_income(file, by) -> FileChangeRequest:
    saved = edit(file, by, annual_income=Decimal("30000"), bank_account=NEW_ACCOUNT)
    assert saved.proposed_change is not None
    return saved.proposed_change


def test_a_guarded_change_on_a_file_on_record_waits_and_is_shown_masked(file, caseworker):
    change = propose_income(file, caseworker)
    file.refresh_from_db()
    assert file.annual_income == Decimal("18000")
    assert file.bank_account == ACCOUNT
    lines = {line["new"] for line in change.changes}
    assert "****4321" in lines
    assert NEW_ACCOUNT not in str(change.changes)
    assert FileChangeRequest.objects.get(pk=change.pk).status == "proposed"


def test_other_edits_apply_at_once_beside_a_proposal(file, caseworker):
    saved = edit(file, caseworker, phone="13800000000", annual_income=Decimal("30000"))
    file.refresh_from_db()
    assert file.phone == "13800000000"
    assert file.annual_income == Decimal("18000")
    assert saved.proposed_change is not None


def test_an_edit_of_only_other_fields_makes_no_request(file, caseworker):
    saved = edit(file, caseworker, phone="13800000000")
    assert saved.proposed_change is None
    assert file.change_requests.count() == 0


def test_a_draft_file_is_edited_directly(caseworker):
    draft = open_file(by=caseworker)
    saved = hardship_file_update(
        file=draft, by=caseworker, id_number=draft.id_number,
        values=file_values(annual_income=Decimal("30000")), secondary_causes=[], members=[],
    )  # fmt: skip
    draft.refresh_from_db()
    assert saved.proposed_change is None
    assert draft.annual_income == Decimal("30000")


def test_an_approver_who_did_not_propose_accepts_and_the_change_applies(file, caseworker, approver):
    change = propose_income(file, caseworker)
    hardship_file_change_accept(change=change, by=approver)
    file.refresh_from_db()
    change.refresh_from_db()
    assert file.annual_income == Decimal("30000")
    assert file.bank_account == NEW_ACCOUNT
    assert (change.status, change.decided_by) == ("accepted", approver)


def test_a_member_added_on_record_waits_for_the_approver(file, caseworker, approver):
    member = MemberInput(
        relation="son", name="张小明", birth_date=date(2012, 3, 1), employment="student"
    )
    change = edit(file, caseworker, members=[member]).proposed_change
    assert file.members.count() == 0
    hardship_file_change_accept(change=change, by=approver)
    assert list(file.members.values_list("name", flat=True)) == ["张小明"]


def test_the_proposer_cannot_accept_their_own_change(file, tree):
    both = UserFactory(username="wuhan.both", unit=tree.wuhan, is_approver=True)
    change = propose_income(file, both)
    with pytest.raises(RuleBroken):
        hardship_file_change_accept(change=change, by=both)


def test_the_database_refuses_a_decision_by_the_proposer(file, caseworker):
    change = propose_income(file, caseworker)
    with pytest.raises(IntegrityError), transaction.atomic():
        FileChangeRequest.objects.filter(pk=change.pk).update(decided_by=caseworker)


def test_a_caseworker_cannot_accept(file, caseworker, second_caseworker):
    change = propose_income(file, caseworker)
    with pytest.raises(Exception) as refused:
        hardship_file_change_accept(change=change, by=second_caseworker)
    assert refused.type.__name__ in ("PermissionDenied", "RuleBroken")
    file.refresh_from_db()
    assert file.annual_income == Decimal("18000")


def test_a_sibling_branch_approver_cannot_accept(file, caseworker, tree):
    stranger = UserFactory(username="hunan.ap", unit=tree.hunan, is_approver=True)
    change = propose_income(file, caseworker)
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        hardship_file_change_accept(change=change, by=stranger)


def test_a_decided_change_cannot_be_accepted_again(file, caseworker, approver):
    change = propose_income(file, caseworker)
    hardship_file_change_refuse(change=change, by=approver, reason="收入证明不全")
    with pytest.raises(RuleBroken):
        hardship_file_change_accept(change=change, by=approver)


def test_a_refusal_needs_a_reason_and_changes_nothing(file, caseworker, approver):
    change = propose_income(file, caseworker)
    with pytest.raises(RuleBroken):
        hardship_file_change_refuse(change=change, by=approver, reason="  ")
    hardship_file_change_refuse(change=change, by=approver, reason="收入证明不全")
    change.refresh_from_db()
    file.refresh_from_db()
    assert (change.status, change.reason) == ("refused", "收入证明不全")
    assert file.annual_income == Decimal("18000")


def test_only_one_change_waits_per_file(file, caseworker):
    propose_income(file, caseworker)
    with pytest.raises(RuleBroken):
        edit(file, caseworker, annual_income=Decimal("40000"))


def test_a_stale_change_is_not_applied(file, caseworker, approver):
    change = propose_income(file, caseworker)
    HardshipFile.objects.filter(pk=file.pk).update(medical_costs=Decimal("1"))
    with pytest.raises(RuleBroken):
        hardship_file_change_accept(change=change, by=approver)
    file.refresh_from_db()
    assert file.annual_income == Decimal("18000")


# ---------------------------------------------------------------- the page


def test_the_approver_sees_old_and_new_and_accepts(client, file, caseworker, approver):
    change = propose_income(file, caseworker)
    client.force_login(approver)
    page = client.get(reverse("hardship:change_request_list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "****4321" in body
    assert NEW_ACCOUNT not in body
    assert 'data-testid="change-decide"' in body
    response = client.post(
        reverse("hardship:change_request_decide", args=[change.pk]), {"decide-accept": "yes"}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "accepted"


def test_the_proposer_is_offered_no_decision(caseworker_client, file, caseworker):
    propose_income(file, caseworker)
    page = caseworker_client.get(reverse("hardship:change_request_list"))
    assert page.status_code == 200
    assert 'data-testid="change-decide"' not in page.content.decode()


def test_a_sibling_branch_sees_nothing_and_gets_404(sibling_client, file, caseworker):
    change = propose_income(file, caseworker)
    page = sibling_client.get(reverse("hardship:change_request_list"))
    assert "change-request" not in page.content.decode()
    response = sibling_client.post(
        reverse("hardship:change_request_decide", args=[change.pk]), {"decide-accept": "yes"}
    )
    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, file, caseworker):
    change = propose_income(file, caseworker)
    for url in (
        reverse("hardship:change_request_list"),
        reverse("hardship:change_request_decide", args=[change.pk]),
    ):
        response = client.post(url) if "decide" in url else client.get(url)
        assert response.status_code == 302
        assert "login" in response.url


def test_the_list_reads_in_few_queries_for_one_and_three(
    client, caseworker, approver, django_assert_max_num_queries
):
    client.force_login(approver)
    for _ in range(3):
        on_record = open_file(by=caseworker)
        HardshipFile.objects.filter(pk=on_record.pk).update(status=FileStatus.ON_FILE)
        on_record.refresh_from_db()
        hardship_file_update(
            file=on_record, by=caseworker, id_number=on_record.id_number,
            values=file_values(annual_income=Decimal("30000")), secondary_causes=[], members=[],
            category=on_record.category,
        )  # fmt: skip
    with django_assert_max_num_queries(12):
        assert client.get(reverse("hardship:change_request_list")).status_code == 200
