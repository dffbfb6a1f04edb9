"""Opening many files at once (``hardship_files_open``, what an import does) gives what opening
them one by one through the form's service gives, refuses what it refuses, writes all or
nothing, and asks the database as many queries for forty households as for one."""

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from common.crypto import decrypt, keyed_hash
from common.errors import RuleBroken
from documents.services import document_run
from hardship.choices import FileStatus
from hardship.importing.services import import_batch_confirm, import_batch_match_columns
from hardship.models import (
    FileNumberCounter,
    FileTransition,
    HardshipCause,
    HardshipFile,
    HouseholdMember,
    ImportBatch,
)
from hardship.services import (
    FilesRefused,
    HouseholdInput,
    MemberInput,
    hardship_file_open,
    hardship_files_open,
)
from tests.factories import file_values, make_id_number, open_file
from tests.hardship.test_importing import (  # noqa: F401 - in_english, media_root: autouse
    checked,
    household,
    imported,
    in_english,
    media_root,
    problems,
    read,
    spreadsheet,
)

FileEvent = apps.get_model("hardship", "HardshipFileEvent")
MemberEvent = apps.get_model("hardship", "HouseholdMemberEvent")
# What differs between two writes of the same rows: keys, clocks, the history's own columns.
NOT_COMPARED = {
    "id", "file_id", "created_at", "updated_at", "content_changed_at",
    "pgh_id", "pgh_created_at", "pgh_obj_id", "pgh_context_id",
}  # fmt: skip


def columns(row) -> list:
    """Every stored column of ``row`` but those in NOT_COMPARED (encrypted ones decrypted)."""
    return sorted(
        (field.attname, str(getattr(row, field.attname)))
        for field in row._meta.concrete_fields
        if field.attname not in NOT_COMPARED
    )


def written() -> dict:
    """Everything opening files writes, by file number: comparable between two runs."""
    number = dict(HardshipFile.objects.values_list("pk", "file_number"))
    return {
        "files": sorted(
            (columns(f), sorted(c.code for c in f.secondary_causes.all()))
            for f in HardshipFile.objects.prefetch_related("secondary_causes")
        ),
        "members": sorted((number[m.file_id], columns(m)) for m in HouseholdMember.objects.all()),
        "transitions": sorted(
            (number[t.file_id], t.action, t.from_status, t.to_status, t.by_id, t.reason)
            for t in FileTransition.objects.all()
        ),
        "file history": sorted(
            (number[e.pgh_obj_id], e.pgh_label, e.pgh_context.metadata, columns(e))
            for e in FileEvent.objects.select_related("pgh_context")
        ),
        "member history": sorted(
            (number[e.file_id], e.pgh_label, e.pgh_context.metadata, columns(e))
            for e in MemberEvent.objects.select_related("pgh_context")
        ),
        "numbers given": list(FileNumberCounter.objects.values_list("year", "last")),
    }


def households() -> list[HouseholdInput]:
    schooling = HardshipCause.objects.get(code="schooling")
    son = MemberInput(
        relation="son", name="李小明", birth_date=date(2010, 9, 1), employment="student",
        id_number=make_id_number(birth="20100901", sequence=13), school_stage="middle",
    )  # fmt: skip
    spouse = MemberInput(
        relation="spouse", name="张强", birth_date=date(1969, 3, 4), employment="unable",
        monthly_income=Decimal("300"),
    )  # fmt: skip
    daughter = MemberInput(
        relation="daughter", name="欧阳小娜", birth_date=date(2001, 1, 1), employment="employed"
    )
    return [
        HouseholdInput(
            make_id_number(birth="19700101", sequence=11), file_values(name="王建国"), [], []
        ),
        HouseholdInput(
            make_id_number(birth="19710202", sequence=22),
            file_values(
                name="李秀英",
                bank_name="工商银行",
                bank_account="6222020200112233445",
                schooling_costs=Decimal("4000"),
            ),
            [schooling],
            [son, spouse],
            category="relative",
            category_override_reason="家中两人长期患病",
        ),
        HouseholdInput(
            make_id_number(birth="19720303", sequence=33),
            file_values(name="欧阳娜娜", division_code="430100", hukou_type="rural"),
            [],
            [daughter],
        ),
    ]


def son_with(id_number: str) -> MemberInput:
    return MemberInput(
        relation="son", name="王小二", birth_date=date(1985, 1, 1), employment="employed",
        id_number=id_number,
    )  # fmt: skip


def one_by_one(by, inputs: list[HouseholdInput]) -> list[HardshipFile]:
    return [
        hardship_file_open(
            by=by,
            unit=by.unit,
            id_number=h.id_number,
            values=h.values,
            secondary_causes=h.secondary_causes,
            members=h.members,
            category=h.category,
            category_override_reason=h.category_override_reason,
        )
        for h in inputs
    ]


def many(count: int, start: int = 1) -> list[HouseholdInput]:
    spouse = MemberInput(
        relation="spouse", name="王秀英", birth_date=date(1962, 5, 6), employment="unable"
    )
    return [
        HouseholdInput(
            make_id_number(birth=f"1960{1 + n // 28:02d}{1 + n % 28:02d}", sequence=11),
            file_values(name=f"职工{n}"),
            [],
            [spouse] if n % 2 else [],
        )
        for n in range(start, start + count)
    ]


# ---------------------------------------------------------------------- the same rows


def test_a_set_opens_exactly_the_files_that_opening_them_one_by_one_opens(caseworker, standards):
    with transaction.atomic():
        one_by_one(caseworker, households())
        by_the_form = written()
        transaction.set_rollback(True)
    assert written()["files"] == []

    files = hardship_files_open(by=caseworker, unit=caseworker.unit, households=households())

    assert written() == by_the_form
    year = timezone.localdate().year
    assert [f.file_number for f in files] == [f"000000-{year}-000000{n}" for n in (1, 2, 3)]
    assert len(by_the_form["file history"]) == 3
    assert len(by_the_form["member history"]) == 3
    assert {e[2]["user"] for e in by_the_form["file history"]} == {caseworker.pk}
    second = HardshipFile.objects.get(pk=files[1].pk)
    assert second.id_hash == keyed_hash(second.id_number)
    assert (second.proposed_category, second.category) == ("deep", "relative")
    assert set(second.members.values_list("id_hash", flat=True)) == {
        keyed_hash(make_id_number(birth="20100901", sequence=13)),
        "",
    }


def test_a_set_stores_id_numbers_and_accounts_encrypted_beside_their_keyed_hash(
    caseworker, standards
):
    files = hardship_files_open(by=caseworker, unit=caseworker.unit, households=households())

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number, id_hash, bank_account FROM hardship_hardshipfile WHERE id = %s",
            [files[1].pk],
        )
        (id_number, id_hash, bank_account) = cursor.fetchone()
    plain = make_id_number(birth="19710202", sequence=22)
    assert plain not in id_number
    assert decrypt(id_number) == plain
    assert id_hash == keyed_hash(plain)
    assert decrypt(bank_account) == "6222020200112233445"


# ---------------------------------------------------------------------- one household, one file


def test_an_id_number_twice_in_a_set_refuses_its_later_household_and_writes_nothing(
    caseworker, standards
):
    inputs = many(4)
    inputs[3].members = [son_with(inputs[0].id_number)]

    with pytest.raises(FilesRefused) as refused:
        hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)

    assert list(refused.value.refusals) == [3]
    assert refused.value.refusals[3].message_dict == {
        "members-0-id_number": [
            "This ID number is also in another household opened at the same time. One household has one file."
        ]
    }
    assert HardshipFile.objects.count() == 0
    assert HouseholdMember.objects.count() == 0


def test_an_id_number_on_an_active_file_elsewhere_in_the_country_is_refused_as_the_form_refuses_it(
    caseworker, sibling, standards
):
    inputs = many(3)
    held = MemberInput(
        relation="spouse", name="赵敏", birth_date=date(1960, 1, 2), employment="unable",
        id_number=inputs[2].id_number,
    )  # fmt: skip
    # Held in 湖南 as a household member, not as the worker: the set-wise lookup finds both.
    open_file(by=sibling, division_code="430100", members=[held])

    with pytest.raises(FilesRefused) as refused:
        hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)
    with pytest.raises(RuleBroken) as by_the_form:
        one_by_one(caseworker, inputs[2:])

    assert list(refused.value.refusals) == [2]
    assert refused.value.refusals[2].message_dict == by_the_form.value.message_dict
    [message] = by_the_form.value.message_dict["id_number"]
    assert "held by 湖南省总工会" in message
    assert HardshipFile.objects.filter(unit=caseworker.unit).count() == 0


def test_a_worker_listed_again_as_a_member_is_refused_by_the_form_and_by_a_set(
    caseworker, standards
):
    inputs = many(1)
    inputs[0].members = [son_with(inputs[0].id_number)]

    with pytest.raises(FilesRefused) as refused:
        hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)

    assert refused.value.refusals[0].message_dict == {
        "members-0-id_number": ["This ID number is already listed in this household (the worker)."]
    }


def test_a_worker_whose_file_is_out_of_hardship_is_pointed_to_it_in_a_set_too(
    caseworker, standards
):
    inputs = many(2)
    earlier = open_file(by=caseworker, id_number=inputs[1].id_number)
    HardshipFile.objects.filter(pk=earlier.pk).update(
        status=FileStatus.EXITED, category="relative", exit_reason="reemployed"
    )

    with pytest.raises(FilesRefused) as refused:
        hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)

    [message] = refused.value.refusals[1].message_dict["id_number"]
    assert earlier.file_number in message  # in the caseworker's branch: the file itself
    assert "reopen" in message


# ---------------------------------------------------------------------- all or nothing


def test_one_bad_household_among_many_leaves_nothing_written(caseworker, standards):
    inputs = many(30)
    inputs[17].secondary_causes = [inputs[17].values["main_cause"]]
    events_before = (FileEvent.objects.count(), MemberEvent.objects.count())

    with pytest.raises(FilesRefused) as refused:
        hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)

    assert list(refused.value.refusals) == [17]
    assert HardshipFile.objects.count() == 0
    assert HouseholdMember.objects.count() == 0
    assert FileTransition.objects.count() == 0
    assert (FileEvent.objects.count(), MemberEvent.objects.count()) == events_before
    assert not FileNumberCounter.objects.exists()


def test_an_import_refusing_a_member_held_elsewhere_writes_nothing_and_names_the_members_column(
    caseworker, sibling, standards
):
    child = make_id_number(birth="20050101", sequence=33)
    member = {
        "member2_name": "甲", "member2_relation": "son", "member2_employment": "student",
        "member2_id_number": child,
    }  # fmt: skip
    batch = checked(
        caseworker, spreadsheet([household(n) for n in (1, 2)] + [household(3, **member)])
    )
    open_file(by=sibling, id_number=child, division_code="430100")

    batch = imported(batch, caseworker)

    assert batch.status == ImportBatch.Status.FAILED
    [(row, column, message)] = problems(batch)
    assert (row, column) == (4, "成员2身份证号")
    assert "held by 湖南省总工会" in message
    assert batch.report[0]["id"] == child[:6] + "********" + child[-4:]
    assert HardshipFile.objects.filter(unit=caseworker.unit).count() == 0
    assert HouseholdMember.objects.filter(file__unit=caseworker.unit).count() == 0


def test_a_dry_run_for_someone_who_lost_the_caseworker_role_fails_saying_so(caseworker, standards):
    batch = read(caseworker, spreadsheet([household(1)]))
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    caseworker.is_caseworker = False
    caseworker.save(update_fields=["is_caseworker"])
    batch.refresh_from_db()

    document_run(document_id=batch.job_id)

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "caseworker" in batch.error.lower()
    assert batch.report == []


# ---------------------------------------------------------------------- queries


@pytest.mark.parametrize("count", [1, 40])
def test_opening_a_set_costs_the_same_queries_for_1_and_40_households(
    caseworker, standards, count, django_assert_max_num_queries
):
    inputs = many(count)

    with django_assert_max_num_queries(16):
        files = hardship_files_open(by=caseworker, unit=caseworker.unit, households=inputs)

    assert len(files) == count


@pytest.mark.parametrize("count", [1, 40])
def test_the_dry_run_and_the_import_cost_the_same_queries_for_1_and_40_rows(
    caseworker, standards, count, django_assert_max_num_queries
):
    batch = read(caseworker, spreadsheet([household(n) for n in range(1, count + 1)]))
    import_batch_match_columns(batch=batch, by=caseworker, mapping=batch.mapping, language="en")
    batch.refresh_from_db()

    with django_assert_max_num_queries(15):
        document_run(document_id=batch.job_id)  # the dry run, as a worker runs it
    import_batch_confirm(batch=batch, by=caseworker)
    batch.refresh_from_db()
    with django_assert_max_num_queries(29):
        document_run(document_id=batch.job_id)  # the import

    batch.refresh_from_db()
    assert (batch.status, batch.row_count, batch.imported_count) == ("done", count, count)
    assert HardshipFile.objects.count() == count
