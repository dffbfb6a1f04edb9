"""Administration of the union-unit tree and its users, and the branch-scoped bases every app's
admin builds on.

Superusers see everything. Unit administrators (staff through their role) see
and change only their own branch, with the same scoping function as the rest
of the product; nobody deletes a unit, since files and payments point at it.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.utils.translation import gettext_lazy as _

from people.access import scope_to_user, units_visible_to
from people.models import UnionUnit, User
from people.services import (
    union_unit_check_parent,
    union_unit_create,
    union_unit_move,
    user_sync_staff_flag,
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


class WarmthUserCreationForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "full_name", "unit"]


class WarmthUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


ROLE_FIELDS = ("is_caseworker", "is_approver", "is_viewer", "is_unit_admin")


@admin.register(User)
class UserAdmin(BranchScopedAdmin, DjangoUserAdmin):
    form = WarmthUserChangeForm
    add_form = WarmthUserCreationForm
    list_display = ["username", "full_name", "unit", "roles_display", "is_active", "last_login"]
    list_filter = ["is_active", *ROLE_FIELDS]
    search_fields = ["username", "full_name", "email", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["unit"]
    ordering = ["username"]
    add_fieldsets = (
        (None, {"fields": ("username", "full_name", "unit", "password1", "password2")}),
        (_("Roles"), {"fields": ROLE_FIELDS}),
    )

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            (None, {"fields": ("username", "password")}),
            (_("Person"), {"fields": ("full_name", "email", "unit")}),
            (_("Roles"), {"fields": ROLE_FIELDS}),
            (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
        ]
        if request.user.is_superuser:
            fieldsets.append((_("Superuser"), {"fields": ("is_superuser",)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return ("last_login", "date_joined")

    def save_model(self, request, obj, form, change):
        user_sync_staff_flag(user=obj)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("roles"))
    def roles_display(self, obj: User) -> str:
        return "、".join(str(role.label) for role in obj.roles)


class ReadOnlyBranchAdmin(BranchScopedAdmin):
    """Rows that change only through the services, or never: shown within the branch, not edited."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """Rows of a file shown on its admin page; the file is already scoped to the branch."""

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
