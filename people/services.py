"""Writes: the union-unit tree and its users.

Each public function is one transaction, takes keyword arguments, and lists
its side effects.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from people.models import UnionUnit, User


def union_unit_check_parent(*, level: int, parent: UnionUnit | None, unit: UnionUnit | None = None):
    """Raise ValidationError (on ``parent``) unless ``parent`` may hold a unit of ``level``.

    Only the national federation stands without a parent; a parent sits at a
    higher level than its child; a unit cannot move under its own branch.
    """
    if parent is None:
        if level != UnionUnit.Level.NATIONAL:
            raise ValidationError(
                {"parent": _("Every unit below the national federation needs a parent unit.")}
            )
        return
    if unit is not None and unit.pk is not None and parent.is_in_branch_of(unit):
        raise ValidationError(
            {"parent": _("A unit cannot be moved under itself or its own branch.")}
        )
    if parent.level >= level:
        raise ValidationError(
            {
                "parent": _("The parent unit must be at a higher level than %(level)s.")
                % {"level": UnionUnit.Level(level).label}
            }
        )


@transaction.atomic
def union_unit_create(
    *, name: str, code: str, level: int, parent: UnionUnit | None, division_code: str = ""
) -> UnionUnit:
    """Create a unit under ``parent``.

    Side effects: two writes, the row and then its materialized path, which
    needs the new primary key.
    """
    union_unit_check_parent(level=level, parent=parent)
    unit = UnionUnit(
        name=name,
        code=code,
        level=level,
        parent=parent,
        division_code=division_code,
        path=f"/new-{code}/",
    )
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def union_unit_move(*, unit: UnionUnit, new_parent: UnionUnit) -> UnionUnit:
    """Move ``unit`` and its whole branch under ``new_parent``.

    Side effects: rewrites the path of every unit in the branch in one UPDATE,
    so everything scoped to the branch (users, files) follows the move.
    """
    unit = UnionUnit.objects.select_for_update().get(pk=unit.pk)
    union_unit_check_parent(level=unit.level, parent=new_parent, unit=unit)
    old_prefix = unit.path
    new_prefix = f"{new_parent.path}{unit.pk}/"
    UnionUnit.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
    )
    UnionUnit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    return unit


def user_sync_staff_flag(*, user: User) -> None:
    """Let unit administrators (and superusers) into the administration site, no one else.

    Side effects: none; sets ``is_staff`` on the unsaved instance.
    """
    user.is_staff = user.is_superuser or user.is_unit_admin


def user_language_set(*, user: User, language: str) -> User:
    """Set the language of the emails ``user`` receives. Side effects: the user's ``language``."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"unknown language: {language!r}")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
