"""Access to data by the union-unit tree, failing closed.

A caseworker is responsible for their unit and the units below it, never for a
sibling's. Every queryset a user reaches is narrowed by ``scope_to_user`` (or
its shorthand ``units_visible_to``), and every object a URL names is fetched
with ``get_object_for_user``, which answers 404 for "missing" and "not yours"
alike, so a guessed id reveals nothing.

Every view must also declare its access rule with one of the decorators below.
``AccessRuleMiddleware`` refuses to run a view that declares none, so a view
added without thought is unreachable rather than open; tests walk every URL
pattern to catch it before it ships.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from common.rules import ALLOWED, Decision, refuse
from people.models import Role, UnionUnit, User

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

ACCESS_RULE_ATTRIBUTE = "warmth_access_rule"
PUBLIC = "public"
BRANCH = "branch"


def units_visible_to(user: User) -> QuerySet[UnionUnit]:
    """The units ``user`` may see: their own unit and every unit below it."""
    return scope_to_user(UnionUnit.objects.all(), user=user, unit_path="path")


def scope_to_user(queryset: QuerySet[M], *, user: User, unit_path: str) -> QuerySet[M]:
    """Narrow ``queryset`` to rows in ``user``'s branch of the tree.

    ``unit_path`` is the lookup from the queryset's model to the owning unit's
    materialized path, e.g. ``"unit__path"`` for a visit list, ``"path"`` for units (a
    hardship file keeps its own copy, ``"unit_path"``).
    Superusers see everything; anyone else without a unit, or inactive, sees
    nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    if user.unit_id is None:
        return queryset.none()
    return queryset.filter(**{f"{unit_path}__startswith": user.unit.path})


def get_object_for_user(queryset: QuerySet[M], *, user: User, unit_path: str, **lookup) -> M:
    """Fetch one object in ``user``'s branch, or raise 404 ("missing" and "not yours" alike).

    A lookup value that is no id at all (``?unit=abc`` in a link) is missing too.
    """
    try:
        return get_object_or_404(scope_to_user(queryset, user=user, unit_path=unit_path), **lookup)
    except (ValueError, TypeError, ValidationError) as not_an_id:
        raise Http404 from not_an_id


def is_in_branch(user: User, unit: UnionUnit) -> bool:
    """Whether ``unit`` is ``user``'s own unit or lies below it (superusers: every unit)."""
    if user.is_superuser:
        return True
    return user.unit is not None and unit.is_in_branch_of(user.unit)


def has_any_role(user: User, *roles: Role) -> bool:
    """Whether ``user`` holds one of ``roles`` (superusers hold them all)."""
    return user.is_superuser or any(user.has_role(role) for role in roles)


def may_act_as(user: User, *roles: Role) -> Decision:
    """Whether ``user`` holds one of ``roles``; when not, the refusal names them (a predicate's
    first question, ``common.rules``)."""
    if has_any_role(user, *roles):
        return ALLOWED
    names = "、".join(str(role.label) for role in roles)
    return refuse(_("Only a %(roles)s may do this.") % {"roles": names}, denied=True)


def require_role(by: User, *roles: Role) -> None:
    """Raise PermissionDenied, naming the roles, unless ``by`` holds one of them."""
    may_act_as(by, *roles).enforce()


def require_in_branch(by: User, unit: UnionUnit, refusal: str = "") -> None:
    """Raise PermissionDenied (with ``refusal``, or a plain one) unless ``unit`` is in ``by``'s
    branch."""
    if not is_in_branch(by, unit):
        raise PermissionDenied(refusal or _("This is not in your unit's branch."))


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone, signed in or not (the login page, language switch)."""
    view = login_not_required(view)
    setattr(view, ACCESS_RULE_ATTRIBUTE, PUBLIC)
    return view


def branch_view(*, roles: tuple[Role, ...] = ()) -> Callable[[Callable], Callable]:
    """Mark a view that shows only the signed-in user's branch of the tree.

    The view promises to fetch data only through ``scope_to_user`` and
    ``get_object_for_user``. With ``roles``, a user holding none of them gets
    404, like a stranger: views never tell outsiders what exists.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_superuser and user.unit_id is None:
                raise Http404
            if roles and not user.is_superuser and not any(user.has_role(r) for r in roles):
                raise Http404
            return view(request, *args, **kwargs)

        setattr(wrapper, ACCESS_RULE_ATTRIBUTE, BRANCH)
        return wrapper

    return decorate


def access_rule_of(view: Callable) -> str | None:
    """The access rule a view declared, looking through class-based view wrappers."""
    rule = getattr(view, ACCESS_RULE_ATTRIBUTE, None)
    if rule is None and hasattr(view, "view_class"):
        rule = getattr(view.view_class, ACCESS_RULE_ATTRIBUTE, None)
    return rule


class AccessRuleMiddleware:
    """Refuse any view that has not declared its access rule.

    Namespaces in ``ACCESS_RULE_EXEMPT_NAMESPACES`` (Django admin) enforce their
    own rules: staff only, and our ModelAdmins scope by branch.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args, view_kwargs):
        match = request.resolver_match
        if match and set(match.namespaces) & set(settings.ACCESS_RULE_EXEMPT_NAMESPACES):
            return None
        if access_rule_of(view_func) in (PUBLIC, BRANCH):
            return None
        logger.error("View %s declares no access rule; refused.", match.view_name if match else "?")
        raise Http404
