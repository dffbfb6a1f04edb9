"""Schooling grants (金秋助学) on a public notice (公示) before they are paid.

Where the paying unit asks for it (``notice_for_grants``), a grant is paid only once its
notice has closed with no objection undecided or upheld (``funds.selectors.grant_notice_passed``
inside ``may_pay_payment``). The notice itself, its objections and its printed sheet are
hardship's (``hardship.notices``); this module chooses the grants and links them to it.
"""

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from funds.choices import DisbursementStatus, Purpose
from funds.models import Disbursement
from funds.selectors import disbursements_visible_to
from hardship.models import PublicNotice
from hardship.notices import UPHELD, NoticeLine, public_notice_create
from people.models import UnionUnit, User


def grants_awaiting_notice(*, user: User) -> QuerySet[Disbursement]:
    """Schooling grants of ``user``'s branch, proposed or approved, on no notice yet (or whose
    notice had an objection upheld)."""
    return (
        disbursements_visible_to(user)
        .filter(
            purpose=Purpose.SCHOOLING,
            status__in=[DisbursementStatus.PROPOSED, DisbursementStatus.APPROVED],
        )
        .filter(Q(notice_entry__isnull=True) | Q(notice_entry__objections__decision__in=UPHELD))
        .select_related("student", "file__unit")
        .distinct()
        .order_by("unit__path", "pk")
    )


def grant_reason(grant: Disbursement) -> str:
    """What a notice board says of a grant: the stage the student is at, not who they are."""
    return _("Schooling grant: a child at %(stage)s") % {"stage": grant.get_school_stage_display()}


@transaction.atomic
def grant_notice_start(
    *,
    by: User,
    unit: UnionUnit,
    grants: list[Disbursement],
    starts_on: date,
    working_days: int,
    where_to_object: str,
) -> PublicNotice:
    """Put schooling grants on a public notice of ``unit``, with their amounts.

    Side effects: those of ``hardship.notices.public_notice_create``; each grant linked to
    its line on the notice.
    """
    grants = list(
        Disbursement.objects.select_for_update(of=("self",))
        .select_related("file__unit")
        .filter(pk__in=[grant.pk for grant in grants])
        .order_by("pk")
    )
    waiting = set(
        grants_awaiting_notice(user=by)
        .filter(pk__in=[g.pk for g in grants])
        .values_list("pk", flat=True)
    )
    refused = [g for g in grants if g.pk not in waiting]
    if refused:
        raise RuleBroken(
            {
                "grants": [
                    _("%(name)s: this grant is not waiting for a notice.") % {"name": g.file.name}
                    for g in refused
                ]
            }
        )
    notice = public_notice_create(
        by=by,
        unit=unit,
        kind=PublicNotice.Kind.GRANTS,
        starts_on=starts_on,
        working_days=working_days,
        where_to_object=where_to_object,
        lines=[NoticeLine(file=g.file, reason=grant_reason(g), amount=g.amount) for g in grants],
    )
    for grant, entry in zip(grants, notice.entries.order_by("id"), strict=True):
        grant.notice_entry = entry
        grant.save(update_fields=["notice_entry"])
    return notice
