"""Writes: the union-unit tree and its users.

Each public function is one transaction, takes keyword arguments, and lists
its side effects.
"""

import contextlib
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from common.errors import RuleBroken
from people.models import AccountEvent, Role, UnionUnit, User
from people.selectors import (
    may_change_account,
    may_manage_account,
    may_send_password_link,
)

logger = logging.getLogger(__name__)

# Recovery codes a person gets with their second factor, each usable once.
RECOVERY_CODE_COUNT = 10


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


# ---------------------------------------------------------------- accounts


def _role_codes(user: User) -> str:
    return " ".join(role.value for role in Role if getattr(user, f"is_{role.value}")) + (
        " superuser" if user.is_superuser else ""
    )


def _record(
    *, user: User, by: User | None, kind: str, before: str = "", after: str = "", **units
) -> AccountEvent:
    return AccountEvent.objects.create(
        user=user,
        actor=by,
        kind=kind,
        unit=units.get("unit", user.unit),
        previous_unit=units.get("previous_unit"),
        before=before[:200],
        after=after[:200],
    )


@transaction.atomic
def user_create(*, by: User, user: User) -> User:
    """Create the account ``user`` (unsaved, filled in by an administrator) without a password.

    Nobody sets another person's password: the new person sets their own through a one-time
    link (``password_link_send``). Side effects: the user row, with an unusable password and the
    staff flag its roles imply; an AccountEvent "created" naming its roles.
    """
    may_manage_account(by, user).enforce()
    user.set_unusable_password()
    user_sync_staff_flag(user=user)
    user.save()
    _record(user=user, by=by, kind=AccountEvent.Kind.CREATED, after=_role_codes(user))
    return user


@transaction.atomic
def user_account_update(*, by: User, user: User) -> User:
    """Save what an administrator changed on ``user`` (an instance holding the new values).

    Refused (PermissionDenied) when ``by`` may not manage the account before or after the
    change, or changes their own roles, unit or activity. Side effects: the user row (its
    staff flag follows its roles); one AccountEvent for each of roles, unit, activity and email
    that changed.
    """
    stored = User.objects.select_for_update(of=("self",)).select_related("unit").get(pk=user.pk)
    watched = ["is_caseworker", "is_approver", "is_viewer", "is_unit_admin", "is_superuser"]
    watched += ["unit_id", "is_active", "email"]
    changed = {name for name in watched if getattr(stored, name) != getattr(user, name)}
    fields = {name.removesuffix("_id") for name in changed}
    may_change_account(by, stored, fields=fields).enforce()
    may_manage_account(by, user).enforce()
    user_sync_staff_flag(user=user)
    user.save()
    if fields & {"is_caseworker", "is_approver", "is_viewer", "is_unit_admin", "is_superuser"}:
        _record(
            user=user, by=by, kind=AccountEvent.Kind.ROLES,
            before=_role_codes(stored), after=_role_codes(user),
        )  # fmt: skip
    if "unit" in fields:
        _record(
            user=user, by=by, kind=AccountEvent.Kind.UNIT, previous_unit=stored.unit,
            before=stored.unit.name if stored.unit else "",
            after=user.unit.name if user.unit else "",
        )  # fmt: skip
    if "is_active" in fields:
        _record(
            user=user, by=by, kind=AccountEvent.Kind.ACTIVITY,
            before="active" if stored.is_active else "inactive",
            after="active" if user.is_active else "inactive",
        )  # fmt: skip
    if "email" in fields:
        _record(
            user=user, by=by, kind=AccountEvent.Kind.EMAIL, before=stored.email, after=user.email
        )
        if stored.email:
            # A link goes to the address on the account: whoever changes the address is named
            # to its former owner, so a takeover through it does not go unseen.
            _send_account_email(
                user=user, to=stored.email, template="email_changed",
                subject=_("The email address of your Warmth account was changed"),
                context={"by": by},
            )  # fmt: skip
    return user


def _send_account_email(*, user: User, to: str, template: str, subject: str, context: dict) -> None:
    """Send ``user`` an email about their account, in their language, now.

    Inside the caller's transaction: if it cannot be sent, the change is not made and the
    caller sees why, rather than a link recorded as sent that never arrived.
    """
    with translation.override(user.language):
        context = {"user": user, "site_url": settings.SITE_URL, **context}
        text = render_to_string(f"people/email/{template}.txt", context)
        html = render_to_string(f"people/email/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=str(subject), body=text, to=[to], from_email=settings.DEFAULT_FROM_EMAIL
        )
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as error:
        logger.warning("Account email %s to user %s failed: %s", template, user.pk, error)
        raise RuleBroken(_("The email could not be sent; try again later.")) from error


@transaction.atomic
def password_link_send(*, by: User, user: User) -> AccountEvent:
    """Email ``user`` a one-time link to set their password; ``by`` never sees or sets it.

    The link (Django's password-reset token) stops working once the password is set, when the
    person signs in, or after PASSWORD_RESET_TIMEOUT. Side effects: one email to ``user``; an
    AccountEvent "password link sent".
    """
    may_send_password_link(by, user).enforce()
    path = reverse(
        "people:password_link",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    with translation.override(user.language):
        subject = _("Set your Warmth password")
    _send_account_email(
        user=user, to=user.email, template="password_link", subject=subject,
        context={"link": f"{settings.SITE_URL}{path}", "by": by,
                 "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    )  # fmt: skip
    return _record(user=user, by=by, kind=AccountEvent.Kind.PASSWORD_LINK_SENT)


@transaction.atomic
def user_password_set(*, user: User, password: str, through_link: bool) -> User:
    """Set ``user``'s password, chosen by ``user`` themselves (on their own page, or through
    the link an administrator sent). Side effects: the password hash (which also ends every
    link sent before); an AccountEvent; a notice to the person's email address, if any."""
    user.set_password(password)
    user.save(update_fields=["password"])
    kind = (
        AccountEvent.Kind.PASSWORD_SET_BY_LINK
        if through_link
        else AccountEvent.Kind.PASSWORD_CHANGED
    )
    _record(user=user, by=user, kind=kind)
    if user.email:
        with translation.override(user.language):
            subject = _("Your Warmth password was changed")
        transaction.on_commit(
            lambda: _notify_quietly(user=user, template="password_changed", subject=subject)
        )
    return user


def _notify_quietly(*, user: User, template: str, subject: str) -> None:
    # A notice after the fact: the password is set either way, so a mail server that is down
    # is logged, not shown to the person as a failure.
    with contextlib.suppress(RuleBroken):
        _send_account_email(
            user=user, to=user.email, template=template, subject=subject, context={}
        )


# ---------------------------------------------------------------- second factor


def second_factor_device_for_enrolment(*, user: User):
    """The authenticator (TOTP) ``user`` is enrolling: their unconfirmed one, or a new one.

    Side effects: a TOTPDevice row (unconfirmed: it verifies nothing until confirmed).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def second_factor_confirm(*, user: User, device, token: str) -> list[str]:
    """Confirm ``user``'s authenticator by a code it shows, and give them recovery codes.

    Returns the recovery codes (shown once; only their use is checked later), or raises
    RuleBroken if the code is wrong. Side effects: the device confirmed; any earlier
    authenticator and recovery codes removed; a StaticDevice with RECOVERY_CODE_COUNT codes;
    an AccountEvent "second factor enrolled".
    """
    # Checked before the transaction below: a wrong code's throttling must be kept.
    if not device.verify_token(token.strip()):
        raise RuleBroken(
            {"token": [_("That code is not right. Enter the code your app shows now.")]}
        )
    with transaction.atomic():
        return _second_factor_keep(user=user, device=device)


def _second_factor_keep(*, user: User, device) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=recovery, token=code) for code in codes)
    _record(user=user, by=user, kind=AccountEvent.Kind.SECOND_FACTOR_ENROLLED)
    return codes


@transaction.atomic
def second_factor_verify(*, user: User, token: str):
    """The confirmed device of ``user`` (authenticator or recovery codes) that accepts
    ``token``, or None. Each device is locked while it checks, and throttles itself after
    failures (django-otp), so guessing is slow. Side effects: a recovery code is used up; the
    authenticator remembers the step used, so a code works once."""
    from django_otp import devices_for_user

    token = token.strip().replace(" ", "")
    for device in devices_for_user(user, for_verify=True):
        if device.verify_token(token):
            return device
    return None
