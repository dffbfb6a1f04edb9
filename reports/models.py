"""Precomputed figures of every unit's branch (see reports/tallies.py for how they are kept)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from people.models import UnionUnit

# The month of a figure that is a count "as at the last refresh" (files on record now,
# coverage of current campaigns, overdue follow-ups) rather than a month's movement.
AS_AT_REFRESH = 0


class BranchTally(models.Model):
    """One figure of one unit's whole branch (the unit and every unit below it).

    ``month`` is YYYYMM for a month's movement (files opened, visits, money paid…)
    or ``AS_AT_REFRESH`` for a count of how things stand. Only large branches have
    rows of every measure, and their child units the breakdown's; a small branch's
    figures are counted directly from its own few rows (reports.tallies.read_tallies).
    """

    unit = models.ForeignKey(UnionUnit, on_delete=models.CASCADE, related_name="+")
    month = models.PositiveIntegerField()
    measure = models.CharField(max_length=24)
    key = models.CharField(max_length=48, blank=True)
    value = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("branch figure")
        verbose_name_plural = _("branch figures")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "month", "measure", "key"], name="one_tally_per_unit_month_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month} {self.measure}:{self.key}={self.value}"


class BranchLink(models.Model):
    """``unit`` lies in ``ancestor``'s branch (a unit is in its own): the closure of the
    tree, rebuilt by each refresh so figures roll up with one join."""

    ancestor = models.ForeignKey(UnionUnit, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(UnionUnit, on_delete=models.CASCADE, related_name="+")
    # The ancestor's figures are kept whole (every measure); False for the child unit of a
    # kept unit, whose rows hold only the measures of the breakdown by child unit.
    whole = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "ancestor"], name="one_link_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.ancestor_id} ⊇ {self.unit_id}"


class TallyRefresh(models.Model):
    """The last refresh of the precomputed figures: when, how long, which months."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    months = models.JSONField(_("months counted again"), default=list)
    rows = models.PositiveIntegerField(_("figures written"), default=0)
    seconds = models.FloatField(_("seconds taken"), default=0)

    class Meta:
        verbose_name = _("refresh of the figures")
        verbose_name_plural = _("refreshes of the figures")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.rows})"
