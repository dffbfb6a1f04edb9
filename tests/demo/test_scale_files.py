"""`manage.py seed_scale --files`: generated files are stored exactly as the services store them."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from common.crypto import keyed_hash
from hardship.choices import FileStatus
from hardship.identity import parse_id_number, pinyin_keys
from hardship.models import (
    FileNameKey,
    FileNumberCounter,
    HardshipFile,
    HardshipFileEvent,
    HouseholdMember,
    HouseholdMemberEvent,
)
from hardship.selectors import files_for_user, files_search
from people.models import UnionUnit, User
from tests.factories import make_id_number, open_file

FILES = 500


@pytest.fixture
def seeded(db):
    call_command("seed_scale", units=300, files=FILES, prefix="SC", stdout=StringIO())
    return UnionUnit.objects.get(code__startswith="SC-", level=UnionUnit.Level.PROVINCE)


@pytest.fixture
def province_caseworker(seeded) -> User:
    return User.objects.get(username="sc.caseworker")


def test_seed_scale_makes_the_files_and_members_asked_for_in_the_provinces_streets_and_grassroots(
    seeded,
):
    files = HardshipFile.objects.select_related("unit")

    assert files.count() == FILES
    assert {f.unit.level for f in files} <= {UnionUnit.Level.TOWNSHIP, UnionUnit.Level.GRASSROOTS}
    assert all(f.unit.path.startswith(seeded.path) for f in files)
    # Written by the load itself, the trigger that keeps it being off.
    assert all(f.unit_path == f.unit.path for f in files)
    # So are the name search's keys: one row per key of every file, with what the file holds.
    keys = set(
        FileNameKey.objects.values_list(
            "file", "key", "unit_path", "status", "category", "created_at"
        )
    )
    assert keys == {
        (f.pk, key, f.unit_path, f.status, f.category, f.created_at)
        for f in files
        for key in f.search_keys.split()
    }
    members = HouseholdMember.objects.count()
    assert 1.7 * FILES <= members <= 2.3 * FILES
    assert all(
        f.household_size == 1 + count
        for f, count in (
            (f, HouseholdMember.objects.filter(file=f).count()) for f in files.order_by("pk")[:50]
        )
    )


def test_every_generated_id_number_decrypts_validates_and_matches_its_hash(seeded):
    numbers = []
    for file in HardshipFile.objects.all():
        parsed = parse_id_number(file.id_number)
        assert (parsed.birth_date, parsed.gender) == (file.birth_date, file.gender)
        assert file.id_hash == keyed_hash(file.id_number)
        numbers.append(file.id_number)
    for member in HouseholdMember.objects.exclude(id_number=""):
        assert parse_id_number(member.id_number).birth_date == member.birth_date
        assert member.id_hash == keyed_hash(member.id_number)
        numbers.append(member.id_number)

    assert len(numbers) == len(set(numbers))


def test_the_stored_id_numbers_are_ciphertext(seeded):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM hardship_hardshipfile LIMIT 5")
        stored = [row[0] for row in cursor.fetchall()]

    assert all(value.startswith("gAAAAA") for value in stored)


def test_statuses_dates_and_numbers_follow_the_rules(seeded):
    files = list(HardshipFile.objects.all())
    statuses = Counter(f.status for f in files)

    assert statuses[FileStatus.ON_FILE] > FILES / 2
    assert {FileStatus.EXITED, FileStatus.CLOSED} <= set(statuses)
    for file in files:
        if file.status == FileStatus.ON_FILE:
            assert file.category and file.opened_on and file.review_due_on
        if file.status == FileStatus.EXITED:
            assert file.exit_reason and file.ended_on and file.review_due_on is None
        if file.status == FileStatus.CLOSED:
            assert file.close_reason and file.ended_on
        assert file.created_at <= file.content_changed_at <= file.updated_at
        year = timezone.localtime(file.created_at).year
        assert re.fullmatch(rf"\d{{6}}-{year}-\d{{7}}", file.file_number), file.file_number
        assert file.search_keys == " ".join(pinyin_keys(file.name))
    years = {f.created_at.year for f in files}
    assert len(years) >= 5


def test_the_file_number_counter_is_moved_past_the_numbers_given_out(seeded, province_caseworker):
    by_year = Counter(f.file_number.split("-")[1] for f in HardshipFile.objects.all())

    for year, count in by_year.items():
        assert FileNumberCounter.objects.get(year=int(year)).last == count


def test_the_services_open_another_file_after_the_load(province_caseworker, standards):
    file = open_file(by=province_caseworker, id_number=make_id_number(birth="19300101"))

    assert HardshipFile.objects.filter(file_number=file.file_number).count() == 1
    assert file.pk > HardshipFile.objects.exclude(pk=file.pk).order_by("-pk").first().pk


def test_a_generated_name_is_found_by_two_characters_by_pinyin_and_by_initials(
    province_caseworker,
):
    file = HardshipFile.objects.filter(name__regex=r"^.{3}$").order_by("pk").first()
    scoped = files_for_user(user=province_caseworker)
    syllables = pinyin_keys(file.name)
    full_pinyin = max((k for k in syllables if k.isascii()), key=len)
    initials = min((k for k in syllables if k.isascii()), key=len)

    for query in (file.name[1:], full_pinyin, initials):
        assert files_search(scoped, text=query).filter(pk=file.pk).exists(), query


def test_the_province_caseworker_sees_generated_files_in_the_list(client, province_caseworker):
    client.force_login(province_caseworker)
    newest = HardshipFile.objects.order_by("-created_at", "-id").first()

    page = client.get(reverse("hardship:file_list"), {"q": newest.name}).content.decode()

    assert newest.file_number in page


def test_the_load_writes_no_history_but_the_triggers_are_back_afterwards(seeded):
    assert HardshipFileEvent.objects.count() == 0
    assert HouseholdMemberEvent.objects.count() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('hardship_hardshipfile'::regclass, 'hardship_householdmember'::regclass)"
        )
        triggers = dict(cursor.fetchall())
    assert set(triggers.values()) == {"O"}

    file = HardshipFile.objects.order_by("pk").first()
    file.notes = "入户回访:情况属实。"
    file.save(update_fields=["notes"])
    member = HouseholdMember.objects.order_by("pk").first()
    member.school_name = "武汉市第六中学"
    member.save(update_fields=["school_name"])

    assert HardshipFileEvent.objects.filter(pgh_obj_id=file.pk).count() == 1
    assert HouseholdMemberEvent.objects.filter(pgh_obj_id=member.pk).count() == 1
    # The delete guard is back too (raw SQL: Django's own PROTECT check would refuse first).
    with (
        pytest.raises(ProgrammingError, match="Cannot delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM hardship_hardshipfile WHERE id = %s", [file.pk])


def test_a_second_smaller_load_goes_beside_the_first_with_its_own_numbers(db):
    # Smaller than the table: the indexes are kept up to date row by row, not rebuilt.
    call_command("seed_scale", units=50, files=30, prefix="A", stdout=StringIO())
    call_command("seed_scale", units=50, files=10, prefix="B", stdout=StringIO())

    numbers = list(HardshipFile.objects.values_list("file_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 40
    assert sum(FileNumberCounter.objects.values_list("last", flat=True)) == 40
    b = UnionUnit.objects.get(code__startswith="B-", level=UnionUnit.Level.PROVINCE)
    assert HardshipFile.objects.filter(unit__path__startswith=b.path).count() == 10
