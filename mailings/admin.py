"""Administration of the report emails: the outbox, paused recipients, schedules, opt-outs.

Superusers only: the outbox names people and addresses across every branch,
and unit administrators manage units and users, not mail. Outbox rows are
read-only; they change only through the outbox's own functions ("send again",
"resume"), which keep the at-most-once guarantee.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mailings.models import (
    CampaignProgressSchedule,
    EmailOptOut,
    EmailSchedule,
    MailRecipient,
    OutboxEmail,
)
from mailings.outbox import outbox_resend
from mailings.services import mail_recipient_resume


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxEmail)
class OutboxEmailAdmin(SuperuserOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "period",
        "recipient",
        "address",
        "status",
        "attempts",
        "sent_at",
        "resent",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["recipient__username", "recipient__full_name", "address", "period"]
    list_select_related = ["recipient", "resent_by"]
    date_hierarchy = "created_at"
    actions = ["send_again"]
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]

    def has_change_permission(self, request, obj=None) -> bool:
        # Viewable, never edited by hand: the status moves only through the outbox.
        return False

    @admin.display(description=_("resent"))
    def resent(self, email: OutboxEmail) -> str:
        if not email.resent_count:
            return ""
        return _("%(count)s× (last %(at)s by %(by)s)") % {
            "count": email.resent_count,
            "at": timezone.localtime(email.resent_at).strftime("%Y-%m-%d %H:%M")
            if email.resent_at
            else "",
            "by": email.resent_by or "",
        }

    @admin.action(description=_("Send again (once more)"))
    def send_again(self, request, queryset) -> None:
        if not request.user.is_superuser:
            return
        count = sum(
            outbox_resend(email_id=pk, by=request.user)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d email will be sent again.",
                "%(count)d emails will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class PausedFilter(admin.SimpleListFilter):
    title = _("paused")
    parameter_name = "paused"

    def lookups(self, request, model_admin):
        return [("yes", _("Paused")), ("no", _("Not paused"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(paused_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(paused_at__isnull=True)
        return queryset


@admin.register(MailRecipient)
class MailRecipientAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "consecutive_failures", "paused_at", "last_failure_at", "last_error"]
    list_filter = [PausedFilter]
    search_fields = ["user__username", "user__full_name", "user__email"]
    list_select_related = ["user"]
    actions = ["resume"]
    readonly_fields = ["user", "consecutive_failures", "paused_at", "last_error", "last_failure_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Resume sending"))
    def resume(self, request, queryset) -> None:
        if not request.user.is_superuser:
            return
        users = list(queryset.values_list("pk", flat=True))
        for user_id in users:
            mail_recipient_resume(user_id=user_id)
        self.message_user(
            request,
            ngettext(
                "Sending resumed for %(count)d person.",
                "Sending resumed for %(count)d people.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )


@admin.register(EmailSchedule)
class EmailScheduleAdmin(SuperuserOnlyAdmin):
    list_display = ["kind", "enabled", "weekday", "day_of_month", "hour", "minute"]
    list_editable = ["enabled"]
    readonly_fields = ["kind"]


@admin.register(EmailOptOut)
class EmailOptOutAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["user__username", "user__full_name"]
    list_select_related = ["user"]

    def has_change_permission(self, request, obj=None) -> bool:
        # People choose for themselves on their profile page.
        return False


@admin.register(CampaignProgressSchedule)
class CampaignProgressScheduleAdmin(SuperuserOnlyAdmin):
    list_display = ["campaign", "frequency", "weekday", "hour", "updated_by", "updated_at"]
    list_filter = ["frequency"]
    list_select_related = ["campaign", "updated_by"]
    readonly_fields = ["campaign", "updated_by", "updated_at"]
