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
