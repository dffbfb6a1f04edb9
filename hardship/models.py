"""Hardship files (困难职工档案): the households, their members, and each step of a file's life."""

import uuid
from decimal import Decimal

import pghistory
import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.crypto import EncryptedCharField, HashedIdField
from common.limits import FINDINGS_MAX_LENGTH, NOTE_MAX_LENGTH, REASON_MAX_LENGTH
from documents.uploads import StoredUpload
from hardship.choices import (
    ACTIVE_STATUSES,
    ETHNIC_GROUPS,
    AttachmentKind,
    Category,
    CloseReason,
    Disability,
    EmploymentStatus,
    EnterpriseSituation,
    ExitReason,
    FileStatus,
    Gender,
    Health,
    HukouType,
    MaritalStatus,
    MedicalInsurance,
    MemberEmployment,
    ModelWorkerLevel,
    PoliticalStatus,
    Relation,
    SchoolStage,
    TransferStatus,
)
from hardship.identity import mask_id_number, validate_credit_code, validate_phone
from people.models import UnionUnit, User, division_code_validator


# Who set each standard and when, old → new, is kept by database triggers (the unit
# administrators' pages in hardship/standards.py show the latest changes).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="MinimumLivingStandardEvent",
    meta={
        "verbose_name": _("change of a minimum living standard"),
        "verbose_name_plural": _("changes of minimum living standards"),
    },
)
class MinimumLivingStandard(models.Model):
    """The local minimum living standard (低保标准) of a division for a year, per person a month.

    Unit administrators keep it for the divisions their branch's units serve. A household is compared with the most specific
    standard known for its division: its own code, else its county's, city's
    or province's.
    """

    division_code = models.CharField(
        _("administrative-division code"), max_length=12, validators=[division_code_validator]
    )
    year = models.PositiveSmallIntegerField(_("year"))
    urban_monthly = models.DecimalField(
        _("urban standard (yuan a person a month)"), max_digits=8, decimal_places=2
    )
    rural_monthly = models.DecimalField(
        _("rural standard (yuan a person a month)"), max_digits=8, decimal_places=2
    )

    class Meta:
        verbose_name = _("minimum living standard")
        verbose_name_plural = _("minimum living standards")
        ordering = ["division_code", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code", "year"], name="one_standard_per_division_year"
            ),
            models.CheckConstraint(
                condition=Q(urban_monthly__gt=0) & Q(rural_monthly__gt=0),
                name="standard_is_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division_code} {self.year}"


class HardshipCause(models.Model):
    """A cause of hardship (致困原因). A fixed list is loaded by migration; admins may add more."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    is_sudden = models.BooleanField(
        _("sudden cause"),
        default=False,
        help_text=_("Disaster, accident or injury: the calculator proposes hardship by accident."),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("cause of hardship")
        verbose_name_plural = _("causes of hardship")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


MONEY = {"max_digits": 12, "decimal_places": 2}
# Above this a household figure is a typing error, not a hardship household.
ABSURD_YUAN = Decimal("10000000")


class SearchKeys(models.Func):
    """``string_to_array(search_keys, ' ')``: the expression the name search's GIN index is
    built on, and that hardship.selectors.files_search filters by."""

    function = "string_to_array"
    template = "string_to_array(%(expressions)s, ' ')"
    output_field = ArrayField(models.TextField())


# The FileNameKey rows of a set of files ``{files}`` (a table, or a subquery in parentheses),
# written by the triggers that keep that table and by loads that run with them off
# (demo/scale/files.py). A key the name repeats (王王) is written once: a third faster than
# ON CONFLICT DO NOTHING, which inserts each row speculatively.
NAME_KEY_ROWS_INSERT = (
    'INSERT INTO "hardship_filenamekey" '
    '("file_id", "key", "unit_path", "status", "category", "created_at") '
    'SELECT f."id", k.key, f."unit_path", f."status", f."category", f."created_at" '
    "FROM {files} AS f "
    "CROSS JOIN unnest(ARRAY(SELECT DISTINCT unnest(string_to_array(f.\"search_keys\", ' ')))) "
    "AS k(key) WHERE k.key <> '';"
)
# The updated files whose name key rows are stale: any column the rows copy has changed.
_FILES_WITH_STALE_NAME_KEYS = (
    'SELECT n.* FROM old_files AS o JOIN new_files AS n ON n."id" = o."id" '
    'WHERE (o."search_keys", o."unit_path", o."status", o."category", o."created_at") '
    'IS DISTINCT FROM (n."search_keys", n."unit_path", n."status", n."category", n."created_at")'
)
# Rewrites the stale rows set-wise: a branch's move or a bulk status change is one statement.
_NAME_KEYS_ON_UPDATE = (
    'DELETE FROM "hardship_filenamekey" WHERE "file_id" IN '  # noqa: S608 - constants only
    f'(SELECT "id" FROM ({_FILES_WITH_STALE_NAME_KEYS}) AS stale); '
    + NAME_KEY_ROWS_INSERT.format(files=f"({_FILES_WITH_STALE_NAME_KEYS})")
    + " RETURN NULL;"
)


def _money_in_range(field: str) -> Q:
    return Q(**{f"{field}__gte": 0}) & Q(**{f"{field}__lt": ABSURD_YUAN})


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["search_keys", "unit_path", "updated_at"],
    model_name="HardshipFileEvent",
    meta={
        "verbose_name": _("change of a hardship file"),
        "verbose_name_plural": _("changes of hardship files"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="file_event_at")],
    },
)
class HardshipFile(models.Model):
    """A hardship file (困难职工档案) on one worker household.

    Only the services in hardship/services.py change ``status``; every change
    to any field is kept by database triggers (django-pghistory) in
    ``HardshipFileEvent``, bulk updates included.
    """

    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="files"
    )
    file_number = models.CharField(_("file number"), max_length=32, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=20, choices=FileStatus.choices, default=FileStatus.APPLIED
    )

    # The worker
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = EncryptedCharField(_("national ID number"))
    id_hash = HashedIdField(source="id_number")
    # Region and last four only (420102********1234): what lists and printed
    # rosters show, kept beside the ciphertext so they can be built in SQL.
    id_number_masked = models.CharField(
        _("ID number (masked)"), max_length=24, editable=False, default=""
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(
        _("ethnic group"), max_length=2, choices=ETHNIC_GROUPS, default="01"
    )
    political_status = models.CharField(
        _("political status"),
        max_length=20,
        choices=PoliticalStatus.choices,
        default=PoliticalStatus.MASSES,
    )
    phone = models.CharField(_("phone"), max_length=24, validators=[validate_phone])
    address = models.CharField(_("home address"), max_length=200)
    division_code = models.CharField(
        _("administrative division of the home"),
        max_length=12,
        validators=[division_code_validator],
        help_text=_("Decides which minimum living standard applies, e.g. 420102."),
    )
    hukou_type = models.CharField(
        _("household registration"), max_length=10, choices=HukouType.choices
    )
    marital_status = models.CharField(
        _("marital status"), max_length=12, choices=MaritalStatus.choices
    )
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.HEALTHY
    )
    disability = models.CharField(
        _("disability category"), max_length=12, choices=Disability.choices, default=Disability.NONE
    )
    employment_status = models.CharField(
        _("employment status"), max_length=12, choices=EmploymentStatus.choices
    )
    is_migrant_worker = models.BooleanField(_("migrant worker"), default=False)
    model_worker_level = models.CharField(
        _("model worker in hardship"),
        max_length=12,
        choices=ModelWorkerLevel.choices,
        default=ModelWorkerLevel.NONE,
    )
    employer_name = models.CharField(_("employer"), max_length=100, blank=True)
    employer_credit_code = models.CharField(
        _("employer's unified social credit code"),
        max_length=18,
        blank=True,
        validators=[validate_credit_code],
    )
    employer_situation = models.CharField(
        _("employer's situation"),
        max_length=14,
        choices=EnterpriseSituation.choices,
        default=EnterpriseSituation.NORMAL,
    )
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    job_is_outdoor_or_hot = models.BooleanField(
        _("outdoor, high-temperature or front-line job"), default=False
    )
    bank_name = models.CharField(_("bank"), max_length=50, blank=True)
    bank_account = EncryptedCharField(_("bank account for payments"), blank=True)

    # Economics, in yuan
    annual_income = models.DecimalField(_("household income this year"), **MONEY)
    medical_costs = models.DecimalField(_("medical costs"), default=0, **MONEY)
    schooling_costs = models.DecimalField(_("schooling costs"), default=0, **MONEY)
    disaster_costs = models.DecimalField(_("disaster costs"), default=0, **MONEY)
    household_size = models.PositiveSmallIntegerField(_("household size"))

    # Causes and needs
    main_cause = models.ForeignKey(
        HardshipCause, verbose_name=_("main cause"), on_delete=models.PROTECT, related_name="+"
    )
    secondary_causes = models.ManyToManyField(
        HardshipCause, verbose_name=_("other causes"), blank=True, related_name="+"
    )
    needs_living = models.BooleanField(_("living"), default=False)
    needs_medical = models.BooleanField(_("medical"), default=False)
    needs_schooling = models.BooleanField(_("schooling"), default=False)
    needs_employment = models.BooleanField(_("employment"), default=False)
    needs_housing = models.BooleanField(_("housing"), default=False)
    needs_legal = models.BooleanField(_("legal aid"), default=False)
    notes = models.TextField(_("notes"), max_length=NOTE_MAX_LENGTH, blank=True)

    # Category: proposed by the calculator, confirmed (or overridden, with a reason)
    proposed_category = models.CharField(
        _("proposed category"), max_length=10, choices=Category.choices, blank=True
    )
    category = models.CharField(_("category"), max_length=10, choices=Category.choices, blank=True)
    category_override_reason = models.TextField(
        _("reason for differing from the proposal"), max_length=REASON_MAX_LENGTH, blank=True
    )

    # Life
    entered_by = models.ForeignKey(
        User, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_by = models.ForeignKey(
        User, verbose_name=_("last changed by"), on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    content_changed_at = models.DateTimeField(_("content last changed"))
    opened_on = models.DateField(_("on file since"), null=True, blank=True)
    review_due_on = models.DateField(_("review due"), null=True, blank=True)
    ended_on = models.DateField(_("exited or closed on"), null=True, blank=True)
    # Set when the retention period ended and the personal data was erased (audit/retention.py).
    anonymised_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    exit_reason = models.CharField(
        _("exit reason"), max_length=14, choices=ExitReason.choices, blank=True
    )
    close_reason = models.CharField(
        _("close reason"), max_length=12, choices=CloseReason.choices, blank=True
    )

    # Space-separated search keys: runs of the name's characters, its pinyin
    # and initials (hardship/identity.py). A GIN index over them serves
    # two-character Chinese names, which trigram indexes cannot. The database also writes
    # each as a row of FileNameKey, from which the file list counts and pages a name search.
    search_keys = models.TextField(editable=False, default="")
    # The holding unit's materialized path, kept by the database (the trigger below and
    # hardship migration 0021's on units), never by Python: read it in queries, not from an
    # instance. The file list scopes by it (hardship.selectors.files_for_user), so a branch's
    # files are one range of the indexes below and a search's matches need no join with the
    # branch's units. Byte order ("C"), so a prefix is a range of those indexes.
    unit_path = models.CharField(
        _("unit path"), max_length=255, editable=False, default="", db_collation="C"
    )

    class Meta:
        verbose_name = _("hardship file")
        verbose_name_plural = _("hardship files")
        indexes = [
            models.Index(fields=["unit", "status"], name="file_unit_status"),
            models.Index(fields=["id_hash"], name="file_id_hash"),
            models.Index(fields=["status", "review_due_on"], name="file_review_due"),
            models.Index(fields=["phone"], name="file_phone"),
            models.Index(fields=["name", "birth_date"], name="file_name_birth"),
            models.Index(fields=["-created_at", "-id"], name="file_newest"),
            # The file list (hardship.selectors.file_list_page), each index led or followed by
            # the unit's path, so a branch is one range of it. A branch's count per status,
            # its first thousand files alone.
            models.Index(fields=["unit_path", "status"], name="file_path_status"),
            # A county's or a street's files newest first: the page's keys from this index alone,
            # sorted, instead of walking the whole province's file_newest for the few that are
            # theirs.
            models.Index(fields=["unit_path", "-created_at", "-id"], name="file_path_newest"),
            # A status's or a category's files of a branch, the other column at hand for the
            # other filter and the count per status.
            models.Index(
                fields=["status", "unit_path"], include=["category"], name="file_status_path"
            ),
            models.Index(
                fields=["category", "unit_path"], include=["status"], name="file_category_path"
            ),
            # A status within a category (在档 and 深度困难, the list's usual pair): each status's
            # capped count reads its first thousand files and no others.
            models.Index(
                fields=["status", "category", "unit_path"], name="file_status_category_path"
            ),
            # Exact-element search over the name's character runs and pinyin keys: serves
            # two-character Chinese queries such as 建国, which pg_trgm cannot.
            GinIndex(SearchKeys("search_keys"), name="file_search_keys"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(household_size__gte=1) & Q(household_size__lte=30),
                name="file_household_size_sane",
            ),
            models.CheckConstraint(
                condition=_money_in_range("annual_income"), name="file_income_sane"
            ),
            models.CheckConstraint(
                condition=_money_in_range("medical_costs"), name="file_medical_sane"
            ),
            models.CheckConstraint(
                condition=_money_in_range("schooling_costs"), name="file_schooling_sane"
            ),
            models.CheckConstraint(
                condition=_money_in_range("disaster_costs"), name="file_disaster_sane"
            ),
            models.CheckConstraint(
                condition=~Q(status=FileStatus.EXITED) | ~Q(exit_reason=""),
                name="file_exit_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=FileStatus.CLOSED) | ~Q(close_reason=""),
                name="file_close_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=FileStatus.ON_FILE) | ~Q(category=""),
                name="file_on_file_has_category",
            ),
        ]
        triggers = [
            # Files are kept for ten years and never deleted, whatever the code path.
            pgtrigger.Protect(name="file_never_deleted", operation=pgtrigger.Delete),
            # Whatever writes the unit (a transfer, an import, a full save with a stale copy),
            # the copy of its path is read from the unit itself.
            pgtrigger.Trigger(
                name="file_unit_path_from_unit",
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("unit_id", "unit_path"),
                when=pgtrigger.Before,
                func=(
                    'NEW."unit_path" := (SELECT "path" FROM "people_unionunit" '
                    'WHERE "id" = NEW."unit_id"); RETURN NEW;'
                ),
            ),
            # A new file's name keys, and a changed file's again, as FileNameKey rows: set-wise,
            # so an import's bulk_create or a branch's move writes them in one statement.
            pgtrigger.Trigger(
                name="file_name_keys_on_insert",
                operation=pgtrigger.Insert,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(new="new_files"),
                func=NAME_KEY_ROWS_INSERT.format(files="new_files") + " RETURN NULL;",
            ),
            pgtrigger.Trigger(
                name="file_name_keys_on_update",
                operation=pgtrigger.Update,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                referencing=pgtrigger.Referencing(old="old_files", new="new_files"),
                func=_NAME_KEYS_ON_UPDATE,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.file_number})"

    def get_absolute_url(self) -> str:
        return reverse("hardship:file_detail", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def masked_id_number(self) -> str:
        # The stored mask spares lists a decryption per row.
        return self.id_number_masked or mask_id_number(self.id_number)

    @property
    def rigid_spending(self) -> Decimal:
        return self.medical_costs + self.schooling_costs + self.disaster_costs

    @property
    def needs(self) -> list[str]:
        return [str(self._meta.get_field(f).verbose_name) for f in NEED_FIELDS if getattr(self, f)]


NEED_FIELDS = (
    "needs_living",
    "needs_medical",
    "needs_schooling",
    "needs_employment",
    "needs_housing",
    "needs_legal",
)


class FileNameKey(models.Model):
    """One key a file's name is found by (a word of its ``search_keys``), beside what the file
    list needs of the file: its unit's path, status, category and entry time.

    The file list reads a name search from these rows when the search (and a unit, statuses
    or categories) is all that narrows it, in order of entry (hardship.selectors.file_list_page): a branch's matches
    are one range of ``file_name_key_path``, which also holds what the list counts and sorts
    them by. So the search is counted and paged without reading a file (at a province 建国
    matched 5,712 files, and reading them was most of the list's time), and a county's
    search reads the county's matches, not the whole country's. Other filters read the files
    through the GIN index over ``search_keys``.

    Written by the database alone, never by Python: HardshipFile's triggers write a file's
    keys when it is inserted, and again when any column copied here changes (a rename, a
    status change, a transfer, a branch's move). Files are never deleted.
    """

    pk = models.CompositePrimaryKey("file", "key")
    # No constraint: the rows are written from the file's own row, in the same statement. No
    # index of its own: the primary key's leads with it.
    file = models.ForeignKey(
        HardshipFile,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    key = models.TextField(db_collation="C")
    unit_path = models.CharField(max_length=255, db_collation="C")
    status = models.CharField(max_length=20, choices=FileStatus.choices)
    category = models.CharField(max_length=10, choices=Category.choices, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                fields=["key", "unit_path"],
                include=["status", "category", "created_at", "file"],
                name="file_name_key_path",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.file_id})"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    model_name="HouseholdMemberEvent",
    meta={
        "verbose_name": _("change of a household member"),
        "verbose_name_plural": _("changes of household members"),
        "indexes": [models.Index(fields=["-pgh_created_at"], name="member_event_at")],
    },
)
class HouseholdMember(models.Model):
    """A member of the worker's household (家庭成员)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="members")
    relation = models.CharField(
        _("relation to the worker"), max_length=14, choices=Relation.choices
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = EncryptedCharField(_("national ID number"), blank=True)
    id_hash = HashedIdField(source="id_number", blank=True)
    birth_date = models.DateField(_("birth date"))
    health = models.CharField(
        _("health"), max_length=12, choices=Health.choices, default=Health.HEALTHY
    )
    school_stage = models.CharField(
        _("school stage"), max_length=14, choices=SchoolStage.choices, default=SchoolStage.NONE
    )
    school_name = models.CharField(_("school"), max_length=100, blank=True)
    school_year = models.PositiveSmallIntegerField(_("year of study"), null=True, blank=True)
    employment = models.CharField(_("employment"), max_length=12, choices=MemberEmployment.choices)
    monthly_income = models.DecimalField(_("monthly income"), default=0, **MONEY)
    medical_insurance = models.CharField(
        _("medical insurance"),
        max_length=12,
        choices=MedicalInsurance.choices,
        default=MedicalInsurance.RESIDENT,
    )

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["file", "birth_date", "id"]
        indexes = [models.Index(fields=["id_hash"], name="member_id_hash")]
        constraints = [
            models.UniqueConstraint(
                fields=["file", "id_hash"], condition=~Q(id_hash=""), name="member_listed_once"
            ),
            models.CheckConstraint(
                condition=_money_in_range("monthly_income"), name="member_income_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relation_display()})"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class FileTransition(models.Model):
    """One step in a file's life: who moved it from which status to which, when and why."""

    class Action(models.TextChoices):
        OPEN = "open", _("Application entered")
        FIRST_REVIEW = "first_review", _("First review passed")
        VERIFY = "verify", _("Home verification recorded")
        APPROVE = "approve", _("Approved and put on file")
        REJECT = "reject", _("Application refused")
        REVIEW = "review", _("Yearly review")
        EXIT = "exit", _("Out of hardship")
        CLOSE = "close", _("Closed")
        CATEGORY = "category", _("Category confirmed")
        TRANSFER_OUT = "transfer_out", _("Transferred out")
        TRANSFER_IN = "transfer_in", _("Transferred in")
        NOTICE = "notice", _("Put on a public notice")
        OBJECTION = "objection", _("Objection recorded")
        OBJECTION_DECIDED = "objection_end", _("Objection decided")
        SENT_BACK = "sent_back", _("Sent back to verification")
        CHECK_REQUESTED = "check_asked", _("Civil-affairs check requested")
        CHECK_ANSWERED = "check_result", _("Civil-affairs check result received")
        CHECK_DECIDED = "check_decided", _("Civil-affairs check mismatch decided")
        REOPEN = "reopen", _("Reopened: the household is in hardship again")

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(_("action"), max_length=14, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=FileStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=FileStatus.choices)
    by = models.ForeignKey(User, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason or notes"), max_length=NOTE_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("file transition")
        verbose_name_plural = _("file transitions")
        ordering = ["file", "at", "id"]
        triggers = [
            pgtrigger.Protect(
                name="transition_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.action}"


class HomeVerification(models.Model):
    """A home verification visit (入户核查) before a file is approved."""

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="verifications")
    visited_on = models.DateField(_("visited on"))
    verifiers = models.ManyToManyField(User, verbose_name=_("who went"), related_name="+")
    findings = models.TextField(_("findings"), max_length=FINDINGS_MAX_LENGTH)
    confirms_application = models.BooleanField(
        _("the visit confirms the application"), default=True
    )
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("home verification")
        verbose_name_plural = _("home verifications")
        ordering = ["file", "visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.file_id} {self.visited_on}"


class Attachment(StoredUpload):
    """A scan or photo proving something in the file (证明材料), served only through a checked view."""

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=12, choices=AttachmentKind.choices)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["file", "uploaded_at", "id"]

    def upload_folder(self) -> str:
        return f"attachments/{self.file_id}"


class IdNumberView(models.Model):
    """A record that someone saw a full national ID number (who, which file, when, how)."""

    class Purpose(models.TextChoices):
        DETAIL = "detail", _("Shown on the file page")
        EXPORT = "export", _("Exported")
        ADMIN = "admin", _("Shown in administration")
        RECORD = "record", _("Printed in the household's own record")

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.ForeignKey(
        HardshipFile, verbose_name=_("hardship file"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("full ID number view")
        verbose_name_plural = _("full ID number views")
        ordering = ["-at"]
        indexes = [models.Index(fields=["file", "-at"], name="idview_file_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.file_id} {self.at:%Y-%m-%d %H:%M}"


class HouseholdRecordPrint(models.Model):
    """One print of everything Warmth holds on a household, made on the household's request.

    Kept for the household and for audit: who printed which file's record, when, and the
    reference of the request (PIPL's right of a person to see what is held on them).
    """

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="record_prints",
    )
    printed_by = models.ForeignKey(
        User, verbose_name=_("printed by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("the household's request"), max_length=300)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("print of a household's record")
        verbose_name_plural = _("prints of households' records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["file", "-at"], name="recordprint_file_at")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="recordprint_reason_given"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="recordprint_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.at:%Y-%m-%d %H:%M}"


class FullIdExport(models.Model):
    """One export of a file list with full ID numbers: who, why, how many rows, when.

    Recorded once per export (not once per file), as the export is made.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=300)
    row_count = models.PositiveIntegerField(_("rows"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("export with full ID numbers")
        verbose_name_plural = _("exports with full ID numbers")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="fullidexport_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.row_count} {self.at:%Y-%m-%d %H:%M}"


class IdHolderLookup(models.Model):
    """One nationwide look-up of which unit holds an ID number: who, when, whether found.

    The number itself is not kept: the record says that someone asked, not what.
    """

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    found = models.BooleanField(_("found"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("look-up of an ID number's unit")
        verbose_name_plural = _("look-ups of ID numbers' units")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="idlookup_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M}"


class FileTransfer(models.Model):
    """A request to move a file to another unit, accepted or refused by that unit."""

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="transfers")
    from_unit = models.ForeignKey(
        UnionUnit, verbose_name=_("from unit"), on_delete=models.PROTECT, related_name="+"
    )
    to_unit = models.ForeignKey(
        UnionUnit, verbose_name=_("to unit"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING
    )
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH)
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(
        _("note on the decision"), max_length=NOTE_MAX_LENGTH, blank=True
    )

    class Meta:
        verbose_name = _("file transfer")
        verbose_name_plural = _("file transfers")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["file"], condition=Q(status="pending"), name="one_pending_transfer_per_file"
            ),
            models.CheckConstraint(
                condition=~Q(from_unit=F("to_unit")), name="transfer_changes_unit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.from_unit_id} → {self.to_unit_id}"


class FileChangeRequest(models.Model):
    """A change to what decides eligibility or money on a file on record (income and costs,
    members, category, causes, bank account), applied only when an approver who did not
    propose it accepts (hardship.services.hardship_file_change_accept)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    file = models.ForeignKey(HardshipFile, on_delete=models.PROTECT, related_name="change_requests")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    # The whole guarded part of the edit as JSON, encrypted: it holds ID and bank account numbers.
    proposal = EncryptedCharField(_("proposed values"))
    # Old → new of each changed item, already masked for display (no full numbers).
    changes = models.JSONField(_("changes"), default=list)
    # Keyed hash of the guarded values the proposal started from: a change made since makes
    # the request stale, and it cannot be applied.
    base_fingerprint = models.CharField(max_length=64)
    proposed_by = models.ForeignKey(
        User, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("file change request")
        verbose_name_plural = _("file change requests")
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["file"],
                condition=Q(status="proposed"),
                name="one_open_change_request_per_file",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="change_request_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(reason=""),
                name="change_request_refused_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id}: {self.status}"


class FileNumberCounter(models.Model):
    """The last file number given out in a year; incremented under a row lock."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("file number counter")
        verbose_name_plural = _("file number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


def _import_path(instance: "ImportBatch", filename: str) -> str:
    # A random name: the uploaded one may be anything, and is kept in original_name.
    return f"imports/{uuid.uuid4().hex}.xlsx"


class ImportBatch(models.Model):
    """One spreadsheet a caseworker imports: the uploaded file, its column matching, the
    dry-run report and the outcome (hardship/importing/). Its dry run and its import run as
    jobs of the documents engine; ``job`` is the latest, whose page shows its progress.
    """

    class Status(models.TextChoices):
        # The web process only looks at the zip's table of contents; the first full read
        # is a job, on a worker whose memory is capped (hardship/importing/reading.py).
        READING = "reading", _("Being read")
        UPLOADED = "uploaded", _("Columns to be matched")
        PENDING = "pending", _("Waiting to be checked")
        VALIDATING = "validating", _("Being checked")
        VALIDATED = "validated", _("Checked")
        IMPORTING = "importing", _("Being imported")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        # Left unfinished too long: its spreadsheet is deleted (importing.services says when).
        EXPIRED = "expired", _("Expired, not imported")

    created_by = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("unit the files go to"),
        on_delete=models.PROTECT,
        related_name="import_batches",
    )
    upload = models.FileField(_("spreadsheet"), upload_to=_import_path, blank=True)
    original_name = models.CharField(_("original name"), max_length=200)
    # SHA-256 of the stored file's bytes as the first full read found them within the
    # import's limits: a later read of the same bytes need not scan them again.
    upload_digest = models.CharField(_("digest of the spreadsheet"), max_length=64, blank=True)
    language = models.CharField(_("language of the report"), max_length=10, default="zh-hans")
    headers = models.JSONField(_("column headers"), default=list, blank=True)
    mapping = models.JSONField(_("column matching"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    bad_row_count = models.PositiveIntegerField(_("rows with problems"), default=0)
    imported_count = models.PositiveIntegerField(_("files opened"), default=0)
    report = models.JSONField(_("problems found"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    validated_at = models.DateTimeField(_("checked"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("import confirmed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The batch outlives its jobs' rows, which documents_clean_expired deletes in time.
    job = models.ForeignKey(
        "documents.GeneratedDocument",
        verbose_name=_("current job"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_by_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(bad_row_count__lte=F("row_count")), name="import_bad_rows_counted"
            ),
            # The spreadsheet holds ID numbers in full: none is kept once the batch is over.
            models.CheckConstraint(
                condition=~Q(status__in=["done", "expired"]) | Q(upload=""),
                name="import_over_keeps_no_spreadsheet",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("hardship:import_detail", kwargs={"pk": self.pk})

    @property
    def is_working(self) -> bool:
        """Whether a worker has (or is about to have) this batch in hand: the page refreshes."""
        return self.status in (
            self.Status.READING,
            self.Status.PENDING,
            self.Status.VALIDATING,
            self.Status.IMPORTING,
        ) or (self.status == self.Status.VALIDATED and self.confirmed_at is not None)

    @property
    def can_be_imported(self) -> bool:
        return (
            self.status == self.Status.VALIDATED
            and self.confirmed_at is None
            and self.row_count > 0
            and self.bad_row_count == 0
        )


# ====================================================================== the pipeline's settings


class PipelineSettings(models.Model):
    """How a unit runs the file pipeline: public notices and the civil-affairs check.

    Every field left empty is inherited from the nearest unit above that sets it, and
    from the defaults in ``hardship.pipeline`` at the top (``pipeline_settings_for``).
    """

    unit = models.OneToOneField(
        UnionUnit,
        verbose_name=_("union unit"),
        on_delete=models.PROTECT,
        related_name="pipeline_settings",
    )
    notice_for_new_files = models.BooleanField(
        _("public notice before approving new files"),
        null=True,
        blank=True,
        help_text=_("Empty: as the unit above (on by default)."),
    )
    notice_for_grants = models.BooleanField(
        _("public notice before paying schooling grants"),
        null=True,
        blank=True,
        help_text=_("Empty: as the unit above (on by default)."),
    )
    notice_default_days = models.PositiveSmallIntegerField(
        _("working days a notice runs by default"),
        null=True,
        blank=True,
        help_text=_("Empty: as the unit above (5 by default)."),
    )
    notice_minimum_days = models.PositiveSmallIntegerField(
        _("fewest working days a notice may run"),
        null=True,
        blank=True,
        help_text=_(
            "Empty: as the unit above (5 by default). Never below the minimum of the unit above."
        ),
    )
    check_columns = models.JSONField(
        _("columns of the civil-affairs check request"),
        default=list,
        blank=True,
        help_text=_("Empty: as the unit above. The layout the local check centre asks for."),
    )

    class Meta:
        verbose_name = _("pipeline settings")
        verbose_name_plural = _("pipeline settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(notice_default_days__isnull=True)
                | (Q(notice_default_days__gte=1) & Q(notice_default_days__lte=60)),
                name="notice_default_days_sane",
            ),
            models.CheckConstraint(
                condition=Q(notice_minimum_days__isnull=True)
                | (Q(notice_minimum_days__gte=1) & Q(notice_minimum_days__lte=60)),
                name="notice_minimum_days_sane",
            ),
        ]

    def __str__(self) -> str:
        return str(self.unit)


class CalendarDay(models.Model):
    """A day that breaks the weekly rule: a public holiday on a weekday, or a weekend day
    worked in exchange (调休上班). Administrators keep them as the State Council publishes
    each year's schedule."""

    day = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("adjusted working day"),
        default=False,
        help_text=_("Ticked: a weekend day worked. Not ticked: a holiday."),
    )
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("holiday calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


# ====================================================================== public notice (公示)


class PublicNotice(models.Model):
    """A public notice (公示) on the unit's notice board: households proposed for a file or a
    schooling grant, from ``starts_on`` to ``ends_on`` (both included), and where to object."""

    class Kind(models.TextChoices):
        NEW_FILES = "files", _("New hardship files")
        GRANTS = "grants", _("Schooling grants")

    unit = models.ForeignKey(
        UnionUnit, verbose_name=_("union unit"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    where_to_object = models.TextField(_("where to object"), max_length=REASON_MAX_LENGTH)
    created_by = models.ForeignKey(
        User, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)

    class Meta:
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["unit", "-starts_on"], name="notice_unit_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="notice_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"

    def get_absolute_url(self) -> str:
        return reverse("hardship:notice_detail", kwargs={"pk": self.pk})


class PublicNoticeEntry(models.Model):
    """One household on a notice, as printed: only what the notice board needs."""

    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="entries")
    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="notice_entries",
    )
    masked_name = models.CharField(_("name (masked)"), max_length=50)
    unit_name = models.CharField(_("unit"), max_length=100)
    category = models.CharField(_("category"), max_length=40)
    reason = models.CharField(_("short reason"), max_length=100)
    amount = models.DecimalField(_("amount (yuan)"), null=True, blank=True, **MONEY)

    class Meta:
        verbose_name = _("household on a notice")
        verbose_name_plural = _("households on a notice")
        ordering = ["notice", "id"]
        indexes = [models.Index(fields=["file", "-id"], name="notice_entry_file")]

    def __str__(self) -> str:
        return self.masked_name


class Objection(models.Model):
    """An objection to a household on a notice (异议): received when, how, what, recorded by
    whom; decided by an approver."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("By phone")
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("Email")
        BOX = "box", _("Suggestion box")
        OTHER = "other", _("Other")

    class Decision(models.TextChoices):
        UPHELD_BACK = "back", _("Upheld: the file goes back to verification")
        UPHELD_REFUSED = "refused", _("Upheld: refused")
        DISMISSED = "dismissed", _("Dismissed")

    entry = models.ForeignKey(
        PublicNoticeEntry,
        verbose_name=_("household on a notice"),
        on_delete=models.PROTECT,
        related_name="objections",
    )
    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("received by"), max_length=10, choices=Channel.choices)
    content = models.TextField(_("what the objection says"), max_length=FINDINGS_MAX_LENGTH)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["entry", "received_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="") | (~Q(decision_reason="") & Q(decided_by__isnull=False)),
                name="decided_objection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.received_at:%Y-%m-%d}"


# ====================================================================== the civil-affairs check


class FinanceCheck(models.Model):
    """One request to the civil-affairs check centre (民政家庭经济状况核对) for a household, and
    what came back."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ANSWERED = "answered", _("Result received")

    class Decision(models.TextChoices):
        PROCEED = "proceed", _("Proceed despite the mismatch")
        REFUSE = "refuse", _("Refuse the application")

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="finance_checks",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    export = models.ForeignKey(
        FullIdExport,
        verbose_name=_("export with full ID numbers"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("result received"), null=True, blank=True)
    mismatch = models.BooleanField(_("mismatch with the file"), default=False)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason"), max_length=REASON_MAX_LENGTH, blank=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("civil-affairs check")
        verbose_name_plural = _("civil-affairs checks")
        ordering = ["file", "-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["file"], condition=Q(status="requested"), name="one_open_check_per_file"
            ),
            models.CheckConstraint(
                condition=Q(decision="") | (~Q(decision_reason="") & Q(decided_by__isnull=False)),
                name="decided_check_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.requested_at:%Y-%m-%d}"


class FinanceCheckFinding(models.Model):
    """What the centre found about one person of the household."""

    finance_check = models.ForeignKey(
        FinanceCheck, on_delete=models.PROTECT, related_name="findings"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=24)
    receives_dibao = models.BooleanField(_("receives 低保"))
    receives_tekun = models.BooleanField(_("receives 特困 support"))
    income_found = models.DecimalField(_("yearly income found"), **MONEY)
    assets_found = models.DecimalField(_("assets found"), **MONEY)
    centre_mismatch = models.BooleanField(_("the centre reports a mismatch"))
    note = models.CharField(_("centre's note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("civil-affairs check finding")
        verbose_name_plural = _("civil-affairs check findings")
        ordering = ["finance_check", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_money_in_range("income_found") & _money_in_range("assets_found"),
                name="finding_money_sane",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SpotCheck(models.Model):
    """A yearly spot check (抽查) of a unit's branch: a random sample of its files on record,
    drawn by an approver, to be verified again. The seed makes the draw reproducible."""

    unit = models.ForeignKey(
        UnionUnit,
        verbose_name=_("union unit"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    fraction = models.DecimalField(
        _("share of files sampled"), max_digits=3, decimal_places=2, default=Decimal("0.30")
    )
    seed = models.CharField(_("seed"), max_length=32, editable=False)
    drawn_by = models.ForeignKey(
        User, verbose_name=_("drawn by"), on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("drawn"))

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-year", "unit_id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="spot_check_once_a_year"),
            models.CheckConstraint(
                condition=Q(fraction__gt=0) & Q(fraction__lte=1), name="spot_check_fraction_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year}"


class SpotCheckFile(models.Model):
    """One file drawn in a spot check, and when its re-verification was recorded."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name=_("spot check"), on_delete=models.CASCADE, related_name="entries"
    )
    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="spot_checks",
    )
    verified_at = models.DateTimeField(_("verified again"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("file in a spot check")
        verbose_name_plural = _("files in a spot check")
        ordering = ["spot_check_id", "file_id"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "file"], name="spot_check_file_once"),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by__isnull=True)
                | Q(verified_at__isnull=False, verified_by__isnull=False),
                name="spot_check_file_verified_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check_id} {self.file_id}"


# ====================================================================== income over time (动态管理)


class IncomeRecord(models.Model):
    """The household's income over one month or one quarter (动态管理), entered at a yearly
    review, a visit or otherwise: what the "may exit" suggestion reads
    (hardship.income.files_that_may_exit).

    ``household_income`` is the household's income a month: for a quarter, the monthly
    average over its three months, so both kinds compare with the monthly 低保 alike.
    """

    class Kind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class Source(models.TextChoices):
        REVIEW = "review", _("At a yearly review")
        VISIT = "visit", _("At a visit")
        OTHER = "other", _("Otherwise (documents, a phone call)")

    file = models.ForeignKey(
        HardshipFile,
        verbose_name=_("hardship file"),
        on_delete=models.PROTECT,
        related_name="income_records",
    )
    period_start = models.DateField(_("first month of the period"))
    kind = models.CharField(
        _("month or quarter"), max_length=7, choices=Kind.choices, default=Kind.MONTH
    )
    household_income = models.DecimalField(_("household income a month (yuan)"), **MONEY)
    people = models.PositiveSmallIntegerField(_("people in the household"))
    source = models.CharField(
        _("where the income was found"), max_length=6, choices=Source.choices, default=Source.OTHER
    )
    entered_by = models.ForeignKey(
        User, verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now_add=True)

    class Meta:
        verbose_name = _("income record")
        verbose_name_plural = _("income records")
        ordering = ["file", "-period_start", "-id"]
        constraints = [
            # Overlaps (a quarter over a month already entered) are refused by the service under
            # the file's row lock; the database keeps the plainest case, the same first month.
            models.UniqueConstraint(fields=["file", "period_start"], name="income_period_once"),
            models.CheckConstraint(
                condition=Q(period_start__day=1), name="income_period_starts_a_month"
            ),
            models.CheckConstraint(
                condition=Q(kind="month") | Q(period_start__month__in=[1, 4, 7, 10]),
                name="income_quarter_starts_a_quarter",
            ),
            models.CheckConstraint(
                condition=_money_in_range("household_income"), name="income_amount_sane"
            ),
            models.CheckConstraint(
                condition=Q(people__gte=1) & Q(people__lte=30), name="income_people_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} {self.period_start:%Y-%m} {self.kind}"

    @property
    def months(self) -> int:
        return 3 if self.kind == self.Kind.QUARTER else 1

    @property
    def per_capita(self) -> Decimal:
        """The household's monthly income per person, to the fen."""
        return (self.household_income / self.people).quantize(Decimal("0.01"))
