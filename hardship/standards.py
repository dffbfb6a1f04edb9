"""The local minimum living standard (低保标准), kept by the unit administrators of a branch.

A unit administrator keeps the standards of the divisions their branch's units serve (each
unit's administrative-division code): a county's administrator its county's code and its
townships', never a sibling county's. Every change is kept with who made it
(``MinimumLivingStandardEvent``); the list page shows the latest.
"""

from decimal import Decimal

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from common.history import Change, recent_changes
from common.rules import ALLOWED, Decision, refuse
from hardship.models import ABSURD_YUAN, MinimumLivingStandard, MinimumLivingStandardEvent
from people.access import may_act_as, units_visible_to
from people.models import Role, User


def division_codes_for_user(user: User) -> dict[str, str]:
    """The division codes of ``user``'s branch, each with the name of a unit that serves it."""
    codes: dict[str, str] = {}
    for code, name in (
        units_visible_to(user)
        .exclude(division_code="")
        .order_by("path")
        .values_list("division_code", "name")
    ):
        codes.setdefault(code, name)
    return codes


def living_standards_for_user(*, user: User) -> QuerySet[MinimumLivingStandard]:
    """The standards of the divisions ``user``'s branch serves (superusers: all)."""
    if user.is_superuser:
        return MinimumLivingStandard.objects.all()
    return MinimumLivingStandard.objects.filter(
        division_code__in=units_visible_to(user).exclude(division_code="").values("division_code")
    )


def get_living_standard_for_user(*, user: User, pk) -> MinimumLivingStandard:
    """One standard of ``user``'s branch, or 404 for "missing" and "not yours" alike."""
    try:
        return get_object_or_404(living_standards_for_user(user=user), pk=pk)
    except (ValueError, TypeError) as not_an_id:
        raise Http404 from not_an_id


def may_keep_living_standard(user: User, division_code: str | None = None) -> Decision:
    """Add or correct the 低保 standard of ``division_code`` (without one: any of the
    branch's): a unit administrator whose branch serves that division."""
    if not (decision := may_act_as(user, Role.UNIT_ADMIN)):
        return decision
    if user.is_superuser:
        return ALLOWED
    codes = division_codes_for_user(user)
    if not codes:
        return refuse(
            _("No unit of your branch has an administrative-division code: set one first."),
        )
    if division_code is not None and division_code not in codes:
        return refuse(_("This division is not served by your unit's branch."), denied=True)
    return ALLOWED


def _check_amounts(urban_monthly: Decimal, rural_monthly: Decimal) -> None:
    errors = {}
    for name, amount in (("urban_monthly", urban_monthly), ("rural_monthly", rural_monthly)):
        if amount is None or amount <= 0 or amount >= ABSURD_YUAN:
            errors[name] = _("Give an amount above 0 yuan.")
    if errors:
        raise RuleBroken(errors)


@transaction.atomic
def living_standard_add(
    *,
    by: User,
    division_code: str,
    year: int,
    urban_monthly: Decimal,
    rural_monthly: Decimal,
) -> MinimumLivingStandard:
    """A unit administrator sets the 低保 standard of a division of their branch for a year.

    Side effects: the standard row, and its history row naming ``by``.
    """
    may_keep_living_standard(by, division_code).enforce()
    _check_amounts(urban_monthly, rural_monthly)
    if MinimumLivingStandard.objects.filter(division_code=division_code, year=year).exists():
        raise RuleBroken(
            {"year": _("This division has a standard for this year already: correct that one.")}
        )
    with pghistory.context(user=by.pk):
        try:
            with transaction.atomic():
                return MinimumLivingStandard.objects.create(
                    division_code=division_code,
                    year=year,
                    urban_monthly=urban_monthly,
                    rural_monthly=rural_monthly,
                )
        except IntegrityError as taken:  # added by someone else meanwhile
            raise RuleBroken(
                {"year": _("This division has a standard for this year already: correct that one.")}
            ) from taken


@transaction.atomic
def living_standard_correct(
    *,
    standard: MinimumLivingStandard,
    by: User,
    urban_monthly: Decimal,
    rural_monthly: Decimal,
) -> MinimumLivingStandard:
    """A unit administrator corrects a standard of their branch (its amounts; the division
    and year are what it is).

    Side effects: the standard's amounts, and a history row naming ``by`` with old → new.
    Households already assessed keep their assessment until it is made again.
    """
    standard = MinimumLivingStandard.objects.select_for_update().get(pk=standard.pk)
    may_keep_living_standard(by, standard.division_code).enforce()
    _check_amounts(urban_monthly, rural_monthly)
    standard.urban_monthly = urban_monthly
    standard.rural_monthly = rural_monthly
    with pghistory.context(user=by.pk):
        standard.save(update_fields=["urban_monthly", "rural_monthly"])
    return standard


def living_standard_changes(*, user: User, limit: int = 20) -> list[Change]:
    """The latest changes of the standards of ``user``'s branch: who, when, old → new."""
    events = MinimumLivingStandardEvent.objects.all()
    if not user.is_superuser:
        events = events.filter(
            division_code__in=units_visible_to(user)
            .exclude(division_code="")
            .values("division_code")
        )
    return recent_changes(
        events,
        fields=["urban_monthly", "rural_monthly"],
        subject=lambda e: f"{e.division_code} · {e.year}",
        limit=limit,
    )
