"""An approver accepts one proposed change to a file on record and refuses another with a
reason."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from hardship.choices import FileStatus
from hardship.models import FileChangeRequest, HardshipFile
from hardship.services import hardship_file_update
from tests.browser.test_file_flow import people, sign_in, standards_for_browser  # noqa: F401
from tests.factories import file_values, make_id_number, open_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def on_record_with_proposal(caseworker, sequence: int, name: str) -> FileChangeRequest:
    file = open_file(
        by=caseworker,
        id_number=make_id_number(sequence=sequence),
        name=name,
        division_code="420102",
    )
    HardshipFile.objects.filter(pk=file.pk).update(status=FileStatus.ON_FILE)
    file.refresh_from_db()
    saved = hardship_file_update(
        file=file, by=caseworker, id_number=file.id_number,
        values=file_values(name=name, annual_income=Decimal("36000"), bank_name="工商银行",
                           bank_account="6222029999999994321"),
        secondary_causes=[], members=[], category=file.category,
    )  # fmt: skip
    return saved.proposed_change


def test_an_approver_accepts_one_change_and_refuses_another(
    live_server,
    page,
    phone,
    screenshot,
    people,  # noqa: F811
):
    accepted = on_record_with_proposal(people["caseworker"], 501, "陈桂兰")
    refused = on_record_with_proposal(people["caseworker"], 503, "王建华")

    sign_in(page, live_server, "zhaolei")
    page.goto(f"{live_server.url}/changes/")
    expect(page.get_by_role("heading", name="待审批的档案变更")).to_be_visible()
    expect(page.get_by_text("****4321").first).to_be_visible()
    screenshot(page, "60-change-requests")
    sign_in(phone, live_server, "zhaolei")
    phone.goto(f"{live_server.url}/changes/")
    screenshot(phone, "61-change-requests-phone")

    first = page.get_by_test_id("change-request").filter(has_text="陈桂兰")
    first.get_by_role("radio", name="同意变更").check()
    first.get_by_test_id("change-decide").click()
    expect(page.get_by_text("变更已同意并生效。")).to_be_visible()

    second = page.get_by_test_id("change-request").filter(has_text="王建华")
    second.get_by_role("radio", name="拒绝").check()
    second.get_by_test_id("change-decide").click()
    # Refused without a reason: the page says so and nothing changes.
    expect(page.get_by_text("请说明不同意该变更的理由。")).to_be_visible()
    second = page.get_by_test_id("change-request").filter(has_text="王建华")
    second.get_by_role("radio", name="拒绝").check()
    second.get_by_label("理由（不同意时必填）").fill("收入证明不全")
    second.get_by_test_id("change-decide").click()
    expect(page.get_by_text("变更未获同意。")).to_be_visible()
    expect(page.get_by_text("本单位没有待审批的档案变更。")).to_be_visible()
    screenshot(page, "62-change-requests-decided")

    accepted.refresh_from_db()
    refused.refresh_from_db()
    assert (accepted.status, refused.status, refused.reason) == (
        "accepted",
        "refused",
        "收入证明不全",
    )
    assert accepted.file.annual_income == Decimal("36000")
