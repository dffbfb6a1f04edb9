"""Pairing, visits and their follow-ups, help beyond money, and the seasonal campaigns."""

from decimal import Decimal

import pghistory
import pgtrigger
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.limits import FINDINGS_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from documents.uploads import StoredUpload
from hardship.choices import Category
from hardship.models import MONEY, HardshipFile
from people.models import UnionUnit, User
from visits.choices import (
    AFTER_EXIT_MONTHS,
    FollowUpKind,
    FollowUpStatus,
    HelpKind,
    PairingRole,
    Season,
    VisitKind,
    VisitListStatus,
)


class Cadre(models.Model):
    """A person paired with households: a leading cadre or a union helper (may or may not sign in)."""

    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="cadres"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    position = models.CharField(pgettext_lazy("job", "position"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=24, blank=True)
    user = models.OneToOneField(
        User,
        verbose_name=_("user account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cadre",
    )
    is_leading_cadre = models.BooleanField(_("leading cadre"), default=False)

    class Meta:
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        ordering = ["unit", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.position}）" if self.position else self.name

    def get_absolute_url(self) -> str:
        return reverse("visits:cadre_detail", kwargs={"pk": self.pk})


# Every change is kept by database triggers with who made it (the request's user, through
# pghistory's middleware): the audit page (audit/) shows them.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="PairingEvent",
    meta={
        "verbose_name": _("change of a pairing"),
        "verbose_name_plural": _("changes of pairings"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="pairing_event_at")],
    },
)
class Pairing(models.Model):
    """A cadre paired with a household (结对帮扶) for a time; history is kept, never rewritten."""

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="pairings",
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="pairings"
    )
    role = models.CharField(_("role"), max_length=14, choices=PairingRole.choices)
    starts_on = models.DateField(pgettext_lazy("period", "from"))
    ends_on = models.DateField(pgettext_lazy("period", "until"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        ordering = ["file", "-starts_on", "-id"]
        constraints = [
            # The "double pairing": one current leading cadre and one current helper per household.
            models.UniqueConstraint(
                fields=["file", "role"],
                condition=Q(ends_on__isnull=True),
                name="one_current_pairing_per_role",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.file_id} ({self.get_role_display()})"


class EnterprisePairing(models.Model):
    """A cadre paired with an enterprise in difficulty (领导干部联系困难企业)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="enterprise_pairings"
    )
    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )
    enterprise_name = models.CharField(_("enterprise"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    starts_on = models.DateField(pgettext_lazy("period", "from"))
    ends_on = models.DateField(pgettext_lazy("period", "until"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise pairing")
        verbose_name_plural = _("enterprise pairings")
        ordering = ["unit", "enterprise_name", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="enterprise_pairing_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.enterprise_name


class Campaign(models.Model):
    """A seasonal campaign (活动) organised by a unit for its branch."""

    season = models.CharField(_("season"), max_length=10, choices=Season.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=100)
    organiser = models.ForeignKey(
        UnionUnit,
        verbose_name=_("organising unit"),
        on_delete=models.PROTECT,
        related_name="campaigns",
    )
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    # The target-group rule: which files the visit lists take (visits/rules.py).
    target_rule = models.JSONField(_("target group"), default=dict)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="campaign_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("visits:campaign_detail", kwargs={"pk": self.pk})


class CampaignAidStandard(models.Model):
    """The campaign's standard payment for a household of a category (used by the funds)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="aid_standards")
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("aid standard")
        verbose_name_plural = _("aid standards")
        ordering = ["campaign", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "category"], name="one_standard_per_category"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="aid_standard_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.category} {self.amount}"


class CampaignCorrection(models.Model):
    """One correction of a campaign by its organiser: who, when, and each field's old → new.

    Written by ``campaign_correct`` only; the campaign page shows the latest ones. Values are
    kept as they were shown (dates, amounts, a rule's JSON) so a later change of labels does
    not rewrite what was corrected.
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="corrections"
    )
    corrected_by = models.ForeignKey(
        User, verbose_name=_("corrected by"), on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(_("corrected"), auto_now_add=True)
    # [{"field": "starts_on" | "ends_on" | "name" | "target_rule" | "standard:<category>",
    #   "old": str, "new": str}], in the order the form shows them.
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("campaign correction")
        verbose_name_plural = _("campaign corrections")
        ordering = ["-corrected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.corrected_at:%Y-%m-%d %H:%M}"


# Every change is kept by database triggers with who made it (the request's user, through
# pghistory's middleware): the audit page (audit/) shows them.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="VisitEvent",
    meta={
        "verbose_name": _("change of a visit"),
        "verbose_name_plural": _("changes of visits"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="visit_event_at")],
    },
)
class Visit(models.Model):
    """A visit (走访慰问) to a household: what was found, solved, handed over."""

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    visited_on = models.DateField(_("visited on"))
    kind = models.CharField(
        _("kind of visit"), max_length=10, choices=VisitKind.choices, default=VisitKind.HOME
    )
    visitors = models.ManyToManyField(
        User, verbose_name=_("who went"), related_name="+", blank=True
    )
    cadres = models.ManyToManyField(
        Cadre, verbose_name=_("cadres who went"), related_name="visits", blank=True
    )
    people_reached = models.PositiveSmallIntegerField(
        _("people reached"),
        default=1,
        help_text=_("Household members met or helped: counted as person-times."),
    )
    findings = models.TextField(_("what was found"), max_length=FINDINGS_MAX_LENGTH)
    pressing_problems = models.TextField(
        _("most pressing problems"), max_length=NOTE_MAX_LENGTH, blank=True
    )
    solved_on_spot = models.TextField(
        _("solved on the spot"), max_length=NOTE_MAX_LENGTH, blank=True
    )
    goods = models.CharField(_("goods handed over"), max_length=200, blank=True)
    goods_value = models.DecimalField(_("value of the goods (yuan)"), default=Decimal(0), **MONEY)
    cash_amount = models.DecimalField(_("money handed over (yuan)"), default=Decimal(0), **MONEY)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["file", "-visited_on"], name="visit_file_date"),
            models.Index(fields=["campaign", "file"], name="visit_campaign_file"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(goods_value__gte=0) & Q(cash_amount__gte=0),
                name="visit_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(people_reached__gte=1), name="visit_reaches_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.visited_on}"


class VisitPhoto(StoredUpload):
    """A photo taken at a visit, checked by its bytes like every upload."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit", "id"]

    def upload_folder(self) -> str:
        return f"visit-photos/{self.visit_id}"


# Every change is kept by database triggers with who made it (the request's user, through
# pghistory's middleware): the audit page (audit/) shows them.
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    model_name="FollowUpEvent",
    meta={
        "verbose_name": _("change of a follow-up"),
        "verbose_name_plural": _("changes of follow-ups"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="followup_event_at")],
    },
)
class FollowUp(models.Model):
    """A problem not solved on the spot, followed up (跟踪督办) until done or cancelled; or a
    call to a household some months after it came out of hardship (``kind``), which no visit
    raised: those are created by ``visits.services.follow_ups_after_exit_create``."""

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    kind = models.CharField(
        _("kind of follow-up"),
        max_length=8,
        choices=FollowUpKind.choices,
        default=FollowUpKind.VISIT,
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("raised at the visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
    )
    # The exit a call after exit follows: a household may exit, be reopened and exit again.
    exited_on = models.DateField(_("out of hardship on"), null=True, blank=True)
    problem = models.TextField(_("problem"), max_length=REASON_MAX_LENGTH)
    owner = models.ForeignKey(
        User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="follow_ups"
    )
    due_on = models.DateField(_("due"))
    needs_return_visit = models.BooleanField(_("needs a return visit"), default=True)
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), max_length=NOTE_MAX_LENGTH, blank=True)
    cancel_reason = models.TextField(
        _("reason for cancelling"), max_length=REASON_MAX_LENGTH, blank=True
    )
    return_visit = models.ForeignKey(
        Visit,
        verbose_name=_("return visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returned_follow_ups",
    )
    closed_by = models.ForeignKey(
        User,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="followup_open_due"),
            models.Index(fields=["owner", "status", "due_on"], name="followup_owner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(resolution=""), name="followup_done_has_resolution"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="followup_cancel_has_reason",
            ),
            # A visit's follow-up names its visit; a call after exit names the exit instead.
            models.CheckConstraint(
                condition=Q(kind=FollowUpKind.VISIT, visit__isnull=False, exited_on__isnull=True)
                | Q(kind__in=list(AFTER_EXIT_MONTHS), visit__isnull=True, exited_on__isnull=False),
                name="followup_kind_matches_its_origin",
            ),
            # One call of each kind per exit, however often the daily task runs.
            models.UniqueConstraint(
                fields=["file", "kind", "exited_on"],
                condition=Q(kind__in=list(AFTER_EXIT_MONTHS)),
                name="one_call_of_a_kind_per_exit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.problem[:30]}"

    @property
    def raised_on(self):
        """The day the follow-up began: its visit's, or the exit's."""
        return self.visit.visited_on if self.visit_id else self.exited_on


class HelpService(models.Model):
    """Help beyond money (帮扶服务): jobs, training, legal aid, support; counted in person-times."""

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="help_services",
    )
    kind = models.CharField(_("kind of help"), max_length=14, choices=HelpKind.choices)
    provided_on = models.DateField(_("date"))
    provider = models.CharField(_("provider"), max_length=100)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_services",
    )
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_services",
    )
    person_times = models.PositiveSmallIntegerField(_("person-times"), default=1)
    outcome = models.TextField(_("outcome"), max_length=NOTE_MAX_LENGTH, blank=True)
    training_hours = models.PositiveSmallIntegerField(_("training hours"), null=True, blank=True)
    certificate = models.CharField(_("certificate"), max_length=100, blank=True)
    amount_recovered = models.DecimalField(
        _("wages recovered (yuan)"), null=True, blank=True, **MONEY
    )
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("help service")
        verbose_name_plural = _("help services")
        ordering = ["-provided_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(person_times__gte=1), name="help_counts_someone"),
            models.CheckConstraint(
                condition=Q(amount_recovered__isnull=True) | Q(amount_recovered__gte=0),
                name="help_recovered_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.kind} {self.provided_on}"


class VisitList(models.Model):
    """The frozen list of households one unit visits in a campaign (走访名单)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="visit_lists"
    )
    unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("union unit"),
        on_delete=models.PROTECT,
        related_name="visit_lists",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=VisitListStatus.choices,
        default=VisitListStatus.BUILDING,
    )
    row_count = models.PositiveIntegerField(_("households"), default=0)
    built_at = models.DateTimeField(_("built"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit list")
        verbose_name_plural = _("visit lists")
        ordering = ["campaign", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"], name="one_list_per_unit_and_campaign"
            ),
        ]
        triggers = [
            # The last line behind the build's own guards: an approved list is frozen.
            pgtrigger.Protect(
                name="approved_list_never_changes",
                operation=pgtrigger.Update | pgtrigger.Delete,
                condition=pgtrigger.Q(old__status="approved"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.unit}"


_FROZEN_ROWS_CHECK = """
    IF EXISTS (
        SELECT 1 FROM {rows} r JOIN visits_visitlist vl ON vl.id = r.visit_list_id
        WHERE vl.status = 'approved'
    ) THEN
        RAISE EXCEPTION 'the rows of an approved visit list do not change'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'approved_list_rows_frozen';
    END IF;
    RETURN NULL;
"""

_FROZEN_ROWS_REWRITE_CHECK = """
    IF EXISTS (
        SELECT 1 FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        JOIN visits_visitlist vl ON vl.id IN (o.visit_list_id, n.visit_list_id)
        WHERE vl.status = 'approved' AND (to_jsonb(n) - 'visit_id') <> (to_jsonb(o) - 'visit_id')
    ) THEN
        RAISE EXCEPTION 'the rows of an approved visit list do not change'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'approved_list_rows_frozen';
    END IF;
    RETURN NULL;
"""


class VisitListRow(models.Model):
    """One household on a visit list, with what the list showed when it was built (frozen)."""

    visit_list = models.ForeignKey(VisitList, on_delete=models.PROTECT, related_name="rows")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+")
    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="visit_list_rows")
    priority = models.PositiveIntegerField(_("order"))
    township = models.CharField(_("township or street"), max_length=100)
    community = models.CharField(_("community"), max_length=100)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    masked_id_number = models.CharField(_("ID number"), max_length=24)
    address = models.CharField(_("home address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=24)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, blank=True)
    main_cause = models.CharField(_("main cause"), max_length=50)
    model_worker = models.BooleanField(_("model worker in hardship"), default=False)
    last_visited_on = models.DateField(_("last visit"), null=True, blank=True)
    helper = models.ForeignKey(
        Cadre,
        verbose_name=_("helper"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    helper_name = models.CharField(_("helper"), max_length=60, blank=True)
    visit = models.ForeignKey(
        Visit,
        verbose_name=_("visit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("visit list row")
        verbose_name_plural = _("visit list rows")
        ordering = ["visit_list", "priority"]
        indexes = [models.Index(fields=["visit_list", "priority"], name="listrow_order")]
        # Rows of an approved list are neither added, removed nor rewritten; recording the
        # visit that reached a household (``visit``) is the one change allowed. Checked once
        # per statement, so a build's INSERT … SELECT of many rows costs one join.
        triggers = [
            pgtrigger.Trigger(
                name="approved_list_rows_not_added",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=_FROZEN_ROWS_CHECK.format(rows="new_rows"),
            ),
            pgtrigger.Trigger(
                name="approved_list_rows_not_removed",
                operation=pgtrigger.Delete,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_rows"),
                func=_FROZEN_ROWS_CHECK.format(rows="old_rows"),
            ),
            pgtrigger.Trigger(
                name="approved_list_rows_not_rewritten",
                operation=pgtrigger.Update,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
                func=_FROZEN_ROWS_REWRITE_CHECK,
            ),
        ]
        constraints = [
            # A household is listed once per campaign, whatever rebuilds or retries happen.
            models.UniqueConstraint(
                fields=["campaign", "file"], name="one_row_per_household_and_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_list_id}#{self.priority} {self.name}"
