"""The life of a hardship file: application, review, verification, approval, exit."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection
from django.utils import timezone

from common.crypto import keyed_hash
from common.errors import RuleBroken
from hardship.choices import Category, FileStatus
from hardship.models import FileTransition, HardshipFile
from hardship.services import (
    MemberInput,
    hardship_file_approve,
    hardship_file_close,
    hardship_file_exit,
    hardship_file_first_review,
    hardship_file_record_verification,
    hardship_file_reject,
    hardship_file_transfer_decide,
    hardship_file_transfer_request,
)
from tests.factories import UserFactory, make_id_number, open_file, put_on_closed_notice


@pytest.fixture
def applied(caseworker, standards):
    return open_file(by=caseworker)


def verified_file(file, *, by_reviewer, by_verifier):
    hardship_file_first_review(file=file, by=by_reviewer)
    hardship_file_record_verification(
        file=file, by=by_verifier, visited_on=timezone.localdate(), verifiers=[by_verifier],
        findings="家中确有尿毒症病人，每周透析三次。",
    )  # fmt: skip
    file.refresh_from_db()
    put_on_closed_notice(file, by=by_reviewer)
    return file


def test_opening_a_file_derives_gender_and_birth_date_from_the_id_number(caseworker, standards):
    file = open_file(by=caseworker, id_number=make_id_number(birth="19751203", sequence=12))

    assert file.status == FileStatus.APPLIED
    assert file.gender == "F"
    assert file.birth_date.isoformat() == "1975-12-03"
    assert file.file_number.startswith("000000-") or file.file_number.count("-") == 2


def test_the_id_number_is_encrypted_at_rest_and_found_by_its_hash(caseworker, standards):
    number = make_id_number(sequence=77)
    file = open_file(by=caseworker, id_number=number)

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM hardship_hardshipfile WHERE id = %s", [file.pk])
        (stored,) = cursor.fetchone()
    assert number not in stored
    assert HardshipFile.objects.get(id_hash=keyed_hash(number)).id_number == number


def test_the_whole_life_from_application_to_exit(applied, caseworker, second_caseworker, approver):
    file = verified_file(applied, by_reviewer=caseworker, by_verifier=second_caseworker)
    hardship_file_approve(file=file, by=approver)
    file.refresh_from_db()
    assert file.status == FileStatus.ON_FILE
    assert file.review_due_on == file.opened_on.replace(year=file.opened_on.year + 1)

    hardship_file_exit(file=file, by=approver, reason="reemployed")

    file.refresh_from_db()
    assert file.status == FileStatus.EXITED
    actions = list(FileTransition.objects.filter(file=file).values_list("action", flat=True))
    assert actions == ["open", "first_review", "verify", "approve", "exit"]


def test_the_verifier_cannot_be_who_entered_the_file(applied, caseworker):
    hardship_file_first_review(file=applied, by=caseworker)

    with pytest.raises(RuleBroken):
        hardship_file_record_verification(
            file=applied, by=caseworker, visited_on=timezone.localdate(), verifiers=[caseworker],
            findings="自己核查自己",
        )  # fmt: skip


def test_an_approver_cannot_approve_a_file_they_entered(tree, standards, second_caseworker):
    both = UserFactory(unit=tree.wuhan, is_caseworker=True, is_approver=True)
    file = open_file(by=both)
    hardship_file_first_review(file=file, by=both)
    hardship_file_record_verification(
        file=file, by=second_caseworker, visited_on=timezone.localdate(),
        verifiers=[second_caseworker], findings="属实",
    )  # fmt: skip

    with pytest.raises(RuleBroken, match="须由其他人审批"):
        hardship_file_approve(file=file, by=both)


def test_a_caseworker_cannot_approve(applied, caseworker, second_caseworker):
    file = verified_file(applied, by_reviewer=caseworker, by_verifier=second_caseworker)

    with pytest.raises(PermissionDenied):
        hardship_file_approve(file=file, by=caseworker)


def test_a_transition_from_the_wrong_state_is_refused(applied, approver):
    with pytest.raises(RuleBroken, match="状态"):
        hardship_file_approve(file=applied, by=approver)


def test_a_sibling_branch_cannot_touch_the_file(applied, sibling):
    with pytest.raises(PermissionDenied):
        hardship_file_first_review(file=applied, by=sibling)


def test_an_id_number_on_another_units_active_file_is_refused_naming_that_unit(
    tree, standards, caseworker, sibling
):
    number = make_id_number(sequence=501)
    open_file(by=sibling, id_number=number, division_code="430100")

    with pytest.raises(RuleBroken) as refused:
        open_file(by=caseworker, id_number=number)

    message = str(refused.value.message_dict["id_number"])
    assert "湖南省总工会" in message
    assert "张建国" not in message


def test_a_member_whose_id_is_on_another_active_file_is_refused(standards, caseworker, sibling):
    number = make_id_number(birth="20080101", sequence=302)
    child = MemberInput(
        relation="son",
        name="王小明",
        birth_date=timezone.localdate().replace(year=2008, month=1, day=1),
        employment="student",
        id_number=number,
    )
    open_file(by=sibling, members=[child], division_code="430100")

    with pytest.raises(RuleBroken) as refused:
        open_file(by=caseworker, members=[child])

    assert "members-0-id_number" in refused.value.message_dict


def test_an_exited_households_worker_is_pointed_to_reopening_not_a_new_file(
    standards, caseworker, second_caseworker, approver
):
    number = make_id_number(sequence=901)
    file = verified_file(
        open_file(by=caseworker, id_number=number),
        by_reviewer=caseworker,
        by_verifier=second_caseworker,
    )
    hardship_file_approve(file=file, by=approver)
    hardship_file_exit(file=file, by=approver, reason="reemployed")

    with pytest.raises(RuleBroken) as refused:
        open_file(by=caseworker, id_number=number)

    assert file.file_number in refused.value.message_dict["id_number"][0]


def test_a_member_listed_twice_is_refused(standards, caseworker):
    number = make_id_number(birth="20100505", sequence=404)
    twin = MemberInput(
        relation="son",
        name="李一",
        birth_date=timezone.localdate().replace(year=2010, month=5, day=5),
        employment="student",
        id_number=number,
    )

    with pytest.raises(RuleBroken) as refused:
        open_file(by=caseworker, members=[twin, twin])

    assert "members-1-id_number" in refused.value.message_dict


def test_rejecting_an_application_closes_it_and_keeps_it(applied, approver):
    hardship_file_reject(file=applied, by=approver, reason="收入高于标准")

    applied.refresh_from_db()
    assert applied.status == FileStatus.CLOSED
    assert applied.close_reason == "ineligible"


def test_a_file_can_never_be_deleted(applied):
    with pytest.raises(IntegrityError):
        HardshipFile.objects.filter(pk=applied.pk).delete()


def test_a_bulk_update_is_kept_in_the_history(applied):
    HardshipFile.objects.filter(pk=applied.pk).update(phone="13800000000")

    events = applied.events.order_by("pgh_id")
    assert [e.phone for e in events] == ["13912345678", "13800000000"]


def test_a_transfer_moves_the_file_when_the_receiving_unit_accepts(applied, caseworker, tree):
    receiver = UserFactory(unit=tree.yichang)
    transfer = hardship_file_transfer_request(
        file=applied, by=caseworker, to_unit=tree.yichang, reason="职工迁居宜昌"
    )

    hardship_file_transfer_decide(transfer=transfer, by=receiver, accept=True)

    applied.refresh_from_db()
    assert applied.unit == tree.yichang


def test_close_needs_an_approver_and_a_reason(applied, approver, caseworker):
    with pytest.raises(PermissionDenied):
        hardship_file_close(file=applied, by=caseworker, reason="moved")
    with pytest.raises(RuleBroken):
        hardship_file_close(file=applied, by=approver, reason="")

    hardship_file_close(file=applied, by=approver, reason="moved")


def test_a_verification_dated_in_the_future_is_refused(applied, caseworker, second_caseworker):
    hardship_file_first_review(file=applied, by=caseworker)

    with pytest.raises(RuleBroken) as refused:
        hardship_file_record_verification(
            file=applied, by=second_caseworker, visited_on=timezone.localdate() + timedelta(days=1),
            verifiers=[second_caseworker], findings="属实",
        )  # fmt: skip

    assert "visited_on" in refused.value.message_dict


def test_the_category_is_proposed_deep_below_the_standard(caseworker, standards):
    # (18000 − 6000) ÷ 12 ÷ 3 = 333.33 < 800
    file = open_file(by=caseworker)

    assert file.proposed_category == Category.DEEP
