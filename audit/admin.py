from django.contrib import admin

from audit.models import RetentionRun


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    """Each run of the retention and what it erased: read-only, for superusers (it spans every
    branch)."""

    list_display = [
        "started_at", "dry_run", "cutoff", "files", "members", "attachments", "photos",
        "roster_scans", "history_rows", "finished_at",
    ]  # fmt: skip
    list_filter = ["dry_run"]

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
