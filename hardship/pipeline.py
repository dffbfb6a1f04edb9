"""The steps between verification and approval as unions run them: the unit's settings (inherited
down the tree), working days by the holiday calendar, and what still holds a file back.

Reads only; the writes are in hardship/notices.py and hardship/checks.py.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from hardship.models import (
    CalendarDay,
    FileTransition,
    FinanceCheck,
    HardshipFile,
    Objection,
    PipelineSettings,
    PublicNotice,
    PublicNoticeEntry,
)
from people.models import UnionUnit

# Where no unit above sets them. Five working days is the usual practice of 公示.
DEFAULT_NOTICE_DAYS = 5
DEFAULT_MINIMUM_DAYS = 5
# The check centre's request layout when no unit sets one (column keys of hardship.checks).
DEFAULT_CHECK_COLUMNS = ["number", "name", "id_number", "relation", "worker_name", "file_number"]
# The longest window a notice may have, in working days.
MAXIMUM_NOTICE_DAYS = 60


@dataclass(frozen=True)
class UnitPipeline:
    """A unit's settings as they apply, each inherited from the nearest unit that sets it."""

    notice_for_new_files: bool = True
    notice_for_grants: bool = True
    notice_default_days: int = DEFAULT_NOTICE_DAYS
    notice_minimum_days: int = DEFAULT_MINIMUM_DAYS
    check_columns: tuple[str, ...] = tuple(DEFAULT_CHECK_COLUMNS)


def pipeline_settings_for(unit: UnionUnit) -> UnitPipeline:
    """The settings that apply to ``unit``: its own, else those of the nearest unit above that
    sets each one, else the defaults. One query, whatever the depth of the tree.

    A unit's minimum never falls below one set above it.
    """
    chain = [*unit.ancestor_ids, unit.pk]
    depth = {pk: index for index, pk in enumerate(chain)}
    rows = sorted(
        PipelineSettings.objects.filter(unit_id__in=chain), key=lambda row: depth[row.unit_id]
    )
    values: dict = {}
    minimums = [row.notice_minimum_days for row in rows if row.notice_minimum_days is not None]
    # A unit may raise the minimum of the units above it, never lower it.
    minimum = max(minimums) if minimums else DEFAULT_MINIMUM_DAYS
    for row in rows:  # from the top down: a lower unit's setting wins
        for name in ("notice_for_new_files", "notice_for_grants", "notice_default_days"):
            if getattr(row, name) is not None:
                values[name] = getattr(row, name)
        if row.check_columns:
            values["check_columns"] = tuple(row.check_columns)
    values["notice_minimum_days"] = minimum
    values["notice_default_days"] = max(
        values.get("notice_default_days", DEFAULT_NOTICE_DAYS), minimum
    )
    return UnitPipeline(**values)


# ====================================================================== working days


def is_working_day(day: date, *, holidays: set[date], adjusted: set[date]) -> bool:
    """Monday to Friday unless a holiday; a weekend day only when worked in exchange."""
    if day in adjusted:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def working_days_end(start: date, count: int, *, holidays: set[date], adjusted: set[date]) -> date:
    """The ``count``-th working day counting from ``start`` (included when it is one)."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day = start
    seen = 0
    while True:
        if is_working_day(day, holidays=holidays, adjusted=adjusted):
            seen += 1
            if seen == count:
                return day
        day += timedelta(days=1)


def notice_end(start: date, working_days: int) -> date:
    """The last day of a notice starting on ``start`` for ``working_days``, by the calendar
    administrators keep (one query over the weeks it can span)."""
    rows = CalendarDay.objects.filter(
        day__gte=start, day__lte=start + timedelta(days=working_days * 3 + 30)
    ).values_list("day", "is_working_day")
    holidays = {day for day, worked in rows if not worked}
    adjusted = {day for day, worked in rows if worked}
    return working_days_end(start, working_days, holidays=holidays, adjusted=adjusted)


# ====================================================================== what holds a file back


def mask_name(name: str) -> str:
    """The name as a notice board shows it: its middle masked (张*国, 李*, 欧阳**明)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def latest_entry(file: HardshipFile, kind: str) -> PublicNoticeEntry | None:
    """The file's latest place on a notice of ``kind``."""
    return (
        PublicNoticeEntry.objects.filter(file=file, notice__kind=kind)
        .select_related("notice")
        .order_by("-id")
        .first()
    )


def entry_hold(entry: PublicNoticeEntry | None, *, today: date | None = None) -> str:
    """Why ``entry``'s notice does not (yet) let its household through, or "" when it has
    closed clean."""
    if entry is None:
        return _("The unit asks for a public notice first: put the household on a notice.")
    today = today or timezone.localdate()
    if today <= entry.notice.ends_on:
        return _("The public notice runs until %(day)s: wait until it has closed.") % {
            "day": entry.notice.ends_on.isoformat()
        }
    # Through .all(), so a caller paying many grants at once reads them prefetched.
    decisions = {objection.decision for objection in entry.objections.all()}
    if "" in decisions:
        return _("An objection to the public notice waits for an approver's decision.")
    if decisions - {Objection.Decision.DISMISSED}:
        return _("An objection was upheld: a new public notice is needed.")
    return ""


def notice_hold_on_approval(file: HardshipFile) -> str:
    """Why the public notice keeps ``file`` from being approved, or "" when it does not.

    A reopened file needs a notice started since it was reopened: the one it passed before
    its household exited speaks of another time.
    """
    if not pipeline_settings_for(file.unit).notice_for_new_files:
        return ""
    entry = latest_entry(file, PublicNotice.Kind.NEW_FILES)
    if entry is not None:
        reopened_at = (
            file.transitions.filter(action=FileTransition.Action.REOPEN)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        if reopened_at is not None and entry.notice.created_at < reopened_at:
            entry = None
    return entry_hold(entry)


def check_hold_on_approval(file: HardshipFile) -> str:
    """Why the civil-affairs check keeps ``file`` from being approved, or "" when it does not:
    a check whose result found a mismatch waits for an approver's decision."""
    latest = file.finance_checks.order_by("-requested_at", "-id").first()
    if latest is None:
        return ""
    if latest.status == FinanceCheck.Status.REQUESTED:
        return _("The civil-affairs check has been requested: wait for its result.")
    if latest.mismatch and not latest.decision:
        return _(
            "The civil-affairs check found a mismatch with the file: an approver decides first."
        )
    return ""
