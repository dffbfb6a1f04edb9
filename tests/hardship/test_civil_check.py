"""The civil-affairs check (民政家庭经济状况核对): the signed authorisation first, one request
spreadsheet for many files (recorded as a full-ID export with its reason), the centre's result
file imported whole or refused line by line, and an approver's decision on a mismatch."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from PIL import Image

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import document_run
from hardship.attachments import attachment_add
from hardship.checks import (
    finance_check_decide,
    finance_check_request,
    finance_check_results_import,
    may_request_check,
)
from hardship.choices import FileStatus
from hardship.models import (
    FileTransition,
    FinanceCheck,
    FinanceCheckFinding,
    FullIdExport,
    PipelineSettings,
)
from hardship.selectors import may_approve_file
from hardship.services import (
    MemberInput,
    hardship_file_first_review,
    hardship_file_record_verification,
)
from tests.factories import make_id_number, open_file, put_on_closed_notice

HEADER = ["身份证号码", "姓名", "是否享受低保", "是否享受特困", "核对收入", "核对资产", "与申报是否一致", "备注"]  # fmt: skip


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("授权书.png", buffer.getvalue(), content_type="image/png")


def with_consent(file, by):
    attachment_add(file=file, by=by, upload=png(), kind="consent")
    return file


@pytest.fixture
def households(caseworker, standards):
    from datetime import date

    child = MemberInput(
        relation="son", name="张小明", birth_date=date(2010, 5, 1), employment="student",
        id_number=make_id_number(birth="20100501", sequence=402),
    )  # fmt: skip
    first = open_file(
        by=caseworker, name="张建国", id_number=make_id_number(sequence=400), members=[child],
        annual_income=Decimal("20000"),
    )  # fmt: skip
    second = open_file(by=caseworker, name="李明", id_number=make_id_number(sequence=404))
    return [with_consent(first, caseworker), with_consent(second, caseworker)]


def result_file(rows, header=HEADER, name="核对结果.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def line(file_or_number, name, *, dibao="否", income="12000", matches="是"):
    number = getattr(file_or_number, "id_number", file_or_number)
    return [number, name, dibao, "否", income, "0", matches, ""]


def test_a_check_needs_the_signed_authorisation_first(caseworker, standards):
    file = open_file(by=caseworker)

    decision = may_request_check(caseworker, file)
    assert not decision
    assert "授权书" in decision.reason
    with_consent(file, caseworker)
    assert may_request_check(caseworker, file)


def test_one_spreadsheet_asks_about_many_files_and_is_recorded_as_a_full_id_export(
    households, caseworker, tree
):
    PipelineSettings.objects.create(
        unit=tree.hubei, check_columns=["name", "id_number", "file_number"]
    )

    checks, content = finance_check_request(by=caseworker, files=households, reason="民政核对")

    assert len(checks) == 2
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0] == ("姓名", "身份证号", "档案编号")
    assert [r[0] for r in rows[1:]] == ["张建国", "张小明", "李明"]
    assert rows[1][1] == households[0].id_number
    export = FullIdExport.objects.get()
    assert (export.user, export.reason, export.row_count) == (caseworker, "民政核对", 3)
    assert FileTransition.objects.filter(action="check_asked").count() == 2


def test_a_request_with_one_file_lacking_its_authorisation_asks_about_none(households, caseworker):
    bare = open_file(by=caseworker, name="王五", id_number=make_id_number(sequence=408))

    with pytest.raises(RuleBroken) as refused:
        finance_check_request(by=caseworker, files=[*households, bare], reason="民政核对")

    assert "王五" in " ".join(refused.value.message_dict["files"])
    assert not FinanceCheck.objects.exists()
    assert not FullIdExport.objects.exists()


def test_a_request_needs_a_reason(households, caseworker):
    with pytest.raises(RuleBroken):
        finance_check_request(by=caseworker, files=households, reason="  ")


def test_a_sibling_branch_cannot_ask_about_our_files(households, sibling):
    with pytest.raises(PermissionDenied):
        finance_check_request(by=sibling, files=households, reason="民政核对")


def test_an_approver_alone_cannot_ask_for_a_check(households, approver):
    with pytest.raises(PermissionDenied):
        finance_check_request(by=approver, files=households, reason="民政核对")


def test_the_results_are_attached_to_each_file(households, caseworker):
    finance_check_request(by=caseworker, files=households, reason="民政核对")
    first, second = households

    answered = finance_check_results_import(
        by=caseworker,
        upload=result_file(
            [
                line(first, "张建国", income="30000", matches="否"),
                line(first.members.get().id_number, "张小明", income="0"),
                line(second, "李明", dibao="是", income="6000"),
            ]
        ),
    )

    assert len(answered) == 2
    check = first.finance_checks.get()
    assert check.status == FinanceCheck.Status.ANSWERED
    assert check.mismatch is True
    assert second.finance_checks.get().mismatch is False
    findings = FinanceCheckFinding.objects.filter(finance_check=check).order_by("id")
    assert [f.name for f in findings] == ["张建国", "张小明"]
    assert first.id_number not in findings[0].id_number_masked
    assert FinanceCheckFinding.objects.get(name="李明").receives_dibao is True


def test_unknown_people_duplicates_and_bad_values_refuse_the_file_line_by_line(
    households, caseworker
):
    finance_check_request(by=caseworker, files=households, reason="民政核对")
    first, second = households
    stranger = make_id_number(sequence=990)

    with pytest.raises(RuleBroken) as refused:
        finance_check_results_import(
            by=caseworker,
            upload=result_file(
                [
                    line(first, "张建国"),
                    line(stranger, "陌生人"),
                    line(first, "张建国"),
                    line(second, "李明", dibao="也许", income="很多"),
                ]
            ),
        )

    problems = refused.value.message_dict["upload"]
    assert len(problems) == 3
    assert problems[0].startswith("第3行")
    assert "待核对" in problems[0]
    assert stranger not in problems[0]
    assert problems[1].startswith("第4行") and "重复" in problems[1]
    assert problems[2].startswith("第5行") and "也许" in problems[2] and "很多" in problems[2]
    assert not FinanceCheckFinding.objects.exists()
    assert FinanceCheck.objects.filter(status="requested").count() == 2


def test_a_result_file_missing_columns_is_refused(households, caseworker):
    finance_check_request(by=caseworker, files=households, reason="民政核对")

    with pytest.raises(RuleBroken) as refused:
        finance_check_results_import(
            by=caseworker,
            upload=result_file(
                [[households[0].id_number, "张建国"]], header=["身份证号码", "姓名"]
            ),
        )

    assert "是否享受低保" in refused.value.message_dict["upload"][0]


def test_a_sibling_branch_cannot_answer_our_checks(households, caseworker, sibling):
    finance_check_request(by=caseworker, files=households, reason="民政核对")

    with pytest.raises(RuleBroken):
        finance_check_results_import(
            by=sibling, upload=result_file([line(households[0], "张建国")])
        )
    assert not FinanceCheckFinding.objects.exists()


@pytest.fixture
def mismatched(households, caseworker, second_caseworker):
    file = households[0]
    finance_check_request(by=caseworker, files=[file], reason="民政核对")
    finance_check_results_import(
        by=caseworker, upload=result_file([line(file, "张建国", income="90000", matches="否")])
    )
    hardship_file_first_review(file=file, by=caseworker)
    from django.utils import timezone

    hardship_file_record_verification(
        file=file, by=second_caseworker, visited_on=timezone.localdate(),
        verifiers=[second_caseworker], findings="属实。",
    )  # fmt: skip
    file.refresh_from_db()
    put_on_closed_notice(file, by=caseworker)
    return file


def test_a_mismatch_holds_approval_until_an_approver_decides(mismatched, approver, caseworker):
    decision = may_approve_file(approver, mismatched)
    assert not decision
    assert "不符" in decision.reason
    check = mismatched.finance_checks.get()
    with pytest.raises(PermissionDenied):
        finance_check_decide(by=caseworker, check=check, decision="proceed", reason="已核实")
    with pytest.raises(RuleBroken):
        finance_check_decide(by=approver, check=check, decision="proceed", reason="")

    finance_check_decide(by=approver, check=check, decision="proceed", reason="收入为一次性补偿。")

    assert may_approve_file(approver, mismatched)
    with pytest.raises(RuleBroken):  # decided once
        finance_check_decide(by=approver, check=check, decision="refuse", reason="再议")


def test_refusing_on_a_mismatch_closes_the_file(mismatched, approver):
    finance_check_decide(
        by=approver, check=mismatched.finance_checks.get(), decision="refuse", reason="收入超标。"
    )

    mismatched.refresh_from_db()
    assert mismatched.status == FileStatus.CLOSED
    assert FileTransition.objects.filter(file=mismatched, action="check_decided").exists()


# ====================================================================== pages


def test_the_check_page_makes_the_spreadsheet_and_a_worker_imports_the_results(
    households, caseworker, client, media_root
):
    client.force_login(caseworker)
    assert client.get(reverse("hardship:check_list")).status_code == 200

    response = client.post(
        reverse("hardship:check_request"),
        {"ask-files": [f.pk for f in households], "ask-reason": "民政核对"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]

    sent = client.post(
        reverse("hardship:check_results"),
        {"result-upload": result_file([line(households[1], "李明")])},
    )
    job = GeneratedDocument.objects.get(kind="finance_check_results")
    assert sent.status_code == 302
    assert sent["Location"] == job.get_absolute_url()
    assert not FinanceCheckFinding.objects.exists()  # the web process read nothing

    assert document_run(document_id=job.pk) == "done"

    page = client.get(households[1].get_absolute_url()).content.decode()
    assert 'data-testid="finance-check"' in page
    assert list((media_root / "checks").iterdir()) == []  # the file is not kept


def test_a_bad_result_file_fails_its_job_with_every_bad_line(
    households, caseworker, client, media_root
):
    finance_check_request(by=caseworker, files=households, reason="民政核对")
    client.force_login(caseworker)

    client.post(
        reverse("hardship:check_results"),
        {"result-upload": result_file([line(make_id_number(sequence=992), "陌生人")])},
    )
    job = GeneratedDocument.objects.get(kind="finance_check_results")

    assert document_run(document_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "第2行" in job.error
    page = client.get(job.get_absolute_url()).content.decode()
    assert "第2行" in page
    assert not FinanceCheckFinding.objects.exists()
    assert list((media_root / "checks").iterdir()) == []


def test_a_file_that_is_no_workbook_is_refused_beside_the_upload(households, caseworker, client):
    client.force_login(caseworker)

    response = client.post(
        reverse("hardship:check_results"),
        {"result-upload": SimpleUploadedFile("核对结果.xlsx", b"not a workbook")},
    )

    assert response.status_code == 400
    assert "result-upload_error" in response.content.decode()
    assert not GeneratedDocument.objects.exists()


def test_the_sibling_branch_gets_404_for_a_checks_decision(mismatched, sibling, client):
    client.force_login(sibling)
    check = mismatched.finance_checks.get()

    response = client.post(
        reverse("hardship:check_decide", args=[check.pk]),
        {f"check-{check.pk}-decision": "proceed", f"check-{check.pk}-reason": "x"},
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_anonymous_visitor_cannot_see_the_check_page(client):
    client.logout()
    response = client.get(reverse("hardship:check_list"))
    assert response.status_code == 302


def test_the_approver_finds_mismatches_on_the_check_page_and_the_caseworker_no_form(
    mismatched, approver, caseworker, client
):
    client.force_login(caseworker)
    page = client.get(reverse("hardship:check_list")).content.decode()
    assert 'data-testid="check-to-decide"' in page
    assert 'data-testid="check-decide"' not in page

    client.force_login(approver)
    page = client.get(reverse("hardship:check_list")).content.decode()
    assert 'data-testid="check-decide"' in page
    check = mismatched.finance_checks.get()
    response = client.post(
        reverse("hardship:check_decide", args=[check.pk]),
        {f"check-{check.pk}-decision": "proceed", f"check-{check.pk}-reason": "一次性补偿"},
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.decision == "proceed"


def test_the_check_page_costs_the_same_for_one_or_three_waiting(caseworker, standards, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("hardship:check_list")).status_code == 200
        return len(queries)

    def household(n):
        return with_consent(
            open_file(by=caseworker, id_number=make_id_number(sequence=800 + 2 * n)), caseworker
        )

    client.force_login(caseworker)
    finance_check_request(by=caseworker, files=[household(0)], reason="民政核对")
    one = count()
    finance_check_request(by=caseworker, files=[household(n) for n in (1, 2)], reason="民政核对")

    assert count() == one
