"""Public notices (公示): households put on the unit's notice board before their file is
approved or their schooling grant paid, objections to them, and approving a notice's files
together once it has closed clean.

The rules are predicates (``may_<verb>_<thing>``) that the pages ask to offer an action and the
services enforce; what a notice still holds back is ``hardship.pipeline.entry_hold``. Schooling
grants are put on notices by funds (``funds.notices``), which calls ``public_notice_create``.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from common.rules import ALLOWED, Decision, refuse
from hardship.choices import FileStatus
from hardship.models import (
    FileTransition,
    HardshipFile,
    Objection,
    PublicNotice,
    PublicNoticeEntry,
)
from hardship.pipeline import (
    MAXIMUM_NOTICE_DAYS,
    mask_name,
    notice_end,
    pipeline_settings_for,
)
from hardship.selectors import files_for_user, may_approve_file
from hardship.services import hardship_file_approve, hardship_file_reject, history_context
from people.access import is_in_branch, may_act_as, scope_to_user
from people.models import Role, UnionUnit, User

# A notice is one or two printed pages on a board; larger sets are split by the caseworker.
MAX_NOTICE_ENTRIES = 200
UPHELD = (Objection.Decision.UPHELD_BACK, Objection.Decision.UPHELD_REFUSED)


@dataclass(frozen=True)
class NoticeLine:
    """One household to put on a notice: its file, the short reason, and a grant's amount."""

    file: HardshipFile
    reason: str
    amount: Decimal | None = None


# ====================================================================== reads


def notices_for_user(*, user: User) -> QuerySet[PublicNotice]:
    """The notices of ``user``'s branch, newest first."""
    return scope_to_user(
        PublicNotice.objects.select_related("unit", "created_by"), user=user, unit_path="unit__path"
    ).order_by("-starts_on", "-id")


def files_awaiting_notice(*, user: User) -> QuerySet[HardshipFile]:
    """Verified files of ``user``'s branch not on a notice, or whose last notice had an
    objection upheld."""
    listed = (
        PublicNoticeEntry.objects.filter(notice__kind=PublicNotice.Kind.NEW_FILES)
        .exclude(objections__decision__in=UPHELD)
        .values("file_id")
    )
    return (
        files_for_user(user=user)
        .filter(status=FileStatus.VERIFIED)
        .exclude(pk__in=listed)
        .select_related("unit")
        .order_by("unit__path", "pk")
    )


def notice_is_open(notice: PublicNotice, today: date | None = None) -> bool:
    return (today or timezone.localdate()) <= notice.ends_on


def short_reason(file: HardshipFile) -> str:
    """The reason a notice board shows by default: the worker's employment situation and the
    category, never an illness."""
    return f"{file.get_employment_status_display()}，{file.get_category_display()}"


# ====================================================================== who may do what


def may_start_notice(user: User, unit: UnionUnit) -> Decision:
    """Whether ``user`` may start a notice for ``unit``: a caseworker of its branch."""
    if not (decision := may_act_as(user, Role.CASEWORKER)):
        return decision
    if not is_in_branch(user, unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    return ALLOWED


def may_record_objection(user: User, notice: PublicNotice) -> Decision:
    """Whether ``user`` may record an objection to ``notice``: a caseworker or approver of its
    branch, while the notice runs."""
    if not (decision := may_act_as(user, Role.CASEWORKER, Role.APPROVER)):
        return decision
    if not is_in_branch(user, notice.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if not notice_is_open(notice):
        return refuse(
            _("The notice closed on %(day)s: objections are recorded while it runs.")
            % {"day": notice.ends_on.isoformat()}
        )
    return ALLOWED


def may_decide_objection(user: User, objection: Objection) -> Decision:
    """Whether ``user`` may uphold or dismiss ``objection``: an approver of the notice's branch,
    while it is undecided."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, objection.entry.notice.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if objection.decision:
        return refuse(_("This objection has been decided already."))
    return ALLOWED


def may_approve_notice(user: User, notice: PublicNotice) -> Decision:
    """Whether ``user`` may approve the files of ``notice`` together: an approver of its branch,
    once it has closed with no objection undecided, while a file on it waits for approval."""
    if not (decision := may_act_as(user, Role.APPROVER)):
        return decision
    if not is_in_branch(user, notice.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    if notice.kind != PublicNotice.Kind.NEW_FILES:
        return refuse(_("Schooling grants are approved and paid on their payment pages."))
    if notice_is_open(notice):
        return refuse(
            _("The public notice runs until %(day)s: wait until it has closed.")
            % {"day": notice.ends_on.isoformat()}
        )
    if Objection.objects.filter(entry__notice=notice, decision="").exists():
        return refuse(_("An objection to the public notice waits for an approver's decision."))
    if not notice.entries.filter(file__status=FileStatus.VERIFIED).exists():
        return refuse(_("No file of this notice waits for approval."))
    return ALLOWED


# ====================================================================== writes


def _timeline(files: list[HardshipFile], *, action: str, by: User, reason: str) -> None:
    FileTransition.objects.bulk_create(
        FileTransition(
            file=file,
            action=action,
            from_status=file.status,
            to_status=file.status,
            by=by,
            reason=reason,
        )
        for file in files
    )


@transaction.atomic
def public_notice_create(
    *,
    by: User,
    unit: UnionUnit,
    kind: str,
    starts_on: date,
    working_days: int,
    where_to_object: str,
    lines: list[NoticeLine],
) -> PublicNotice:
    """Put households on a public notice of ``unit`` from ``starts_on`` for ``working_days``
    working days (by the holiday calendar), never fewer than the unit's minimum.

    New files must be verified and not on a live notice already. Side effects: the notice, an
    entry per household (its name masked, its unit, category, a short reason, a grant's
    amount: nothing else of the file), a "put on a public notice" step on each file's
    timeline. Raises PermissionDenied or RuleBroken (by field).
    """
    may_start_notice(by, unit).enforce()
    settings = pipeline_settings_for(unit)
    errors: dict[str, list[str]] = {}
    if working_days < settings.notice_minimum_days:
        errors["working_days"] = [
            _("A notice runs at least %(days)s working days in this unit.")
            % {"days": settings.notice_minimum_days}
        ]
    elif working_days > MAXIMUM_NOTICE_DAYS:
        errors["working_days"] = [
            _("A notice runs at most %(days)s working days.") % {"days": MAXIMUM_NOTICE_DAYS}
        ]
    if starts_on < timezone.localdate():
        errors["starts_on"] = [_("A notice cannot start in the past.")]
    if not where_to_object.strip():
        errors["where_to_object"] = [_("Say where and how people may object.")]
    if not lines:
        errors["files"] = [_("Choose at least one household.")]
    elif len(lines) > MAX_NOTICE_ENTRIES:
        errors["files"] = [
            _("A notice lists at most %(count)s households: start several.")
            % {"count": MAX_NOTICE_ENTRIES}
        ]
    if errors:
        raise RuleBroken(errors)
    files = list(
        HardshipFile.objects.select_for_update(of=("self",))
        .select_related("unit")
        .filter(pk__in=[line.file.pk for line in lines])
        .order_by("pk")
    )
    by_pk = {file.pk: file for file in files}
    problems = []
    live = set()
    if kind == PublicNotice.Kind.NEW_FILES:
        live = set(
            PublicNoticeEntry.objects.filter(
                notice__kind=PublicNotice.Kind.NEW_FILES, file__in=files
            )
            .exclude(objections__decision__in=UPHELD)
            .values_list("file_id", flat=True)
        )
    for line in lines:
        file = by_pk[line.file.pk]
        if not file.unit.is_in_branch_of(unit):
            problems.append(
                _("%(name)s: the file is not held in this unit's branch.") % {"name": file.name}
            )
        elif kind == PublicNotice.Kind.NEW_FILES and file.status != FileStatus.VERIFIED:
            problems.append(
                _("%(name)s: only a file whose home verification is done goes on a notice.")
                % {"name": file.name}
            )
        elif file.pk in live:
            problems.append(_("%(name)s: already on a public notice.") % {"name": file.name})
    if problems:
        raise RuleBroken({"files": problems})
    notice = PublicNotice.objects.create(
        unit=unit,
        kind=kind,
        starts_on=starts_on,
        ends_on=notice_end(starts_on, working_days),
        working_days=working_days,
        where_to_object=where_to_object.strip(),
        created_by=by,
    )
    PublicNoticeEntry.objects.bulk_create(
        PublicNoticeEntry(
            notice=notice,
            file=by_pk[line.file.pk],
            masked_name=mask_name(by_pk[line.file.pk].name),
            unit_name=by_pk[line.file.pk].unit.name[:100],
            category=by_pk[line.file.pk].get_category_display()[:40],
            reason=(line.reason.strip() or short_reason(by_pk[line.file.pk]))[:100],
            amount=line.amount,
        )
        for line in lines
    )
    _timeline(
        [by_pk[line.file.pk] for line in lines],
        action=FileTransition.Action.NOTICE,
        by=by,
        reason=_("%(kind)s, %(start)s to %(end)s.")
        % {"kind": notice.get_kind_display(), "start": notice.starts_on, "end": notice.ends_on},
    )
    return notice


@transaction.atomic
def objection_record(
    *, by: User, entry: PublicNoticeEntry, received_at: datetime, channel: str, content: str
) -> Objection:
    """Record an objection to one household on a notice while it runs.

    Side effects: the objection; an "objection recorded" step on the file's timeline.
    """
    entry = PublicNoticeEntry.objects.select_related("notice__unit", "file").get(pk=entry.pk)
    may_record_objection(by, entry.notice).enforce()
    errors = {}
    if channel not in Objection.Channel.values:
        errors["channel"] = [_("Choose how the objection arrived.")]
    if not content.strip():
        errors["content"] = [_("Write down what the objection says.")]
    if received_at > timezone.now():
        errors["received_at"] = [_("The objection cannot have arrived in the future.")]
    if errors:
        raise RuleBroken(errors)
    objection = Objection.objects.create(
        entry=entry, received_at=received_at, channel=channel, content=content.strip(),
        recorded_by=by,
    )  # fmt: skip
    _timeline([entry.file], action=FileTransition.Action.OBJECTION, by=by, reason=content.strip())
    return objection


@transaction.atomic
def objection_decide(*, by: User, objection: Objection, decision: str, reason: str) -> Objection:
    """Uphold or dismiss an objection, with a reason.

    Upheld on a new file: the file goes back to home verification (it then needs a new
    notice), or is refused and closed. Upheld on a schooling grant: the grant cannot be paid
    (funds asks ``entry_hold``) and is cancelled on its payment page. Side effects: the
    decision; an "objection decided" step on the timeline; the file's move.
    """
    objection = (
        Objection.objects.select_for_update(of=("self",))
        .select_related("entry__notice__unit", "entry__file")
        .get(pk=objection.pk)
    )
    may_decide_objection(by, objection).enforce()
    errors = {}
    if decision not in Objection.Decision.values:
        errors["decision"] = [_("Choose whether the objection is upheld or dismissed.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the decision.")]
    if errors:
        raise RuleBroken(errors)
    objection.decision = decision
    objection.decision_reason = reason.strip()
    objection.decided_by = by
    objection.decided_at = timezone.now()
    objection.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])
    file = HardshipFile.objects.select_for_update(of=("self",)).get(pk=objection.entry.file_id)
    _timeline(
        [file],
        action=FileTransition.Action.OBJECTION_DECIDED,
        by=by,
        reason=f"{objection.get_decision_display()}：{reason.strip()}",
    )
    new_file = objection.entry.notice.kind == PublicNotice.Kind.NEW_FILES
    if new_file and file.status == FileStatus.VERIFIED:
        if decision == Objection.Decision.UPHELD_BACK:
            with history_context(by):
                file.status = FileStatus.FIRST_REVIEWED
                file.updated_by = by
                file.save(update_fields=["status", "updated_by", "updated_at"])
                FileTransition.objects.create(
                    file=file, action=FileTransition.Action.SENT_BACK,
                    from_status=FileStatus.VERIFIED, to_status=file.status, by=by,
                    reason=reason.strip(),
                )  # fmt: skip
        elif decision == Objection.Decision.UPHELD_REFUSED:
            hardship_file_reject(file=file, by=by, reason=reason)
    return objection


@transaction.atomic
def public_notice_approve_files(
    *, by: User, notice: PublicNotice, notes: str = ""
) -> tuple[list[HardshipFile], list[tuple[HardshipFile, str]]]:
    """Approve together the files of a notice that has closed clean, each through
    ``hardship_file_approve`` (its own rules: four eyes, category, check).

    Returns the files approved and those left, each with the reason. Side effects: those
    of ``hardship_file_approve`` for each file approved.
    """
    notice = PublicNotice.objects.select_for_update().select_related("unit").get(pk=notice.pk)
    may_approve_notice(by, notice).enforce()
    approved, left = [], []
    files = (
        HardshipFile.objects.filter(notice_entries__notice=notice, status=FileStatus.VERIFIED)
        .select_related("unit")
        .order_by("pk")
    )
    for file in files:
        decision = may_approve_file(by, file)
        if decision:
            approved.append(hardship_file_approve(file=file, by=by, notes=notes))
        else:
            left.append((file, decision.reason))
    return approved, left


def notice_sheet_file_name(notice: PublicNotice) -> str:
    """The printed sheet's name in the reader's language."""
    stem = _("public notice")  # outside the f-string, where makemessages finds it
    return f"{stem}-{notice.starts_on:%Y%m%d}.pdf"
