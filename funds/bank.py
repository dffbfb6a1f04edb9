"""Bank payments in bulk (银行代发): an approved batch paid by transfer to the accounts on file.

The paying unit exports a payment file (xlsx or CSV) laid out as its bank accepts
(``BankFileLayout``, inherited down the tree) for the batch's approved payments of
households with an account on file; each file is a ``BankPaymentRun`` whose lines keep
the account each payment was sent to, and every download of it, with full account
numbers, is recorded with its reason (``BankFileExport``, like a full-ID export).
Households without an account stay on the cash roster.

The bank's result file is then imported, by a worker as the civil-affairs check's is:
every line is checked before anything is written, and one bad line (unknown, listed
twice, an amount that differs, settled already, no result) refuses the whole file with
each bad line and its reason. Otherwise, in one transaction, each paid line goes
through ``disbursement_pay`` (method bank, the bank's reference), so the ledger is
posted as for any payment, and each failed line keeps its reason.

A failed line is re-issued to a corrected account (it waits for the next payment
file) or switched to cash (its payment goes back on the cash roster). While a
payment is with the bank it cannot be paid by hand or cancelled
(``funds.selectors.bank_hold``).
"""

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import RuleBroken
from common.rules import ALLOWED, Decision, refuse
from common.statistics import statistics_refresh_after_bulk_write
from documents.models import GeneratedDocument
from documents.services import BackLink, JobContext, back_link, document_request, producer
from funds.choices import (
    AccountKind,
    BankLineStatus,
    BatchStatus,
    DisbursementStatus,
    PaymentMethod,
    Purpose,
)
from funds.models import (
    BankFileExport,
    BankFileLayout,
    BankPaymentLine,
    BankPaymentRun,
    Disbursement,
    DisbursementBatch,
    Entry,
    LedgerTransaction,
)
from funds.selectors import MONEY_IN
from funds.services import disbursement_pay
from hardship.identity import mask_account
from hardship.importing.columns import fold_header, fold_value
from hardship.importing.reading import (
    SpreadsheetProblem,
    cell_text,
    read_spreadsheet,
    shown,
    upload_problem,
)
from people.access import is_in_branch, may_act_as
from people.models import UnionUnit, User

Line = BankLineStatus
ZERO = Decimal(0)
CENT = Decimal("0.01")

# The columns a bank's payment file may hold, by the key a layout names them with.
BANK_FILE_COLUMNS = {
    "serial": gettext_lazy("Payment reference"),
    "name": gettext_lazy("Payee"),
    "account": gettext_lazy("Account number"),
    "bank": gettext_lazy("Bank"),
    "amount": gettext_lazy("Amount (yuan)"),
    "memo": gettext_lazy("Memo"),
    "id_number": gettext_lazy("ID number (masked)"),
    "unit": gettext_lazy("Unit"),
}
DEFAULT_LAYOUT = ("serial", "name", "account", "bank", "amount", "memo")

# What the bank's result file must hold: our key → the headers it may carry (a layout's
# own header for the reference and the amount is tried first).
RESULT_COLUMNS = {
    "serial": ("付款编号", "客户流水号", "业务参考号", "编号", "序号", "Payment reference"),
    "amount": ("金额", "交易金额", "付款金额", "Amount"),
    "result": ("结果", "处理结果", "交易结果", "交易状态", "状态", "Result"),
}
OPTIONAL_RESULT_COLUMNS = {
    "bank_reference": ("银行流水号", "交易流水号", "银行参考号", "银行交易号", "Bank reference"),
    "reason": ("失败原因", "原因", "备注", "Reason"),
}
PAID_WORDS = {"成功", "已支付", "支付成功", "交易成功", "已入账", "paid", "success", "ok"}
FAILED_WORDS = {"失败", "支付失败", "交易失败", "退回", "已退回", "退票", "failed", "returned"}
MAX_RESULT_BYTES = 2 * 1024 * 1024
MAX_RESULT_ROWS = 10_000
ACCOUNT = re.compile(r"^\d{6,30}$")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")


# ====================================================================== who may do what


def batch_payer(batch: DisbursementBatch) -> UnionUnit:
    """The unit that pays ``batch``'s payments (the budget's, else the fund's)."""
    return batch.budget.unit if batch.budget_id else batch.fund.unit


def _may_pay_batch(user: User, batch: DisbursementBatch) -> Decision:
    # Who may pay one of the batch's payments (``may_pay_payment``) may pay them by bank.
    if not (decision := may_act_as(user, *MONEY_IN)):
        return decision
    if not is_in_branch(user, batch_payer(batch)):
        return refuse(_("This batch is paid by a unit above yours."), denied=True)
    if batch.status != BatchStatus.APPROVED:
        return refuse(_("Only an approved batch is paid by bank."))
    return ALLOWED


def may_export_bank_file(user: User, batch: DisbursementBatch) -> Decision:
    """Make a payment file of ``batch`` with full account numbers: while a payment waits for
    the bank (an account on file and never sent, or re-issued to a corrected account)."""
    if not (decision := _may_pay_batch(user, batch)):
        return decision
    waiting = bank_candidates(batch).exists() or (
        bank_lines_of(batch).filter(status=Line.QUEUED).exists()
    )
    if not waiting:
        return refuse(_("No payment of this batch waits to be sent to the bank."))
    return ALLOWED


def may_download_bank_file(user: User, run: BankPaymentRun) -> Decision:
    """Download a payment file made before again, with full account numbers."""
    return _may_pay_batch(user, run.batch)


def may_import_bank_results(user: User, batch: DisbursementBatch) -> Decision:
    """Import the bank's result file for ``batch``'s payment files: while a line is out."""
    if not (decision := _may_pay_batch(user, batch)):
        return decision
    if not bank_lines_of(batch).filter(status=Line.SENT).exists():
        return refuse(_("No line of this batch waits for the bank's result."))
    return ALLOWED


def _may_decide_line(user: User, line: BankPaymentLine) -> Decision:
    if not (decision := _may_pay_batch(user, line.disbursement.batch)):
        return decision
    if line.status != Line.FAILED:
        return refuse(_("Only a line the bank could not pay is re-issued or paid in cash."))
    return ALLOWED


def may_reissue_bank_line(user: User, line: BankPaymentLine) -> Decision:
    """Re-issue a failed line to a corrected account, for the next payment file."""
    return _may_decide_line(user, line)


def may_switch_bank_line_to_cash(user: User, line: BankPaymentLine) -> Decision:
    """Take a failed line off the bank: its payment goes back on the cash roster."""
    return _may_decide_line(user, line)


# ====================================================================== reads


def bank_layout_for(unit: UnionUnit) -> list[tuple[str, str]]:
    """The columns (key, header) of ``unit``'s payment file: its layout, else the nearest
    unit's above it, else ours. One query."""
    chain = [*unit.ancestor_ids, unit.pk]
    depth = {pk: index for index, pk in enumerate(chain)}
    layouts = sorted(
        BankFileLayout.objects.filter(unit_id__in=chain), key=lambda row: -depth[row.unit_id]
    )
    for layout in layouts:
        columns = [
            (column["key"], str(column.get("header") or BANK_FILE_COLUMNS[column["key"]]))
            for column in layout.columns or []
            if isinstance(column, dict) and column.get("key") in BANK_FILE_COLUMNS
        ]
        if columns:
            return columns
    return [(key, str(BANK_FILE_COLUMNS[key])) for key in DEFAULT_LAYOUT]


def layout_problems(columns) -> list[str]:
    """What is wrong with a layout's ``columns`` as typed in (empty: nothing)."""
    if not isinstance(columns, list) or not columns:
        return [_("List the columns of the file in order.")]
    problems = []
    keys = []
    for column in columns:
        key = column.get("key") if isinstance(column, dict) else None
        if key not in BANK_FILE_COLUMNS:
            problems.append(
                _("“%(key)s” is not a column; choose among %(keys)s.")
                % {"key": key, "keys": ", ".join(BANK_FILE_COLUMNS)}
            )
        elif key in keys:
            problems.append(_("“%(key)s” is listed twice.") % {"key": key})
        keys.append(key)
    for needed in ("serial", "account", "amount"):
        if needed not in keys:
            problems.append(_("The file needs the column “%(key)s”.") % {"key": needed})
    return problems


def bank_candidates(batch: DisbursementBatch) -> QuerySet[Disbursement]:
    """The batch's approved payments of households with an account on file, never yet sent."""
    return (
        Disbursement.objects.filter(batch=batch, status=DisbursementStatus.APPROVED)
        .exclude(file__bank_account="")
        .filter(bank_lines__isnull=True)
    )


def staying_on_cash(batch: DisbursementBatch) -> QuerySet[Disbursement]:
    """The batch's approved payments that stay on the cash roster: no account on file, or
    switched to cash after the bank failed."""
    return (
        Disbursement.objects.filter(batch=batch, status=DisbursementStatus.APPROVED)
        .filter(Q(file__bank_account="") | Q(bank_lines__status=Line.CASH))
        .exclude(bank_lines__status__in=[Line.QUEUED, Line.SENT, Line.FAILED, Line.PAID])
        .distinct()
    )


def bank_lines_of(batch: DisbursementBatch) -> QuerySet[BankPaymentLine]:
    return BankPaymentLine.objects.filter(disbursement__batch=batch)


@dataclass
class Reconciliation:
    """A batch's bank payments counted by what became of them, against the ledger."""

    rows: list[dict] = field(default_factory=list)
    paid_lines: Decimal = ZERO
    paid_payments: Decimal = ZERO
    ledger_paid: Decimal = ZERO

    @property
    def agrees(self) -> bool:
        return self.paid_lines == self.paid_payments == self.ledger_paid


def bank_reconciliation(batch: DisbursementBatch) -> Reconciliation:
    """Sent, paid, failed, re-issued, switched to cash and still out (counts and sums), and
    the paid sum three ways: the lines, their payments, and the ledger's postings. Three
    queries whatever the batch's size."""
    lines = bank_lines_of(batch)
    buckets = {
        "sent": Q(run__isnull=False),
        "out": Q(status=Line.SENT),
        Line.PAID: Q(status=Line.PAID),
        Line.FAILED: Q(status=Line.FAILED),
        Line.REISSUED: Q(status=Line.REISSUED),
        Line.CASH: Q(status=Line.CASH),
        Line.QUEUED: Q(status=Line.QUEUED),
    }
    figures = lines.aggregate(
        **{f"{key}_count": Count("id", filter=q) for key, q in buckets.items()},
        **{f"{key}_total": Sum("amount", filter=q, default=ZERO) for key, q in buckets.items()},
    )
    labels = {
        "sent": _("Sent to the bank"),
        "out": _("Waiting for the bank's result"),
        Line.PAID: _("Paid"),
        Line.FAILED: _("Failed, to decide"),
        Line.REISSUED: _("Re-issued to another account"),
        Line.CASH: _("Switched to cash"),
        Line.QUEUED: _("Waiting for the next payment file"),
    }
    result = Reconciliation(
        rows=[
            {
                "key": str(key),
                "label": labels[key],
                "count": figures[f"{key}_count"],
                "total": figures[f"{key}_total"],
            }
            for key in buckets
        ]
    )
    # The batch's own payments with a paid line: one join (reaching the batch again through
    # the line joined the payments twice, which a county's batch planned into seconds).
    paid = Disbursement.objects.filter(batch=batch, bank_lines__status=Line.PAID)
    result.paid_lines = figures[f"{Line.PAID}_total"]
    result.paid_payments = paid.filter(
        status=DisbursementStatus.PAID, method=PaymentMethod.BANK
    ).aggregate(total=Sum("amount", default=ZERO))["total"]
    result.ledger_paid = Entry.objects.filter(
        transaction_id__in=paid.values("payment_id"), account__kind=AccountKind.PAID_OUT
    ).aggregate(total=Sum("amount", default=ZERO))["total"]
    return result


# ====================================================================== the payment file


def _reason_check(reason: str) -> str:
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why full account numbers leave the system.")})
    return reason.strip()[:300]


def _format_check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise RuleBroken({"fmt": _("Choose Excel or CSV.")})


def bank_run_make(*, batch: DisbursementBatch, by: User, reason: str) -> BankPaymentRun:
    """Put every payment of ``batch`` waiting for the bank in a new payment file.

    Those are the approved payments of households with an account on file never sent
    before, and the lines re-issued to a corrected account. RuleBroken when there is none.
    Side effects: the run; a line per payment (its account, bank and amount as sent, a
    reference); the queued lines moved into it; a BankFileExport with ``reason``.
    """
    reason = _reason_check(reason)
    with transaction.atomic():
        batch = DisbursementBatch.objects.select_for_update(of=("self",)).get(pk=batch.pk)
        may_export_bank_file(by, batch).enforce()
        # Only the account and bank of each household: its file as a whole (every encrypted
        # field decrypted) took seconds for a county's 3,000 accounts.
        fresh = list(
            bank_candidates(batch)
            .order_by("id")
            .values_list("pk", "amount", "file__bank_account", "file__bank_name")
        )
        queued = list(
            bank_lines_of(batch)
            .filter(status=Line.QUEUED)
            .select_for_update(of=("self",))
            .order_by("id")
        )
        run = BankPaymentRun.objects.create(batch=batch, made_by=by)
        number = 0
        for line in queued:
            number += 1
            line.run = run
            line.status = Line.SENT
            line.reference = f"W{run.pk}-{number:04d}"
            line.save(update_fields=["run", "status", "reference"])
        created = _lines_insert(run=run, payments=fresh, after=number)
        number += created
        # The bank's page and the roster read these lines back at once (common/statistics.py).
        statistics_refresh_after_bulk_write(table=BankPaymentLine._meta.db_table, rows=created)
        BankFileExport.objects.create(run=run, user=by, reason=reason, row_count=number)
    return run


def _lines_insert(*, run: BankPaymentRun, payments: list[tuple], after: int) -> int:
    """Write a line of ``run`` for each of ``payments`` (id, amount, account, bank), numbered
    after ``after``, in one statement; returns how many.

    One INSERT from arrays rather than ``bulk_create``: preparing a county's 3,000 lines
    field by field took Django 0.9 s of the request, this 0.3 s. The account is encrypted by
    its own field, as a save would; the history trigger records every line as for any insert.
    """
    account_field = BankPaymentLine._meta.get_field("account")
    columns: dict[str, list] = {
        "disbursement": [], "reference": [], "account": [], "masked": [], "bank": [], "amount": []
    }  # fmt: skip
    for number, (payment_id, amount, bank_account, bank_name) in enumerate(payments, after + 1):
        account = re.sub(r"\s", "", bank_account)
        columns["disbursement"].append(payment_id)
        columns["reference"].append(f"W{run.pk}-{number:04d}")
        columns["account"].append(account_field.get_prep_value(account))
        columns["masked"].append(mask_account(account))
        columns["bank"].append(bank_name)
        columns["amount"].append(amount)
    if not payments:
        return 0
    table = BankPaymentLine._meta.db_table
    with connection.cursor() as cursor:
        # Our own table and columns; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {table} (run_id, disbursement_id, reference, account, "  # noqa: S608
            "account_masked, bank_name, amount, status, bank_reference, failure_reason, "
            "decision_reason) "
            "SELECT %s, line.disbursement, line.reference, line.account, line.masked, "
            "line.bank, line.amount, %s, '', '', '' "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], "
            "%s::numeric[]) AS line(disbursement, reference, account, masked, bank, amount)",
            [run.pk, Line.SENT, *columns.values()],
        )
    return len(payments)


def bank_file_download(*, run: BankPaymentRun, by: User, reason: str) -> BankFileExport:
    """Record a further download of ``run``'s file (the one made is recorded with it).

    Side effect: a BankFileExport with ``reason``.
    """
    reason = _reason_check(reason)
    may_download_bank_file(by, run).enforce()
    return BankFileExport.objects.create(
        run=run, user=by, reason=reason, row_count=run.lines.count()
    )


def bank_file_rows(run: BankPaymentRun) -> list[list]:
    """The payment file as rows: the header of the paying unit's layout, then a line each."""
    batch = run.batch
    columns = bank_layout_for(batch_payer(batch))
    memo = f"{batch.campaign.name} {Purpose(batch.purpose).label}"
    rows: list[list] = [[header for _key, header in columns]]
    # The columns the file can hold, read as values: only the account sent to is decrypted.
    lines = run.lines.order_by("reference").values_list(
        "reference", "disbursement__file__name", "account", "bank_name", "amount",
        "disbursement__file__id_number_masked", "disbursement__file__unit__name",
    )  # fmt: skip
    for reference, name, account, bank, amount, id_number, unit in lines:
        values = {
            "serial": reference,
            "name": name,
            "account": account,
            "bank": bank,
            "amount": amount,
            "memo": memo,
            "id_number": id_number,
            "unit": unit,
        }
        rows.append([values[key] for key, _header in columns])
    return rows


def bank_file_content(run: BankPaymentRun, fmt: str) -> tuple[bytes, str, str]:
    """The file's bytes, its (Chinese) name and its type. CSV carries a byte-order mark so
    Excel reads the Chinese; every cell of text stays text."""
    from documents.spreadsheets import csv_chunks, xlsx_bytes

    _format_check(fmt)
    rows = bank_file_rows(run)
    # Amounts with two places as the bank reads them, in CSV too.
    rows = [rows[0]] + [[f"{v:.2f}" if isinstance(v, Decimal) else v for v in r] for r in rows[1:]]
    batch = run.batch
    name = (
        f"{batch.campaign.name}-{batch.unit.name}-{_('bank payment file')}-{run.pk}"
        f"-{timezone.localtime(run.made_at):%Y%m%d}.{fmt}"
    )
    if fmt == "csv":
        return "".join(csv_chunks(rows)).encode("utf-8"), name, CSV_TYPE
    return xlsx_bytes(rows, title=_("Bank payments")), name, XLSX_TYPE


# ====================================================================== failed lines


def _lock_line(line: BankPaymentLine) -> BankPaymentLine:
    return (
        BankPaymentLine.objects.select_for_update(of=("self",))
        .select_related("disbursement__batch__budget__unit", "disbursement__batch__fund__unit")
        .get(pk=line.pk)
    )


def _decision_check(reason: str) -> str:
    if not reason.strip():
        raise RuleBroken({"reason": _("Say why.")})
    return reason.strip()[:300]


def bank_line_reissue(
    *, line: BankPaymentLine, by: User, account: str, bank_name: str, reason: str
) -> BankPaymentLine:
    """Re-issue a failed line to a corrected account; the new line waits for the next file.

    The file's own account is not changed here (that is a guarded change of the file).
    Side effects: the failed line marked re-issued, with who and why; a new queued line
    with the corrected account. Returns the new line.
    """
    reason = _decision_check(reason)
    account = re.sub(r"[\s-]", "", account or "")
    if not ACCOUNT.match(account):
        raise RuleBroken({"account": _("An account number is 6 to 30 digits.")})
    with transaction.atomic():
        line = _lock_line(line)
        may_reissue_bank_line(by, line).enforce()
        line.status = Line.REISSUED
        line.decided_by, line.decided_at, line.decision_reason = by, timezone.now(), reason
        line.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        return BankPaymentLine.objects.create(
            disbursement=line.disbursement,
            reissue_of=line,
            reference="",
            account=account,
            account_masked=mask_account(account),
            bank_name=(bank_name or "").strip()[:50] or line.bank_name,
            amount=line.amount,
            status=Line.QUEUED,
        )


def bank_line_to_cash(*, line: BankPaymentLine, by: User, reason: str) -> BankPaymentLine:
    """Take a failed line off the bank: its payment, still approved, goes back on the cash
    roster to be signed for. Side effect: the line marked switched to cash, with who and why.
    """
    reason = _decision_check(reason)
    with transaction.atomic():
        line = _lock_line(line)
        may_switch_bank_line_to_cash(by, line).enforce()
        line.status = Line.CASH
        line.decided_by, line.decided_at, line.decision_reason = by, timezone.now(), reason
        line.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    return line


# ====================================================================== the bank's result


@dataclass
class ResultLine:
    row: int
    line: BankPaymentLine
    paid: bool
    bank_reference: str
    reason: str


@dataclass
class ResultSheet:
    headers: list[str]
    rows: list[tuple[int, list]]


def _read_csv(content: bytes) -> ResultSheet:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleBroken({"upload": _("The CSV file is neither UTF-8 nor GBK text.")})
    rows = [
        (number, row)
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in row)
    ]
    if not rows:
        raise RuleBroken({"upload": _("The result file has no lines.")})
    return ResultSheet(headers=[cell.strip() for cell in rows[0][1]], rows=rows[1:])


def _read_result(upload) -> ResultSheet:
    name = (getattr(upload, "name", "") or "").lower()
    size = getattr(upload, "size", 0) or 0
    if size > MAX_RESULT_BYTES:
        raise RuleBroken(
            {"upload": _("A result file is at most %(mb)s MB.") % {"mb": MAX_RESULT_BYTES >> 20}}
        )
    if name.endswith(".csv"):
        upload.seek(0)
        return _read_csv(upload.read())
    problem = upload_problem(upload, name=name, size=size)
    if problem:
        raise RuleBroken({"upload": problem})
    try:
        sheet = read_spreadsheet(upload)
    except SpreadsheetProblem as unusable:
        raise RuleBroken({"upload": unusable.message}) from None
    return ResultSheet(headers=sheet.headers, rows=sheet.rows)


def _result_columns(headers: list[str], layout: list[tuple[str, str]]) -> dict[str, int]:
    folded = {fold_header(header): index for index, header in enumerate(headers) if header}
    ours = dict(layout)
    found, missing = {}, []
    for key, names in {**RESULT_COLUMNS, **OPTIONAL_RESULT_COLUMNS}.items():
        names = (ours[key], *names) if key in ours else names
        index = next((folded[fold_header(n)] for n in names if fold_header(n) in folded), None)
        if index is not None:
            found[key] = index
        elif key in RESULT_COLUMNS:
            missing.append(names[0])
    if missing:
        raise RuleBroken(
            {
                "upload": _("The result file lacks the columns %(columns)s.")
                % {"columns": "、".join(missing)}
            }
        )
    return found


def _upload_check(*, by: User, batch: DisbursementBatch, upload) -> None:
    may_import_bank_results(by, batch).enforce()
    name = (getattr(upload, "name", "") or "").lower()
    size = getattr(upload, "size", 0) or 0
    if size > MAX_RESULT_BYTES:
        raise RuleBroken(
            {"upload": _("A result file is at most %(mb)s MB.") % {"mb": MAX_RESULT_BYTES >> 20}}
        )
    if name.endswith(".csv"):
        return
    problem = upload_problem(upload, name=name, size=size)
    if problem:
        raise RuleBroken({"upload": _("Choose the bank's result file as .xlsx or .csv.")})


def bank_results_import(*, batch: DisbursementBatch, by: User, upload) -> list[BankPaymentLine]:
    """Import the bank's result file for ``batch``: each line a line of its payment files,
    paid with the bank's reference or failed with the bank's reason.

    Any unknown line, line listed twice, amount that differs from the one sent, line settled
    already, missing column or unreadable result refuses the whole file (RuleBroken, each
    bad line with its reason): nothing is applied. Side effects, all in one transaction:
    each line's result; each paid line's payment paid through ``disbursement_pay`` (method
    bank, the bank's reference: a payment transaction in the ledger). Returns the lines.
    """
    _upload_check(by=by, batch=batch, upload=upload)
    sheet = _read_result(upload)
    if len(sheet.rows) > MAX_RESULT_ROWS:
        raise RuleBroken(
            {"upload": _("A result file has at most %(count)s lines.") % {"count": MAX_RESULT_ROWS}}
        )
    columns = _result_columns(sheet.headers, bank_layout_for(batch_payer(batch)))
    labels = {key: sheet.headers[index] for key, index in columns.items()}
    with transaction.atomic():
        known = {line.reference: line for line in bank_lines_of(batch).exclude(reference="")}
        results: list[ResultLine] = []
        refused: list[str] = []
        seen: dict[str, int] = {}
        for row_number, cells in sheet.rows:

            def cell(key, cells=cells):
                index = columns.get(key)
                return cells[index] if index is not None and index < len(cells) else None

            problems: list[str] = []
            reference = cell_text(cell("serial"))
            line = known.get(reference)
            if not reference:
                problems.append(_("no payment reference"))
            elif line is None:
                problems.append(
                    _("%(reference)s is no line of this batch's payment files.")
                    % {"reference": shown(reference)}
                )
            elif reference in seen:
                problems.append(
                    _("%(reference)s is listed twice (also line %(line)s).")
                    % {"reference": reference, "line": seen[reference]}
                )
            elif line.status != Line.SENT:
                problems.append(
                    _("%(reference)s was settled already (%(status)s).")
                    % {"reference": reference, "status": line.get_status_display()}
                )
            seen.setdefault(reference, row_number)
            amount = _amount(cell("amount"), labels["amount"], problems)
            if line is not None and amount is not None and amount != line.amount:
                problems.append(
                    _("the amount %(amount)s differs from the %(sent)s yuan sent.")
                    % {"amount": amount, "sent": line.amount}
                )
            outcome = fold_value(cell_text(cell("result")))
            paid = outcome in PAID_WORDS
            if not paid and outcome not in FAILED_WORDS:
                problems.append(
                    _("%(column)s: “%(value)s” is neither paid (成功) nor failed (失败).")
                    % {"column": labels["result"], "value": shown(cell("result"))}
                )
            bank_reference = cell_text(cell("bank_reference"))[:60]
            reason = cell_text(cell("reason"))[:200]
            if outcome in PAID_WORDS and not bank_reference:
                problems.append(_("a paid line needs the bank's reference."))
            if outcome in FAILED_WORDS and not reason:
                problems.append(_("a failed line needs the bank's reason."))
            if problems:
                refused.append(
                    _("Line %(line)s: %(problems)s")
                    % {"line": row_number, "problems": "；".join(problems)}
                )
                continue
            results.append(ResultLine(row_number, line, paid, bank_reference, reason))
        if refused:
            raise RuleBroken({"upload": refused})
        if not results:
            raise RuleBroken({"upload": _("The result file has no lines.")})
        return _apply_results(by=by, results=results)


def _amount(value, label: str, problems: list[str]) -> Decimal | None:
    text = cell_text(value).replace(",", "").replace("¥", "").replace("￥", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.append(
            _("%(column)s: “%(value)s” is not an amount of yuan.")
            % {"column": label, "value": shown(value)}
        )
        return None
    if not amount.is_finite():
        problems.append(
            _("%(column)s: “%(value)s” is not an amount of yuan.")
            % {"column": label, "value": shown(value)}
        )
        return None
    return amount.quantize(CENT)


def _apply_results(*, by: User, results: list[ResultLine]) -> list[BankPaymentLine]:
    ids = sorted(result.line.pk for result in results)
    locked = {
        line.pk: line
        for line in BankPaymentLine.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, status=Line.SENT)
        .order_by("pk")
    }
    if len(locked) != len(ids):
        raise RuleBroken(
            {"upload": _("Some of these lines were settled meanwhile: nothing was applied.")}
        )
    now = timezone.now()
    settled = []
    for result in sorted(results, key=lambda r: r.line.pk):
        line = locked[result.line.pk]
        line.settled_by, line.settled_at = by, now
        if result.paid:
            line.status, line.bank_reference = Line.PAID, result.bank_reference
        else:
            line.status, line.failure_reason = Line.FAILED, result.reason
        line.save(
            update_fields=["status", "bank_reference", "failure_reason", "settled_by", "settled_at"]
        )
        if result.paid:
            # After the line leaves "sent", so the bank's hold no longer stops the payment.
            disbursement_pay(
                disbursement=line.disbursement,
                by=by,
                method=PaymentMethod.BANK,
                bank_reference=result.bank_reference,
            )
        settled.append(line)
    # A county's result file settles thousands of lines in one go, and the reconciliation
    # reads them back through the payments and the ledger right after: planned on statistics
    # from before, its join of lines and payments took seconds (common/statistics.py).
    for table in (BankPaymentLine, Disbursement, Entry, LedgerTransaction):
        statistics_refresh_after_bulk_write(table=table._meta.db_table, rows=2 * len(settled))
    return settled


# ====================================================================== the result, by a worker

RESULTS_KIND = "bank_payment_results"


class ResultsRefused(Exception):
    """The result file was refused; the message lists every bad line."""


def bank_results_request(
    *, batch: DisbursementBatch, by: User, upload, language: str
) -> GeneratedDocument:
    """Hand the bank's result file to a worker, which reads and applies it (a web process
    never reads a whole workbook). The file is kept under a random name until the job has
    run, then deleted whatever the outcome.

    Raises PermissionDenied, or RuleBroken on ``upload`` (name, size, table of contents).
    Side effects: the stored file; a GeneratedDocument and its Celery message.
    """
    _upload_check(by=by, batch=batch, upload=upload)
    extension = "csv" if (upload.name or "").lower().endswith(".csv") else "xlsx"
    upload.seek(0)
    path = default_storage.save(f"bank-results/{uuid.uuid4().hex}.{extension}", upload)
    return document_request(
        kind=RESULTS_KIND,
        title=_("Bank results of %(batch)s") % {"batch": batch},
        by=by,
        unit=batch.unit,
        params={"path": path, "batch_id": batch.pk, "language": language},
        reuse_recent=False,
    )


@producer(RESULTS_KIND)
def bank_results_job(job: JobContext) -> None:
    """params: path (the stored result file), batch_id, language. Applies it all or nothing."""
    path = job.params["path"]
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            if not default_storage.exists(path):
                raise ResultsRefused(_("The result file is no longer kept: upload it again."))
            job.progress(0, 1)
            batch = DisbursementBatch.objects.select_related(
                "campaign", "unit", "fund__unit", "budget__unit"
            ).get(pk=job.params["batch_id"])
            with default_storage.open(path, "rb") as stored:
                content = io.BytesIO(stored.read())
            content.name = path.rsplit("/", 1)[-1]
            content.size = len(content.getvalue())
            try:
                bank_results_import(batch=batch, by=job.document.requested_by, upload=content)
            except RuleBroken as refused:
                raise ResultsRefused(" ".join(refused.messages)) from None
            job.progress(1, 1)
        finally:
            default_storage.delete(path)


@back_link(RESULTS_KIND)
def bank_results_back(document: GeneratedDocument, user: User) -> BackLink | None:
    batch = DisbursementBatch.objects.filter(pk=int(document.params["batch_id"])).first()
    if batch is None or not is_in_branch(user, batch.unit):
        return None
    return BackLink(
        reverse("funds:bank_detail", kwargs={"pk": batch.pk}), _("Back to the bank payments")
    )
