"""Bank payments in bulk (银行代发): an approved batch's payment file laid out as the unit's
bank accepts (its export of full account numbers recorded), the bank's result file applied
whole or refused line by line, failed lines re-issued or paid in cash, and the reconciliation
of the lines, the payments and the ledger."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from common.errors import RuleBroken
from documents.models import GeneratedDocument
from documents.services import document_run
from funds.bank import (
    bank_file_content,
    bank_file_download,
    bank_line_reissue,
    bank_line_to_cash,
    bank_reconciliation,
    bank_results_import,
    bank_run_make,
    may_export_bank_file,
)
from funds.batches import batch_approve, batch_propose
from funds.choices import BankLineStatus, DisbursementStatus, PaymentMethod
from funds.models import (
    BankFileExport,
    BankFileLayout,
    BankPaymentLine,
    Disbursement,
    LedgerTransaction,
)
from funds.rosters import roster_lines
from funds.selectors import fund_balance, ledger_problems
from funds.services import disbursement_cancel, disbursement_pay
from tests.factories import UnionUnitFactory
from tests.funds.test_batches import frozen_lists, households
from tests.funds.test_views import signed_in
from visits.campaigns import campaign_create

pytestmark = pytest.mark.django_db

RESULT_HEADER = ["付款编号", "户名", "金额", "结果", "银行流水号", "失败原因"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def community(tree):
    return UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)


@pytest.fixture
def winter(approver, tree):
    today = timezone.localdate()
    return campaign_create(
        by=approver, season="winter", year=today.year, name="冬送温暖",
        starts_on=today, ends_on=today, organiser=tree.wuhan,
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800")},
    )  # fmt: skip


def with_account(file, account: str, bank_name: str = "中国银行"):
    file.bank_account = account
    file.bank_name = bank_name
    file.save(update_fields=["bank_account", "bank_name"])
    return file


def approved_batch(tree, community, winter, funded, caseworker, approver, categories):
    files = households(caseworker, community, categories)
    frozen_lists(winter, tree, approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)
    return batch_approve(batch=batch, by=approver), files


@pytest.fixture
def paid_by_bank(tree, community, winter, funded, caseworker, approver):
    """An approved batch of three households (1000, 800, 800 yuan); the first two have an
    account on file, the third none."""
    batch, files = approved_batch(
        tree, community, winter, funded, caseworker, approver, ["deep", "relative", "relative"]
    )
    with_account(files[0], "6217 0000 0000 0001")
    with_account(files[1], "6217000000000002", "工商银行")
    return batch, files


def line_of(file) -> BankPaymentLine:
    return BankPaymentLine.objects.get(disbursement__file=file, status__in=["sent", "queued"])


def xlsx_upload(rows, header=RESULT_HEADER, name="银行回单.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_upload(rows, header=RESULT_HEADER, name="回单.csv") -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("gb18030"))


def paid(line, reference="BOC-1", amount=None):
    return [line.reference, "x", str(amount or line.amount), "成功", reference, ""]


def failed(line, reason="户名与账号不符"):
    return [line.reference, "x", str(line.amount), "失败", "", reason]


# ====================================================================== the payment file


def test_the_payment_file_follows_the_units_layout_with_full_accounts_and_is_recorded(
    paid_by_bank, caseworker, tree
):
    batch, files = paid_by_bank
    # Set on the province, inherited by the city that pays.
    BankFileLayout.objects.create(
        unit=tree.hubei,
        columns=[
            {"key": "serial", "header": "序号"},
            {"key": "account", "header": "收款账号"},
            {"key": "name", "header": "收款户名"},
            {"key": "amount"},
        ],
    )

    run = bank_run_make(batch=batch, by=caseworker, reason="代发送温暖资金")
    content, name, _type = bank_file_content(run, "xlsx")

    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows == [
        ("序号", "收款账号", "收款户名", "Amount (yuan)"),
        (f"W{run.pk}-0001", "6217000000000001", "户0", "1000.00"),
        (f"W{run.pk}-0002", "6217000000000002", "户1", "800.00"),
    ]
    assert name.endswith(".xlsx") and "冬送温暖" in name
    export = BankFileExport.objects.get()
    assert (export.user, export.reason, export.row_count) == (caseworker, "代发送温暖资金", 2)
    line = line_of(files[0])
    assert (line.account, line.account_masked, line.bank_name) == (
        "6217000000000001",
        "**** 0001",
        "中国银行",
    )


def test_the_csv_file_has_a_byte_order_mark_and_our_columns_without_a_layout(
    paid_by_bank, caseworker
):
    batch, _files = paid_by_bank
    run = bank_run_make(batch=batch, by=caseworker, reason="代发")

    content, name, content_type = bank_file_content(run, "csv")

    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Payment reference",
        "Payee",
        "Account number",
        "Bank",
        "Amount (yuan)",
        "Memo",
    ]
    assert rows[2][2:5] == ["6217000000000002", "工商银行", "800.00"]
    assert name.endswith(".csv") and content_type.startswith("text/csv")


def test_the_household_without_an_account_stays_on_the_cash_roster(
    paid_by_bank, caseworker, winter, tree
):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")

    on_roster = [line.file for line in roster_lines(campaign=winter, unit=tree.wuhan)]

    assert on_roster == [files[2]]


def test_an_export_needs_a_reason_and_is_made_once_per_payment(paid_by_bank, caseworker):
    batch, _files = paid_by_bank
    with pytest.raises(RuleBroken, match="Say why"):
        bank_run_make(batch=batch, by=caseworker, reason=" ")
    run = bank_run_make(batch=batch, by=caseworker, reason="代发")

    with pytest.raises(RuleBroken, match="No payment of this batch waits"):
        bank_run_make(batch=batch, by=caseworker, reason="再来一次")
    bank_file_download(run=run, by=caseworker, reason="文件丢失")
    assert BankFileExport.objects.count() == 2


def test_a_batch_not_yet_approved_is_not_paid_by_bank(
    tree, community, winter, funded, caseworker, approver
):
    households(caseworker, community, ["deep"])
    frozen_lists(winter, tree, approver)
    batch = batch_propose(campaign=winter, unit=tree.jiangan, fund=funded, by=caseworker)

    decision = may_export_bank_file(caseworker, batch)

    assert not decision
    assert "approved" in decision.reason


def test_a_district_caseworker_cannot_pay_the_citys_batch_nor_a_sibling(
    paid_by_bank, sibling, tree
):
    from tests.factories import UserFactory

    batch, _files = paid_by_bank
    district = UserFactory(username="jiangan.cw", full_name="张敏", unit=tree.jiangan)

    for stranger in (district, sibling):
        with pytest.raises(PermissionDenied):
            bank_run_make(batch=batch, by=stranger, reason="代发")


# ====================================================================== the bank's result


def test_the_result_file_pays_and_fails_lines_and_the_ledger_balances(
    paid_by_bank, caseworker, funded
):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first, second = line_of(files[0]), line_of(files[1])

    settled = bank_results_import(
        batch=batch, by=caseworker, upload=xlsx_upload([paid(first, "BOC-77"), failed(second)])
    )

    assert len(settled) == 2
    payment = Disbursement.objects.get(file=files[0])
    assert (payment.status, payment.method, payment.bank_reference) == (
        DisbursementStatus.PAID,
        PaymentMethod.BANK,
        "BOC-77",
    )
    second.refresh_from_db()
    assert (second.status, second.failure_reason) == (BankLineStatus.FAILED, "户名与账号不符")
    assert Disbursement.objects.get(file=files[1]).status == DisbursementStatus.APPROVED
    assert ledger_problems() == []
    assert fund_balance(funded).reserved == Decimal("1600")
    figures = bank_reconciliation(batch)
    assert (figures.paid_lines, figures.paid_payments, figures.ledger_paid) == (
        Decimal("1000"),
        Decimal("1000"),
        Decimal("1000"),
    )
    assert figures.agrees


def test_a_result_file_is_applied_in_the_same_queries_whatever_its_length(
    tree, community, winter, funded, caseworker, approver
):
    """Set-wise: one payment transaction per file, each payment with its own bank reference,
    and as many queries for four lines as for two."""
    batch, files = approved_batch(
        tree, community, winter, funded, caseworker, approver, ["relative"] * 8
    )
    for number, file in enumerate(files):
        with_account(file, f"62170000000000{number:02d}")
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    lines = [line_of(file) for file in files]

    def applied(rows) -> int:
        with CaptureQueriesContext(connection) as queries:
            bank_results_import(batch=batch, by=caseworker, upload=csv_upload(rows))
        return len(queries)

    # The first opens the fund's account of money paid out for the purpose.
    applied([paid(lines[0], "BK-0"), failed(lines[1])])
    short = applied([paid(lines[2], "BK-2"), failed(lines[3])])
    long = applied([paid(lines[n], f"BK-{n}") for n in (4, 5, 6)] + [failed(lines[7])])

    assert short == long
    payments = Disbursement.objects.filter(batch=batch, status=DisbursementStatus.PAID)
    assert sorted(payments.values_list("bank_reference", flat=True)) == [
        "BK-0", "BK-2", "BK-4", "BK-5", "BK-6",
    ]  # fmt: skip
    assert set(payments.values_list("method", flat=True)) == {PaymentMethod.BANK}
    assert LedgerTransaction.objects.filter(kind="payment").count() == 3  # one a file
    assert ledger_problems() == []
    assert fund_balance(funded).reserved == Decimal("2400")  # the three failed lines
    assert bank_reconciliation(batch).agrees


def test_a_csv_result_file_in_gbk_is_read(paid_by_bank, caseworker):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first = line_of(files[0])

    bank_results_import(batch=batch, by=caseworker, upload=csv_upload([paid(first)]))

    first.refresh_from_db()
    assert first.status == BankLineStatus.PAID
    assert line_of(files[1]).status == BankLineStatus.SENT  # not in this file: still out


def test_unknown_lines_amounts_that_differ_and_lines_twice_refuse_the_whole_file(
    paid_by_bank, caseworker
):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first, second = line_of(files[0]), line_of(files[1])
    rows = [
        paid(first),  # line 2: fine on its own
        ["999-0001", "x", "1000", "成功", "R", ""],  # line 3: unknown
        paid(second, amount="880"),  # line 4: amount differs
        paid(first, "BOC-2"),  # line 5: twice
        [second.reference, "x", "800", "待定", "", ""],  # line 6: no result
    ]

    with pytest.raises(RuleBroken) as refused:
        bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload(rows))

    messages = refused.value.messages
    assert [message.split(":")[0] for message in messages] == [
        "Line 3",
        "Line 4",
        "Line 5",
        "Line 6",
    ]
    assert "999-0001 is no line" in messages[0]
    assert "880.00 differs from the 800.00" in messages[1]
    assert "listed twice (also line 2)" in messages[2]
    assert "neither paid" in messages[3]
    assert set(BankPaymentLine.objects.values_list("status", flat=True)) == {"sent"}
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


def test_a_line_settled_already_is_refused_and_nothing_else_applied(paid_by_bank, caseworker):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first, second = line_of(files[0]), line_of(files[1])
    bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([paid(first)]))

    with pytest.raises(RuleBroken, match="settled already"):
        bank_results_import(
            batch=batch, by=caseworker, upload=xlsx_upload([failed(second), paid(first)])
        )

    second.refresh_from_db()
    assert second.status == BankLineStatus.SENT


def test_a_result_file_missing_columns_or_reasons_is_refused(paid_by_bank, caseworker):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first = line_of(files[0])

    with pytest.raises(RuleBroken, match="lacks the columns Amount"):
        bank_results_import(
            batch=batch,
            by=caseworker,
            upload=xlsx_upload([[first.reference, "成功"]], header=["付款编号", "结果"]),
        )
    with pytest.raises(RuleBroken, match="needs the bank's reason"):
        bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([failed(first, "")]))
    with pytest.raises(RuleBroken, match="needs the bank's reference"):
        bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([paid(first, "")]))
    assert line_of(files[0]).status == BankLineStatus.SENT


def test_a_payment_with_the_bank_is_neither_paid_by_hand_nor_cancelled(
    paid_by_bank, caseworker, approver
):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    payment = Disbursement.objects.get(file=files[0])

    with pytest.raises(RuleBroken, match="with the bank"):
        disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)
    with pytest.raises(RuleBroken, match="with the bank"):
        disbursement_cancel(disbursement=payment, by=approver, reason="重复")


# ====================================================================== failed lines


def test_a_failed_line_reissued_goes_in_the_next_file_to_the_corrected_account(
    paid_by_bank, caseworker
):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first, second = line_of(files[0]), line_of(files[1])
    bank_results_import(
        batch=batch, by=caseworker, upload=xlsx_upload([paid(first), failed(second)])
    )
    second.refresh_from_db()

    reissued = bank_line_reissue(
        line=second, by=caseworker, account="6228 4800 1234 5678", bank_name="农业银行",
        reason="户主提供新卡",
    )  # fmt: skip
    run = bank_run_make(batch=batch, by=caseworker, reason="补发")

    second.refresh_from_db()
    assert second.status == BankLineStatus.REISSUED
    reissued.refresh_from_db()
    assert (reissued.run, reissued.status, reissued.reissue_of) == (run, "sent", second)
    content, _name, _type = bank_file_content(run, "csv")
    assert "6228480012345678" in content.decode("utf-8-sig")
    assert "6217000000000002" not in content.decode("utf-8-sig")

    bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([paid(reissued, "ABC")]))

    figures = {row["key"]: (row["count"], row["total"]) for row in bank_reconciliation(batch).rows}
    assert figures["sent"] == (3, Decimal("2600"))
    assert figures["paid"] == (2, Decimal("1800"))
    assert figures["reissued"] == (1, Decimal("800"))
    assert figures["failed"] == (0, Decimal("0"))
    assert bank_reconciliation(batch).agrees
    assert ledger_problems() == []


def test_a_failed_line_paid_in_cash_goes_back_on_the_roster(paid_by_bank, caseworker, winter, tree):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    second = line_of(files[1])
    bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([failed(second)]))
    second.refresh_from_db()

    bank_line_to_cash(line=second, by=caseworker, reason="账户已注销")

    on_roster = {line.file for line in roster_lines(campaign=winter, unit=tree.wuhan)}
    assert on_roster == {files[1], files[2]}
    with pytest.raises(RuleBroken, match="No payment of this batch waits"):
        bank_run_make(batch=batch, by=caseworker, reason="代发")
    payment = Disbursement.objects.get(file=files[1])
    disbursement_pay(disbursement=payment, by=caseworker, method=PaymentMethod.CASH)
    assert ledger_problems() == []


def test_a_line_not_failed_is_neither_reissued_nor_paid_in_cash(paid_by_bank, caseworker):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")

    with pytest.raises(RuleBroken, match="could not pay"):
        bank_line_to_cash(line=line_of(files[0]), by=caseworker, reason="x")
    with pytest.raises(RuleBroken, match="6 to 30 digits"):
        bank_line_reissue(
            line=line_of(files[0]), by=caseworker, account="abc", bank_name="", reason="x"
        )


# ====================================================================== pages


def bank_url(batch) -> str:
    return reverse("funds:bank_detail", args=[batch.pk])


def test_the_bank_page_opens_for_the_payer_and_hides_the_branch_from_others(
    paid_by_bank, caseworker, sibling, client
):
    batch, _files = paid_by_bank

    page = signed_in(caseworker).get(bank_url(batch))
    assert page.status_code == 200
    assert 'data-testid="bank-export-form"' in page.content.decode()
    assert signed_in(sibling).get(bank_url(batch)).status_code == 404
    anonymous = client.get(bank_url(batch))
    assert anonymous.status_code == 302
    assert "login" in anonymous.url


def test_the_batch_page_links_to_the_bank_page_once_approved(paid_by_bank, caseworker):
    batch, _files = paid_by_bank

    page = signed_in(caseworker).get(reverse("funds:batch_detail", args=[batch.pk]))

    assert f'href="{bank_url(batch)}"' in page.content.decode()


def test_the_export_page_downloads_the_file_under_a_chinese_name(paid_by_bank, caseworker):
    batch, _files = paid_by_bank
    browser = signed_in(caseworker)

    refused = browser.post(reverse("funds:bank_export", args=[batch.pk]), {"export-fmt": "csv"})
    assert refused.status_code == 400
    assert not BankFileExport.objects.exists()

    response = browser.post(
        reverse("funds:bank_export", args=[batch.pk]),
        {"export-reason": "代发", "export-fmt": "csv"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''%E5%86%AC" in response["Content-Disposition"]  # 冬送温暖…
    assert BankFileExport.objects.get().reason == "代发"


def test_the_export_and_the_line_decisions_take_posts_from_the_branch_only(
    paid_by_bank, caseworker, sibling, client
):
    batch, files = paid_by_bank
    run = bank_run_make(batch=batch, by=caseworker, reason="代发")
    line = line_of(files[0])
    urls = [
        reverse("funds:bank_export", args=[batch.pk]),
        reverse("funds:bank_results", args=[batch.pk]),
        reverse("funds:bank_download", args=[run.pk]),
        reverse("funds:bank_line_reissue", args=[line.pk]),
        reverse("funds:bank_line_cash", args=[line.pk]),
    ]
    for url in urls:
        assert signed_in(caseworker).get(url).status_code == 405
        assert (
            signed_in(sibling).post(url, {"export-reason": "x", "cash-reason": "x"}).status_code
            == 404
        )
        anonymous = client.post(url)
        assert anonymous.status_code == 302
        assert "login" in anonymous.url
    assert BankFileExport.objects.count() == 1


def test_a_worker_applies_the_uploaded_result_file(paid_by_bank, caseworker, media_root):
    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    first = line_of(files[0])
    browser = signed_in(caseworker)

    sent = browser.post(
        reverse("funds:bank_results", args=[batch.pk]),
        {"result-upload": xlsx_upload([paid(first, "BOC-9")])},
    )
    job = GeneratedDocument.objects.get(kind="bank_payment_results")
    assert sent.status_code == 302
    assert sent["Location"] == job.get_absolute_url()
    assert line_of(files[0]).status == BankLineStatus.SENT  # the web process read nothing

    assert document_run(document_id=job.pk) == "done"

    assert Disbursement.objects.get(file=files[0]).bank_reference == "BOC-9"
    assert list((media_root / "bank-results").iterdir()) == []
    page = browser.get(reverse("funds:disbursement_detail", args=[first.disbursement_id]))
    assert 'data-testid="payment-bank-lines"' in page.content.decode()
    assert "**** 0001" in page.content.decode()


def test_a_bad_result_file_fails_its_job_with_every_bad_line(paid_by_bank, caseworker):
    batch, _files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    browser = signed_in(caseworker)

    browser.post(
        reverse("funds:bank_results", args=[batch.pk]),
        {"result-upload": xlsx_upload([["999-0001", "x", "1", "成功", "R", ""]])},
    )
    job = GeneratedDocument.objects.get(kind="bank_payment_results")

    assert document_run(document_id=job.pk) == "failed"
    job.refresh_from_db()
    assert "Line 2" in job.error
    assert "Line 2" in browser.get(job.get_absolute_url()).content.decode()
    assert not LedgerTransaction.objects.filter(kind="payment").exists()


@pytest.mark.parametrize("count", [1, 3])
def test_the_bank_page_takes_the_same_queries_for_one_and_three_lines(
    count, tree, community, winter, funded, caseworker, approver, django_assert_num_queries
):
    batch, files = approved_batch(
        tree, community, winter, funded, caseworker, approver, ["deep"] * count + ["relative"]
    )
    for number, file in enumerate(files[:count]):
        with_account(file, f"62170000000000{number:02d}")
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    bank_results_import(
        batch=batch, by=caseworker, upload=xlsx_upload([failed(line_of(f)) for f in files[:count]])
    )
    browser = signed_in(caseworker)

    with django_assert_num_queries(20):
        response = browser.get(bank_url(batch))

    assert len(response.context["failed"]) == count
    assert response.context["reconciliation"].agrees


def test_the_bank_page_in_chinese_shows_no_english_words(paid_by_bank, caseworker, client):
    import re

    from django.utils import translation

    from tests.test_translations import visible_text

    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    bank_results_import(batch=batch, by=caseworker, upload=xlsx_upload([failed(line_of(files[1]))]))
    client.force_login(caseworker)

    with translation.override("zh-hans"):
        text = visible_text(client.get(bank_url(batch)).content.decode())

    # The formats offered are named as their programs name them.
    words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"English", "Excel", "xlsx", "csv", "CSV"}
    assert "对账" in text and "户名与账号不符" in text
    assert words == set()


def test_the_audit_shows_who_exported_account_numbers_and_why(paid_by_bank, caseworker, approver):
    from audit.models import AuditSection

    batch, _files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发送温暖资金")
    browser = signed_in(approver)

    page = browser.get(reverse("audit:audit_page"), {"section": AuditSection.ID_NUMBERS})

    text = page.content.decode()
    assert "Exported 2 bank payment lines with full account numbers" in text
    assert "代发送温暖资金" in text


def test_a_layout_without_the_account_or_with_an_unknown_column_is_refused(tree):
    from funds.admin import BankFileLayoutForm

    form = BankFileLayoutForm(
        data={
            "unit": tree.wuhan.pk,
            "columns": '[{"key": "serial"}, {"key": "amount"}, {"key": "colour"}]',
        }
    )

    assert not form.is_valid()
    assert "“colour” is not a column" in str(form.errors["columns"])
    assert "The file needs the column “account”" in str(form.errors["columns"])


def test_a_unit_administrator_keeps_the_layout_of_their_branch_in_admin(tree, client):
    from tests.factories import UserFactory

    admin_user = UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True,
    )  # fmt: skip
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:funds_bankfilelayout_add"),
        {
            "unit": tree.jiangan.pk,
            "columns": '[{"key": "serial"}, {"key": "account"}, {"key": "amount"}]',
        },
    )

    assert response.status_code == 302
    assert BankFileLayout.objects.get().unit == tree.jiangan


def test_retention_erases_the_accounts_a_households_payments_were_sent_to(
    paid_by_bank, caseworker, settings
):
    from datetime import date

    from audit.retention import retention_run
    from hardship.models import HardshipFile
    from tests.audit.test_retention import exited

    batch, files = paid_by_bank
    bank_run_make(batch=batch, by=caseworker, reason="代发")
    settings.RETENTION_YEARS = 10
    exited(HardshipFile.objects.get(pk=files[0].pk), date(2000, 3, 1))

    retention_run(dry_run=False, today=timezone.localdate())

    erased = BankPaymentLine.objects.get(disbursement__file=files[0])
    assert (erased.account, erased.account_masked, erased.bank_name) == ("", "", "")
    assert line_of(files[1]).account == "6217000000000002"
