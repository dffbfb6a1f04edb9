"""Each file's copy of its unit's path, kept by the database whatever writes the file or the
unit, and the search that scopes by it (hardship.selectors.files_for_user)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hardship.models import HardshipFile
from hardship.selectors import files_for_user, files_search
from hardship.services import hardship_file_transfer_decide, hardship_file_transfer_request
from people.access import scope_to_user
from people.services import union_unit_move
from tests.factories import UserFactory, make_id_number, open_file


def stored_path(file: HardshipFile) -> str:
    return HardshipFile.objects.values_list("unit_path", flat=True).get(pk=file.pk)


@pytest.fixture
def jianguo(caseworker, standards, tree):
    """张建国, on file with 江岸区总工会 (in 武汉, in 湖北)."""
    return open_file(by=caseworker, unit=tree.jiangan, name="张建国")


def test_a_file_opened_through_the_service_holds_its_units_path(jianguo, tree):
    assert stored_path(jianguo) == tree.jiangan.path


def test_files_created_in_bulk_hold_their_units_path(jianguo, tree):
    copy = HardshipFile.objects.get(pk=jianguo.pk)
    copy.pk, copy.file_number, copy.unit = None, "420102-2026-9999999", tree.dazhi
    copy.id_number, copy.unit_path = make_id_number(sequence=9001), "/wrong/"

    (created,) = HardshipFile.objects.bulk_create([copy])

    assert stored_path(created) == tree.dazhi.path


def test_a_transfer_carries_the_new_units_path(jianguo, caseworker, tree):
    transfer = hardship_file_transfer_request(
        file=jianguo, by=caseworker, to_unit=tree.yichang, reason="职工迁居宜昌"
    )

    hardship_file_transfer_decide(transfer=transfer, by=UserFactory(unit=tree.yichang), accept=True)

    assert stored_path(jianguo) == tree.yichang.path


def test_a_bulk_update_of_the_unit_carries_its_path(jianguo, tree):
    HardshipFile.objects.filter(pk=jianguo.pk).update(unit=tree.changsha)

    assert stored_path(jianguo) == tree.changsha.path


def test_a_written_path_is_replaced_by_the_units(jianguo, tree):
    """A full save of an instance loaded before its unit moved, or any write of the column, still
    leaves the unit's own path."""
    HardshipFile.objects.filter(pk=jianguo.pk).update(unit_path=tree.hunan.path)
    assert stored_path(jianguo) == tree.jiangan.path

    stale = HardshipFile.objects.get(pk=jianguo.pk)
    stale.unit_path = "/1/"
    stale.save()
    assert stored_path(jianguo) == tree.jiangan.path


def test_moving_a_branch_moves_the_path_of_every_file_in_it(jianguo, caseworker, tree):
    in_dazhi = open_file(by=caseworker, unit=tree.dazhi, name="王建国")
    elsewhere = open_file(by=caseworker, unit=tree.wuhan, name="李建国")

    union_unit_move(unit=tree.jiangan, new_parent=tree.yichang)

    tree.jiangan.refresh_from_db()
    tree.dazhi.refresh_from_db()
    assert tree.jiangan.path.startswith(tree.yichang.path)
    assert stored_path(jianguo) == tree.jiangan.path
    assert stored_path(in_dazhi) == tree.dazhi.path
    assert stored_path(elsewhere) == tree.wuhan.path


def test_renaming_a_unit_writes_no_file(jianguo, tree):
    """The trigger on units writes files only where a path changed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text FROM hardship_hardshipfile WHERE id = %s", [jianguo.pk])
        (before,) = cursor.fetchone()
        tree.jiangan.name = "江岸区总工会（新）"
        tree.jiangan.save()
        cursor.execute("SELECT xmin::text FROM hardship_hardshipfile WHERE id = %s", [jianguo.pk])
        (after,) = cursor.fetchone()

    assert after == before


def test_the_list_scope_holds_the_same_files_as_the_units_own_paths(
    jianguo, caseworker, sibling, tree
):
    open_file(by=UserFactory(unit=tree.yichang), name="赵建国")  # 湖北, not 武汉
    hunan_caseworker = UserFactory(unit=tree.changsha)
    open_file(by=hunan_caseworker, name="孙建国")
    users = (caseworker, sibling, hunan_caseworker, UserFactory(unit=tree.hubei))

    for user in users:
        through_units = scope_to_user(HardshipFile.objects.all(), user=user, unit_path="unit__path")
        for text in ("", "建国"):
            assert sorted(
                files_search(files_for_user(user=user), text=text).values_list("name", flat=True)
            ) == sorted(files_search(through_units, text=text).values_list("name", flat=True))
    found = files_search(files_for_user(user=caseworker), text="建国")
    assert list(found.values_list("name", flat=True)) == ["张建国"]


def test_a_search_reads_its_matches_without_joining_the_branchs_units(caseworker_client, jianguo):
    with CaptureQueriesContext(connection) as queries:
        response = caseworker_client.get(reverse("hardship:file_list") + "?q=建国&sort=name")

    assert response.status_code == 200
    (counting,) = [q["sql"] for q in queries if q["sql"].startswith("SELECT * FROM (WITH")]
    assert "people_unionunit" not in counting
    assert '"hardship_hardshipfile"."unit_path"::text LIKE' in counting


def test_a_search_follows_a_moved_branch(jianguo, caseworker, sibling, client, tree):
    """The list's search after 江岸 moved from 武汉 to 湖南: 武汉's caseworker no longer finds its
    files, 湖南's does."""
    url = reverse("hardship:file_list") + "?q=建国"
    client.force_login(sibling)
    assert "张建国" not in client.get(url).content.decode()

    union_unit_move(unit=tree.jiangan, new_parent=tree.hunan)

    assert "张建国" in client.get(url).content.decode()
    client.force_login(caseworker)
    response = client.get(url)
    assert response.status_code == 200
    assert "张建国" not in response.content.decode()
