"""Generated documents and long jobs: the row every background job reports through."""

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from people.models import UnionUnit, User


def _document_path(instance: "GeneratedDocument", filename: str) -> str:
    return f"documents/{instance.created_at:%Y/%m}/{uuid.uuid4().hex}-{filename}"


class GeneratedDocument(models.Model):
    """A requested document or long job (PDF, spreadsheet, visit lists): the one mechanism
    every background job reports through.

    A Celery task claims the row (pending, or running with an expired lease →
    running) with a conditional UPDATE, renews its lease while it works, reports
    progress (done of total), and leaves the file or the error. The web
    page polls it for a progress bar. ``unit`` decides who may see it: the
    requester's branch rules apply to the download as to the page it came from.
    ``dedupe_key`` makes a second request for the same work while one is
    pending or running fail at the database, so two builds never run at once.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        # "Done" alone is a follow-up's 已办结; a finished job is 已完成.
        DONE = "done", pgettext_lazy("job status", "Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    result = models.FileField(_("file"), upload_to=_document_path, blank=True)
    result_name = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The running worker renews this while it works; once it has passed, the
    # worker is taken for dead and another may claim the job.
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True)

    class Meta:
        verbose_name = _("generated document")
        verbose_name_plural = _("generated documents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="document_by_user"),
            models.Index(fields=["status", "expires_at"], name="document_expiry"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status__in=["pending", "running"]) & ~Q(dedupe_key=""),
                name="one_running_job_per_key",
            ),
            models.CheckConstraint(
                condition=Q(progress_done__lte=F("progress_total")) | Q(progress_total=0),
                name="document_progress_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:document_detail", kwargs={"pk": self.pk})

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 0 if self.status != self.Status.DONE else 100
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)

    @property
    def duration(self) -> timedelta | None:
        """How long the last run took, once it has finished (None before)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return max(self.finished_at - self.started_at, timedelta(0))
