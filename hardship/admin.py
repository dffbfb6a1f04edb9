"""Administration of the hardship files: read-only, within the administrator's branch.

Hardship files and everything recorded about them are read-only here: they
change only through the services on the file pages, which keep the rules (ID
checks, four-eyes approval, history). Full ID numbers and bank accounts are
never shown in admin, only masked (see ``HardshipFileAdmin``). Nothing that
records a file's life is ever deleted.
"""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from hardship.identity import mask_account, mask_id_number
from hardship.models import (
    Attachment,
    CalendarDay,
    FileNumberCounter,
    FileTransfer,
    FileTransition,
    FinanceCheck,
    FullIdExport,
    HardshipCause,
    HardshipFile,
    HardshipFileEvent,
    HomeVerification,
    HouseholdMember,
    HouseholdMemberEvent,
    IdHolderLookup,
    IdNumberView,
    ImportBatch,
    IncomeRecord,
    MinimumLivingStandard,
    Objection,
    PipelineSettings,
    PublicNotice,
)
from people.access import scope_to_user
from people.admin import BranchScopedAdmin, ReadOnlyBranchAdmin, ReadOnlyInline, may_use_admin


class OfAFileAdmin(ReadOnlyBranchAdmin):
    """Rows that belong to one hardship file, scoped by the file's unit."""

    unit_path = "file__unit__path"

    # The models' ``file`` keys have no translated name; this column has.
    @admin.display(description=_("hardship file"), ordering="file")
    def hardship_file(self, obj) -> str:
        return str(obj.file)


def download_link(attachment: Attachment) -> str:
    """A link to the permission-checked download view, never to the storage."""
    return format_html(
        '<a href="{}">{}</a>',
        reverse("hardship:attachment_download", args=[attachment.pk]),
        _("Download"),
    )


class HouseholdMemberInline(ReadOnlyInline):
    model = HouseholdMember
    fields = ["relation", "name", "masked_id_number", "birth_date", "health", "school_stage",
              "employment", "monthly_income", "medical_insurance"]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("national ID number"))
    def masked_id_number(self, obj: HouseholdMember) -> str:
        return obj.masked_id_number


class FileTransitionInline(ReadOnlyInline):
    model = FileTransition
    fields = ["at", "action", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class IncomeRecordInline(ReadOnlyInline):
    model = IncomeRecord
    fields = ["period_start", "kind", "household_income", "people", "source", "entered_by",
              "entered_at"]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("entered_by")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["kind", "original_name", "size", "uploaded_by", "uploaded_at", "download"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("Download"))
    def download(self, obj: Attachment) -> str:
        return download_link(obj)


@admin.register(HardshipFile)
class HardshipFileAdmin(ReadOnlyBranchAdmin):
    """Hardship files, to look up and audit; they change on the file pages only.

    Read-only for everyone: opening, editing and every change of status go
    through the services (ID checks, search keys, category, history, four-eyes
    rules), which a form here would bypass.

    The full national ID number is never shown in admin, to superusers neither.
    Nothing done here needs it; the people who do (caseworkers and approvers)
    see it on the file page, where each viewing is recorded. Another way to
    read it would be another way to leak it. Nor does the search box take ID
    numbers: admin searches by GET, so the number would land in addresses,
    browser history and server logs. The bank account, likewise, shows only
    its last four digits.
    """

    list_display = ["file_number", "name", "masked_id_number", "unit", "status", "category"]
    list_filter = ["status", "category"]
    search_fields = ["name", "file_number", "phone"]
    list_select_related = ["unit"]
    ordering = ["-created_at", "-id"]
    inlines = [HouseholdMemberInline, IncomeRecordInline, AttachmentInline, FileTransitionInline]
    fieldsets = [
        (None, {"fields": ["file_number", "unit", "status", "category", "proposed_category",
                           "category_override_reason"]}),
        (_("The worker"), {"fields": [
            "name", "masked_id_number", "gender", "birth_date", "ethnicity", "political_status",
            "phone", "address", "division_code", "hukou_type", "marital_status", "health",
            "disability", "employment_status", "is_migrant_worker", "model_worker_level"]}),
        (_("Employer and bank"), {"fields": [
            "employer_name", "employer_credit_code", "employer_situation", "industry",
            "job_is_outdoor_or_hot", "bank_name", "masked_bank_account"]}),
        (_("Household economics"), {"fields": [
            "annual_income", "medical_costs", "schooling_costs", "disaster_costs",
            "household_size", "main_cause", "secondary_causes", "needs_living", "needs_medical",
            "needs_schooling", "needs_employment", "needs_housing", "needs_legal", "notes"]}),
        (_("Life of the file"), {"fields": [
            "entered_by", "created_at", "updated_by", "updated_at", "content_changed_at",
            "opened_on", "review_due_on", "ended_on", "exit_reason", "close_reason"]}),
    ]  # fmt: skip
    readonly_fields = ["masked_id_number", "masked_bank_account", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit")

    @admin.display(description=_("national ID number"))
    def masked_id_number(self, obj: HardshipFile) -> str:
        return obj.masked_id_number

    @admin.display(description=_("bank account for payments"))
    def masked_bank_account(self, obj: HardshipFile) -> str:
        return mask_account(obj.bank_account)


@admin.register(FileTransition)
class FileTransitionAdmin(OfAFileAdmin):
    """The steps of each file's life. Append-only: a database trigger refuses changes."""

    list_display = ["at", "hardship_file", "action", "from_status", "to_status", "by"]
    list_filter = ["action"]
    search_fields = ["file__file_number", "file__name"]
    list_select_related = ["file", "by"]
    ordering = ["-at", "-id"]


@admin.register(HomeVerification)
class HomeVerificationAdmin(OfAFileAdmin):
    """Home verifications; recorded on the file page, where recording one moves the file on."""

    list_display = [
        "visited_on",
        "hardship_file",
        "confirms_application",
        "recorded_by",
        "recorded_at",
    ]
    list_filter = ["confirms_application"]
    search_fields = ["file__file_number", "file__name"]
    list_select_related = ["file", "recorded_by"]
    ordering = ["-visited_on", "-id"]
    fields = ["hardship_file", "visited_on", "who_went", "findings", "confirms_application",
              "recorded_by", "recorded_at"]  # fmt: skip
    readonly_fields = ["hardship_file", "who_went", "recorded_at"]

    @admin.display(description=_("who went"))
    def who_went(self, obj: HomeVerification) -> str:
        return "、".join(user.get_full_name() for user in obj.verifiers.all())


@admin.register(Attachment)
class AttachmentAdmin(OfAFileAdmin):
    """Scans and photos; added only through the checked upload, read through the checked view."""

    list_display = ["original_name", "hardship_file", "kind", "size", "uploaded_by",
                    "uploaded_at", "download"]  # fmt: skip
    list_filter = ["kind"]
    search_fields = ["original_name", "file__file_number", "file__name"]
    list_select_related = ["file", "uploaded_by"]
    ordering = ["-uploaded_at", "-id"]
    # Not the storage field: its link would point into MEDIA_ROOT, which is not served.
    fields = ["hardship_file", "kind", "original_name", "content_type", "size", "sha256",
              "uploaded_by", "uploaded_at", "download"]  # fmt: skip
    readonly_fields = ["hardship_file", "uploaded_at", "download"]

    @admin.display(description=_("Download"))
    def download(self, obj: Attachment) -> str:
        return download_link(obj)


@admin.register(IdNumberView)
class IdNumberViewAdmin(ReadOnlyBranchAdmin):
    """Who saw a full ID number, of which file, when and how: an audit log nobody edits."""

    unit_path = "file__unit__path"
    list_display = ["at", "user", "file", "purpose"]
    list_filter = ["purpose"]
    search_fields = ["user__username", "user__full_name", "file__file_number"]
    list_select_related = ["user", "file"]
    ordering = ["-at", "-id"]


@admin.register(FullIdExport)
class FullIdExportAdmin(ReadOnlyBranchAdmin):
    """Exports with full ID numbers: who, why, how many rows, when. Nobody edits it."""

    unit_path = "user__unit__path"
    list_display = ["at", "user", "row_count", "reason"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    ordering = ["-at", "-id"]


@admin.register(IdHolderLookup)
class IdHolderLookupAdmin(ReadOnlyBranchAdmin):
    """Who asked which unit anywhere holds an ID number, and when (not the number)."""

    unit_path = "user__unit__path"
    list_display = ["at", "user", "found"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]
    ordering = ["-at", "-id"]


@admin.register(FileTransfer)
class FileTransferAdmin(OfAFileAdmin):
    """Transfers between units, seen by both ends; requested and answered on the file pages."""

    list_display = ["requested_at", "hardship_file", "from_unit", "to_unit", "status", "decided_at"]
    list_filter = ["status"]
    search_fields = ["file__file_number", "file__name"]
    list_select_related = ["file", "from_unit", "to_unit"]
    ordering = ["-requested_at", "-id"]

    def get_queryset(self, request):
        # Both ends of a transfer see it: the unit giving the file and the one asked to take it.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return scope_to_user(
            queryset, user=request.user, unit_path="from_unit__path"
        ) | scope_to_user(queryset, user=request.user, unit_path="to_unit__path")


class ReferenceDataAdmin(admin.ModelAdmin):
    """Tables the whole country shares: superusers keep them, unit administrators read them."""

    def has_module_permission(self, request):
        return may_use_admin(request)

    def has_view_permission(self, request, obj=None):
        return may_use_admin(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MinimumLivingStandard)
class MinimumLivingStandardAdmin(ReferenceDataAdmin):
    list_display = ["division_code", "year", "urban_monthly", "rural_monthly"]
    list_filter = ["year"]
    search_fields = ["division_code"]

    def has_delete_permission(self, request, obj=None):
        # A mistyped standard may go; categories already confirmed keep their own record.
        return request.user.is_superuser


@admin.register(HardshipCause)
class HardshipCauseAdmin(ReferenceDataAdmin):
    """Causes of hardship. Never deleted, since files point at them: take one out of use instead."""

    list_display = ["position", "code", "name", "name_en", "is_sudden", "is_active"]
    list_display_links = ["code"]
    list_filter = ["is_active", "is_sudden"]
    search_fields = ["code", "name", "name_en"]


@admin.register(FileNumberCounter)
class FileNumberCounterAdmin(admin.ModelAdmin):
    """The yearly file-number counters, for superusers to read; the services alone advance them."""

    list_display = ["year", "last"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


CHANGE_KINDS = {"insert": _("created"), "update": _("changed"), "delete": _("deleted")}


class ChangeKindFilter(admin.SimpleListFilter):
    """pghistory's event label (insert, update, delete) under a heading in the reader's language."""

    title = _("change")
    parameter_name = "pgh_label"

    def lookups(self, request, model_admin):
        return list(CHANGE_KINDS.items())

    def queryset(self, request, queryset):
        return queryset.filter(pgh_label=self.value()) if self.value() else queryset


class HistoryEventAdmin(ReadOnlyBranchAdmin):
    """Shared by the trigger-written histories: the kind of change in words, never deleted."""

    list_filter = [ChangeKindFilter]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("changed at"), ordering="pgh_created_at")
    def changed_at(self, obj):
        return obj.pgh_created_at

    @admin.display(description=_("by whom, from where"))
    def changed_by(self, obj):
        return obj.pgh_context.metadata if obj.pgh_context_id else "-"

    @admin.display(description=_("change"), ordering="pgh_label")
    def change_kind(self, obj) -> str:
        return CHANGE_KINDS.get(obj.pgh_label, obj.pgh_label)

    @admin.display(description=_("national ID number"))
    def masked_id_number(self, obj) -> str:
        return mask_id_number(obj.id_number)


@admin.register(HardshipFileEvent)
class HardshipFileEventAdmin(HistoryEventAdmin):
    """The trigger-written history of files: who changed what, read-only, ID numbers masked."""

    list_display = [
        "changed_at",
        "change_kind",
        "file_number",
        "name",
        "masked_id_number",
        "status",
        "unit",
    ]
    list_filter = [ChangeKindFilter, "status"]
    search_fields = ["file_number", "name"]
    list_select_related = ["unit"]
    fields = ["changed_at", "change_kind", "changed_by", "file_number", "name", "masked_id_number",
              "status", "category", "unit", "annual_income", "household_size"]  # fmt: skip
    readonly_fields = fields
    ordering = ["-pgh_id"]


@admin.register(HouseholdMemberEvent)
class HouseholdMemberEventAdmin(HistoryEventAdmin):
    """The trigger-written history of household members, read-only, ID numbers masked."""

    unit_path = "file__unit__path"
    list_display = ["changed_at", "change_kind", "name", "relation", "masked_id_number", "file"]
    search_fields = ["name"]
    list_select_related = ["file"]
    fields = ["changed_at", "change_kind", "changed_by", "file", "name", "relation",
              "masked_id_number", "birth_date", "school_stage", "monthly_income"]  # fmt: skip
    readonly_fields = fields
    ordering = ["-pgh_id"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyBranchAdmin):
    """Spreadsheet imports: who imported what into which unit, and how it ended."""

    list_display = [
        "original_name",
        "unit",
        "created_by",
        "status",
        "row_count",
        "imported_count",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["unit", "created_by"]
    fields = ["original_name", "unit", "created_by", "status", "row_count", "bad_row_count",
              "imported_count", "error", "created_at", "validated_at", "confirmed_at", "finished_at",
              "job"]  # fmt: skip
    readonly_fields = fields
    ordering = ["-created_at"]


class PipelineSettingsForm(forms.ModelForm):
    class Meta:
        model = PipelineSettings
        fields = [
            "unit",
            "notice_for_new_files",
            "notice_for_grants",
            "notice_default_days",
            "notice_minimum_days",
            "check_columns",
        ]

    def clean(self):
        from hardship.checks import CHECK_COLUMNS
        from hardship.pipeline import pipeline_settings_for

        cleaned = super().clean()
        columns = cleaned.get("check_columns") or []
        if not isinstance(columns, list) or any(c not in CHECK_COLUMNS for c in columns):
            self.add_error(
                "check_columns",
                _("List column keys among: %(keys)s.") % {"keys": ", ".join(CHECK_COLUMNS)},
            )
        unit, minimum = cleaned.get("unit"), cleaned.get("notice_minimum_days")
        if unit is not None and unit.parent is not None and minimum is not None:
            above = pipeline_settings_for(unit.parent).notice_minimum_days
            if minimum < above:
                self.add_error(
                    "notice_minimum_days",
                    _("The unit above asks for at least %(days)s working days.") % {"days": above},
                )
        return cleaned


@admin.register(PipelineSettings)
class PipelineSettingsAdmin(BranchScopedAdmin):
    """A unit's public-notice and check settings; empty fields follow the unit above."""

    form = PipelineSettingsForm
    list_display = [
        "unit",
        "notice_for_new_files",
        "notice_for_grants",
        "notice_default_days",
        "notice_minimum_days",
    ]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ReferenceDataAdmin):
    """Holidays and adjusted working days (调休), kept as the State Council publishes them."""

    list_display = ["day", "name", "is_working_day"]
    list_filter = ["is_working_day"]
    date_hierarchy = "day"

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(PublicNotice)
class PublicNoticeAdmin(ReadOnlyBranchAdmin):
    list_display = ["__str__", "unit", "kind", "starts_on", "ends_on", "created_by"]
    list_filter = ["kind"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyBranchAdmin):
    unit_path = "entry__notice__unit__path"
    list_display = ["entry", "received_at", "channel", "decision", "decided_by"]
    list_filter = ["decision", "channel"]


@admin.register(FinanceCheck)
class FinanceCheckAdmin(OfAFileAdmin):
    list_display = ["hardship_file", "status", "requested_at", "mismatch", "decision"]
    list_filter = ["status", "mismatch", "decision"]
