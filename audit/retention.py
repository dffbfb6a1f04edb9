"""Retention that ends: a household's personal data is erased RETENTION_YEARS after its file
left hardship or was closed.

The file stays (files are never deleted, by a database trigger) with what the statistics
count — its unit, category, causes, dates, income figures, household size, status, the visits
and aid on record — while what names the people goes: names reduced to a mask (张*国),
ID numbers, phones, addresses, employers, bank accounts, notes, the visits' and follow-ups'
written notes, every attachment and visit photo with its stored file, and the field history
of the file and what hangs on it. Birth dates keep their year, which the age groups count.
Roster scans (signed sheets of many households) go when they are as old as the period.

The work is done set-wise, a thousand files per transaction, so a province's yearly batch
of tens of thousands ends in minutes and an interrupted run resumes where it stopped (a file
is done once ``anonymised_at`` is set).
"""

from dataclasses import dataclass, fields
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.functions import TruncYear
from django.utils import timezone

from audit.models import RetentionRun
from funds.models import BankPaymentLine, DisbursementEvent, RosterScan
from hardship.choices import FileStatus
from hardship.models import (
    Attachment,
    HardshipFile,
    HardshipFileEvent,
    HouseholdMember,
    HouseholdMemberEvent,
)
from hardship.pipeline import mask_name
from visits.models import FollowUp, FollowUpEvent, PairingEvent, Visit, VisitEvent, VisitPhoto

FILES_PER_TRANSACTION = 1000


@dataclass
class RetentionCounts:
    files: int = 0
    members: int = 0
    visits: int = 0
    attachments: int = 0
    photos: int = 0
    roster_scans: int = 0
    history_rows: int = 0

    def add(self, other: "RetentionCounts") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def retention_cutoff(today: date) -> date:
    """Files that ended before this day are due: RETENTION_YEARS before ``today``."""
    years = settings.RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def files_due(today: date) -> QuerySet[HardshipFile]:
    """Files whose retention period has ended and whose personal data is still there."""
    return HardshipFile.objects.filter(
        status__in=[FileStatus.EXITED, FileStatus.CLOSED],
        ended_on__lt=retention_cutoff(today),
        anonymised_at__isnull=True,
    )


def _scans_due(today: date) -> QuerySet[RosterScan]:
    cutoff = retention_cutoff(today)
    return RosterScan.objects.filter(uploaded_at__date__lt=cutoff)


def retention_run(*, dry_run: bool, today: date | None = None) -> RetentionRun:
    """Erase (or, with ``dry_run``, count) what the retention period has ended for.

    Side effects: a RetentionRun row with its counts; unless a dry run, the files and
    members anonymised, visit and follow-up notes erased, attachments, visit photos and old
    roster scans deleted with their stored files, the history rows of those files deleted.
    """
    today = today or timezone.localdate()
    run = RetentionRun.objects.create(dry_run=dry_run, cutoff=retention_cutoff(today))
    counts = _count(today) if dry_run else _erase(today)
    for f in fields(counts):
        setattr(run, f.name, getattr(counts, f.name))
    run.finished_at = timezone.now()
    run.save()
    return run


def retention_preview(*, today: date | None = None, limit: int = 50) -> list[HardshipFile]:
    """The first files the next run would anonymise, for the dry run's listing."""
    today = today or timezone.localdate()
    return list(files_due(today).select_related("unit").order_by("ended_on", "pk")[:limit])


def _count(today: date) -> RetentionCounts:
    due = files_due(today)
    return RetentionCounts(
        files=due.count(),
        members=HouseholdMember.objects.filter(file__in=due).count(),
        visits=Visit.objects.filter(file__in=due).count(),
        attachments=Attachment.objects.filter(file__in=due).count(),
        photos=VisitPhoto.objects.filter(visit__file__in=due).count(),
        roster_scans=_scans_due(today).count(),
        history_rows=sum(
            model.objects.filter(**{f"{to_file}__in": due}).count() for model, to_file in _HISTORY
        ),
    )


# The history tables, each with its lookup to the file.
_HISTORY = [
    (HardshipFileEvent, "pgh_obj"),
    (HouseholdMemberEvent, "file"),
    (VisitEvent, "file"),
    (FollowUpEvent, "file"),
    (PairingEvent, "file"),
    (DisbursementEvent, "file"),
]


def _erase(today: date) -> RetentionCounts:
    counts = RetentionCounts()
    while True:
        with transaction.atomic():
            chunk = list(
                files_due(today)
                .order_by("pk")
                .select_for_update(skip_locked=True)
                .values_list("pk", "name")[:FILES_PER_TRANSACTION]
            )
            if not chunk:
                break
            counts.add(_erase_files(dict(chunk)))
    with transaction.atomic():
        counts.roster_scans = _delete_uploads(_scans_due(today))
    return counts


def _erase_files(names: dict[int, str]) -> RetentionCounts:
    ids = list(names)
    now = timezone.now()
    counts = RetentionCounts(files=len(ids))
    counts.attachments = _delete_uploads(Attachment.objects.filter(file_id__in=ids))
    counts.photos = _delete_uploads(VisitPhoto.objects.filter(visit__file_id__in=ids))

    files = list(HardshipFile.objects.filter(pk__in=ids).only("pk", "name"))
    for file in files:
        file.name = mask_name(names[file.pk])
        file.id_number = ""
        file.id_hash = ""
        file.anonymised_at = now
    HardshipFile.objects.bulk_update(files, ["name", "id_number", "id_hash", "anonymised_at"])
    HardshipFile.objects.filter(pk__in=ids).update(
        id_number_masked="", phone="", address="", employer_name="", employer_credit_code="",
        bank_name="", bank_account="", notes="", category_override_reason="", search_keys="",
        birth_date=TruncYear("birth_date"),
    )  # fmt: skip

    # The accounts the household's payments were sent to by bank go with the file's own.
    BankPaymentLine.objects.filter(disbursement__file_id__in=ids).update(
        account="", account_masked="", bank_name=""
    )

    members = list(HouseholdMember.objects.filter(file_id__in=ids).only("pk", "name"))
    for member in members:
        member.name = mask_name(member.name)
        member.id_number = ""
        member.id_hash = ""
    HouseholdMember.objects.bulk_update(members, ["name", "id_number", "id_hash"])
    HouseholdMember.objects.filter(file_id__in=ids).update(
        school_name="", birth_date=TruncYear("birth_date")
    )
    counts.members = len(members)

    counts.visits = Visit.objects.filter(file_id__in=ids).update(
        findings="", pressing_problems="", solved_on_spot="", goods=""
    )
    FollowUp.objects.filter(file_id__in=ids).update(problem="", resolution="", cancel_reason="")
    # Last: the updates above wrote history rows of their own.
    counts.history_rows = sum(
        model.objects.filter(**{f"{to_file}_id__in": ids}).delete()[0]
        for model, to_file in _HISTORY
    )
    return counts


def _delete_uploads(uploads: QuerySet) -> int:
    """Delete stored uploads and their files; the files go only once the rows are gone."""
    names = list(uploads.values_list("content", flat=True))
    deleted, _by_model = uploads.delete()
    storage = uploads.model._meta.get_field("content").storage

    def remove() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(remove)
    return deleted
