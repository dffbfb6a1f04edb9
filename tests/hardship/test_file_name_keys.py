"""The name search's keys (hardship.models.FileNameKey): one row per key of each file's name,
written by the database whatever writes the file, and the file list that counts and pages a
name search from them (hardship.selectors.file_list_page)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.paging import _encode
from hardship.choices import FileStatus
from hardship.identity import pinyin_keys
from hardship.models import FileNameKey, HardshipFile
from hardship.selectors import file_list_page, files_for_user, files_search, name_keys_for_user
from hardship.services import hardship_file_first_review, hardship_file_update
from people.services import union_unit_move
from tests.factories import UserFactory, file_values, make_id_number, open_file


def keys_of(file: HardshipFile) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in FileNameKey.objects.filter(file_id=file.pk).values_list(
            "key", "unit_path", "status", "category", "created_at"
        )
    }


def expected_keys(file: HardshipFile) -> dict[str, tuple]:
    file = HardshipFile.objects.get(pk=file.pk)
    return dict.fromkeys(
        pinyin_keys(file.name), (file.unit_path, file.status, file.category, file.created_at)
    )


def row_versions(file: HardshipFile) -> list:
    """The keys' row versions: a row rewritten gets a new one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xmin::text FROM hardship_filenamekey WHERE file_id = %s ORDER BY key",
            [file.pk],
        )
        return [version for (version,) in cursor.fetchall()]


@pytest.fixture
def jianguo(caseworker, standards, tree):
    """张建国, applied with 江岸区总工会 (in 武汉, in 湖北)."""
    return open_file(by=caseworker, unit=tree.jiangan, name="张建国")


def test_opening_a_file_writes_a_row_for_every_key_of_its_name(jianguo):
    assert set(keys_of(jianguo)) == {"张建国", "建国", "张建", "zhangjianguo", "jianguo", "zjg"}
    assert keys_of(jianguo) == expected_keys(jianguo)


def test_files_created_in_bulk_get_their_keys(jianguo, tree):
    copy = HardshipFile.objects.get(pk=jianguo.pk)
    copy.pk, copy.file_number, copy.unit = None, "420102-2026-9999999", tree.dazhi
    copy.id_number, copy.name, copy.search_keys = make_id_number(sequence=9001), "李四", "李四 lisi"

    (created,) = HardshipFile.objects.bulk_create([copy])

    assert keys_of(created) == dict.fromkeys(
        ("李四", "lisi"),
        (tree.dazhi.path, FileStatus.APPLIED, created.category, created.created_at),
    )


def test_a_key_the_name_repeats_is_written_once(jianguo):
    HardshipFile.objects.filter(pk=jianguo.pk).update(search_keys="wang  wang ww")

    assert sorted(keys_of(jianguo)) == ["wang", "ww"]


def test_renaming_a_file_replaces_its_keys(jianguo, caseworker, tree):
    hardship_file_update(
        file=jianguo,
        by=caseworker,
        id_number=jianguo.id_number,
        values=file_values(name="张志毅"),
        secondary_causes=[],
        members=[],
        category=jianguo.category,
    )

    assert "志毅" in keys_of(jianguo)
    assert "建国" not in keys_of(jianguo)
    assert keys_of(jianguo) == expected_keys(jianguo)


def test_a_status_change_rewrites_the_status_beside_the_keys(jianguo, caseworker):
    hardship_file_first_review(file=jianguo, by=caseworker)

    assert {status for _path, status, _category, _at in keys_of(jianguo).values()} == {
        FileStatus.FIRST_REVIEWED
    }


def test_a_category_change_rewrites_the_category_beside_the_keys(jianguo):
    HardshipFile.objects.filter(pk=jianguo.pk).update(category="deep")

    assert keys_of(jianguo) == expected_keys(jianguo)
    assert {category for *_, category, _at in keys_of(jianguo).values()} == {"deep"}


def test_moving_a_branch_moves_the_path_beside_its_files_keys(jianguo, tree):
    union_unit_move(unit=tree.jiangan, new_parent=tree.hunan)

    assert keys_of(jianguo) == expected_keys(jianguo)
    assert all(path.startswith(tree.hunan.path) for path, *_ in keys_of(jianguo).values())


def test_a_change_to_another_column_leaves_the_keys_alone(jianguo):
    before = row_versions(jianguo)

    HardshipFile.objects.filter(pk=jianguo.pk).update(address="武汉市江岸区大智路 2 号")

    assert row_versions(jianguo) == before


def test_the_name_keys_scope_is_the_files_scope(jianguo, caseworker, sibling, tree):
    open_file(by=UserFactory(unit=tree.yichang), name="赵建国")
    open_file(by=UserFactory(unit=tree.changsha), name="孙建国")
    for user in (
        caseworker,
        sibling,
        UserFactory(unit=tree.hubei),
        UserFactory(unit=tree.changsha),
    ):
        by_keys = name_keys_for_user(user=user).filter(key="建国").values_list("file", flat=True)
        by_files = files_search(files_for_user(user=user), text="建国").values_list("pk", flat=True)
        assert sorted(by_keys) == sorted(by_files)


@pytest.fixture
def many_jianguo(caseworker, standards, tree):
    """Twelve files of 武汉 that a search for 建国 finds (two of them in 大智), four of them
    first-reviewed, five in deep hardship; and 郑建国 in 宜昌, outside 武汉."""
    files = [
        open_file(by=caseworker, unit=tree.dazhi if n < 2 else tree.jiangan, name=f"{s}建国")
        for n, s in enumerate("张王赵刘陈杨黄周吴徐孙马")
    ]
    for file in files[:4]:
        hardship_file_first_review(file=file, by=caseworker)
    HardshipFile.objects.filter(pk__in=[f.pk for f in files]).update(category="relative")
    HardshipFile.objects.filter(pk__in=[f.pk for f in files[2:7]]).update(category="deep")
    open_file(by=UserFactory(unit=tree.yichang), name="郑建国")
    # Entered at distinct, known times, not in the order of their ids.
    for position, file in enumerate(files):
        HardshipFile.objects.filter(pk=file.pk).update(
            created_at=file.created_at.replace(minute=(position * 7) % 12)
        )
    return files


@pytest.mark.parametrize("order", [("-created_at", "-id"), ("created_at", "id")])
@pytest.mark.parametrize("statuses", [[], [FileStatus.FIRST_REVIEWED]])
@pytest.mark.parametrize("categories", [[], ["deep"]])
def test_a_list_paged_from_the_keys_is_the_list_paged_from_the_files(
    many_jianguo, caseworker, order, statuses, categories
):
    files = files_search(files_for_user(user=caseworker), text="建国")
    keys = name_keys_for_user(user=caseworker).filter(key="建国")
    if categories:
        files, keys = files.filter(category__in=categories), keys.filter(category__in=categories)
    listed = files.filter(status__in=statuses) if statuses else files

    def pages(name_keys):
        seen, after = [], ""
        while True:
            page, total, by_status = file_list_page(
                listed=listed, files=files, statuses=statuses, searched=True, order=order,
                size=3, after=after, name_keys=name_keys,
            )  # fmt: skip
            seen.append(([f.pk for f in page.rows], total, by_status, page.previous_cursor))
            if not page.next_cursor:
                return seen
            after = page.next_cursor

    from_keys = pages(keys)

    assert from_keys == pages(None)
    assert sum(len(rows) for rows, *_ in from_keys) == len(listed) > 0
    assert from_keys[0][1] == (len(listed), False)


def test_a_page_back_from_the_keys_is_the_page_before(many_jianguo, caseworker):
    files = files_search(files_for_user(user=caseworker), text="建国")
    keys = name_keys_for_user(user=caseworker).filter(key="建国")
    newest = ("-created_at", "-id")
    first, *_ = file_list_page(
        listed=files, files=files, statuses=[], searched=True, order=newest, size=5, name_keys=keys
    )
    second, *_ = file_list_page(
        listed=files, files=files, statuses=[], searched=True, order=newest, size=5,
        after=first.next_cursor, name_keys=keys,
    )  # fmt: skip
    back, *_ = file_list_page(
        listed=files, files=files, statuses=[], searched=True, order=newest, size=5,
        before=second.previous_cursor, name_keys=keys,
    )  # fmt: skip

    assert [f.pk for f in back.rows] == [f.pk for f in first.rows]


def test_the_list_counts_and_pages_a_name_search_without_reading_the_files(
    many_jianguo, caseworker_client
):
    with CaptureQueriesContext(connection) as queries:
        response = caseworker_client.get(
            reverse("hardship:file_list") + "?q=建国&status=applied&category=deep"
        )

    page = response.content.decode()
    assert "刘建国" not in page  # deep, first-reviewed
    assert "陈建国" in page  # deep, applied
    assert "孙建国" not in page  # applied, not deep
    (counting,) = [q["sql"] for q in queries if q["sql"].startswith("SELECT * FROM (WITH")]
    assert "hardship_hardshipfile" not in counting
    assert '"hardship_filenamekey"."unit_path"::text LIKE' in counting


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=建国&unit=江岸", {}),
        ("q=建国&unit=大智", {"unit__name__contains": "大智"}),
        ("q=建国&unit=宜昌", {"pk__in": []}),
        ("q=建国&category=deep", {"category": "deep"}),
        ("q=建国&category=deep&cause=1", {"category": "deep", "main_cause_id": 1}),
        ("q=建国&sort=name", {}),
    ],
)
def test_other_filters_and_orders_find_the_files_they_should(
    many_jianguo, caseworker_client, query, expected
):
    response = caseworker_client.get(reverse("hardship:file_list") + "?" + query)

    assert response.status_code == 200
    page = response.content.decode()
    should = HardshipFile.objects.filter(pk__in=[f.pk for f in many_jianguo]).filter(**expected)
    assert {f.name for f in many_jianguo if f.name in page} == {f.name for f in should}
    assert "郑建国" not in page


def test_a_cursor_that_names_no_file_is_the_first_page(many_jianguo, caseworker_client):
    cursor = _encode(["2026-01-01T00:00:00+08:00", "not-a-file"])

    response = caseworker_client.get(reverse("hardship:file_list") + f"?q=建国&after={cursor}")

    assert response.status_code == 200
    assert sum(f.name in response.content.decode() for f in many_jianguo) == len(many_jianguo)


def test_a_name_search_of_a_sibling_branch_finds_nothing_and_anonymous_is_sent_to_sign_in(
    many_jianguo, sibling, client
):
    url = reverse("hardship:file_list") + "?q=建国"
    assert client.get(url).status_code == 302
    client.force_login(sibling)
    response = client.get(url)
    assert response.status_code == 200
    assert not any(f.name in response.content.decode() for f in many_jianguo)
