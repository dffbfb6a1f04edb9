"""The record of who read the audit: reading who looked at people's data is itself looked at."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from people.models import User


class AuditSection(models.TextChoices):
    ID_NUMBERS = "ids", _("Full ID numbers seen")
    CHANGES = "changes", _("Changes to files")
    SIGN_INS = "sign_ins", _("Sign-ins")
    ACCOUNTS = "accounts", _("Accounts and roles")
    READINGS = "readings", _("Readings of the audit")


class AuditReading(models.Model):
    """One look at the audit page or one export of it: who, which part, which filters, when."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    section = models.CharField(_("part"), max_length=10, choices=AuditSection.choices)
    # The filters as typed (a username, a file number, dates): no personal data of a household.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    # Rows written to a download; null when the page was only looked at.
    exported_rows = models.PositiveIntegerField(_("rows exported"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reading of the audit")
        verbose_name_plural = _("readings of the audit")
        ordering = ["-at"]
        indexes = [models.Index(fields=["-at"], name="auditreading_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.section} {self.at:%Y-%m-%d %H:%M}"


class RetentionRun(models.Model):
    """One run of the retention that ends: when, up to which day, what it erased (or, in a dry
    run, would erase)."""

    dry_run = models.BooleanField(_("dry run"))
    # Files that left hardship or were closed before this day were due.
    cutoff = models.DateField(_("ended before"))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    files = models.PositiveIntegerField(_("files anonymised"), default=0)
    members = models.PositiveIntegerField(_("members anonymised"), default=0)
    visits = models.PositiveIntegerField(_("visit notes erased"), default=0)
    attachments = models.PositiveIntegerField(_("attachments deleted"), default=0)
    photos = models.PositiveIntegerField(_("visit photos deleted"), default=0)
    roster_scans = models.PositiveIntegerField(_("roster scans deleted"), default=0)
    history_rows = models.PositiveIntegerField(_("history rows deleted"), default=0)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.cutoff} {self.files}"
