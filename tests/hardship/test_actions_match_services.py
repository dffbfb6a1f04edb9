"""Every action on a hardship file is offered by its page exactly when its service accepts it.

One predicate per rule (``may_<verb>_<thing>`` in hardship/selectors.py) answers both
questions. Here each action is tried in a state where it applies, and for most also in
one where it does not, by everyone who could meet the file: whoever entered it, whoever
verified it, approvers who did and did not, colleagues, a viewer, a unit administrator
and a caseworker of a sibling branch.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hardship.attachments import attachment_add
from hardship.file_card import file_card_request
from hardship.income import IncomeInput, income_record_create
from hardship.models import FileTransfer, HardshipFile
from hardship.services import (
    hardship_file_approve,
    hardship_file_close,
    hardship_file_exit,
    hardship_file_first_review,
    hardship_file_record_verification,
    hardship_file_reject,
    hardship_file_reopen,
    hardship_file_review,
    hardship_file_transfer_decide,
    hardship_file_transfer_request,
    hardship_file_update,
    id_number_reveal,
)
from people.models import UnionUnit, User
from tests.actions import ActionCase, assert_button_matches_service
from tests.conftest import Tree
from tests.factories import UserFactory, file_values, open_file, put_on_closed_notice

# ---------------------------------------------------------------- who meets the file


@dataclass(frozen=True)
class Cast:
    """Everyone who could meet a file held by 武汉市总工会."""

    tree: Tree
    entered_it: User  # the caseworker who entered the file (and asks for its transfer)
    verified_it: User  # a caseworker named as having gone on the home verification
    approver_who_verified_it: User  # went too, and recorded the verification
    approver: User  # took no part; approves the file
    colleague: User  # a caseworker of the same unit who took no part
    viewer: User
    unit_admin: User
    sibling: User  # a caseworker of 湖南省总工会


PEOPLE = {
    "by_the_caseworker_who_entered_it": "entered_it",
    "by_a_caseworker_who_verified_it": "verified_it",
    "by_an_approver_who_verified_it": "approver_who_verified_it",
    "by_an_uninvolved_approver": "approver",
    "by_an_uninvolved_caseworker_of_the_unit": "colleague",
    "by_a_viewer": "viewer",
    "by_a_unit_administrator": "unit_admin",
    "by_a_caseworker_of_a_sibling_branch": "sibling",
}


@pytest.fixture
def cast(tree, caseworker, second_caseworker, approver, sibling, standards) -> Cast:
    return Cast(
        tree=tree,
        entered_it=caseworker,
        verified_it=second_caseworker,
        approver_who_verified_it=UserFactory(
            username="wuhan.ap2", unit=tree.wuhan, is_caseworker=False, is_approver=True
        ),
        approver=approver,
        colleague=UserFactory(username="wuhan.cw3", unit=tree.wuhan),
        viewer=UserFactory(
            username="wuhan.viewer", unit=tree.wuhan, is_caseworker=False, is_viewer=True
        ),
        unit_admin=UserFactory(
            username="wuhan.admin",
            unit=tree.wuhan,
            is_caseworker=False,
            is_unit_admin=True,
            is_staff=True,
        ),
        sibling=sibling,
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """Eight people in each of over two hundred cases: hashing their passwords properly would
    take most of the time, and nobody here signs in with one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ---------------------------------------------------------------- the file's states


def fresh(file: HardshipFile) -> HardshipFile:
    return HardshipFile.objects.select_related("unit").get(pk=file.pk)


def applied(cast: Cast, **values) -> HardshipFile:
    return fresh(open_file(by=cast.entered_it, **values))


def first_reviewed(cast: Cast, **values) -> HardshipFile:
    file = applied(cast, **values)
    hardship_file_first_review(file=file, by=cast.entered_it)
    return fresh(file)


def verified(cast: Cast, **values) -> HardshipFile:
    file = first_reviewed(cast, **values)
    hardship_file_record_verification(
        file=file, by=cast.approver_who_verified_it, visited_on=timezone.localdate(),
        verifiers=[cast.verified_it, cast.approver_who_verified_it],
        findings="家中确有尿毒症病人，每周透析三次。",
    )  # fmt: skip
    put_on_closed_notice(file, by=cast.entered_it)
    return fresh(file)


def verified_on_a_running_notice(cast: Cast) -> HardshipFile:
    file = first_reviewed(cast)
    hardship_file_record_verification(
        file=file, by=cast.approver_who_verified_it, visited_on=timezone.localdate(),
        verifiers=[cast.verified_it, cast.approver_who_verified_it], findings="属实。",
    )  # fmt: skip
    put_on_closed_notice(file, by=cast.entered_it, days_ago=2)
    return fresh(file)


def verified_but_not_in_hardship(cast: Cast) -> HardshipFile:
    # 200,000 yuan for three people is far above twice the standard: category "none".
    return verified(cast, annual_income=Decimal("200000"), medical_costs=Decimal(0))


def on_file(cast: Cast) -> HardshipFile:
    file = verified(cast)
    hardship_file_approve(file=file, by=cast.approver)
    return fresh(file)


def exited(cast: Cast) -> HardshipFile:
    file = on_file(cast)
    hardship_file_exit(file=file, by=cast.approver, reason="reemployed")
    return fresh(file)


def refused(cast: Cast) -> HardshipFile:
    file = applied(cast)
    hardship_file_reject(file=file, by=cast.approver, reason="收入高于标准")
    return fresh(file)


def transfer_waiting(cast: Cast) -> FileTransfer:
    """A transfer of a 武汉 file to 江岸, a unit in 武汉's own branch, waiting for an answer."""
    return hardship_file_transfer_request(
        file=applied(cast), by=cast.entered_it, to_unit=cast.tree.jiangan, reason="职工迁居江岸"
    )


def waiting_for_a_transfer(cast: Cast) -> HardshipFile:
    return fresh(transfer_waiting(cast).file)


def transfer_answered(cast: Cast) -> FileTransfer:
    transfer = transfer_waiting(cast)
    return hardship_file_transfer_decide(
        transfer=transfer, by=cast.approver, accept=False, note="职工仍在原单位工作"
    )


# ---------------------------------------------------------------- the actions


def file_page(file: HardshipFile) -> str:
    return file.get_absolute_url()


def transfer_list(transfer: FileTransfer) -> str:
    return reverse("hardship:transfer_list")


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("诊断证明.png", buffer.getvalue(), content_type="image/png")


ACTIONS = {
    "edit": ActionCase(
        "file-edit",
        file_page,
        lambda file, user: hardship_file_update(
            file=file,
            by=user,
            id_number=file.id_number,
            values=file_values(),
            secondary_causes=[],
            members=[],
        ),
    ),
    "first_review": ActionCase(
        "action-first_review",
        file_page,
        lambda file, user: hardship_file_first_review(file=file, by=user),
    ),
    "verify": ActionCase(
        "action-verify",
        file_page,
        lambda file, user: hardship_file_record_verification(
            file=file,
            by=user,
            visited_on=timezone.localdate(),
            verifiers=[user],
            findings="属实",
        ),
    ),
    "approve": ActionCase(
        "action-approve",
        file_page,
        lambda file, user: hardship_file_approve(file=file, by=user),
    ),
    "reject": ActionCase(
        "action-reject",
        file_page,
        lambda file, user: hardship_file_reject(file=file, by=user, reason="收入高于标准"),
    ),
    "review": ActionCase(
        "action-review",
        file_page,
        lambda file, user: hardship_file_review(file=file, by=user, notes="情况未变"),
    ),
    "exit": ActionCase(
        "action-exit",
        file_page,
        lambda file, user: hardship_file_exit(file=file, by=user, reason="reemployed"),
    ),
    "close": ActionCase(
        "action-close",
        file_page,
        lambda file, user: hardship_file_close(file=file, by=user, reason="moved"),
    ),
    "transfer": ActionCase(
        "action-transfer",
        file_page,
        lambda file, user: hardship_file_transfer_request(
            file=file, by=user, to_unit=UnionUnit.objects.get(code="HB-YC"), reason="职工迁居宜昌"
        ),
    ),
    "decide_transfer": ActionCase(
        "transfer-decide",
        transfer_list,
        lambda transfer, user: hardship_file_transfer_decide(
            transfer=transfer, by=user, accept=True
        ),
    ),
    "reveal_id": ActionCase(
        "reveal-id",
        file_page,
        lambda file, user: id_number_reveal(file=file, by=user),
    ),
    "attach": ActionCase(
        "attachment-add",
        file_page,
        lambda file, user: attachment_add(file=file, by=user, upload=png(), kind="medical"),
    ),
    "reopen": ActionCase(
        "action-reopen",
        file_page,
        lambda file, user: hardship_file_reopen(file=file, by=user, reason="再次失业"),
    ),
    "record_income": ActionCase(
        "record-income",
        file_page,
        lambda file, user: income_record_create(
            file=file,
            by=user,
            data=IncomeInput(
                period_start=date(timezone.localdate().year - 1, 1, 1),
                kind="month",
                household_income=Decimal("2400"),
                people=3,
            ),
        ),
    ),
    "file_card": ActionCase(
        "file-card",
        file_page,
        lambda file, user: file_card_request(file=file, by=user, language="zh-hans"),
    ),
}


@dataclass(frozen=True)
class Situation:
    """An action, and the state the file (or transfer) is in when someone tries it."""

    action: str
    state: Callable[[Cast], object]

    def __str__(self) -> str:
        return f"{self.action}-on_{self.state.__name__}"


SITUATIONS = [
    Situation("edit", applied),
    Situation("edit", refused),
    Situation("first_review", applied),
    Situation("first_review", first_reviewed),
    Situation("verify", first_reviewed),
    Situation("verify", verified),
    Situation("approve", verified),
    Situation("approve", verified_on_a_running_notice),
    Situation("approve", verified_but_not_in_hardship),
    Situation("approve", first_reviewed),
    Situation("reject", applied),
    Situation("reject", verified),
    Situation("reject", on_file),
    Situation("review", on_file),
    Situation("review", verified),
    Situation("exit", on_file),
    Situation("exit", applied),
    Situation("close", applied),
    Situation("close", exited),
    Situation("transfer", applied),
    Situation("transfer", waiting_for_a_transfer),
    Situation("transfer", refused),
    Situation("decide_transfer", transfer_waiting),
    Situation("decide_transfer", transfer_answered),
    Situation("reveal_id", applied),
    Situation("attach", applied),
    Situation("attach", exited),
    Situation("file_card", applied),
    Situation("reopen", exited),
    Situation("reopen", on_file),
    Situation("reopen", refused),
    Situation("record_income", on_file),
    Situation("record_income", exited),
]


@pytest.mark.parametrize("person", PEOPLE.values(), ids=PEOPLE.keys())
@pytest.mark.parametrize("situation", SITUATIONS, ids=str)
def test_the_page_offers_an_action_exactly_when_its_service_accepts_it(
    client, cast, situation, person
):
    record = situation.state(cast)

    assert_button_matches_service(client, ACTIONS[situation.action], record, getattr(cast, person))


def test_an_approver_who_went_on_the_home_verification_is_told_why_approval_is_not_offered(
    client, cast
):
    file = verified(cast)
    client.force_login(cast.approver_who_verified_it)

    page = client.get(file.get_absolute_url()).content.decode()

    assert 'data-testid="action-approve"' not in page
    assert "您参与了入户核查，须由其他人审批。" in page


def test_a_caseworker_is_not_told_why_they_cannot_approve_since_their_role_never_does(client, cast):
    file = verified(cast)
    client.force_login(cast.colleague)

    page = client.get(file.get_absolute_url()).content.decode()

    assert 'data-testid="why-not"' not in page
