"""A household that falls back into hardship is reopened with its history, not entered again."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import FileTransition, HardshipFile
from hardship.pipeline import notice_hold_on_approval
from hardship.services import MemberInput, hardship_file_close, hardship_file_reopen
from tests.factories import make_id_number, open_file, put_on_closed_notice

pytestmark = pytest.mark.django_db


def exited(file: HardshipFile) -> HardshipFile:
    HardshipFile.objects.filter(pk=file.pk).update(
        status=FileStatus.EXITED, category="relative", exit_reason="reemployed",
        opened_on=timezone.localdate() - timedelta(days=400),
        ended_on=timezone.localdate() - timedelta(days=30),
    )  # fmt: skip
    file.refresh_from_db()
    return file


@pytest.fixture
def file(caseworker, standards, tree):
    return exited(
        open_file(by=caseworker, unit=tree.jiangan, id_number=make_id_number(sequence=611))
    )


def test_a_caseworker_reopens_an_exited_file_into_the_first_review(file, caseworker):
    hardship_file_reopen(file=file, by=caseworker, reason="再次失业，妻子住院")

    file.refresh_from_db()
    assert file.status == FileStatus.APPLIED
    assert (file.exit_reason, file.ended_on, file.opened_on) == ("", None, None)
    last = file.transitions.order_by("-at", "-id").first()
    assert (last.action, last.from_status, last.to_status, last.reason) == (
        FileTransition.Action.REOPEN, FileStatus.EXITED, FileStatus.APPLIED, "再次失业，妻子住院",
    )  # fmt: skip


def test_the_history_of_the_earlier_exit_is_kept(file, caseworker):
    hardship_file_reopen(file=file, by=caseworker, reason="再次失业")
    assert file.events.filter(status=FileStatus.EXITED, exit_reason="reemployed").exists()


def test_a_reason_is_required(file, caseworker):
    with pytest.raises(RuleBroken) as refused:
        hardship_file_reopen(file=file, by=caseworker, reason="  ")
    assert "reason" in refused.value.message_dict


def test_a_sibling_branch_cannot_reopen(file, sibling):
    with pytest.raises(PermissionDenied):
        hardship_file_reopen(file=file, by=sibling, reason="再次失业")


def test_an_approver_who_is_not_a_caseworker_cannot_reopen(file, approver):
    with pytest.raises(PermissionDenied):
        hardship_file_reopen(file=file, by=approver, reason="再次失业")


def test_a_file_on_record_cannot_be_reopened(caseworker, standards, tree):
    on_file = open_file(by=caseworker, unit=tree.jiangan)
    HardshipFile.objects.filter(pk=on_file.pk).update(status=FileStatus.ON_FILE, category="deep")
    on_file.refresh_from_db()
    with pytest.raises(RuleBroken, match="只有已脱困的档案"):
        hardship_file_reopen(file=on_file, by=caseworker, reason="再次失业")


def test_a_closed_file_is_not_reopened(caseworker, approver, standards, tree):
    closed = hardship_file_close(
        file=open_file(by=caseworker, unit=tree.jiangan), by=approver, reason="moved"
    )
    with pytest.raises(RuleBroken, match="已注销的档案不能重新启用"):
        hardship_file_reopen(file=closed, by=caseworker, reason="又回来了")


def test_a_household_with_a_member_on_another_active_file_is_not_reopened(
    caseworker, standards, tree
):
    spouse = make_id_number(birth="19820303", sequence=622)
    member = MemberInput(relation="spouse", name="王芳", birth_date=timezone.localdate().replace(
        year=1982, month=3, day=3), employment="unemployed", id_number=spouse)  # fmt: skip
    old = exited(open_file(by=caseworker, unit=tree.jiangan, members=[member]))
    open_file(by=caseworker, unit=tree.dazhi, id_number=spouse, name="王芳")

    with pytest.raises(RuleBroken, match="大智街道工会"):
        hardship_file_reopen(file=old, by=caseworker, reason="再次失业")
    old.refresh_from_db()
    assert old.status == FileStatus.EXITED


def test_opening_a_new_file_for_an_exited_worker_points_to_reopening(file, caseworker):
    with pytest.raises(RuleBroken) as refused:
        open_file(by=caseworker, unit=file.unit, id_number=file.id_number)
    (message,) = refused.value.message_dict["id_number"]
    assert file.file_number in message
    assert "重新启用" in message


def test_another_branch_is_told_only_which_unit_to_ask(file, sibling):
    with pytest.raises(RuleBroken) as refused:
        open_file(by=sibling, id_number=file.id_number, division_code="430100")
    (message,) = refused.value.message_dict["id_number"]
    assert file.unit.name in message
    assert file.file_number not in message


def test_a_reopened_file_needs_a_new_public_notice(file, caseworker):
    put_on_closed_notice(file, by=caseworker)
    assert notice_hold_on_approval(file) == ""

    hardship_file_reopen(file=file, by=caseworker, reason="再次失业")

    assert notice_hold_on_approval(file) != ""


# ---------------------------------------------------------------- the page


def test_the_exited_files_page_offers_the_reopen_form_to_its_caseworker(caseworker_client, file):
    body = caseworker_client.get(file.get_absolute_url()).content.decode()
    assert reverse("hardship:file_action", args=[file.pk, "reopen"]) in body


def test_the_reopen_form_needs_a_ticked_confirmation(caseworker_client, file):
    url = reverse("hardship:file_action", args=[file.pk, "reopen"])
    page = caseworker_client.post(url, {"reopen-reason": "再次失业"})
    assert page.status_code == 400
    file.refresh_from_db()
    assert file.status == FileStatus.EXITED

    page = caseworker_client.post(url, {"reopen-reason": "再次失业", "reopen-confirm": "on"})
    assert page.status_code == 302
    file.refresh_from_db()
    assert file.status == FileStatus.APPLIED
    body = caseworker_client.get(file.get_absolute_url()).content.decode()
    assert "再次失业" in body  # in the timeline


def test_a_sibling_gets_404_from_the_reopen_action(sibling_client, file):
    url = reverse("hardship:file_action", args=[file.pk, "reopen"])
    page = sibling_client.post(url, {"reopen-reason": "再次失业", "reopen-confirm": "on"})
    assert page.status_code == 404
    file.refresh_from_db()
    assert file.status == FileStatus.EXITED


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_reopen_action(client, file):
    url = reverse("hardship:file_action", args=[file.pk, "reopen"])
    page = client.post(url, {"reopen-reason": "再次失业", "reopen-confirm": "on"})
    assert page.status_code == 302
    assert page["Location"].startswith(reverse(settings.LOGIN_URL))
    file.refresh_from_db()
    assert file.status == FileStatus.EXITED
