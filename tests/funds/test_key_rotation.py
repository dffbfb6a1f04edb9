"""Every keyed hash follows a rotation of ID_HASH_KEY, the schooling grant's student's included.

The data is made through the services (a file, a member who is a student, a schooling
grant approved for them); then every text column of every model is searched for the
hashes of the ID numbers used, so a column written through the keyed hash is found
whatever it is called and whichever app holds it.
"""

from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, models

from common.crypto import clear_key_cache, keyed_hash
from common.rotation import hashed_columns
from funds.choices import Purpose
from funds.models import Disbursement, SchoolingStandard
from funds.services import disbursement_approve
from hardship.choices import SchoolStage
from hardship.models import HouseholdMember
from hardship.selectors import active_file_holding_id
from tests.factories import make_id_number
from tests.funds.test_disbursements import propose, student_household

NEW_HASH_KEY = "a-brand-new-hash-key-for-this-test-0123456789"


@pytest.fixture
def grant(tree, funded, winter, caseworker, approver):
    """A household whose student has a schooling grant, approved."""
    SchoolingStandard.objects.create(
        campaign=winter, school_stage=SchoolStage.UNIVERSITY, amount=Decimal("5000")
    )
    file = student_household(
        caseworker,
        tree.jiangan,
        name="陈桂兰",
        id_number=make_id_number(birth="20070301", sequence=77),
        sequence=301,
    )
    student = HouseholdMember.objects.get(file=file)
    payment = propose(
        caseworker,
        file,
        funded,
        "5000",
        purpose=Purpose.SCHOOLING,
        campaign=winter,
        student=student,
    )
    disbursement_approve(disbursement=payment, by=approver)
    return payment


def id_numbers_in_use() -> set[str]:
    from hardship.models import HardshipFile

    numbers = {f.id_number for f in HardshipFile.objects.all()}
    numbers |= {m.id_number for m in HouseholdMember.objects.exclude(id_hash="")}
    return numbers


def columns_holding(values: set[str]) -> set[str]:
    """``app.Model.field`` of every text column holding one of ``values``, in any app."""
    found = set()
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            table, column = model._meta.db_table, field.column
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT 1 FROM {table} WHERE {column}::text = ANY(%s) LIMIT 1",  # noqa: S608
                    [sorted(values)],
                )
                if cursor.fetchone():
                    found.add(f"{model._meta.label}.{field.name}")
    return found


@pytest.fixture
def rotated_hash_key(settings):
    """Rotate ID_HASH_KEY the documented way: the old key as ID_HASH_PREVIOUS_KEY."""
    old = settings.ID_HASH_KEY

    def rotate() -> None:
        settings.ID_HASH_PREVIOUS_KEY = old
        settings.ID_HASH_KEY = NEW_HASH_KEY
        clear_key_cache()
        call_command("rotate_encryption_keys")

    yield rotate
    clear_key_cache()


def test_every_column_written_through_the_keyed_hash_is_known_to_the_rotation(grant):
    old_hashes = {keyed_hash(number) for number in id_numbers_in_use()}

    written = columns_holding(old_hashes)

    assert "funds.Disbursement.student_id_hash" in written
    assert "hardship.HouseholdMember.id_hash" in written
    assert written <= {column.label for column in hashed_columns()}


def test_a_rotation_of_the_hash_key_leaves_no_hash_under_the_old_key_anywhere(
    grant, rotated_hash_key, settings
):
    numbers = id_numbers_in_use()
    old_hashes = {keyed_hash(number) for number in numbers}

    rotated_hash_key()
    settings.ID_HASH_PREVIOUS_KEY = ""  # the rotation is over: the old key is gone

    assert columns_holding(old_hashes) == set()
    grant.refresh_from_db()
    assert grant.student_id_hash == keyed_hash(grant.student.id_number)
    assert grant.student.id_hash == keyed_hash(grant.student.id_number)
    for column in hashed_columns():
        for row in column.model._base_manager.exclude(**{column.field.name: ""}):
            expected = {keyed_hash(n) for n in numbers}
            assert getattr(row, column.field.attname) in expected, column.label


def test_after_the_rotation_the_student_is_still_refused_a_second_grant_this_year(
    grant, rotated_hash_key, settings, tree, funded, winter, caseworker
):
    from common.errors import RuleBroken
    from hardship.choices import FileStatus
    from hardship.models import HardshipFile
    from hardship.services import MemberInput
    from tests.visits.test_visits import household

    rotated_hash_key()
    settings.ID_HASH_PREVIOUS_KEY = ""
    # The student moves to another household's file once the first one has exited.
    HardshipFile.objects.filter(pk=grant.file_id).update(
        status=FileStatus.EXITED, exit_reason="reemployed"
    )
    other = household(
        by=caseworker,
        unit=tree.dazhi,
        name="陈建华",
        id_number=make_id_number(sequence=303),
        members=[
            MemberInput(
                relation="child",
                name="陈小明",
                birth_date=grant.student.birth_date,
                employment="student",
                id_number=grant.student.id_number,
                school_stage=SchoolStage.UNIVERSITY,
            )
        ],
    )
    again = HouseholdMember.objects.get(file=other)

    with pytest.raises(RuleBroken, match="schooling grant in"):
        propose(caseworker, other, funded, "5000", purpose=Purpose.SCHOOLING, campaign=winter,
                student=again)  # fmt: skip


def test_while_the_rotation_has_not_run_lookups_find_hashes_under_either_key(grant, settings):
    number = grant.student.id_number
    holder = grant.file

    settings.ID_HASH_PREVIOUS_KEY = settings.ID_HASH_KEY
    settings.ID_HASH_KEY = NEW_HASH_KEY

    assert active_file_holding_id(id_number=number) == holder
    assert active_file_holding_id(id_number=holder.id_number) == holder


def test_a_changed_hash_key_without_the_previous_one_is_refused_and_nothing_is_written(
    grant, settings
):
    before = Disbursement.objects.get(pk=grant.pk).student_id_hash
    settings.ID_HASH_KEY = NEW_HASH_KEY

    with pytest.raises(CommandError, match="ID_HASH_PREVIOUS_KEY"):
        call_command("rotate_encryption_keys")

    assert Disbursement.objects.get(pk=grant.pk).student_id_hash == before
    assert HouseholdMember.objects.get(pk=grant.student_id).id_hash == before
