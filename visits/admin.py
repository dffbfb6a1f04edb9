"""Administration of cadres, pairings, visits, follow-ups and help services.

Scoped like hardship's: superusers see everything, unit administrators their
own branch only (``BranchScopedAdmin``), nobody deletes. Cadres are people's
records a unit administrator keeps, so they may be added and changed here
(adding goes through ``cadre_create``). Everything else is read-only: pairings
keep their history through ``pairing_start``/``pairing_end``, visits and
follow-ups carry rules (dates, owners, return visits, campaign lists) that only
the services on the file pages apply. Photos link to the checked view, never to
the storage.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from hardship.admin import OfAFileAdmin
from people.access import scope_to_user
from people.admin import BranchScopedAdmin, ReadOnlyBranchAdmin, ReadOnlyInline
from people.models import User
from visits.models import Cadre, EnterprisePairing, FollowUp, HelpService, Pairing, Visit
from visits.services import cadre_create


class CadreAdminForm(forms.ModelForm):
    class Meta:
        model = Cadre
        fields = ["unit", "name", "position", "phone", "is_leading_cadre", "user"]


@admin.register(Cadre)
class CadreAdmin(BranchScopedAdmin):
    form = CadreAdminForm
    list_display = ["name", "position", "unit", "is_leading_cadre", "user"]
    list_filter = ["is_leading_cadre"]
    search_fields = ["name", "position", "phone", "unit__name"]
    list_select_related = ["unit", "user"]
    autocomplete_fields = ["unit"]
    ordering = ["unit__path", "name", "id"]
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A cadre's account is one of the branch's users: choices and validation alike.
        if db_field.related_model is User:
            kwargs["queryset"] = scope_to_user(
                User.objects.filter(is_superuser=False), user=request.user, unit_path="unit__path"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=[f for f in form.changed_data if f in form.Meta.fields] or None)
            return
        created = cadre_create(
            by=request.user,
            unit=obj.unit,
            name=obj.name,
            position=obj.position,
            phone=obj.phone,
            user=obj.user,
            is_leading_cadre=obj.is_leading_cadre,
        )
        obj.pk = created.pk


class PairingInline(ReadOnlyInline):
    model = Pairing
    fk_name = "cadre"
    fields = ["file", "role", "starts_on", "ends_on", "created_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        # Only the households of the administrator's branch, whatever the cadre's reach.
        return scope_to_user(
            super().get_queryset(request).select_related("file", "created_by"),
            user=request.user,
            unit_path="file__unit__path",
        )


CadreAdmin.inlines = [PairingInline]


@admin.register(Pairing)
class PairingAdmin(OfAFileAdmin):
    """Pairings and their history; started and ended on the file's helpers page."""

    list_display = ["hardship_file", "cadre", "role", "starts_on", "ends_on", "created_by"]
    list_filter = ["role", ("ends_on", admin.EmptyFieldListFilter)]
    search_fields = ["file__file_number", "file__name", "cadre__name"]
    list_select_related = ["file", "cadre", "created_by"]
    ordering = ["-starts_on", "-id"]


@admin.register(EnterprisePairing)
class EnterprisePairingAdmin(ReadOnlyBranchAdmin):
    """Cadres paired with enterprises in difficulty; started and ended on the cadre's page."""

    list_display = ["enterprise_name", "credit_code", "cadre", "unit", "starts_on", "ends_on"]
    list_filter = [("ends_on", admin.EmptyFieldListFilter)]
    search_fields = ["enterprise_name", "credit_code", "cadre__name"]
    list_select_related = ["cadre", "unit"]
    ordering = ["unit__path", "enterprise_name", "-starts_on"]


def photo_links(visit: Visit) -> str:
    return format_html_join(
        " ",
        '<a href="{}">{}</a>',
        (
            (reverse("visits:visit_photo", args=[photo.pk]), _("Photo %(n)s") % {"n": n})
            for n, photo in enumerate(visit.photos.all(), start=1)
        ),
    )


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fk_name = "visit"
    fields = ["problem", "owner", "due_on", "status", "resolution", "cancel_reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")


@admin.register(Visit)
class VisitAdmin(OfAFileAdmin):
    """Visits; logged on the file page, where follow-ups, photos and campaign lists are kept right."""

    list_display = ["visited_on", "hardship_file", "kind", "campaign", "cash_amount", "recorded_by"]
    list_filter = ["kind"]
    search_fields = ["file__file_number", "file__name"]
    list_select_related = ["file", "campaign", "recorded_by"]
    ordering = ["-visited_on", "-id"]
    inlines = [FollowUpInline]
    fields = ["hardship_file", "visited_on", "kind", "campaign", "who_went", "people_reached",
              "findings", "pressing_problems", "solved_on_spot", "goods", "goods_value",
              "cash_amount", "photos", "recorded_by", "recorded_at"]  # fmt: skip
    readonly_fields = ["hardship_file", "who_went", "photos", "recorded_at"]

    @admin.display(description=_("people who went"))
    def who_went(self, obj: Visit) -> str:
        people = [user.get_full_name() for user in obj.visitors.all()]
        return "、".join(people + [cadre.name for cadre in obj.cadres.all()])

    @admin.display(description=_("visit photos"))
    def photos(self, obj: Visit) -> str:
        return photo_links(obj)


@admin.register(FollowUp)
class FollowUpAdmin(OfAFileAdmin):
    """Follow-ups (跟踪督办); closed or cancelled on their page, with the rules kept."""

    list_display = ["due_on", "hardship_file", "owner", "status", "needs_return_visit", "closed_at"]
    list_filter = ["status", "needs_return_visit"]
    search_fields = ["file__file_number", "file__name", "problem", "owner__full_name"]
    list_select_related = ["file", "owner"]
    ordering = ["due_on", "id"]


@admin.register(HelpService)
class HelpServiceAdmin(OfAFileAdmin):
    """Help beyond money (帮扶服务), counted in person-times by kind."""

    list_display = ["provided_on", "hardship_file", "kind", "provider", "person_times", "campaign"]
    list_filter = ["kind"]
    search_fields = ["file__file_number", "file__name", "provider"]
    list_select_related = ["file", "campaign"]
    ordering = ["-provided_on", "-id"]
