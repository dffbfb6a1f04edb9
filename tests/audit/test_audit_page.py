"""The audit page: who saw full ID numbers, who changed what, who signed in, who changed
accounts — scoped to the reader's branch, filterable, exportable, and itself recorded."""

from datetime import timedelta

import pghistory
import pytest
from django.urls import reverse

from audit.models import AuditReading, AuditSection
from hardship.models import HardshipFile
from hardship.services import id_number_reveal
from people.models import AccountEvent
from tests.factories import TEST_PASSWORD, UserFactory
from tests.visits.test_visit_views import visit_form
from tests.visits.test_visits import household

AUDIT = reverse("audit:audit_page")


@pytest.fixture
def hunan_approver(tree):
    """An approver of 湖南省总工会, a sibling branch of 湖北."""
    return UserFactory(
        username="hunan.ap",
        full_name="周敏",
        unit=tree.hunan,
        is_caseworker=False,
        is_approver=True,
    )


@pytest.fixture
def wuhan_file(caseworker, tree):
    return household(by=caseworker, unit=tree.jiangan, name="王秀英")


def read(client, user, **query):
    client.force_login(user)
    return client.get(AUDIT, query)


def test_an_approver_sees_who_saw_a_full_id_number_in_their_branch(
    client, approver, caseworker, wuhan_file
):
    id_number_reveal(file=wuhan_file, by=approver)

    page = read(client, approver, section=AuditSection.ID_NUMBERS).content.decode()

    assert wuhan_file.file_number in page
    assert "陈静" in page  # the approver who saw it
    assert wuhan_file.id_number not in page


def test_an_approver_of_a_sibling_branch_sees_nothing_of_it(
    client, approver, hunan_approver, wuhan_file
):
    id_number_reveal(file=wuhan_file, by=approver)
    with pghistory.context(user=approver.pk):
        HardshipFile.objects.filter(pk=wuhan_file.pk).update(phone="13900001111")

    for section in (AuditSection.ID_NUMBERS, AuditSection.CHANGES):
        page = read(client, hunan_approver, section=section).content.decode()
        assert wuhan_file.file_number not in page


def test_a_caseworker_and_a_stranger_are_refused(client, caseworker, db):
    assert read(client, caseworker).status_code == 404
    client.logout()
    response = client.get(AUDIT)
    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_a_changed_field_shows_who_changed_it_from_what_to_what(
    client, approver, caseworker, wuhan_file
):
    with pghistory.context(user=caseworker.pk):
        HardshipFile.objects.filter(pk=wuhan_file.pk).update(phone="13900001111")

    page = read(client, approver, section=AuditSection.CHANGES).content.decode()

    assert "13900001111" in page
    assert "李建国" in page  # the caseworker, named by the history's context


def test_a_visit_logged_through_the_page_is_in_the_history_with_who_logged_it(
    client, approver, caseworker, wuhan_file
):
    client.force_login(caseworker)
    response = client.post(
        reverse("visits:visit_create", args=[wuhan_file.pk]), visit_form(caseworker)
    )
    assert response.status_code == 302

    page = read(client, approver, section=AuditSection.CHANGES, file=wuhan_file.file_number)
    text = page.content.decode()

    assert "新增走访" in text
    assert "李建国" in text


def test_sign_ins_and_failures_of_the_branch_are_shown(client, approver, caseworker, sibling):
    client.post(reverse("people:login"), {"username": "wuhan.cw", "password": TEST_PASSWORD})
    client.logout()
    client.post(reverse("people:login"), {"username": "wuhan.cw", "password": "wrong-one"})
    client.post(reverse("people:login"), {"username": "hunan.cw", "password": TEST_PASSWORD})

    page = read(client, approver, section=AuditSection.SIGN_INS).content.decode()

    assert page.count("李建国") >= 2
    assert "黄志明" not in page  # a caseworker of 湖南: not this branch


def test_role_changes_are_shown_with_who_made_them(client, approver, caseworker, tree):
    AccountEvent.objects.create(
        user=caseworker,
        actor=approver,
        kind=AccountEvent.Kind.ROLES,
        unit=tree.wuhan,
        before="个案工作者",
        after="个案工作者、审批人",
    )

    page = read(client, approver, section=AuditSection.ACCOUNTS).content.decode()

    assert "个案工作者、审批人" in page


def test_every_reading_is_recorded_and_shown_in_its_own_part(client, approver, db):
    read(client, approver, section=AuditSection.SIGN_INS, person="wuhan.ap")

    reading = AuditReading.objects.get()
    assert reading.user == approver
    assert reading.section == AuditSection.SIGN_INS
    assert reading.filters == {"person": "wuhan.ap"}
    page = read(client, approver, section=AuditSection.READINGS).content.decode()
    assert "陈静" in page


def test_a_person_outside_the_branch_is_an_error_beside_the_field(client, approver, sibling):
    response = read(client, approver, section=AuditSection.SIGN_INS, person="hunan.cw")

    assert response.status_code == 400
    assert 'id="id_person_error"' in response.content.decode()
    assert not AuditReading.objects.exists()


def test_a_period_that_ends_before_it_starts_is_refused(client, approver, db):
    response = read(client, approver, since="2026-05-01", until="2026-04-01")

    assert response.status_code == 400
    assert 'id="id_until_error"' in response.content.decode()


def test_the_period_narrows_the_rows(client, approver, wuhan_file):
    id_number_reveal(file=wuhan_file, by=approver)
    tomorrow = (wuhan_file.created_at + timedelta(days=2)).date().isoformat()

    page = read(client, approver, since=tomorrow).content.decode()

    assert wuhan_file.file_number not in page


def test_the_export_is_a_chinese_csv_and_is_recorded_with_its_count(client, approver, wuhan_file):
    id_number_reveal(file=wuhan_file, by=approver)
    client.force_login(approver)

    response = client.get(reverse("audit:audit_export"), {"section": AuditSection.ID_NUMBERS})
    body = b"".join(response.streaming_content).decode("utf-8")

    assert body.startswith("\ufeff时间,")
    assert wuhan_file.file_number in body
    assert "filename*=utf-8''" in response["Content-Disposition"]
    reading = AuditReading.objects.get(exported_rows__isnull=False)
    assert reading.exported_rows == 1


@pytest.mark.parametrize("count", [1, 3])
def test_the_changes_part_reads_in_a_bounded_number_of_queries(
    client, approver, caseworker, tree, count, django_assert_max_num_queries
):
    for i in range(count):
        file = household(by=caseworker, unit=tree.jiangan, name=f"张{i}国")
        with pghistory.context(user=caseworker.pk):
            HardshipFile.objects.filter(pk=file.pk).update(phone=f"1390000{i:04d}")
    client.force_login(approver)

    with django_assert_max_num_queries(40):
        response = client.get(AUDIT, {"section": AuditSection.CHANGES})

    assert response.status_code == 200
