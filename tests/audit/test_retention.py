"""Retention that ends: personal data erased RETENTION_YEARS after a file left hardship."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Count

from audit.models import RetentionRun
from audit.retention import retention_cutoff, retention_run
from hardship.attachments import attachment_add
from hardship.choices import ExitReason, FileStatus
from hardship.models import (
    Attachment,
    FileNameKey,
    HardshipFile,
    HardshipFileEvent,
    HouseholdMember,
)
from tests.factories import make_id_number, open_file
from tests.hardship.test_attachments import image_bytes, upload
from tests.visits.test_visits import log, on_file
from visits.models import Visit

TODAY = date(2026, 12, 5)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RETENTION_YEARS = 10
    return settings.MEDIA_ROOT


def exited(file: HardshipFile, on: date) -> HardshipFile:
    HardshipFile.objects.filter(pk=file.pk).update(
        status=FileStatus.EXITED, exit_reason=ExitReason.INCOME_ABOVE_STANDARD, ended_on=on
    )
    file.refresh_from_db()
    return file


@pytest.fixture
def old_household(caseworker, media):
    """A household that left hardship eleven years ago, with a member, a visit, a scan."""
    file = on_file(
        open_file(
            by=caseworker,
            name="王秀英",
            id_number=make_id_number(sequence=71),
            members=[],
        )
    )
    HouseholdMember.objects.create(
        file=file,
        relation="child",
        name="王小明",
        id_number=make_id_number(birth="20100101", sequence=73),
        birth_date=date(2010, 6, 1),
        employment="student",
    )
    log(file, caseworker, findings="王秀英卧床，住幸福路12号")
    attachment_add(
        file=file, by=caseworker, upload=upload("低保证.png", image_bytes("PNG")), kind="income"
    )
    return exited(file, date(2015, 3, 1))


@pytest.fixture
def recent_household(caseworker):
    file = on_file(open_file(by=caseworker, name="李建国", id_number=make_id_number(sequence=81)))
    return exited(file, date(2017, 3, 1))


def figures() -> list:
    """What the statistics count of files and visits."""
    return [
        list(
            HardshipFile.objects.values("unit", "status", "category", "main_cause")
            .annotate(n=Count("id"))
            .order_by("unit", "status", "category", "main_cause")
        ),
        Visit.objects.count(),
    ]


def test_the_cutoff_is_the_retention_period_before_today(settings):
    assert retention_cutoff(TODAY) == date(2016, 12, 5)
    assert retention_cutoff(date(2028, 2, 29)) == date(2018, 2, 28)


def test_a_dry_run_lists_and_counts_but_changes_nothing(old_household, recent_household):
    before = HardshipFile.objects.get(pk=old_household.pk)

    run = retention_run(dry_run=True, today=TODAY)

    assert (run.dry_run, run.files, run.members, run.visits, run.attachments) == (
        True, 1, 1, 1, 1,
    )  # fmt: skip
    after = HardshipFile.objects.get(pk=old_household.pk)
    assert (after.name, after.id_number, after.anonymised_at) == (
        before.name,
        before.id_number,
        None,
    )
    assert Attachment.objects.count() == 1


def test_a_run_erases_only_what_the_period_has_ended_for_and_keeps_the_figures(
    old_household, recent_household, media, django_capture_on_commit_callbacks
):
    stored = [p for p in media.rglob("*") if p.is_file()]
    counted = figures()

    with django_capture_on_commit_callbacks(execute=True):  # the stored files go at commit
        run = retention_run(dry_run=False, today=TODAY)

    old = HardshipFile.objects.get(pk=old_household.pk)
    assert old.name == "王*英"
    assert (old.id_number, old.id_hash, old.phone, old.address, old.bank_account) == (
        "", "", "", "", "",
    )  # fmt: skip
    assert old.birth_date.month == old.birth_date.day == 1
    assert old.anonymised_at is not None
    member = old.members.get()
    assert (member.name, member.id_number) == ("王*明", "")
    assert Visit.objects.get(file=old).findings == ""
    assert not Attachment.objects.filter(file=old).exists()
    assert stored and not any(p.exists() for p in stored)
    assert not HardshipFileEvent.objects.filter(pgh_obj_id=old.pk).exists()
    # No name search finds the erased household any more.
    assert not FileNameKey.objects.filter(file=old).exists()
    recent = HardshipFile.objects.get(pk=recent_household.pk)
    assert recent.name == "李建国" and recent.id_number
    assert FileNameKey.objects.filter(file=recent, key="建国").exists()
    assert figures() == counted
    assert (run.dry_run, run.files, run.members, run.attachments) == (False, 1, 1, 1)


def test_a_second_run_finds_nothing_left_to_do(old_household):
    retention_run(dry_run=False, today=TODAY)

    again = retention_run(dry_run=False, today=TODAY)

    assert again.files == 0
    assert RetentionRun.objects.count() == 2


def test_the_command_dry_run_prints_what_would_go(old_household, capsys):
    call_command("retention", "--dry-run")

    out = capsys.readouterr().out
    assert old_household.file_number in out
    assert "would erase 1 files" in out
    assert HardshipFile.objects.get(pk=old_household.pk).anonymised_at is None
