"""Yearly spot checks (抽查): an approver draws a random share of the branch's files on record
to be verified again; the sample is a queue whose progress shows.

The draw is reproducible: files are ordered by ``md5(seed || id)`` and the first
``ceil(fraction × n)`` taken, so the recorded seed gives the same sample again.
"""

import secrets
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from common.rules import ALLOWED, Decision, refuse
from hardship.choices import FileStatus
from hardship.models import HardshipFile, SpotCheck, SpotCheckFile
from people.access import is_in_branch, may_act_as, scope_to_user
from people.models import Role, UnionUnit, User

DEFAULT_FRACTION = Decimal("0.30")


def may_draw_spot_check(user: User, unit: UnionUnit) -> Decision:
    """Whether ``user`` may draw this year's spot check of ``unit``: an approver of its branch."""
    decision = may_act_as(user, Role.APPROVER)
    if not decision:
        return decision
    if not is_in_branch(user, unit):
        return refuse(_("This unit is not in your branch."), denied=True)
    return ALLOWED


def may_verify_spot_check_file(user: User, entry: SpotCheckFile) -> Decision:
    """Whether ``user`` may record that a sampled file was verified again."""
    decision = may_act_as(user, Role.CASEWORKER, Role.APPROVER)
    if not decision:
        return decision
    if not is_in_branch(user, entry.spot_check.unit):
        return refuse(_("This unit is not in your branch."), denied=True)
    if entry.verified_at is not None:
        return refuse(_("This file has already been verified again."))
    return ALLOWED


@transaction.atomic
def spot_check_draw(
    *, unit: UnionUnit, by: User, fraction: Decimal | None = None, seed: str | None = None
) -> SpotCheck:
    """Draw this year's spot check of ``unit``'s branch.

    Side effects: one SpotCheck row, and one SpotCheckFile row per sampled file,
    written by one INSERT … SELECT. ``seed`` repeats an earlier draw (audits).
    """
    may_draw_spot_check(by, unit).enforce()
    fraction = DEFAULT_FRACTION if fraction is None else Decimal(fraction)
    if not Decimal("0") < fraction <= Decimal("1"):
        raise RuleBroken({"fraction": _("Choose a share between 1% and 100%.")})
    try:
        with transaction.atomic():
            spot_check = SpotCheck.objects.create(
                unit=unit,
                year=timezone.localdate().year,
                fraction=fraction,
                seed=seed or secrets.token_hex(16),
                drawn_by=by,
                drawn_at=timezone.now(),
            )
    except IntegrityError:
        raise RuleBroken(
            _("This unit's spot check for this year has already been drawn.")
        ) from None
    files = HardshipFile._meta.db_table
    units = UnionUnit._meta.db_table
    entries = SpotCheckFile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH candidates AS (
                SELECT f.id FROM {files} f JOIN {units} u ON u.id = f.unit_id
                WHERE f.status = %(on_file)s AND starts_with(u.path, %(path)s)
            )
            INSERT INTO {entries} (spot_check_id, file_id)
            SELECT %(spot_check)s, id FROM candidates
            ORDER BY md5(%(seed)s || id::text), id
            LIMIT (SELECT ceil(%(fraction)s * count(*))::int FROM candidates)
            """,  # noqa: S608 -- table names come from the models, values are parameters
            {
                "on_file": FileStatus.ON_FILE,
                "path": unit.path,
                "spot_check": spot_check.pk,
                "seed": spot_check.seed,
                "fraction": fraction,
            },
        )
    return spot_check


@transaction.atomic
def spot_check_file_verify(*, entry: SpotCheckFile, by: User) -> SpotCheckFile:
    """Record that a sampled file was verified again. Side effects: the entry's two fields."""
    may_verify_spot_check_file(by, entry).enforce()
    now = timezone.now()
    claimed = SpotCheckFile.objects.filter(pk=entry.pk, verified_at__isnull=True).update(
        verified_at=now, verified_by=by
    )
    if claimed != 1:
        raise RuleBroken(_("This file has already been verified again."))
    entry.verified_at, entry.verified_by = now, by
    return entry


def spot_checks_for_user(*, user: User) -> QuerySet[SpotCheck]:
    """Spot checks of units in ``user``'s branch."""
    return scope_to_user(SpotCheck.objects.all(), user=user, unit_path="unit__path")


def spot_check_progress(spot_check: SpotCheck) -> dict:
    """How many sampled files there are, and how many are verified again."""
    return spot_check.entries.aggregate(
        total=Count("pk"), verified=Count("pk", filter=Q(verified_at__isnull=False))
    )
