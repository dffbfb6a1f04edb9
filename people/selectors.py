"""Reads: the union-unit tree, always through the user's scope; who may change an account."""

from collections.abc import Iterable

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from common.rules import ALLOWED, Decision, refuse
from people.access import scope_to_user, units_visible_to
from people.models import AccountEvent, Role, UnionUnit, User


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


# ---------------------------------------------------------------- separation of duties

# The fields of an account nobody may change on their own account: what they may do, where,
# and whether they may sign in at all.
SELF_PROTECTED_FIELDS = frozenset(
    {"is_caseworker", "is_approver", "is_viewer", "is_unit_admin", "is_superuser", "unit",
     "is_active"}
)  # fmt: skip


def second_factor_required(user: User) -> bool:
    """Whether ``user`` signs in with a second factor: superusers and unit administrators, who
    can change other people's accounts."""
    return user.is_authenticated and user.is_active and (user.is_superuser or user.is_unit_admin)


def may_manage_account(by: User, account: User) -> Decision:
    """Whether ``by`` may change ``account`` in administration: superusers any account, a unit
    administrator the accounts of their branch other than superusers'."""
    if by.is_superuser and by.is_active:
        return ALLOWED
    if not by.has_role(Role.UNIT_ADMIN) or by.unit_id is None:
        return refuse(_("Only a unit administrator may do this."), denied=True)
    if account.is_superuser:
        return refuse(_("Only a superuser may change a superuser's account."), denied=True)
    if account.unit_id is None or not account.unit.is_in_branch_of(by.unit):
        return refuse(_("This is not in your unit's branch."), denied=True)
    return ALLOWED


def may_change_account(by: User, account: User, *, fields: Iterable[str]) -> Decision:
    """Whether ``by`` may change ``fields`` of ``account``: nobody changes their own roles,
    unit or activity, so nobody grants themselves what a colleague must grant."""
    if by.pk == account.pk and SELF_PROTECTED_FIELDS & set(fields):
        return refuse(
            _("Nobody changes their own roles, unit or activity: ask another administrator."),
            denied=True,
        )
    return may_manage_account(by, account)


def may_send_password_link(by: User, account: User) -> Decision:
    """Whether ``by`` may send ``account`` a one-time link to set a password: an administrator
    of the account, for someone else, who can sign in and has an email address."""
    managed = may_manage_account(by, account)
    if not managed:
        return managed
    if by.pk == account.pk:
        return refuse(_("Change your own password on your own page (My profile)."))
    if not account.is_active:
        return refuse(_("%(user)s cannot sign in: the account is inactive.") % {"user": account})
    if not account.email:
        return refuse(
            _("%(user)s has no email address: add one first, then send the link.")
            % {"user": account}
        )
    return ALLOWED


def account_events_for_user(*, user: User) -> QuerySet[AccountEvent]:
    """The account changes ``user`` may read: those of accounts in their branch, or that left
    it; superusers' accounts only for superusers."""
    events = AccountEvent.objects.select_related("user", "actor", "unit", "previous_unit")
    if user.is_superuser and user.is_active:
        return events
    if not user.has_role(Role.UNIT_ADMIN):
        return events.none()
    return (
        scope_to_user(events, user=user, unit_path="unit__path")
        | scope_to_user(events, user=user, unit_path="previous_unit__path")
    ).filter(user__is_superuser=False)
