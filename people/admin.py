"""Administration of the union-unit tree and its users, and the branch-scoped bases every app's
admin builds on.

Superusers see everything. Unit administrators (staff through their role) see
and change only their own branch, with the same scoping function as the rest
of the product; nobody deletes a unit, since files and payments point at it.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.forms import refusal_messages
from people.access import scope_to_user, units_visible_to
from people.foreign_labels import foreign_help_texts
from people.models import AccountEvent, Role, UnionUnit, User
from people.selectors import account_events_for_user
from people.services import (
    password_link_send,
    union_unit_check_parent,
    union_unit_create,
    union_unit_move,
    user_account_update,
    user_create,
)


def may_use_admin(request) -> bool:
    """Superusers, and unit administrators with a unit: who may see the administration site."""
    user = request.user
    if user.is_superuser:
        return True
    return user.is_active and user.is_staff and user.is_unit_admin and user.unit_id is not None


class BranchScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that unit administrators may use within their branch only."""

    unit_path: str = "unit__path"

    def get_queryset(self, request):
        return scope_to_user(
            super().get_queryset(request), user=request.user, unit_path=self.unit_path
        )

    def has_module_permission(self, request):
        return may_use_admin(request)

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_add_permission(self, request):
        return may_use_admin(request)

    def has_change_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices *and* validation: a unit outside the branch is not a valid value.
        if db_field.related_model is UnionUnit:
            kwargs["queryset"] = units_visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class UnionUnitForm(forms.ModelForm):
    class Meta:
        model = UnionUnit
        fields = ["name", "code", "level", "parent", "division_code"]

    def clean(self):
        cleaned = super().clean()
        if "level" in cleaned and "parent" in cleaned:
            union_unit_check_parent(
                level=cleaned["level"], parent=cleaned["parent"], unit=self.instance
            )
        return cleaned


@admin.register(UnionUnit)
class UnionUnitAdmin(BranchScopedAdmin):
    form = UnionUnitForm
    unit_path = "path"
    list_display = ["name", "code", "level", "division_code", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code", "division_code"]
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    # Counting 200,000 rows on every page view is slow and tells nobody anything.
    show_full_result_count = False
    ordering = ["path"]

    def has_change_permission(self, request, obj=None):
        # A unit administrator manages the units below their own, not their own
        # unit's place in the tree.
        if obj is not None and not request.user.is_superuser and obj.pk == request.user.unit_id:
            return False
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            created = union_unit_create(
                name=obj.name,
                code=obj.code,
                level=obj.level,
                parent=obj.parent,
                division_code=obj.division_code,
            )
            obj.pk, obj.path = created.pk, created.path
            return
        fields = [f for f in ("name", "code", "level", "division_code") if f in form.changed_data]
        if fields:
            obj.save(update_fields=fields)
        if "parent" in form.changed_data:
            union_unit_move(unit=obj, new_parent=obj.parent)


ROLE_FIELDS = ("is_caseworker", "is_approver", "is_viewer", "is_unit_admin")


class WarmthUserCreationForm(forms.ModelForm):
    """A new account, without a password: the person sets their own through a link."""

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "unit", *ROLE_FIELDS]


class WarmthUserChangeForm(forms.ModelForm):
    """An account's details and roles; never its password, which only its owner sets."""

    class Meta:
        model = User
        fields = ["username", "full_name", "email", "unit", *ROLE_FIELDS, "is_active",
                  "is_superuser"]  # fmt: skip


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on a record's admin page, never edited there; the record is already scoped to
    the branch (a file's rows, an account's changes)."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AccountEventInline(ReadOnlyInline):
    """The account's changes, newest first, on its page (never edited)."""

    model = AccountEvent
    fk_name = "user"
    fields = ["at", "kind", "change_display", "actor"]
    readonly_fields = fields
    ordering = ["-at", "-pk"]
    verbose_name_plural = _("changes to this account")

    @admin.display(description=_("what changed"))
    def change_display(self, obj: AccountEvent) -> str:
        return describe_change(obj)


def describe_change(event: AccountEvent) -> str:
    """``before → after`` of an account change, in the reader's language."""

    def words(value: str) -> str:
        if event.kind == AccountEvent.Kind.ROLES or event.kind == AccountEvent.Kind.CREATED:
            labels = dict(Role.choices) | {"superuser": _("Superuser")}
            return "、".join(str(labels.get(code, code)) for code in value.split()) or "—"
        if event.kind == AccountEvent.Kind.ACTIVITY:
            return str(_("active") if value == "active" else _("inactive"))
        return value or "—"

    if not (event.before or event.after):
        return ""
    if event.kind == AccountEvent.Kind.CREATED:
        return words(event.after)
    return f"{words(event.before)} → {words(event.after)}"


@admin.register(User)
class UserAdmin(BranchScopedAdmin, DjangoUserAdmin):
    """Accounts of the branch. Nobody changes their own roles, unit or activity here, and
    nobody sets or sees another person's password: "Send a link to set the password" emails
    the person a one-time link. Every change goes through people/services.py, which records
    it (AccountEvent)."""

    form = WarmthUserChangeForm
    add_form = WarmthUserCreationForm
    list_display = ["username", "full_name", "unit", "roles_display", "is_active", "last_login"]
    list_filter = ["is_active", *ROLE_FIELDS]
    search_fields = ["username", "full_name", "email", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    ordering = ["username"]
    actions = ["send_password_link"]
    add_form_template = "admin/change_form.html"
    inlines = [AccountEventInline]
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "email", "unit")}),
        (_("Roles"), {"fields": ROLE_FIELDS}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            (None, {"fields": ("username",)}),
            (_("Person"), {"fields": ("full_name", "email", "unit")}),
            (_("Roles"), {"fields": ROLE_FIELDS}),
            (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
        ]
        if request.user.is_superuser:
            fieldsets.append((_("Superuser"), {"fields": ("is_superuser",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk:
            # What someone may do, and where, is granted by a colleague, never by themselves.
            readonly += ["unit", *ROLE_FIELDS, "is_active", "is_superuser"]
        return readonly

    def user_change_password(self, request, id, form_url=""):
        # Django admin's "set this person's password" page: an administrator who knows a
        # person's password can act as them, so it is closed. The link action replaces it.
        raise PermissionDenied

    def save_model(self, request, obj, form, change):
        if change:
            user_account_update(by=request.user, user=obj)
        else:
            user_create(by=request.user, user=obj)
            if obj.email:
                self._send_links(request, [obj])
            else:
                self.message_user(
                    request,
                    _("%(user)s has no password yet: add an email address and send a link "
                      "to set one.") % {"user": obj},
                    messages.WARNING,
                )  # fmt: skip

    @admin.action(description=_("Send a link to set the password"))
    def send_password_link(self, request, queryset):
        self._send_links(request, list(queryset.select_related("unit")))

    def _send_links(self, request, accounts) -> None:
        for account in accounts:
            try:
                password_link_send(by=request.user, user=account)
            except (PermissionDenied, ValidationError) as refusal:
                self.message_user(request, " ".join(refusal_messages(refusal)), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("A link to set the password was sent to %(user)s at %(email)s.")
                    % {"user": account, "email": account.email},
                    messages.SUCCESS,
                )

    @admin.display(description=_("roles"))
    def roles_display(self, obj: User) -> str:
        return "、".join(str(role.label) for role in obj.roles)


@admin.register(AccountEvent)
class AccountEventAdmin(BranchScopedAdmin):
    """Every change of an account's roles, unit, activity, email or password: read-only, to the
    administrators of the account's unit (and of the unit it left)."""

    list_display = ["at", "user", "kind", "change_display", "actor"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__full_name", "actor__username"]
    list_select_related = ["user", "actor", "unit", "previous_unit"]
    date_hierarchy = "at"
    show_full_result_count = False

    def get_queryset(self, request):
        return account_events_for_user(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("what changed"))
    def change_display(self, obj: AccountEvent) -> str:
        return describe_change(obj)


class ReadOnlyBranchAdmin(BranchScopedAdmin):
    """Rows that change only through the services, or never: shown within the branch, not edited."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SignInAttemptAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-ins, its "status" column headed in the reader's language (axes
    leaves that one heading unmarked for translation)."""

    @admin.display(description=_("Status"))
    def status(self, obj):
        return super().status(obj)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, SignInAttemptAdmin)


class SecondFactorAdminMixin:
    """django-otp's device pages in the reader's language: the library leaves its fieldset
    names, help texts and search hint unmarked for translation (its field labels are named in
    people/foreign_labels.py)."""

    search_help_text = _("Search by user name or email address")
    fieldset_names = {
        "Identity": _("Device"),
        "Timestamps": _("Times"),
        "Configuration": _("Settings"),
        "State": _("State"),
        "Throttling": _("Refused codes"),
    }

    def get_fieldsets(self, request, obj=None):
        return [
            (self.fieldset_names.get(name, name), options)
            for name, options in super().get_fieldsets(request, obj)
        ]

    def get_form(self, request, obj=None, **kwargs):
        # The form's own help texts, which admin also shows under read-only fields.
        return super().get_form(request, obj, help_texts=foreign_help_texts(), **kwargs)


class AuthenticatorAppAdmin(SecondFactorAdminMixin, TOTPDeviceAdmin):
    pass


class RecoveryCodesAdmin(SecondFactorAdminMixin, StaticDeviceAdmin):
    pass


admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, AuthenticatorAppAdmin)
admin.site.unregister(StaticDevice)
admin.site.register(StaticDevice, RecoveryCodesAdmin)

# What a person may do is their roles and their unit (people/access.py), never Django's
# permissions and groups, which nothing checks: a group page would offer a second permission
# system that grants nothing, in permission names Django stores in English.
admin.site.unregister(Group)
