"""The refreshes of the precomputed figures, for admins to see how fresh the dashboards are.

Read-only: the rows are written by reports/tallies.py alone.
"""

from django.contrib import admin

from reports.models import TallyRefresh


@admin.register(TallyRefresh)
class TallyRefreshAdmin(admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "seconds", "rows", "months"]
    date_hierarchy = "started_at"

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
