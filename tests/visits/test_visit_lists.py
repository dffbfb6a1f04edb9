"""Building the seasonal visit lists: who is listed, in what order, once, and frozen."""

from datetime import date, timedelta

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from hardship.services import MemberInput
from tests.factories import UnionUnitFactory, UserFactory, make_id_number, open_file
from visits.campaigns import (
    campaign_coverage,
    campaign_create,
    visit_list_approve,
    visit_lists_build,
)
from visits.choices import VisitListStatus
from visits.models import Cadre, Pairing, Visit, VisitList, VisitListRow
from visits.rules import TargetRule


def on_file(file, **changes):
    """Put a file straight on record for list tests (the life steps are tested elsewhere)."""
    HardshipFile.objects.filter(pk=file.pk).update(
        status=FileStatus.ON_FILE,
        category=changes.pop("category", file.category or "relative"),
        **changes,
    )
    file.refresh_from_db()
    return file


@pytest.fixture
def streets(tree):
    """Two communities under 大智街道, each holding files."""
    one = UnionUnitFactory(name="大智路社区联合工会", code="DZ-1", level=6, parent=tree.dazhi)
    two = UnionUnitFactory(name="车辆厂工会", code="DZ-2", level=6, parent=tree.dazhi)
    return one, two


@pytest.fixture
def winter(approver, tree):
    today = timezone.localdate()
    return campaign_create(
        by=approver, season="winter", year=today.year, name="2026年冬送温暖", starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=60), organiser=tree.wuhan,
    )  # fmt: skip


def test_winter_lists_take_every_file_on_record_in_priority_order(
    winter, caseworker, streets, standards, tree
):
    one, two = streets
    relative = on_file(
        open_file(by=caseworker, unit=one, name="相对户", id_number=make_id_number(sequence=3001)),
        category="relative",
    )
    deep = on_file(
        open_file(by=caseworker, unit=one, name="深度户", id_number=make_id_number(sequence=3003)),
        category="deep",
    )
    model = on_file(
        open_file(by=caseworker, unit=one, name="劳模户", id_number=make_id_number(sequence=3005)),
        category="relative",
        model_worker_level="provincial",
    )
    open_file(
        by=caseworker, unit=one, name="申请中", id_number=make_id_number(sequence=3007)
    )  # not on record
    elsewhere = on_file(
        open_file(by=caseworker, unit=two, name="二号户", id_number=make_id_number(sequence=3009))
    )

    listed = visit_lists_build(campaign=winter, unit=tree.wuhan)

    assert listed == 4
    first = VisitList.objects.get(campaign=winter, unit=one)
    assert list(first.rows.order_by("priority").values_list("name", flat=True)) == [
        "深度户",
        "劳模户",
        "相对户",
    ]
    row = first.rows.get(file=deep)
    assert (row.township, row.community) == ("大智街道工会", "大智路社区联合工会")
    assert row.masked_id_number == deep.masked_id_number
    assert VisitList.objects.get(campaign=winter, unit=two).rows.get().file == elsewhere
    assert first.status == VisitListStatus.READY and first.row_count == 3
    assert relative and model


def test_building_twice_lists_each_household_once_and_keeps_visits(
    winter, caseworker, streets, standards, tree
):
    one, _ = streets
    a = on_file(
        open_file(by=caseworker, unit=one, name="甲", id_number=make_id_number(sequence=3101))
    )
    on_file(open_file(by=caseworker, unit=one, name="乙", id_number=make_id_number(sequence=3103)))
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    visit = Visit.objects.create(
        file=a,
        campaign=winter,
        visited_on=timezone.localdate(),
        findings="已走访",
        recorded_by=caseworker,
    )
    VisitListRow.objects.filter(file=a).update(visit=visit)

    visit_lists_build(campaign=winter, unit=tree.wuhan)

    assert VisitListRow.objects.filter(campaign=winter).count() == 2
    assert VisitListRow.objects.get(file=a).visit == visit


def test_an_approved_list_is_frozen_against_rebuilds_and_file_edits(
    winter, caseworker, approver, streets, standards, tree
):
    one, _ = streets
    file = on_file(
        open_file(by=caseworker, unit=one, name="冻结户", id_number=make_id_number(sequence=3201))
    )
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    visit_list = VisitList.objects.get(campaign=winter, unit=one)
    visit_list_approve(visit_list=visit_list, by=approver)

    HardshipFile.objects.filter(pk=file.pk).update(name="改名户")
    on_file(
        open_file(by=caseworker, unit=one, name="新户", id_number=make_id_number(sequence=3203))
    )
    visit_lists_build(campaign=winter, unit=tree.wuhan)

    assert list(visit_list.rows.values_list("name", flat=True)) == ["冻结户"]


def test_a_list_approved_while_an_overlapping_build_runs_stays_approved_with_its_rows(
    winter, caseworker, approver, streets, standards, tree
):
    one, two = streets
    on_file(
        open_file(by=caseworker, unit=one, name="一户", id_number=make_id_number(sequence=3301))
    )
    on_file(
        open_file(by=caseworker, unit=two, name="二户", id_number=make_id_number(sequence=3303))
    )
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    approved: dict = {}

    def meanwhile(done, total):
        # Between the organiser's statements: the street's own build finishes the
        # community's list, and its approver freezes it.
        if done == 0 and not approved:
            visit_lists_build(campaign=winter, unit=tree.dazhi)
            visit_list = VisitList.objects.get(campaign=winter, unit=one)
            visit_list_approve(visit_list=visit_list, by=approver)
            approved["rows"] = sorted(visit_list.rows.values_list("pk", "name"))

    on_file(
        open_file(by=caseworker, unit=one, name="后来户", id_number=make_id_number(sequence=3305))
    )
    visit_lists_build(campaign=winter, unit=tree.wuhan, progress=meanwhile)

    frozen = VisitList.objects.get(campaign=winter, unit=one)
    assert frozen.status == VisitListStatus.APPROVED
    assert frozen.approved_by == approver
    assert sorted(frozen.rows.values_list("pk", "name")) == approved["rows"]
    assert frozen.row_count == len(approved["rows"])
    assert VisitList.objects.get(campaign=winter, unit=two).status == VisitListStatus.READY


def test_the_database_refuses_to_reopen_an_approved_list_or_change_its_rows(
    winter, caseworker, approver, streets, standards, tree
):
    one, _ = streets
    file = on_file(
        open_file(by=caseworker, unit=one, name="冻结户", id_number=make_id_number(sequence=3401))
    )
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    visit_list = visit_list_approve(
        visit_list=VisitList.objects.get(campaign=winter, unit=one), by=approver
    )
    row = visit_list.rows.get()
    newcomer = on_file(
        open_file(by=caseworker, unit=one, name="多一户", id_number=make_id_number(sequence=3403))
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        VisitList.objects.filter(pk=visit_list.pk).update(status=VisitListStatus.READY)
    with pytest.raises(IntegrityError, match="approved visit list"), transaction.atomic():
        VisitListRow.objects.filter(pk=row.pk).update(name="改名户")
    with pytest.raises(IntegrityError, match="approved visit list"), transaction.atomic():
        VisitListRow.objects.filter(pk=row.pk).delete()
    with pytest.raises(IntegrityError, match="approved visit list"), transaction.atomic():
        VisitListRow.objects.create(
            visit_list=visit_list, campaign=winter, file=newcomer, priority=2, township="",
            community="", name="多一户", masked_id_number="", address="", phone="", main_cause="",
        )  # fmt: skip

    # Recording the visit that reached a listed household is the one change allowed.
    visit = Visit.objects.create(
        file=file, campaign=winter, visited_on=timezone.localdate(), findings="已走访",
        recorded_by=caseworker,
    )  # fmt: skip
    VisitListRow.objects.filter(pk=row.pk).update(visit=visit)
    assert VisitListRow.objects.get(pk=row.pk).visit == visit


def test_autumn_lists_take_households_with_students(approver, caseworker, streets, standards, tree):
    one, _ = streets
    today = timezone.localdate()
    autumn = campaign_create(
        by=approver,
        season="autumn",
        year=today.year,
        name="金秋助学",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        organiser=tree.wuhan,
    )
    student = MemberInput(
        relation="son",
        name="读大学",
        birth_date=date(2005, 9, 1),
        employment="student",
        school_stage="university",
    )
    pupil = MemberInput(
        relation="son",
        name="读小学",
        birth_date=date(2016, 9, 1),
        employment="student",
        school_stage="primary",
    )
    on_file(
        open_file(
            by=caseworker,
            unit=one,
            name="有大学生",
            members=[student],
            id_number=make_id_number(sequence=3301),
        )
    )
    on_file(
        open_file(
            by=caseworker,
            unit=one,
            name="只有小学生",
            members=[pupil],
            id_number=make_id_number(sequence=3303),
        )
    )

    visit_lists_build(campaign=autumn, unit=tree.wuhan)

    assert list(VisitListRow.objects.filter(campaign=autumn).values_list("name", flat=True)) == [
        "有大学生"
    ]


def test_rows_are_assigned_to_the_households_paired_helper(
    winter, caseworker, streets, standards, tree
):
    one, _ = streets
    file = on_file(
        open_file(by=caseworker, unit=one, name="有帮扶人", id_number=make_id_number(sequence=3401))
    )
    helper = Cadre.objects.create(unit=one, name="王帮扶")
    Pairing.objects.create(
        file=file,
        cadre=helper,
        role="helper",
        starts_on=timezone.localdate(),
        created_by=caseworker,
    )

    visit_lists_build(campaign=winter, unit=tree.wuhan)

    row = VisitListRow.objects.get(file=file)
    assert (row.helper, row.helper_name) == (helper, "王帮扶")


def test_not_visited_for_n_days_leaves_out_recent_visits(
    approver, caseworker, streets, standards, tree
):
    one, _ = streets
    today = timezone.localdate()
    rule = TargetRule(season_test="all", not_visited_for_days=30)
    campaign = campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name="补访",
        starts_on=today,
        ends_on=today,
        organiser=tree.wuhan,
        rule=rule,
    )
    recent = on_file(
        open_file(by=caseworker, unit=one, name="刚走访", id_number=make_id_number(sequence=3501))
    )
    on_file(
        open_file(by=caseworker, unit=one, name="久未走访", id_number=make_id_number(sequence=3503))
    )
    Visit.objects.create(
        file=recent,
        visited_on=today - timedelta(days=3),
        findings="近期走访",
        recorded_by=caseworker,
    )

    visit_lists_build(campaign=campaign, unit=tree.wuhan)

    assert list(VisitListRow.objects.filter(campaign=campaign).values_list("name", flat=True)) == [
        "久未走访"
    ]


def test_coverage_rolls_up_to_the_organiser(winter, caseworker, streets, standards, tree):
    one, two = streets
    a = on_file(
        open_file(by=caseworker, unit=one, name="甲", id_number=make_id_number(sequence=3601))
    )
    on_file(open_file(by=caseworker, unit=one, name="乙", id_number=make_id_number(sequence=3603)))
    on_file(open_file(by=caseworker, unit=two, name="丙", id_number=make_id_number(sequence=3605)))
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    visit = Visit.objects.create(
        file=a,
        campaign=winter,
        visited_on=timezone.localdate(),
        findings="走访",
        recorded_by=caseworker,
        people_reached=3,
    )
    VisitListRow.objects.filter(file=a).update(visit=visit)

    total, children = campaign_coverage(campaign=winter, unit=tree.wuhan)
    dazhi_total, streets_coverage = campaign_coverage(campaign=winter, unit=tree.dazhi)

    assert (total.listed, total.visited, total.not_visited, total.visits, total.person_times) == (
        3,
        1,
        2,
        1,
        3,
    )
    assert [(c.unit.code, c.listed, c.visited) for c in children] == [("HB-WH-JA", 3, 1)]
    assert [(c.unit.code, c.listed, c.visited) for c in streets_coverage] == [
        ("DZ-1", 2, 1),
        ("DZ-2", 1, 0),
    ]
    assert dazhi_total.percent == 33


def test_a_caseworker_cannot_create_a_campaign(caseworker, tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        campaign_create(
            by=caseworker,
            season="winter",
            year=2026,
            name="x",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 2, 1),
            organiser=tree.wuhan,
        )


def test_a_user_outside_the_branch_cannot_approve_a_list(
    winter, caseworker, streets, standards, tree
):
    from django.core.exceptions import PermissionDenied

    one, _ = streets
    on_file(open_file(by=caseworker, unit=one, id_number=make_id_number(sequence=3701)))
    visit_lists_build(campaign=winter, unit=tree.wuhan)
    outsider = UserFactory(unit=tree.hunan, is_caseworker=False, is_approver=True)

    with pytest.raises(PermissionDenied):
        visit_list_approve(visit_list=VisitList.objects.get(unit=one), by=outsider)
