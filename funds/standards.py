"""Schooling-grant standards (金秋助学 grant per school stage), kept by unit administrators.

A unit administrator keeps the grants of the campaigns organised in their branch (by their
unit or a unit below it), never a sibling branch's. Every change is kept with who made it
(``SchoolingStandardEvent``); the list page shows the latest. Grants already proposed keep
the amount they were proposed with.
"""

from decimal import Decimal

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import RuleBroken
from common.history import Change, recent_changes
from common.rules import ALLOWED, Decision, refuse
from funds.models import LARGEST_AMOUNT, SchoolingStandard, SchoolingStandardEvent
from hardship.choices import SchoolStage
from people.access import is_in_branch, may_act_as, scope_to_user
from people.models import Role, User
from visits.models import Campaign


def standard_campaigns_for_user(*, user: User) -> QuerySet[Campaign]:
    """The campaigns whose grants ``user`` may keep: organised in their branch."""
    return scope_to_user(
        Campaign.objects.select_related("organiser"), user=user, unit_path="organiser__path"
    )


def schooling_standards_for_user(*, user: User) -> QuerySet[SchoolingStandard]:
    return scope_to_user(
        SchoolingStandard.objects.select_related("campaign__organiser"),
        user=user,
        unit_path="campaign__organiser__path",
    )


def get_schooling_standard_for_user(*, user: User, pk) -> SchoolingStandard:
    """One grant of ``user``'s branch, or 404 for "missing" and "not yours" alike."""
    try:
        return get_object_or_404(schooling_standards_for_user(user=user), pk=pk)
    except (ValueError, TypeError) as not_an_id:
        raise Http404 from not_an_id


def may_keep_schooling_standard(user: User, campaign: Campaign | None = None) -> Decision:
    """Add or correct a schooling grant of ``campaign`` (without one: of any campaign of the
    branch): a unit administrator of the branch that organises it."""
    if not (decision := may_act_as(user, Role.UNIT_ADMIN)):
        return decision
    if campaign is not None and not is_in_branch(user, campaign.organiser):
        return refuse(_("This campaign is not organised in your unit's branch."), denied=True)
    return ALLOWED


def _check_amount(amount: Decimal) -> None:
    if amount is None or amount <= 0 or amount > LARGEST_AMOUNT:
        raise RuleBroken({"amount": _("Give an amount above 0 yuan.")})


_TAKEN = gettext_lazy("This campaign has a grant for this school stage already: correct that one.")


@transaction.atomic
def schooling_standard_add(
    *, by: User, campaign: Campaign, school_stage: str, amount: Decimal
) -> SchoolingStandard:
    """A unit administrator sets the grant of a school stage in a campaign of their branch.

    Side effects: the standard row, and its history row naming ``by``.
    """
    may_keep_schooling_standard(by, campaign).enforce()
    if school_stage not in SchoolStage.values or school_stage == SchoolStage.NONE:
        raise RuleBroken({"school_stage": _("Choose a school stage.")})
    _check_amount(amount)
    if SchoolingStandard.objects.filter(campaign=campaign, school_stage=school_stage).exists():
        raise RuleBroken({"school_stage": str(_TAKEN)})
    with pghistory.context(user=by.pk):
        try:
            with transaction.atomic():
                return SchoolingStandard.objects.create(
                    campaign=campaign, school_stage=school_stage, amount=amount
                )
        except IntegrityError as taken:  # added by someone else meanwhile
            raise RuleBroken({"school_stage": str(_TAKEN)}) from taken


@transaction.atomic
def schooling_standard_correct(
    *, standard: SchoolingStandard, by: User, amount: Decimal
) -> SchoolingStandard:
    """A unit administrator corrects a grant of their branch (its amount).

    Side effects: the amount, and a history row naming ``by`` with old → new.
    """
    standard = (
        SchoolingStandard.objects.select_for_update(of=("self",))
        .select_related("campaign__organiser")
        .get(pk=standard.pk)
    )
    may_keep_schooling_standard(by, standard.campaign).enforce()
    _check_amount(amount)
    standard.amount = amount
    with pghistory.context(user=by.pk):
        standard.save(update_fields=["amount"])
    return standard


def schooling_standard_changes(*, user: User, limit: int = 20) -> list[Change]:
    """The latest changes of the grants of ``user``'s branch: who, when, old → new."""
    events = scope_to_user(
        SchoolingStandardEvent.objects.select_related("campaign"),
        user=user,
        unit_path="campaign__organiser__path",
    )
    return recent_changes(
        events,
        fields=["amount"],
        subject=lambda e: f"{e.campaign.name} · {e.get_school_stage_display()}",
        limit=limit,
    )
