"""Report emails: their schedules, the outbox that makes sending idempotent, recipients' health."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mailings.choices import EmailKind, OutboxStatus, ProgressFrequency, Weekday
from people.models import UnionUnit, User
from visits.models import Campaign


class EmailSchedule(models.Model):
    """When one kind of email goes out (defaults in mailings/schedules.py)."""

    kind = models.CharField(
        _("kind of email"), max_length=20, choices=EmailKind.choices, unique=True
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("Used by the weekly digest."),
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Used by the monthly report (1 to 28, so that every month has it)."),
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"), default=8, validators=[MaxValueValidator(23)]
    )
    minute = models.PositiveSmallIntegerField(
        _("minute"), default=0, validators=[MaxValueValidator(59)]
    )

    class Meta:
        verbose_name = _("email schedule")
        verbose_name_plural = _("email schedules")
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="schedule_weekday_range"),
            models.CheckConstraint(
                condition=Q(day_of_month__gte=1, day_of_month__lte=28),
                name="schedule_day_of_month_range",
            ),
            models.CheckConstraint(condition=Q(hour__lte=23), name="schedule_hour_range"),
            models.CheckConstraint(condition=Q(minute__lte=59), name="schedule_minute_range"),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class CampaignProgressSchedule(models.Model):
    """How often the organiser's approvers get a campaign's progress by email."""

    campaign = models.OneToOneField(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="progress_schedule",
    )
    frequency = models.CharField(
        _("frequency"),
        max_length=10,
        choices=ProgressFrequency.choices,
        default=ProgressFrequency.OFF,
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("For weekly emails."),
    )
    hour = models.PositiveSmallIntegerField(
        _("hour"), default=9, validators=[MaxValueValidator(23)]
    )
    updated_by = models.ForeignKey(
        User,
        verbose_name=_("last changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("campaign progress schedule")
        verbose_name_plural = _("campaign progress schedules")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="progress_weekday_range"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="progress_hour_range"),
        ]

    def __str__(self) -> str:
        return str(self.campaign)


class EmailOptOut(models.Model):
    """A person who asked not to receive one kind of email."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    kind = models.CharField(_("kind of email"), max_length=20, choices=EmailKind.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("email opt-out")
        verbose_name_plural = _("email opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_opt_out_per_user_and_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()}"


class MailRecipient(models.Model):
    """A person's sending health: failures in a row, and whether sending to them is paused."""

    user = models.OneToOneField(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="mail_health",
    )
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    paused_at = models.DateTimeField(_("paused"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)

    class Meta:
        verbose_name = _("email recipient")
        verbose_name_plural = _("email recipients")

    def __str__(self) -> str:
        return str(self.user)


class OutboxEmail(models.Model):
    """One email to one person for one occasion; the unique key makes sending it idempotent.

    mailings/outbox.py says how a row moves from pending to sent, and why it is
    sent at most once.
    """

    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="outbox_emails"
    )
    kind = models.CharField(_("kind of email"), max_length=20, choices=EmailKind.choices)
    period = models.CharField(_("period"), max_length=64)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.EmailField(_("address"))
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=OutboxStatus.choices,
        default=OutboxStatus.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    resent_count = models.PositiveIntegerField(_("times resent"), default=0)
    resent_at = models.DateTimeField(_("last resent"), null=True, blank=True)
    resent_by = models.ForeignKey(
        User,
        verbose_name=_("resent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("outbox email")
        verbose_name_plural = _("outbox emails")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The guarantee against duplicates, whatever the scheduler does.
            models.UniqueConstraint(
                fields=["recipient", "kind", "period"], name="one_email_per_recipient_and_period"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} → {self.address}"


class MonthlyReportFile(models.Model):
    """One unit's monthly report in one language, worked out once for all its approvers.

    The periodic report PDF, and the key figures the email shows (values and
    the year before, by ``reports.statistics.BranchFigures`` attribute), so
    that neither is computed again for each approver.
    """

    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("period"), max_length=16)
    language = models.CharField(_("language"), max_length=10)
    content = models.BinaryField(_("PDF"))
    figures = models.JSONField(_("key figures"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("monthly report file")
        verbose_name_plural = _("monthly report files")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "period", "language"], name="one_report_file_per_unit_and_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.period} {self.language}"
