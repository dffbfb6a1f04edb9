"""Reads of the union-unit tree. Callers pass querysets already scoped to the user."""

from django.db.models import Count, QuerySet

from hardship.access import units_visible_to
from hardship.choices import ACTIVE_STATUSES
from hardship.models import HardshipFile, MinimumLivingStandard, UnionUnit, User


def unit_branch(*, unit: UnionUnit) -> QuerySet[UnionUnit]:
    """``unit`` and every unit below it, by an indexed prefix scan of the path."""
    return UnionUnit.objects.filter(path__startswith=unit.path)


def unit_children_for_user(*, unit: UnionUnit, user: User) -> QuerySet[UnionUnit]:
    """The child units of ``unit`` that ``user`` may see, each with its number of children."""
    return (
        units_visible_to(user)
        .filter(parent=unit)
        .annotate(child_count=Count("children"))
        .order_by("code")
    )


def unit_trail_for_user(*, unit: UnionUnit, user: User) -> list[UnionUnit]:
    """The units from the top of ``user``'s branch down to ``unit``, for breadcrumbs."""
    trail = units_visible_to(user).filter(pk__in=unit.ancestor_ids)
    return [*sorted(trail, key=lambda u: len(u.path)), unit]


# ====================================================================== hardship files


def minimum_living_standard_for(*, division_code: str, year: int) -> MinimumLivingStandard | None:
    """The most specific standard for ``division_code`` in ``year`` (or the latest before it).

    A 9- or 12-digit township code falls back to its county's six digits, then
    the city's (``4201xx`` → ``420100``) and the province's (``420000``).
    """
    code = division_code or ""
    candidates = [
        c for c in (code, code[:9], code[:6], code[:4] + "00", code[:2] + "0000") if len(c) >= 6
    ]
    rows = list(
        MinimumLivingStandard.objects.filter(division_code__in=candidates, year__lte=year).order_by(
            "-year"
        )
    )
    if not rows:
        return None
    latest_year = rows[0].year
    specificity = {c: i for i, c in enumerate(dict.fromkeys(candidates))}
    return min(
        (r for r in rows if r.year == latest_year), key=lambda r: specificity[r.division_code]
    )


def active_file_holding_id(
    *, id_hash: str, exclude_file_id: int | None = None
) -> HardshipFile | None:
    """An active file anywhere in the country whose worker or a member has this ID number.

    Deliberately not scoped to the user: one household has one file nationwide.
    Callers may show only the holding unit's name, nothing else of the file.
    """
    if not id_hash:
        return None
    as_worker = HardshipFile.objects.filter(id_hash=id_hash, status__in=ACTIVE_STATUSES)
    as_member = HardshipFile.objects.filter(members__id_hash=id_hash, status__in=ACTIVE_STATUSES)
    if exclude_file_id is not None:
        as_worker = as_worker.exclude(pk=exclude_file_id)
        as_member = as_member.exclude(pk=exclude_file_id)
    return (as_worker.select_related("unit").first()) or (as_member.select_related("unit").first())


def files_with_same_name_and_birth_date(
    *, name: str, birth_date, exclude_file_id: int | None = None
) -> QuerySet[HardshipFile]:
    """Near matches across the country, for a warning before saving (not a refusal)."""
    queryset = HardshipFile.objects.filter(name=name, birth_date=birth_date).select_related("unit")
    if exclude_file_id is not None:
        queryset = queryset.exclude(pk=exclude_file_id)
    return queryset.order_by("-created_at")[:5]
