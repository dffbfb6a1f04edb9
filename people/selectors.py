"""Reads: the union-unit tree, always through the user's scope."""

from django.db.models import Count, QuerySet

from people.access import units_visible_to
from people.models import UnionUnit, User


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
