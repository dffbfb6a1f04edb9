import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection

from people.models import UnionUnit
from people.selectors import unit_branch
from people.services import union_unit_create, union_unit_move
from tests.factories import UnionUnitFactory


def test_a_new_unit_gets_its_path_from_its_parent(tree):
    assert tree.national.path == f"/{tree.national.pk}/"
    assert tree.dazhi.path == (
        f"/{tree.national.pk}/{tree.hubei.pk}/{tree.wuhan.pk}/{tree.jiangan.pk}/{tree.dazhi.pk}/"
    )


def test_a_branch_is_the_unit_and_every_unit_below_it(tree):
    branch = set(unit_branch(unit=tree.wuhan).values_list("code", flat=True))

    assert branch == {"HB-WH", "HB-WH-JA", "HB-WH-JA-DZ"}


def test_a_branch_does_not_take_units_whose_id_merely_starts_the_same(tree):
    # /1/2/ must not match /1/23/: the trailing slash keeps prefixes exact.
    siblings = [
        UnionUnitFactory(code=f"X{n}", level=UnionUnit.Level.CITY, parent=tree.hubei)
        for n in range(12)
    ]
    first = siblings[0]
    look_alikes = [u for u in siblings if str(u.pk).startswith(str(first.pk)) and u != first]

    branch = list(unit_branch(unit=first))

    assert branch == [first]
    assert all(u not in branch for u in look_alikes)


def test_moving_a_unit_moves_its_whole_branch(tree):
    union_unit_move(unit=tree.jiangan, new_parent=tree.yichang)

    tree.dazhi.refresh_from_db()
    assert tree.dazhi.path.startswith(f"{tree.yichang.path}{tree.jiangan.pk}/")
    assert set(unit_branch(unit=tree.yichang).values_list("code", flat=True)) == {
        "HB-YC",
        "HB-WH-JA",
        "HB-WH-JA-DZ",
    }
    assert set(unit_branch(unit=tree.wuhan).values_list("code", flat=True)) == {"HB-WH"}


def test_a_unit_cannot_move_under_its_own_branch(tree):
    with pytest.raises(ValidationError) as error:
        union_unit_move(unit=tree.wuhan, new_parent=tree.dazhi)

    assert "parent" in error.value.message_dict


def test_a_parent_must_stand_above_its_child(tree):
    with pytest.raises(ValidationError) as error:
        union_unit_create(
            name="错层工会", code="BAD", level=UnionUnit.Level.CITY, parent=tree.jiangan
        )

    assert "parent" in error.value.message_dict


def test_only_the_national_federation_stands_without_a_parent(db):
    with pytest.raises(ValidationError):
        union_unit_create(
            name="孤儿省总", code="ORPHAN", level=UnionUnit.Level.PROVINCE, parent=None
        )


def test_the_database_refuses_a_unit_below_national_without_a_parent(db):
    with pytest.raises(IntegrityError):
        UnionUnit.objects.create(
            name="绕过服务", code="RAW", level=UnionUnit.Level.CITY, path="/999/"
        )


def test_a_malformed_division_code_is_refused(tree):
    with pytest.raises(ValidationError) as error:
        union_unit_create(
            name="坏代码工会",
            code="BADDIV",
            level=UnionUnit.Level.CITY,
            parent=tree.hubei,
            division_code="42A1",
        )

    assert "division_code" in error.value.message_dict


def test_descendant_queries_can_use_the_path_index(tree):
    # Small tables are scanned sequentially anyway; with that option off the
    # planner shows whether an index *can* serve the prefix scan at all.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = unit_branch(unit=tree.hubei).explain()

    assert "Index" in plan, plan
    assert "people_unionunit_path" in plan, plan
