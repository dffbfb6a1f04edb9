"""Public notices (公示): started by a caseworker for verified files, objections recorded and
decided by an approver, approval held while the window is open or an objection undecided, the
files of a clean notice approved together, the printed sheet, and the pages' access rules."""

import subprocess
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import FileTransition, Objection, PipelineSettings, PublicNotice
from hardship.notices import (
    NoticeLine,
    objection_decide,
    objection_record,
    public_notice_approve_files,
    public_notice_create,
)
from hardship.selectors import may_approve_file
from hardship.services import (
    hardship_file_approve,
    hardship_file_first_review,
    hardship_file_record_verification,
)
from tests.factories import UserFactory, make_id_number, open_file

WHERE = "江岸区总工会办公室，电话 027-82345678"


@pytest.fixture
def verified_files(caseworker, second_caseworker, standards):
    files = []
    for n, name in enumerate(["张建国", "李明"]):
        file = open_file(
            by=caseworker,
            name=name,
            id_number=make_id_number(sequence=300 + 2 * n),
            phone="13912345678",
            address="江岸区胜利街118号3单元",
        )
        hardship_file_first_review(file=file, by=caseworker)
        hardship_file_record_verification(
            file=file, by=second_caseworker, visited_on=timezone.localdate(),
            verifiers=[second_caseworker], findings="家中确有尿毒症病人，每周透析三次。",
        )  # fmt: skip
        file.refresh_from_db()
        files.append(file)
    return files


def start(files, by, **overrides):
    values = {
        "by": by,
        "unit": by.unit,
        "kind": PublicNotice.Kind.NEW_FILES,
        "starts_on": timezone.localdate(),
        "working_days": 5,
        "where_to_object": WHERE,
        "lines": [NoticeLine(file=f, reason="") for f in files],
    }
    return public_notice_create(**{**values, **overrides})


def close(notice):
    """Move the notice's window into the past, as if it had run."""
    today = timezone.localdate()
    PublicNotice.objects.filter(pk=notice.pk).update(
        starts_on=today - timedelta(days=12), ends_on=today - timedelta(days=1)
    )
    notice.refresh_from_db()
    return notice


def test_a_caseworker_starts_a_notice_for_many_files_with_masked_names(verified_files, caseworker):
    notice = start(verified_files, caseworker)

    entries = list(notice.entries.order_by("id"))
    assert [e.masked_name for e in entries] == ["张*国", "李*"]
    assert entries[0].unit_name == "武汉市总工会"
    assert notice.ends_on >= notice.starts_on + timedelta(days=4)
    actions = FileTransition.objects.filter(file=verified_files[0]).values_list("action", flat=True)
    assert list(actions)[-1] == FileTransition.Action.NOTICE


def test_a_notice_shorter_than_the_units_minimum_is_refused(verified_files, caseworker, tree):
    PipelineSettings.objects.create(unit=tree.hubei, notice_minimum_days=7)

    with pytest.raises(RuleBroken) as refused:
        start(verified_files, caseworker, working_days=6)

    assert "7" in refused.value.message_dict["working_days"][0]


def test_a_lower_unit_cannot_lower_the_minimum_set_above(tree):
    from hardship.pipeline import pipeline_settings_for

    PipelineSettings.objects.create(unit=tree.hubei, notice_minimum_days=7, notice_for_grants=False)
    PipelineSettings.objects.create(unit=tree.wuhan, notice_minimum_days=3, notice_default_days=4)

    settings = pipeline_settings_for(tree.jiangan)
    assert settings.notice_minimum_days == 7
    assert settings.notice_default_days == 7
    assert settings.notice_for_grants is False
    assert settings.notice_for_new_files is True


def test_a_sibling_branch_cannot_start_a_notice(verified_files, sibling):
    with pytest.raises(PermissionDenied):
        start(verified_files, sibling, unit=verified_files[0].unit)


def test_an_approver_without_the_caseworker_role_cannot_start_a_notice(verified_files, approver):
    with pytest.raises(PermissionDenied):
        start(verified_files, approver)


def test_a_file_not_yet_verified_cannot_go_on_a_notice(caseworker, standards):
    file = open_file(by=caseworker)

    with pytest.raises(RuleBroken) as refused:
        start([file], caseworker)

    assert "入户核查" in " ".join(refused.value.message_dict["files"])


def test_a_file_cannot_be_on_two_live_notices(verified_files, caseworker):
    start(verified_files, caseworker)

    with pytest.raises(RuleBroken):
        start(verified_files[:1], caseworker)


def test_approval_is_refused_while_the_notice_runs(verified_files, caseworker, approver):
    start(verified_files, caseworker)

    decision = may_approve_file(approver, verified_files[0])
    assert not decision
    assert "公示期满" in decision.reason
    with pytest.raises(RuleBroken):
        hardship_file_approve(file=verified_files[0], by=approver)


def test_approval_is_refused_without_a_notice_where_the_unit_asks_for_one(
    verified_files, approver, tree
):
    assert "先行公示" in may_approve_file(approver, verified_files[0]).reason

    PipelineSettings.objects.create(unit=tree.national, notice_for_new_files=False)
    assert may_approve_file(approver, verified_files[0])


def test_an_undecided_objection_holds_approval_after_the_window(
    verified_files, caseworker, approver
):
    notice = start(verified_files, caseworker)
    objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="邻居反映其家中新购轿车一辆。",
    )  # fmt: skip
    close(notice)

    assert "异议" in may_approve_file(approver, verified_files[0]).reason
    assert may_approve_file(approver, verified_files[1])


def test_objections_are_recorded_only_while_the_notice_runs(verified_files, caseworker):
    notice = close(start(verified_files, caseworker))

    with pytest.raises(RuleBroken):
        objection_record(
            by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
            channel=Objection.Channel.LETTER, content="来信反映情况不实。",
        )  # fmt: skip


def test_a_dismissed_objection_lets_the_files_be_approved_together(
    verified_files, caseworker, approver
):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.IN_PERSON, content="反映其配偶有固定工作。",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):  # a caseworker does not decide
        objection_decide(
            by=caseworker, objection=objection, decision="dismissed", reason="经核实无此情况。"
        )
    objection_decide(
        by=approver, objection=objection, decision="dismissed", reason="经核实配偶已失业。"
    )
    with pytest.raises(RuleBroken):  # still running
        public_notice_approve_files(by=approver, notice=notice)
    close(notice)

    approved, left = public_notice_approve_files(by=approver, notice=notice)

    assert sorted(f.name for f in approved) == ["张建国", "李明"]
    assert left == []
    actions = list(
        FileTransition.objects.filter(file=verified_files[0]).values_list("action", flat=True)
    )
    assert actions[-4:] == ["notice", "objection", "objection_end", "approve"]


def test_a_dismissal_needs_a_reason(verified_files, caseworker, approver):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="反映情况。",
    )  # fmt: skip

    with pytest.raises(RuleBroken):
        objection_decide(by=approver, objection=objection, decision="dismissed", reason=" ")


def test_an_upheld_objection_sends_the_file_back_to_verification(
    verified_files, caseworker, approver
):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.BOX, content="其家庭另有商铺出租。",
    )  # fmt: skip

    objection_decide(by=approver, objection=objection, decision="back", reason="需重新入户核查。")

    file = verified_files[0]
    file.refresh_from_db()
    assert file.status == FileStatus.FIRST_REVIEWED
    assert FileTransition.objects.filter(file=file, action="sent_back").exists()


def test_an_upheld_objection_can_refuse_the_file(verified_files, caseworker, approver):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.EMAIL, content="其收入远高于申报。",
    )  # fmt: skip

    objection_decide(by=approver, objection=objection, decision="refused", reason="收入超标。")

    verified_files[0].refresh_from_db()
    assert verified_files[0].status == FileStatus.CLOSED


def test_the_sibling_branch_cannot_decide_an_objection(verified_files, caseworker, tree):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="反映情况。",
    )  # fmt: skip
    stranger = UserFactory(unit=tree.hunan, is_caseworker=False, is_approver=True)

    with pytest.raises(PermissionDenied):
        objection_decide(by=stranger, objection=objection, decision="dismissed", reason="无")


# ====================================================================== the printed sheet


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "notice.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_sheet_shows_masked_names_and_chinese_but_no_id_address_or_phone(
    verified_files, caseworker, client, tmp_path
):
    notice = start(verified_files, caseworker)
    client.force_login(caseworker)

    response = client.get(reverse("hardship:notice_sheet", args=[notice.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "张*国" in text
    assert "李*" in text
    assert "公示" in text
    assert "江岸区总工会办公室" in text
    assert "张建国" not in text
    for file in verified_files:
        assert file.id_number not in text
        assert file.id_number[-4:] not in text.replace(" ", "")
        assert file.phone not in text
        assert "胜利街" not in text
        assert "尿毒症" not in text


# ====================================================================== pages and access


def test_the_pages_open_for_the_branch(verified_files, caseworker, client):
    notice = start(verified_files, caseworker)
    client.force_login(caseworker)

    assert client.get(reverse("hardship:notice_list")).status_code == 200
    assert client.get(reverse("hardship:notice_new")).status_code == 200
    page = client.get(reverse("hardship:notice_detail", args=[notice.pk]))
    assert page.status_code == 200
    assert "张*国" in page.content.decode()


@pytest.mark.parametrize("name", ["notice_detail", "notice_sheet"])
def test_a_sibling_branch_gets_404_for_a_notice(verified_files, caseworker, sibling, client, name):
    notice = start(verified_files, caseworker)
    client.force_login(sibling)

    assert client.get(reverse(f"hardship:{name}", args=[notice.pk])).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(verified_files, caseworker, client):
    notice = start(verified_files, caseworker)
    client.logout()

    response = client.get(reverse("hardship:notice_detail", args=[notice.pk]))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_caseworker_starts_a_notice_through_the_page(verified_files, caseworker, client):
    client.force_login(caseworker)

    response = client.post(
        reverse("hardship:notice_new"),
        {"files": [f.pk for f in verified_files], "starts_on": timezone.localdate().isoformat(),
         "working_days": "5", "where_to_object": WHERE},
    )  # fmt: skip

    notice = PublicNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == notice.get_absolute_url()


def test_a_too_short_window_is_refused_beside_its_field(verified_files, caseworker, client):
    client.force_login(caseworker)

    response = client.post(
        reverse("hardship:notice_new"),
        {"files": [verified_files[0].pk], "starts_on": timezone.localdate().isoformat(),
         "working_days": "2", "where_to_object": WHERE},
    )  # fmt: skip

    assert response.status_code == 400
    assert "working_days_error" in response.content.decode()
    assert not PublicNotice.objects.exists()


def test_a_caseworker_is_not_offered_the_decision_and_the_approver_is(
    verified_files, caseworker, approver, client
):
    notice = start(verified_files, caseworker)
    objection = objection_record(
        by=caseworker, entry=notice.entries.first(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="反映情况。",
    )  # fmt: skip
    client.force_login(caseworker)
    url = reverse("hardship:notice_detail", args=[notice.pk])
    assert 'data-testid="objection-decide"' not in client.get(url).content.decode()
    refused = client.post(
        reverse("hardship:objection_decide", args=[objection.pk]),
        {f"decide-{objection.pk}-decision": "dismissed", f"decide-{objection.pk}-reason": "无"},
    )
    assert refused.status_code == 400

    client.force_login(approver)
    assert 'data-testid="objection-decide"' in client.get(url).content.decode()
    done = client.post(
        reverse("hardship:objection_decide", args=[objection.pk]),
        {f"decide-{objection.pk}-decision": "dismissed", f"decide-{objection.pk}-reason": "不属实"},
    )
    assert done.status_code == 302
    objection.refresh_from_db()
    assert objection.decision == "dismissed"


def test_the_approver_approves_a_clean_notices_files_through_the_page(
    verified_files, caseworker, approver, sibling, client
):
    notice = close(start(verified_files, caseworker))
    url = reverse("hardship:notice_approve", args=[notice.pk])
    client.force_login(sibling)
    assert client.post(url).status_code == 404
    client.force_login(caseworker)
    client.post(url)
    assert statuses_of(verified_files) == {FileStatus.VERIFIED}

    client.force_login(approver)
    page = client.get(reverse("hardship:notice_detail", args=[notice.pk])).content.decode()
    assert 'data-testid="notice-approve"' in page
    response = client.post(url)

    assert response.status_code == 302
    assert statuses_of(verified_files) == {FileStatus.ON_FILE}


def statuses_of(files):
    for file in files:
        file.refresh_from_db()
    return {file.status for file in files}


def queries_of(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_notice_list_and_a_notices_page_cost_the_same_for_one_or_three(
    caseworker, second_caseworker, standards, client
):
    def verified(n):
        file = open_file(by=caseworker, id_number=make_id_number(sequence=700 + 2 * n))
        hardship_file_first_review(file=file, by=caseworker)
        hardship_file_record_verification(
            file=file, by=second_caseworker, visited_on=timezone.localdate(),
            verifiers=[second_caseworker], findings="属实。",
        )  # fmt: skip
        return file

    client.force_login(caseworker)
    first = start([verified(0)], caseworker)
    objection_record(
        by=caseworker, entry=first.entries.get(), received_at=timezone.now(),
        channel=Objection.Channel.PHONE, content="反映情况。",
    )  # fmt: skip
    one_list = queries_of(client, reverse("hardship:notice_list"))
    one_page = queries_of(client, reverse("hardship:notice_detail", args=[first.pk]))
    files = [verified(n) for n in (1, 2, 3)]
    start(files[:1], caseworker)
    third = start(files[1:], caseworker)
    for entry in third.entries.all():
        objection_record(
            by=caseworker, entry=entry, received_at=timezone.now(),
            channel=Objection.Channel.LETTER, content="来信。",
        )  # fmt: skip

    assert queries_of(client, reverse("hardship:notice_list")) == one_list
    assert queries_of(client, reverse("hardship:notice_detail", args=[third.pk])) == one_page
