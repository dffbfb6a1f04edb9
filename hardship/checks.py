"""The civil-affairs check of a household's finances (民政家庭经济状况核对).

A caseworker gathers check requests for many files into one spreadsheet laid out as the local
check centre asks (columns per unit, ``PipelineSettings.check_columns``), with full ID numbers:
each such spreadsheet is recorded as an export with its reason (``FullIdExport``). The
household's signed authorisation (家庭经济状况核对授权书, ``AttachmentKind.CONSENT``) must be
attached first. Later the centre's result file is imported: per person, whether they receive
低保 or 特困 support, the income and assets found, whether it matches what was declared. Every
line is checked before anything is written; one bad line refuses the whole file, each bad line
listed with its reason. A result that does not match the file waits for an approver's decision
(``hardship.pipeline.check_hold_on_approval``).
"""

import io
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from common.crypto import keyed_hashes
from common.errors import RuleBroken
from common.rules import ALLOWED, Decision, refuse
from documents.models import GeneratedDocument
from documents.services import BackLink, JobContext, back_link, document_request, producer
from hardship.choices import AttachmentKind
from hardship.exporting import full_id_export_record
from hardship.importing.columns import fold_header
from hardship.importing.reading import (
    SpreadsheetProblem,
    cell_text,
    read_spreadsheet,
    shown,
    upload_problem,
)
from hardship.models import (
    ABSURD_YUAN,
    Attachment,
    FileTransition,
    FinanceCheck,
    FinanceCheckFinding,
    HardshipFile,
    HouseholdMember,
)
from hardship.pipeline import pipeline_settings_for
from hardship.selectors import UNDECIDED_STATUSES, files_for_user
from hardship.services import hardship_file_reject
from people.access import is_in_branch, may_act_as
from people.models import Role, User

# The columns a check centre may ask for, by the key a unit's settings name them with.
CHECK_COLUMNS = {
    "number": gettext_lazy("No."),
    "name": pgettext_lazy("person", "Name"),
    "id_number": gettext_lazy("ID number"),
    "relation": gettext_lazy("Relation to the applicant"),
    "worker_name": gettext_lazy("Applicant"),
    "file_number": gettext_lazy("File number"),
    "unit": gettext_lazy("Unit"),
    "division_code": gettext_lazy("Administrative division"),
    "declared_income": gettext_lazy("Declared household income (yuan a year)"),
    "household_size": gettext_lazy("Household size"),
}
# What the centre's result file must hold: our key → the headers it may carry.
RESULT_COLUMNS = {
    "id_number": ("身份证号码", "身份证号", "公民身份号码", "ID number"),
    "name": ("姓名", "Name"),
    "dibao": ("是否享受低保", "享受低保", "低保", "Receives dibao"),
    "tekun": ("是否享受特困", "享受特困", "特困", "Receives tekun"),
    "income": ("核对收入", "年收入", "收入", "Income found"),
    "assets": ("核对资产", "资产", "Assets found"),
    "matches": ("与申报是否一致", "是否一致", "比对结果", "Matches the declaration"),
}
OPTIONAL_RESULT_COLUMNS = {"note": ("备注", "说明", "Note")}
YES = {"是", "有", "y", "yes", "true", "1", "享受", "一致"}
NO = {"否", "无", "n", "no", "false", "0", "不享受", "不一致", ""}
# A result file is small (one line a person of the households asked about).
MAX_RESULT_BYTES = 2 * 1024 * 1024
MAX_RESULT_ROWS = 5_000


# ====================================================================== who may do what


def consent_missing(file: HardshipFile) -> bool:
    return not Attachment.objects.filter(file=file, kind=AttachmentKind.CONSENT).exists()


def may_request_check(user: User, file: HardshipFile) -> Decision:
    """Whether ``user`` may ask the check centre about ``file``: a caseworker of its branch,
    before approval, with the signed authorisation attached and no request waiting."""
    if not (decision := may_act_as(user, Role.CASEWORKER)):
        return decision
    if not is_in_branch(user, file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    if file.status not in UNDECIDED_STATUSES:
        return refuse(_("The civil-affairs check is asked for before a file is approved."))
    if consent_missing(file):
        return refuse(
            _(
                "Attach the household's signed authorisation to check its finances before asking for the check."
            )
        )
    if file.finance_checks.filter(status=FinanceCheck.Status.REQUESTED).exists():
        return refuse(_("A civil-affairs check of this household waits for its result."))
    return ALLOWED


def may_decide_check(user: User, check: FinanceCheck) -> Decision:
    """Whether ``user`` may decide on a check that found a mismatch: an approver of the file's
    branch, once, before the file is approved."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, check.file.unit):
        return refuse(_("This file is not in your unit's branch."), denied=True)
    if check.status != FinanceCheck.Status.ANSWERED or not check.mismatch:
        return refuse(_("Only a check result that found a mismatch needs a decision."))
    if check.decision:
        return refuse(_("This check result has been decided already."))
    if check.file.status not in UNDECIDED_STATUSES:
        return refuse(_("The file has been decided already."))
    return ALLOWED


# ====================================================================== reads


def files_awaiting_check(*, user: User) -> QuerySet[HardshipFile]:
    """Files of ``user``'s branch before approval with no check waiting, the signed
    authorisation shown beside each (``has_consent``)."""
    waiting = FinanceCheck.objects.filter(file=OuterRef("pk"), status=FinanceCheck.Status.REQUESTED)
    consent = Attachment.objects.filter(file=OuterRef("pk"), kind=AttachmentKind.CONSENT)
    return (
        files_for_user(user=user)
        .filter(status__in=UNDECIDED_STATUSES)
        .annotate(has_consent=Exists(consent))
        .exclude(Exists(waiting))
        .select_related("unit")
        .order_by("unit__path", "pk")
    )


def checks_waiting(*, user: User) -> QuerySet[FinanceCheck]:
    """Checks of ``user``'s branch waiting for the centre's result."""
    return (
        FinanceCheck.objects.filter(
            file__in=files_for_user(user=user), status=FinanceCheck.Status.REQUESTED
        )
        .select_related("file__unit", "requested_by")
        .order_by("requested_at", "pk")
    )


def checks_to_decide(*, user: User) -> QuerySet[FinanceCheck]:
    """Checks of ``user``'s branch whose result found a mismatch no approver has decided yet,
    on files not yet approved."""
    return (
        FinanceCheck.objects.filter(
            file__in=files_for_user(user=user).filter(status__in=UNDECIDED_STATUSES),
            status=FinanceCheck.Status.ANSWERED,
            mismatch=True,
            decision="",
        )
        .select_related("file__unit")
        .prefetch_related("findings")
        .order_by("answered_at", "pk")
    )


def checks_of_file(*, file: HardshipFile) -> list[FinanceCheck]:
    """A file's checks, newest first, with their findings (two queries)."""
    return list(
        file.finance_checks.select_related("requested_by", "decided_by")
        .prefetch_related(Prefetch("findings", queryset=FinanceCheckFinding.objects.all()))
        .order_by("-requested_at", "-id")
    )


# ====================================================================== the request


def _people(file: HardshipFile) -> list[tuple[str, str, str]]:
    """(name, ID number, relation) of everyone the centre is asked about: the worker, then
    each member with an ID number."""
    people = [(file.name, file.id_number, str(_("Applicant")))]
    people += [
        (m.name, m.id_number, m.get_relation_display()) for m in file.members.all() if m.id_number
    ]
    return people


def check_request_rows(files: list[HardshipFile], columns: tuple[str, ...]) -> list[list]:
    """The spreadsheet the centre asked for: its header, then one line a person."""
    rows = [[str(CHECK_COLUMNS[key]) for key in columns]]
    number = 0
    for file in files:
        for name, id_number, relation in _people(file):
            number += 1
            values = {
                "number": number,
                "name": name,
                "id_number": id_number,
                "relation": relation,
                "worker_name": file.name,
                "file_number": file.file_number,
                "unit": file.unit.name,
                "division_code": file.division_code,
                "declared_income": file.annual_income,
                "household_size": file.household_size,
            }
            rows.append([values[key] for key in columns])
    return rows


@transaction.atomic
def finance_check_request(
    *, by: User, files: list[HardshipFile], reason: str
) -> tuple[list[FinanceCheck], bytes]:
    """Ask the check centre about ``files`` in one spreadsheet laid out as ``by``'s unit's
    settings say, full ID numbers in it.

    Every file must be allowed (``may_request_check``), or nothing is asked and each refusal
    is listed. Side effects: a FullIdExport (who, why, how many people); a FinanceCheck per
    file; a "check requested" step on each timeline. Returns the checks and the xlsx bytes.
    """
    from documents.spreadsheets import xlsx_bytes

    if not reason.strip():
        raise RuleBroken({"reason": _("Say why full ID numbers leave the system.")})
    if not files:
        raise RuleBroken({"files": _("Choose at least one file.")})
    locked = list(
        HardshipFile.objects.select_for_update(of=("self",))
        .select_related("unit")
        .prefetch_related(Prefetch("members", queryset=HouseholdMember.objects.order_by("id")))
        .filter(pk__in=[file.pk for file in files])
        .order_by("pk")
    )
    problems = []
    for file in locked:
        decision = may_request_check(by, file)
        if decision.denied:
            decision.enforce()
        if not decision:
            problems.append(f"{file.name}（{file.file_number}）：{decision.reason}")
    if problems:
        raise RuleBroken({"files": problems})
    columns = pipeline_settings_for(by.unit).check_columns if by.unit else ()
    columns = tuple(key for key in columns if key in CHECK_COLUMNS) or ("name", "id_number")
    rows = check_request_rows(locked, columns)
    export = full_id_export_record(by=by, reason=reason, row_count=len(rows) - 1)
    checks = FinanceCheck.objects.bulk_create(
        FinanceCheck(file=file, requested_by=by, export=export) for file in locked
    )
    FileTransition.objects.bulk_create(
        FileTransition(
            file=file,
            action=FileTransition.Action.CHECK_REQUESTED,
            from_status=file.status,
            to_status=file.status,
            by=by,
            reason=reason.strip(),
        )
        for file in locked
    )
    return checks, xlsx_bytes(rows, title=str(_("Civil-affairs check")))


def check_request_file_name() -> str:
    stem = _("civil-affairs check request")
    return f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"


# ====================================================================== the result


@dataclass
class ResultLine:
    row: int
    check: FinanceCheck
    name: str
    masked: str
    dibao: bool
    tekun: bool
    income: Decimal
    assets: Decimal
    centre_mismatch: bool
    note: str


def _yes_no(value, label: str, problems: list[str]) -> bool:
    text = fold_header(cell_text(value))
    if text in YES:
        return True
    if text in NO:
        return False
    problems.append(
        _("%(column)s: “%(value)s” is neither yes (是) nor no (否).")
        % {"column": label, "value": shown(value)}
    )
    return False


def _money(value, label: str, problems: list[str]) -> Decimal:
    text = cell_text(value).replace(",", "") or "0"
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.append(
            _("%(column)s: “%(value)s” is not an amount of yuan.")
            % {"column": label, "value": shown(value)}
        )
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount >= ABSURD_YUAN:
        problems.append(
            _("%(column)s: %(value)s is not a plausible amount.")
            % {"column": label, "value": shown(value)}
        )
        return Decimal(0)
    return amount.quantize(Decimal("0.01"))


def _result_columns(headers: list[str]) -> dict[str, int]:
    folded = {fold_header(header): index for index, header in enumerate(headers) if header}
    found = {}
    missing = []
    for key, names in {**RESULT_COLUMNS, **OPTIONAL_RESULT_COLUMNS}.items():
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


def _people_waiting(by: User) -> dict[str, tuple[FinanceCheck, str]]:
    """Every person of a check waiting in ``by``'s branch, by their stored ID hash."""
    checks = list(
        checks_waiting(user=by).prefetch_related(
            Prefetch("file__members", queryset=HouseholdMember.objects.exclude(id_hash=""))
        )
    )
    people = {}
    for check in checks:
        people[check.file.id_hash] = (check, check.file.name)
        for member in check.file.members.all():
            people[member.id_hash] = (check, member.name)
    return people


def _result_upload_check(*, by: User, upload) -> None:
    """What the web process checks of a result file: who sends it, its name, size and the
    zip's table of contents (never its content)."""
    may_act_as(by, Role.CASEWORKER).enforce()
    size = getattr(upload, "size", 0) or 0
    if size > MAX_RESULT_BYTES:
        raise RuleBroken(
            {"upload": _("A result file is at most %(mb)s MB.") % {"mb": MAX_RESULT_BYTES >> 20}}
        )
    problem = upload_problem(upload, name=getattr(upload, "name", ""), size=size)
    if problem:
        raise RuleBroken({"upload": problem})


def finance_check_results_import(*, by: User, upload) -> list[FinanceCheck]:
    """Import the centre's result file: each line a person of a check waiting in ``by``'s
    branch. Any unknown person, person listed twice, missing column or unreadable value
    refuses the whole file (RuleBroken, each bad line with its reason): nothing is applied.
    Pages hand the file to a worker (``finance_check_results_request``), which calls this.

    Side effects: a FinanceCheckFinding a line; each check answered (its mismatch: the centre
    reports one, or the income found exceeds what the file declares); a "check result
    received" step on each timeline. Returns the checks answered.
    """
    _result_upload_check(by=by, upload=upload)
    try:
        sheet = read_spreadsheet(upload)
    except SpreadsheetProblem as unusable:
        raise RuleBroken({"upload": unusable.message}) from None
    if len(sheet.rows) > MAX_RESULT_ROWS:
        raise RuleBroken(
            {"upload": _("A result file has at most %(count)s lines.") % {"count": MAX_RESULT_ROWS}}
        )
    columns = _result_columns(sheet.headers)
    labels = {key: sheet.headers[index] for key, index in columns.items()}
    with transaction.atomic():
        people = _people_waiting(by)
        lines: list[ResultLine] = []
        refused: list[str] = []
        seen: dict[str, int] = {}
        for row_number, cells in sheet.rows:

            def cell(key, cells=cells):
                index = columns.get(key)
                return cells[index] if index is not None and index < len(cells) else None

            problems: list[str] = []
            number = cell_text(cell("id_number")).upper()
            match = next((people[h] for h in keyed_hashes(number) if h in people), None)
            if not number:
                problems.append(_("no ID number"))
            elif match is None:
                problems.append(
                    _("%(id)s is no one whose check waits in your branch.") % {"id": shown(number)}
                )
            elif number in seen:
                problems.append(
                    _("%(id)s is listed twice (also line %(line)s).")
                    % {"id": shown(number), "line": seen[number]}
                )
            seen.setdefault(number, row_number)
            dibao = _yes_no(cell("dibao"), labels["dibao"], problems)
            tekun = _yes_no(cell("tekun"), labels["tekun"], problems)
            income = _money(cell("income"), labels["income"], problems)
            assets = _money(cell("assets"), labels["assets"], problems)
            matches = _yes_no(cell("matches"), labels["matches"], problems)
            if problems:
                refused.append(
                    _("Line %(line)s: %(problems)s")
                    % {"line": row_number, "problems": "；".join(problems)}
                )
                continue
            check, name = match
            lines.append(
                ResultLine(
                    row=row_number,
                    check=check,
                    name=name,
                    masked=shown(number),
                    dibao=dibao,
                    tekun=tekun,
                    income=income,
                    assets=assets,
                    centre_mismatch=not matches,
                    note=cell_text(cell("note"))[:200],
                )
            )
        if refused:
            raise RuleBroken({"upload": refused})
        if not lines:
            raise RuleBroken({"upload": _("The result file has no lines.")})
        return _apply_results(by=by, lines=lines)


def _apply_results(*, by: User, lines: list[ResultLine]) -> list[FinanceCheck]:
    checks = {line.check.pk: line.check for line in lines}
    locked = {
        check.pk: check
        for check in FinanceCheck.objects.select_for_update(of=("self",))
        .select_related("file")
        .filter(pk__in=checks, status=FinanceCheck.Status.REQUESTED)
    }
    if len(locked) != len(checks):
        raise RuleBroken(
            {"upload": _("These checks were answered meanwhile: nothing was applied.")}
        )
    FinanceCheckFinding.objects.bulk_create(
        FinanceCheckFinding(
            finance_check_id=line.check.pk,
            name=line.name,
            id_number_masked=line.masked,
            receives_dibao=line.dibao,
            receives_tekun=line.tekun,
            income_found=line.income,
            assets_found=line.assets,
            centre_mismatch=line.centre_mismatch,
            note=line.note,
        )
        for line in lines
    )
    now = timezone.now()
    transitions = []
    for check in locked.values():
        mine = [line for line in lines if line.check.pk == check.pk]
        income = sum((line.income for line in mine), Decimal(0))
        check.status = FinanceCheck.Status.ANSWERED
        check.answered_at = now
        check.mismatch = any(line.centre_mismatch for line in mine) or (
            income > check.file.annual_income
        )
        check.save(update_fields=["status", "answered_at", "mismatch"])
        summary = (
            _("Mismatch with the file: income found %(income)s yuan a year.")
            if check.mismatch
            else _("Matches the file: income found %(income)s yuan a year.")
        ) % {"income": income}
        transitions.append(
            FileTransition(
                file=check.file,
                action=FileTransition.Action.CHECK_ANSWERED,
                from_status=check.file.status,
                to_status=check.file.status,
                by=by,
                reason=summary,
            )
        )
    FileTransition.objects.bulk_create(transitions)
    return list(locked.values())


@transaction.atomic
def finance_check_decide(
    *, by: User, check: FinanceCheck, decision: str, reason: str
) -> FinanceCheck:
    """An approver's decision on a check that found a mismatch: the application proceeds, or
    is refused. Side effects: the decision; a timeline step; a refused file is closed."""
    check = (
        FinanceCheck.objects.select_for_update(of=("self",))
        .select_related("file__unit")
        .get(pk=check.pk)
    )
    may_decide_check(by, check).enforce()
    errors = {}
    if decision not in FinanceCheck.Decision.values:
        errors["decision"] = [_("Choose whether the application proceeds.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the decision.")]
    if errors:
        raise RuleBroken(errors)
    check.decision = decision
    check.decision_reason = reason.strip()
    check.decided_by = by
    check.decided_at = timezone.now()
    check.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    FileTransition.objects.create(
        file=check.file, action=FileTransition.Action.CHECK_DECIDED,
        from_status=check.file.status, to_status=check.file.status, by=by,
        reason=f"{check.get_decision_display()}：{reason.strip()}",
    )  # fmt: skip
    if decision == FinanceCheck.Decision.REFUSE:
        hardship_file_reject(file=check.file, by=by, reason=reason)
    return check


# ====================================================================== the result, by a worker

RESULTS_KIND = "finance_check_results"


class ResultsRefused(Exception):
    """The result file was refused; the message lists every bad line."""


def finance_check_results_request(*, by: User, upload, language: str) -> GeneratedDocument:
    """Hand the centre's result file to a worker, which reads and applies it (a web process
    never reads a whole workbook). The file is kept under a random name until the job has
    run, then deleted whatever the outcome.

    Raises PermissionDenied, or RuleBroken on ``upload`` (name, size, table of contents).
    Side effects: the stored file; a GeneratedDocument and its Celery message.
    """
    _result_upload_check(by=by, upload=upload)
    upload.seek(0)
    path = default_storage.save(f"checks/{uuid.uuid4().hex}.xlsx", upload)
    return document_request(
        kind=RESULTS_KIND,
        title=_("Civil-affairs check results"),
        by=by,
        unit=by.unit,
        params={"path": path, "language": language},
        reuse_recent=False,
    )


@producer(RESULTS_KIND)
def finance_check_results_job(job: JobContext) -> None:
    """params: path (the stored result file), language. Applies it all or refuses it."""
    path = job.params["path"]
    with translation.override(job.params.get("language") or settings.LANGUAGE_CODE):
        try:
            if not default_storage.exists(path):
                raise ResultsRefused(_("The result file is no longer kept: upload it again."))
            job.progress(0, 1)
            with default_storage.open(path, "rb") as stored:
                content = io.BytesIO(stored.read())
            content.name = "result.xlsx"
            content.size = len(content.getvalue())
            try:
                finance_check_results_import(by=job.document.requested_by, upload=content)
            except RuleBroken as refused:
                raise ResultsRefused(" ".join(refused.messages)) from None
            job.progress(1, 1)
        finally:
            default_storage.delete(path)
    return None


@back_link(RESULTS_KIND)
def finance_check_results_back(document: GeneratedDocument, user: User) -> BackLink:
    return BackLink(reverse("hardship:check_list"), _("Back to the civil-affairs check"))
