"""Administration of the funds: caps are kept here; money is only ever shown.

Every movement of money has rules (balances, budgets, four eyes) that only the
services apply, and the ledger is never changed, so funds, receipts,
allocations, budgets, payments and the ledger are read-only here, scoped to the
branch like every other admin page. The aid rules (caps per purpose) and the
schooling standards are what administrators edit; unit administrators keep their
unit's bank payment file layout.
"""

from django import forms
from django.contrib import admin

from funds.models import (
    Account,
    AidRule,
    Allocation,
    BankFileExport,
    BankFileLayout,
    Budget,
    Disbursement,
    Entry,
    Fund,
    LedgerTransaction,
    Receipt,
    SchoolingStandard,
)
from hardship.admin import OfAFileAdmin
from people.admin import BranchScopedAdmin, ReadOnlyBranchAdmin, ReadOnlyInline


@admin.register(AidRule)
class AidRuleAdmin(admin.ModelAdmin):
    list_display = ["purpose", "per_payment_cap", "per_year_cap", "override_allowed"]
    ordering = ["purpose"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SchoolingStandard)
class SchoolingStandardAdmin(ReadOnlyBranchAdmin):
    unit_path = "campaign__organiser__path"
    list_display = ["campaign", "school_stage", "amount"]
    list_select_related = ["campaign"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


class AccountInline(ReadOnlyInline):
    model = Account
    fields = ["kind", "source", "purpose", "balance"]


@admin.register(Fund)
class FundAdmin(ReadOnlyBranchAdmin):
    list_display = ["name", "unit", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "unit__name"]
    list_select_related = ["unit"]
    inlines = [AccountInline]


class EntryInline(ReadOnlyInline):
    model = Entry
    fields = ["account", "amount", "posted_at"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyBranchAdmin):
    unit_path = "fund__unit__path"
    list_display = ["id", "kind", "fund", "posted_at", "by", "memo", "reverses"]
    list_filter = ["kind"]
    list_select_related = ["fund", "fund__unit", "by"]
    date_hierarchy = "posted_at"
    inlines = [EntryInline]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyBranchAdmin):
    unit_path = "fund__unit__path"
    list_display = ["received_on", "fund", "source", "amount", "donor", "recorded_by"]
    list_filter = ["source"]
    list_select_related = ["fund", "fund__unit", "recorded_by"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyBranchAdmin):
    unit_path = "from_fund__unit__path"
    list_display = ["allocated_on", "from_fund", "to_fund", "amount", "received_at"]
    list_select_related = ["from_fund__unit", "to_fund__unit"]


@admin.register(Budget)
class BudgetAdmin(ReadOnlyBranchAdmin):
    list_display = ["campaign", "unit", "fund", "amount", "committed"]
    list_select_related = ["campaign", "unit", "fund"]


@admin.register(Disbursement)
class DisbursementAdmin(OfAFileAdmin):
    list_display = [
        "hardship_file",
        "purpose",
        "amount",
        "status",
        "fund",
        "campaign",
        "proposed_at",
    ]
    list_filter = ["status", "purpose"]
    list_select_related = ["file", "fund", "fund__unit", "campaign"]
    # Payments show the masked ID on the file's own admin page, never here.
    exclude = ["student_id_hash", "request_key"]


class BankFileLayoutForm(forms.ModelForm):
    class Meta:
        model = BankFileLayout
        fields = ["unit", "columns"]

    def clean_columns(self):
        from funds.bank import layout_problems

        columns = self.cleaned_data.get("columns")
        problems = layout_problems(columns)
        if problems:
            raise forms.ValidationError(problems)
        return columns


@admin.register(BankFileLayout)
class BankFileLayoutAdmin(BranchScopedAdmin):
    """The payment file a unit's bank accepts; units below without their own use it."""

    form = BankFileLayoutForm
    list_display = ["unit"]
    search_fields = ["unit__name", "unit__code"]
    autocomplete_fields = ["unit"]


@admin.register(BankFileExport)
class BankFileExportAdmin(ReadOnlyBranchAdmin):
    unit_path = "run__batch__unit__path"
    list_display = ["at", "user", "run", "row_count", "reason"]
    list_select_related = ["user", "run"]
