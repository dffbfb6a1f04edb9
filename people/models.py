"""The union-unit tree and the people who work in it: units, users and their roles."""

import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

division_code_validator = RegexValidator(
    r"^(\d{6}|\d{9}|\d{12})$",
    _("An administrative-division code has 6, 9 or 12 digits."),
)
unit_code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$",
    _("Use letters, digits and hyphens only (at most 32)."),
)


class UnionUnit(models.Model):
    """A union organisation (工会组织) at one level of the tree.

    ``path`` is the materialized path of primary keys from the root, e.g.
    ``/1/7/52/``; a unit's branch is every unit whose path starts with its own,
    one indexed prefix scan however large the tree. Only the services in
    people/services.py write it.
    """

    class Level(models.IntegerChoices):
        NATIONAL = 1, _("National federation")
        PROVINCE = 2, _("Province")
        CITY = 3, _("City or prefecture")
        COUNTY = 4, _("County or district")
        TOWNSHIP = 5, _("Township or street")
        GRASSROOTS = 6, _("Grassroots union")

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("unit code"), max_length=32, unique=True, validators=[unit_code_validator]
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    division_code = models.CharField(
        _("administrative-division code"),
        max_length=12,
        blank=True,
        validators=[division_code_validator],
        help_text=_("The 6-, 9- or 12-digit code of the area the unit serves, e.g. 420102."),
    )
    # unique=True gives both a b-tree index and, on PostgreSQL, the
    # varchar_pattern_ops index that serves `LIKE 'prefix%'` whatever the collation.
    path = models.CharField(max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("union unit")
        verbose_name_plural = _("union units")
        ordering = ["path"]
        indexes = [
            # A file's unit and its path in one index: branch-scoped queries join rows to
            # their unit by id and keep those whose path starts with the branch's, and can
            # then check each row's unit without reading the units table.
            models.Index(fields=["id"], include=["path"], name="unit_id_path"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(parent__isnull=False) | Q(level=1),
                name="unit_below_national_has_parent",
            ),
            models.CheckConstraint(
                condition=Q(path__startswith="/") & Q(path__endswith="/"),
                name="unit_path_is_slash_delimited",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to the parent, read off the path."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1]]

    def is_in_branch_of(self, other: "UnionUnit") -> bool:
        """Whether this unit is ``other`` or lies below it."""
        return self.path.startswith(other.path)


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    APPROVER = "approver", _("Approver")
    VIEWER = "viewer", _("Viewer")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")


class User(AbstractUser):
    """A person who signs in: works for one unit, in one or more roles.

    Superusers administer everything in Django admin and may have no unit.
    Everyone else without a unit sees nothing: access fails closed.
    """

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("union unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    is_caseworker = models.BooleanField(
        _("caseworker"), default=False, help_text=_("Keeps files, logs visits, proposes aid.")
    )
    is_approver = models.BooleanField(
        _("approver"), default=False, help_text=_("Unit leader: approves files and payments.")
    )
    is_viewer = models.BooleanField(
        _("viewer"), default=False, help_text=_("Reads everything in the branch, changes nothing.")
    )
    is_unit_admin = models.BooleanField(
        _("unit administrator"),
        default=False,
        help_text=_("Manages the branch's units and users in the administration site."),
    )
    # The language of the emails the user receives; pages follow the language switch.
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(unit__isnull=False),
                name="user_has_unit_unless_superuser",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.username})" if self.full_name else self.username

    def get_full_name(self) -> str:
        # Chinese names are written family name first, in one piece.
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()

    @property
    def roles(self) -> list[str]:
        """The user's roles, as ``Role`` values."""
        return [role for role in Role if getattr(self, f"is_{role.value}")]

    def has_role(self, role: Role) -> bool:
        return self.is_active and getattr(self, f"is_{role.value}")


class AccountEvent(models.Model):
    """One change to a person's account: who made it, when, and what changed.

    Written by the services in people/services.py for every change of roles,
    unit, activity, email or password, and for a second factor enrolled. Never
    changed or deleted (a database trigger refuses it), so an administrator
    cannot quietly give themselves a role and take it back. Shown in admin to
    the administrators of the account's unit, and of the unit it left.
    """

    class Kind(models.TextChoices):
        CREATED = "created", _("Account created")
        ROLES = "roles", _("Roles changed")
        UNIT = "unit", _("Unit changed")
        ACTIVITY = "activity", _("Activity changed")
        EMAIL = "email", _("Email address changed")
        PASSWORD_LINK_SENT = "password_link_sent", _("Password link sent")
        PASSWORD_SET_BY_LINK = "password_set_by_link", _("Password set through a link")
        PASSWORD_CHANGED = "password_changed", _("Password changed by its owner")
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Second factor enrolled")

    user = models.ForeignKey(
        User,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="account_events",
    )
    actor = models.ForeignKey(
        User,
        verbose_name=_("changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the change was made outside the application."),
    )
    kind = models.CharField(_("change"), max_length=30, choices=Kind.choices)
    # The account's unit after the change, and before it when it moved: the administrators of
    # both branches see the event.
    unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    previous_unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("previous unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    before = models.CharField(_("before"), max_length=200, blank=True)
    after = models.CharField(_("after"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("account change")
        verbose_name_plural = _("account changes")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["user", "-at"], name="account_event_user_at")]
        triggers = [
            pgtrigger.Protect(
                name="account_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.user_id}"
