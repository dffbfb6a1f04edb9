"""Writes: pairing (结对帮扶), visits (走访慰问), follow-ups (跟踪督办) and help services (帮扶服务).

Each public function is one transaction, takes keyword arguments, and lists
its side effects. Whether whoever acts may do it to this record now is one
predicate of ``visits.selectors`` (``may_log_visit``…), the one the page asks
before offering the action, enforced here: acting outside one's role or branch
raises ``PermissionDenied``, a record in the wrong state ``RuleBroken``. The
input is checked here too; a refusal a person can act on raises ``RuleBroken``
(a ValidationError, keyed by field where there is one). The views fetch every
object through the access rules first, so a stranger meets a 404 before any of
this runs.

Which files take what:

- **Pairing** is for households on file (在档). An application is not yet a
  hardship household, and an exited or closed file has nobody left to help.
  Ending a pairing is allowed whatever the file's status, so that the pairings
  of a file that left the record can be closed.
- **Visits** are logged for households on file, with one exception: a
  household out of hardship (已脱困) may still get a *phone call* (电话回访),
  which is how a follow-up raised before the exit gets its return visit and
  how the union checks the household has not fallen back. Such a call hands
  over no money or goods and raises no new follow-ups (a household in hardship
  again applies again), and belongs to no campaign (campaign lists take files
  on record only). Applications are visited by the home verification on the
  file's page, not here; closed files (deceased, moved, duplicate, not
  eligible) take no visits.
- **Help services** are recorded for households on file, and for an exited
  household when the help was given on or before the day it left the record
  (a placement that ended the hardship is often written down afterwards).
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from documents.uploads import CheckedUpload, upload_check_content, upload_measure, upload_store
from hardship.choices import FileStatus
from hardship.identity import validate_credit_code
from hardship.models import ABSURD_YUAN, HardshipFile
from people.access import require_in_branch
from people.models import UnionUnit, User
from visits.choices import AFTER_EXIT_MONTHS, FollowUpStatus, HelpKind, PairingRole, VisitKind
from visits.models import (
    Cadre,
    Campaign,
    EnterprisePairing,
    FollowUp,
    HelpService,
    Pairing,
    Visit,
    VisitListRow,
    VisitPhoto,
)
from visits.selectors import (
    campaign_fits,
    campaign_takes_visit,
    may_cancel_follow_up,
    may_close_follow_up,
    may_create_cadre,
    may_end_enterprise_pairing,
    may_end_pairing,
    may_log_visit,
    may_own_follow_ups,
    may_raise_follow_up,
    may_record_help,
    may_start_enterprise_pairing,
    may_start_pairing,
    visit_kinds_for,
)

# More photos than this from one visit are a mistake (or the whole camera roll).
MAX_PHOTOS_PER_VISIT = 10
# Follow-ups raised at one visit; the form offers rows up to this number.
MAX_FOLLOW_UPS_PER_VISIT = 5
# A household has at most 30 people (hardship files refuse more).
MAX_PEOPLE = 30
MAX_TRAINING_HOURS = 2000


# ====================================================================== shared checks


def _today() -> date:
    return timezone.localdate()


def _file_start(file: HardshipFile) -> date:
    return file.created_at.astimezone(timezone.get_current_timezone()).date()


def _lock_file(file: HardshipFile) -> HardshipFile:
    """The file's row, locked until the transaction ends, so its status cannot change meanwhile."""
    return HardshipFile.objects.select_for_update().select_related("unit").get(pk=file.pk)


def _require_cadre_in_branch(by: User, cadre: Cadre, *, field: str = "cadre") -> None:
    if by.is_superuser:
        return
    if by.unit is None or not cadre.unit.is_in_branch_of(by.unit):
        raise RuleBroken({field: _("This cadre is not in your unit's branch.")})


def _is_in_branch(person: User, by: User) -> bool:
    """Whether ``person`` works in ``by``'s branch (anyone does, for a superuser)."""
    if by.is_superuser:
        return True
    return person.unit is not None and by.unit is not None and person.unit.is_in_branch_of(by.unit)


def _check_not_future(day: date, *, field: str, message: str) -> None:
    if day > _today():
        raise RuleBroken({field: message})


def _check_campaign(
    campaign: Campaign | None, *, file: HardshipFile, on: date, rule=campaign_fits
) -> None:
    """The campaign chosen for a visit (``rule=campaign_takes_visit``) or help, beside its field."""
    if campaign is None:
        return
    if not (decision := rule(campaign=campaign, file=file, on=on)):
        raise RuleBroken({"campaign": decision.reason})


def _check_money(value: Decimal, *, field: str) -> None:
    if value < 0:
        raise RuleBroken({field: _("An amount cannot be negative.")})
    if value >= ABSURD_YUAN:
        raise RuleBroken({field: _("This amount is not plausible: check the figure.")})


# ====================================================================== cadres and pairing


@transaction.atomic
def cadre_create(
    *,
    by: User,
    unit: UnionUnit,
    name: str,
    position: str = "",
    phone: str = "",
    user: User | None = None,
    is_leading_cadre: bool = False,
) -> Cadre:
    """Add a cadre (a leading cadre or a union helper) to a unit of the branch.

    Caseworkers and unit administrators add cadres. A cadre who signs in is
    linked to their user account, which must be in the same branch.
    Side effects: one Cadre row.
    """
    may_create_cadre(by, unit).enforce()
    if not name.strip():
        raise RuleBroken({"name": _("Give the cadre's name.")})
    if user is not None and not _is_in_branch(user, by):
        raise RuleBroken({"user": _("This user account is not in your unit's branch.")})
    cadre = Cadre(
        unit=unit,
        name=name.strip(),
        position=position.strip(),
        phone=phone.strip(),
        user=user,
        is_leading_cadre=is_leading_cadre,
    )
    cadre.full_clean()
    cadre.save()
    return cadre


@transaction.atomic
def pairing_start(
    *, file: HardshipFile, cadre: Cadre, role: str, starts_on: date, by: User
) -> Pairing:
    """Pair ``cadre`` with a household on file in ``role`` from ``starts_on``.

    The double pairing (双结对) keeps one current leading cadre and one current
    union helper per household: the current pairing of the same role, if any,
    ends the day before ``starts_on``, so the history shows who helped when,
    without gaps or overlaps. A leading-cadre pairing needs a cadre marked as
    a leading cadre; one person does not hold both roles for one household.
    Side effects: may set ``ends_on`` on the previous pairing of the role; one
    new Pairing row.
    """
    file = _lock_file(file)
    may_start_pairing(by, file).enforce()
    _require_cadre_in_branch(by, cadre)
    if role not in PairingRole.values:
        raise RuleBroken({"role": _("Choose the role of the pairing.")})
    if role == PairingRole.LEADING_CADRE and not cadre.is_leading_cadre:
        raise RuleBroken(
            {"cadre": _("%(name)s is not recorded as a leading cadre.") % {"name": cadre.name}}
        )
    _check_not_future(
        starts_on,
        field="starts_on",
        message=_("Record a pairing from the day it starts, not in advance."),
    )
    pairings = list(Pairing.objects.select_for_update().filter(file=file))
    current = {p.role: p for p in pairings if p.ends_on is None}
    other_role = next(r for r in PairingRole.values if r != role)
    if other_role in current and current[other_role].cadre_id == cadre.pk:
        raise RuleBroken(
            {
                "cadre": _("%(name)s is already paired with this household as %(role)s.")
                % {"name": cadre.name, "role": PairingRole(other_role).label}
            }
        )
    previous = current.get(role)
    if previous is not None:
        if previous.cadre_id == cadre.pk:
            raise RuleBroken(
                {"cadre": _("%(name)s is already paired in this role.") % {"name": cadre.name}}
            )
        if starts_on <= previous.starts_on:
            raise RuleBroken(
                {
                    "starts_on": _(
                        "The current pairing began on %(date)s: the new one must start after it."
                    )
                    % {"date": previous.starts_on}
                }
            )
    overlapping = [
        p for p in pairings if p.role == role and p.ends_on is not None and p.ends_on >= starts_on
    ]
    if overlapping:
        raise RuleBroken(
            {
                "starts_on": _("An earlier pairing in this role lasted until %(date)s.")
                % {"date": max(p.ends_on for p in overlapping)}
            }
        )
    if previous is not None:
        previous.ends_on = starts_on - timedelta(days=1)
        previous.save(update_fields=["ends_on"])
    return Pairing.objects.create(
        file=file, cadre=cadre, role=role, starts_on=starts_on, created_by=by
    )


@transaction.atomic
def pairing_end(*, pairing: Pairing, ends_on: date, by: User) -> Pairing:
    """End a current pairing on ``ends_on`` (its last day), whatever the file's status now.

    Side effects: sets ``ends_on``; the row stays, as history.
    """
    pairing = (
        Pairing.objects.select_for_update().select_related("file__unit", "cadre").get(pk=pairing.pk)
    )
    may_end_pairing(by, pairing).enforce()
    if ends_on < pairing.starts_on:
        raise RuleBroken(
            {
                "ends_on": _("The pairing began on %(date)s: it cannot end before.")
                % {"date": pairing.starts_on}
            }
        )
    _check_not_future(
        ends_on,
        field="ends_on",
        message=_("A pairing is ended on the day it ends, not in advance."),
    )
    pairing.ends_on = ends_on
    pairing.save(update_fields=["ends_on"])
    return pairing


@transaction.atomic
def enterprise_pairing_start(
    *,
    cadre: Cadre,
    unit: UnionUnit,
    enterprise_name: str,
    credit_code: str = "",
    starts_on: date,
    by: User,
) -> EnterprisePairing:
    """Pair ``cadre`` with an enterprise in difficulty (领导干部联系困难企业), kept by ``unit``.

    Side effects: one EnterprisePairing row.
    """
    may_start_enterprise_pairing(by, cadre).enforce()
    require_in_branch(by, unit)
    name = enterprise_name.strip()
    if not name:
        raise RuleBroken({"enterprise_name": _("Give the enterprise's name.")})
    credit_code = credit_code.strip().upper()
    if credit_code:
        try:
            validate_credit_code(credit_code)
        except ValidationError as error:
            raise RuleBroken({"credit_code": error.messages}) from error
    _check_not_future(
        starts_on,
        field="starts_on",
        message=_("Record a pairing from the day it starts, not in advance."),
    )
    if EnterprisePairing.objects.filter(
        cadre=cadre, enterprise_name=name, ends_on__isnull=True
    ).exists():
        raise RuleBroken(
            {"enterprise_name": _("This cadre is already paired with this enterprise.")}
        )
    pairing = EnterprisePairing(
        cadre=cadre,
        unit=unit,
        enterprise_name=name,
        credit_code=credit_code,
        starts_on=starts_on,
    )
    pairing.full_clean()
    pairing.save()
    return pairing


@transaction.atomic
def enterprise_pairing_end(
    *, enterprise_pairing: EnterprisePairing, ends_on: date, by: User
) -> EnterprisePairing:
    """End a cadre's pairing with an enterprise on ``ends_on``. Side effects: sets ``ends_on``."""
    pairing = (
        EnterprisePairing.objects.select_for_update()
        .select_related("unit")
        .get(pk=enterprise_pairing.pk)
    )
    may_end_enterprise_pairing(by, pairing).enforce()
    if ends_on < pairing.starts_on:
        raise RuleBroken(
            {
                "ends_on": _("The pairing began on %(date)s: it cannot end before.")
                % {"date": pairing.starts_on}
            }
        )
    _check_not_future(
        ends_on,
        field="ends_on",
        message=_("A pairing is ended on the day it ends, not in advance."),
    )
    pairing.ends_on = ends_on
    pairing.save(update_fields=["ends_on"])
    return pairing


# ====================================================================== visits


@dataclass
class FollowUpInput:
    """One problem a visit could not solve on the spot, as the form hands it over."""

    problem: str
    owner: User
    due_on: date
    needs_return_visit: bool = True


def _check_people(by: User, visitors: list[User], cadres: list[Cadre]) -> None:
    if not visitors and not cadres:
        raise RuleBroken({"visitors": _("Name at least one person or cadre who went.")})
    for person in visitors:
        if not person.is_active or not _is_in_branch(person, by):
            raise RuleBroken(
                {
                    "visitors": _("%(name)s is not in your unit's branch.")
                    % {"name": person.get_full_name()}
                }
            )
    for cadre in cadres:
        _require_cadre_in_branch(by, cadre, field="cadres")


def _check_follow_ups(
    by: User, file: HardshipFile, visited_on: date, follow_ups: list[FollowUpInput]
) -> None:
    if len(follow_ups) > MAX_FOLLOW_UPS_PER_VISIT:
        raise RuleBroken(
            _("At most %(count)s follow-ups can be raised at one visit.")
            % {"count": MAX_FOLLOW_UPS_PER_VISIT}
        )
    errors: dict[str, list[str]] = {}
    for index, item in enumerate(follow_ups):
        key = f"follow_ups-{index}-%s"
        if not item.problem.strip():
            errors.setdefault(key % "problem", []).append(_("Describe the problem to follow up."))
        if item.due_on < visited_on:
            errors.setdefault(key % "due_on", []).append(
                _("The due date cannot be before the visit date (%(date)s).") % {"date": visited_on}
            )
        if not (item.owner.is_active and may_own_follow_ups(item.owner, file)):
            errors.setdefault(key % "owner", []).append(
                _("%(name)s cannot work on this file: choose a caseworker whose branch holds it.")
                % {"name": item.owner.get_full_name()}
            )
        elif not _is_in_branch(item.owner, by):
            errors.setdefault(key % "owner", []).append(
                _("%(name)s is not in your unit's branch.") % {"name": item.owner.get_full_name()}
            )
    if errors:
        raise RuleBroken(errors)


def photo_check(upload: UploadedFile) -> CheckedUpload:
    """A visit photo checked by its content (signature, size, Pillow decoding, as every
    upload), or ValidationError: only JPEG, PNG or WebP images, not a PDF."""
    detected = upload_check_content(upload)
    if not detected.is_image:
        raise ValidationError(
            _("“%(name)s” is not a photo: only JPEG, PNG or WebP images can be added to a visit.")
            % {"name": upload.name},
            code="not_an_image",
        )
    size, digest = upload_measure(upload)
    return CheckedUpload(upload, detected.mime, size, digest)


def _check_photos(photos: list[UploadedFile]) -> list[CheckedUpload]:
    if len(photos) > MAX_PHOTOS_PER_VISIT:
        raise RuleBroken(
            {
                "photos": _("At most %(count)s photos can be added to one visit.")
                % {"count": MAX_PHOTOS_PER_VISIT}
            }
        )
    checked, problems = [], []
    for upload in photos:
        try:
            checked.append(photo_check(upload))
        except ValidationError as error:
            problems.extend(
                message if upload.name in message else f"{upload.name}: {message}"
                for message in error.messages
            )
    if problems:
        raise RuleBroken({"photos": problems})
    return checked


def _check_visit_allowed(
    file: HardshipFile, *, by: User, kind: str, visited_on: date, campaign, goods_value,
    cash_amount, goods, follow_ups,
) -> None:  # fmt: skip
    """What the file's status allows of this visit, checked on the locked file."""
    may_log_visit(by, file).enforce()
    if kind not in visit_kinds_for(file=file):
        raise RuleBroken({"kind": _("A household out of hardship gets phone calls only.")})
    _check_campaign(campaign, file=file, on=visited_on, rule=campaign_takes_visit)
    if follow_ups:
        may_raise_follow_up(by, file).enforce()
    if file.status != FileStatus.ON_FILE and (goods_value or cash_amount or goods.strip()):
        raise RuleBroken(
            _("Nothing is handed over to a household out of hardship: leave goods and money empty.")
        )


def visit_log(
    *,
    file: HardshipFile,
    by: User,
    visited_on: date,
    kind: str,
    visitors: list[User],
    cadres: list[Cadre],
    campaign: Campaign | None,
    findings: str,
    pressing_problems: str = "",
    solved_on_spot: str = "",
    goods: str = "",
    goods_value: Decimal = Decimal(0),
    cash_amount: Decimal = Decimal(0),
    people_reached: int = 1,
    follow_ups: Sequence[FollowUpInput] = (),
    photos: Sequence[UploadedFile] = (),
) -> Visit:
    """Log a visit to a household (走访慰问), with its follow-ups and photos, all or nothing.

    Which files take which visits is explained at the top of this module. The
    visit date is neither in the future nor before the file was entered; a
    follow-up is due on or after the visit date and owned by a caseworker who
    can work on the file; photos are checked by their bytes (JPEG, PNG, WebP).
    A campaign must be organised above the household's unit and running on
    the visit date; when the household is on that campaign's visit list, the
    list's row is marked visited by this visit (the first visit counts).

    Side effects: the Visit with its visitors and cadres; one FollowUp per
    item; one VisitPhoto per photo, its content written to the default storage
    (and removed again if the rows cannot be written); the campaign's
    VisitListRow of the household gets ``visit``. Raises RuleBroken (keyed by
    field; follow-up rows as ``follow_ups-<index>-<field>``) or PermissionDenied.
    """
    follow_ups, photos = list(follow_ups), list(photos)
    may_log_visit(by, file).enforce()
    if kind not in VisitKind.values:
        raise RuleBroken({"kind": _("Choose the kind of visit.")})
    _check_not_future(
        visited_on, field="visited_on", message=_("A visit cannot be dated in the future.")
    )
    if visited_on < _file_start(file):
        raise RuleBroken({"visited_on": _("The visit date cannot be before the file was entered.")})
    if not findings.strip():
        raise RuleBroken({"findings": _("Write down what was found at the visit.")})
    if not 1 <= people_reached <= MAX_PEOPLE:
        raise RuleBroken(
            {"people_reached": _("Give a number from 1 to %(max)s.") % {"max": MAX_PEOPLE}}
        )
    _check_money(goods_value, field="goods_value")
    _check_money(cash_amount, field="cash_amount")
    if goods_value and not goods.strip():
        raise RuleBroken({"goods": _("Say which goods were handed over.")})
    _check_people(by, visitors, cadres)
    _check_campaign(campaign, file=file, on=visited_on, rule=campaign_takes_visit)
    _check_follow_ups(by, file, visited_on, follow_ups)
    checked_photos = _check_photos(photos)
    stored: list[VisitPhoto] = []
    try:
        with transaction.atomic():
            file = _lock_file(file)
            _check_visit_allowed(
                file, by=by, kind=kind, visited_on=visited_on, campaign=campaign,
                goods_value=goods_value, cash_amount=cash_amount, goods=goods,
                follow_ups=follow_ups,
            )  # fmt: skip
            visit = Visit.objects.create(
                file=file,
                campaign=campaign,
                visited_on=visited_on,
                kind=kind,
                people_reached=people_reached,
                findings=findings.strip(),
                pressing_problems=pressing_problems.strip(),
                solved_on_spot=solved_on_spot.strip(),
                goods=goods.strip(),
                goods_value=goods_value,
                cash_amount=cash_amount,
                recorded_by=by,
            )
            visit.visitors.set(visitors)
            visit.cadres.set(cadres)
            FollowUp.objects.bulk_create(
                FollowUp(
                    file=file,
                    visit=visit,
                    problem=item.problem.strip(),
                    owner=item.owner,
                    due_on=item.due_on,
                    needs_return_visit=item.needs_return_visit,
                )
                for item in follow_ups
            )
            for checked in checked_photos:
                photo = VisitPhoto(visit=visit, uploaded_by=by)
                # Kept before saving, so a later failure of the visit removes its file too.
                stored.append(photo)
                upload_store(photo, checked)
            if campaign is not None:
                VisitListRow.objects.filter(
                    campaign=campaign, file=file, visit__isnull=True
                ).update(visit=visit)
    except BaseException:
        for photo in stored:
            photo.content.delete(save=False)
        raise
    return visit


# ====================================================================== follow-ups


def _lock_follow_up(follow_up: FollowUp) -> FollowUp:
    return (
        # Only the follow-up's own row: its visit is absent for a call after exit, and
        # PostgreSQL does not lock the nullable side of an outer join.
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("file__unit", "visit")
        .get(pk=follow_up.pk)
    )


@transaction.atomic
def follow_up_close(
    *, follow_up: FollowUp, by: User, resolution: str, return_visit: Visit | None = None
) -> FollowUp:
    """Close a follow-up as done (已办结), recording how it was resolved.

    When the follow-up asks for a return visit (回访), ``return_visit`` names
    it: a later visit to the same household (log it first, a phone call will
    do). Closing is allowed whatever the file's status now.
    Side effects: status, resolution, return visit, who closed it and when.
    """
    follow_up = _lock_follow_up(follow_up)
    may_close_follow_up(by, follow_up).enforce()
    if not resolution.strip():
        raise RuleBroken({"resolution": _("Write down how the problem was resolved.")})
    if return_visit is not None:
        if return_visit.file_id != follow_up.file_id:
            raise RuleBroken({"return_visit": _("The return visit must be to the same household.")})
        if return_visit.pk == follow_up.visit_id:
            raise RuleBroken(
                {"return_visit": _("The visit that raised the problem is not its return visit.")}
            )
        if return_visit.visited_on < follow_up.raised_on:
            raise RuleBroken(
                {
                    "return_visit": _("The return visit cannot be before %(date)s.")
                    % {"date": follow_up.raised_on}
                }
            )
    elif follow_up.needs_return_visit:
        raise RuleBroken(
            {
                "return_visit": _(
                    "This follow-up needs a return visit: log it (a phone call will do), then choose it here."
                )
            }
        )
    follow_up.status = FollowUpStatus.DONE
    follow_up.resolution = resolution.strip()
    follow_up.return_visit = return_visit
    follow_up.closed_by = by
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["status", "resolution", "return_visit", "closed_by", "closed_at"])
    return follow_up


@transaction.atomic
def follow_up_cancel(*, follow_up: FollowUp, by: User, reason: str) -> FollowUp:
    """Cancel an open follow-up (the household moved, the problem went away), with the reason.

    Side effects: status, reason, who cancelled it and when.
    """
    follow_up = _lock_follow_up(follow_up)
    may_cancel_follow_up(by, follow_up).enforce()
    if not reason.strip():
        raise RuleBroken({"reason": _("Give the reason for cancelling.")})
    follow_up.status = FollowUpStatus.CANCELLED
    follow_up.cancel_reason = reason.strip()
    follow_up.closed_by = by
    follow_up.closed_at = timezone.now()
    follow_up.save(update_fields=["status", "cancel_reason", "closed_by", "closed_at"])
    return follow_up


# ====================================================================== calls after an exit

# A call whose due date passed more than this many days before it would be created is not
# created: households that exited before these calls existed (or while the task was stopped
# for long) are not handed a pile of long-overdue calls.
AFTER_EXIT_GRACE_DAYS = 30


def months_after(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, on the month's last day when it is shorter
    (31 August + 6 months = 28 or 29 February; 29 February + 12 months = 28 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _after_exit_owner(
    file: HardshipFile, helper: User | None, unit_caseworker: User | None
) -> User | None:
    """Who calls a household after its exit.

    The union helper paired with it (结对帮扶), when their cadre signs in and may hold the
    file's follow-ups: they know the household, and keeping in touch after an exit is part of
    the pairing. Otherwise the caseworker who entered the file, who knew it from the start —
    not the approver who recorded the exit, who usually holds no caseworker role and could
    not close the follow-up. Otherwise any caseworker of the file's own unit.
    """
    for candidate in (helper, file.entered_by, unit_caseworker):
        if candidate is not None and candidate.is_active and may_own_follow_ups(candidate, file):
            return candidate
    return None


@transaction.atomic
def follow_ups_after_exit_create(*, today: date | None = None) -> int:
    """Create the calls (follow-ups) due six and twelve months after each household came out of
    hardship, those missing; run daily (``visits.create_follow_ups_after_exit``).

    Idempotent: a call of a kind exists once per exit (the ``one_call_of_a_kind_per_exit``
    constraint), so a second run, or two at once, add nothing. Files reopened since their exit
    are no longer exited and get none. Side effects: FollowUp rows; returns how many.
    """
    today = today or timezone.localdate()
    longest = max(AFTER_EXIT_MONTHS.values())
    oldest_exit = months_after(today, -longest) - timedelta(days=AFTER_EXIT_GRACE_DAYS)
    files = list(
        HardshipFile.objects.filter(
            status=FileStatus.EXITED, ended_on__gte=oldest_exit, ended_on__lte=today
        ).select_related("unit", "entered_by__unit")
    )
    if not files:
        return 0
    existing = set(
        FollowUp.objects.filter(file__in=files, kind__in=list(AFTER_EXIT_MONTHS)).values_list(
            "file_id", "kind", "exited_on"
        )
    )
    helpers = {
        pairing.file_id: pairing.cadre.user
        for pairing in Pairing.objects.filter(
            file__in=files,
            role=PairingRole.RESPONSIBLE_HELPER,
            ends_on__isnull=True,
            cadre__user__isnull=False,
        ).select_related("cadre__user__unit")
    }
    unit_caseworkers: dict[int, User] = {}
    for user in (
        User.objects.filter(
            unit_id__in={f.unit_id for f in files}, is_active=True, is_caseworker=True
        )
        .select_related("unit")
        .order_by("-pk")
    ):
        unit_caseworkers[user.unit_id] = user  # the earliest account of each unit wins
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for file in files:
            owner = _after_exit_owner(
                file, helpers.get(file.pk), unit_caseworkers.get(file.unit_id)
            )
            if owner is None:
                continue
            for kind, months in AFTER_EXIT_MONTHS.items():
                due = months_after(file.ended_on, months)
                if (file.pk, kind, file.ended_on) in existing:
                    continue
                if due < today - timedelta(days=AFTER_EXIT_GRACE_DAYS):
                    continue
                rows.append(
                    FollowUp(
                        file=file,
                        kind=kind,
                        exited_on=file.ended_on,
                        owner=owner,
                        due_on=due,
                        needs_return_visit=True,
                        problem=_(
                            "%(months)s months after the household came out of hardship (%(day)s): call to ask how it is doing, and whether it needs help again."
                        )
                        % {"months": months, "day": file.ended_on.isoformat()},
                    )
                )
    # Two runs at once: the unique constraint keeps one of each, the other is skipped.
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


# ====================================================================== help services

# The kinds whose own fields apply; every other kind leaves them empty.
TRAINING_KINDS = (HelpKind.TRAINING,)
RECOVERY_KINDS = (HelpKind.WAGE_ARREARS, HelpKind.LEGAL_AID)


def _check_help_fields(
    kind: str, training_hours: int | None, certificate: str, amount_recovered: Decimal | None
) -> None:
    errors: dict[str, str] = {}
    if kind in TRAINING_KINDS:
        if training_hours is None:
            errors["training_hours"] = _("Give the hours of training.")
        elif not 1 <= training_hours <= MAX_TRAINING_HOURS:
            errors["training_hours"] = _("Give a number of hours from 1 to %(max)s.") % {
                "max": MAX_TRAINING_HOURS
            }
    else:
        if training_hours is not None:
            errors["training_hours"] = _("Training hours are recorded for skills training only.")
        if certificate.strip():
            errors["certificate"] = _("A certificate is recorded for skills training only.")
    if kind in RECOVERY_KINDS:
        if kind == HelpKind.WAGE_ARREARS and amount_recovered is None:
            errors["amount_recovered"] = _("Give the wages recovered.")
        elif amount_recovered is not None and (
            amount_recovered < 0 or amount_recovered >= ABSURD_YUAN
        ):
            errors["amount_recovered"] = _("This amount is not plausible: check the figure.")
    elif amount_recovered is not None:
        errors["amount_recovered"] = _(
            "Wages recovered are recorded for legal aid and wage arrears only."
        )
    if errors:
        raise RuleBroken(errors)


@transaction.atomic
def help_service_record(
    *,
    file: HardshipFile,
    by: User,
    kind: str,
    provided_on: date,
    provider: str,
    campaign: Campaign | None = None,
    visit: Visit | None = None,
    person_times: int = 1,
    outcome: str = "",
    training_hours: int | None = None,
    certificate: str = "",
    amount_recovered: Decimal | None = None,
) -> HelpService:
    """Record help beyond money (帮扶服务) given to a household, counted in person-times.

    Which files take help is explained at the top of this module. Training
    records its hours (and certificate); wage arrears the wages recovered
    (legal aid may too). When the help came from a visit, it is a visit to the
    same household on or before the help, and the campaign is the visit's.
    Side effects: one HelpService row.
    """
    file = _lock_file(file)
    may_record_help(by, file).enforce()
    if file.status == FileStatus.EXITED and (file.ended_on is None or provided_on > file.ended_on):
        raise RuleBroken(
            {
                "provided_on": _(
                    "The household left the record on %(date)s: only help given until then can be recorded."
                )
                % {"date": file.ended_on}
            }
        )
    if kind not in HelpKind.values:
        raise RuleBroken({"kind": _("Choose the kind of help.")})
    _check_not_future(
        provided_on, field="provided_on", message=_("The date cannot be in the future.")
    )
    if provided_on < _file_start(file):
        raise RuleBroken({"provided_on": _("The date cannot be before the file was entered.")})
    if not provider.strip():
        raise RuleBroken({"provider": _("Say who provided the help.")})
    if not 1 <= person_times <= MAX_PEOPLE:
        raise RuleBroken(
            {"person_times": _("Give a number from 1 to %(max)s.") % {"max": MAX_PEOPLE}}
        )
    _check_help_fields(kind, training_hours, certificate, amount_recovered)
    if visit is not None:
        if visit.file_id != file.pk:
            raise RuleBroken({"visit": _("The visit must be to the same household.")})
        if visit.visited_on > provided_on:
            raise RuleBroken(
                {
                    "visit": _("The help cannot come before the visit it came from (%(date)s).")
                    % {"date": visit.visited_on}
                }
            )
        if campaign is None:
            campaign = visit.campaign
        elif visit.campaign_id not in (None, campaign.pk):
            raise RuleBroken(
                {"campaign": _("The visit belongs to another campaign: %(name)s.")
                 % {"name": visit.campaign}}
            )  # fmt: skip
    _check_campaign(campaign, file=file, on=provided_on)
    return HelpService.objects.create(
        file=file,
        kind=kind,
        provided_on=provided_on,
        provider=provider.strip(),
        campaign=campaign,
        visit=visit,
        person_times=person_times,
        outcome=outcome.strip(),
        training_hours=training_hours,
        certificate=certificate.strip(),
        amount_recovered=amount_recovered,
        recorded_by=by,
    )
