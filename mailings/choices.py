"""The fixed lists of the report emails. English in code, Chinese through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")
    MONTHLY_REPORT = "monthly_report", _("Monthly report")
    CAMPAIGN_PROGRESS = "campaign_progress", _("Campaign progress")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will retry)")
    UNCERTAIN = "uncertain", _("Uncertain (may have been sent)")
    PAUSED = "paused", _("Paused (recipient paused)")
    SKIPPED = "skipped", _("Skipped")


class ProgressFrequency(models.TextChoices):
    OFF = "off", _("No progress emails")
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
