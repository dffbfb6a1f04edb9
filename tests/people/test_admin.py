"""Django admin: superusers manage everything, unit administrators their own branch."""

import pytest
from django.urls import reverse

from people.models import UnionUnit, User
from tests.factories import TEST_PASSWORD, UserFactory


@pytest.fixture
def unit_admin(tree):
    return UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True,
    )  # fmt: skip


def test_a_superuser_adds_a_unit_and_it_gets_its_place_in_the_tree(client, superuser, tree):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:people_unionunit_add"),
        {"name": "新洲区总工会", "code": "HB-WH-XZ", "level": 4, "parent": tree.wuhan.pk,
         "division_code": "420117"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()
    unit = UnionUnit.objects.get(code="HB-WH-XZ")
    assert unit.path == f"{tree.wuhan.path}{unit.pk}/"


def test_changing_a_units_parent_in_admin_moves_its_branch(client, superuser, tree):
    client.force_login(superuser)

    client.post(
        reverse("admin:people_unionunit_change", args=[tree.jiangan.pk]),
        {"name": tree.jiangan.name, "code": tree.jiangan.code, "level": 4,
         "parent": tree.yichang.pk, "division_code": ""},
    )  # fmt: skip

    tree.dazhi.refresh_from_db()
    assert tree.dazhi.path.startswith(tree.yichang.path)


def test_admin_refuses_a_parent_below_the_unit_with_a_message(client, superuser, tree):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:people_unionunit_change", args=[tree.wuhan.pk]),
        {"name": tree.wuhan.name, "code": tree.wuhan.code, "level": 3,
         "parent": tree.dazhi.pk, "division_code": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert "不能把单位移到它自身或其下级单位之下" in response.content.decode()


def test_a_unit_admin_sees_only_units_of_their_branch(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.get(reverse("admin:people_unionunit_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "江岸区总工会" in page
    assert "湖南省总工会" not in page
    assert "宜昌市总工会" not in page


def test_a_unit_admin_cannot_open_a_sibling_branchs_user(client, unit_admin, sibling):
    client.force_login(unit_admin)

    response = client.get(reverse("admin:people_user_change", args=[sibling.pk]))

    assert response.status_code == 302  # admin's "does not exist" redirect to its index
    assert User.objects.filter(pk=sibling.pk).exists()


def test_a_unit_admin_creates_a_caseworker_in_their_branch(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_add"),
        {"username": "jiangan.new", "full_name": "新经办人", "unit": tree.jiangan.pk,
         "password1": TEST_PASSWORD, "password2": TEST_PASSWORD, "is_caseworker": "on",
         "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()
    created = User.objects.get(username="jiangan.new")
    assert created.unit == tree.jiangan
    assert created.is_caseworker
    assert not created.is_staff


def test_a_unit_admin_cannot_put_a_user_in_another_branch(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_add"),
        {"username": "hunan.new", "full_name": "越权", "unit": tree.hunan.pk,
         "password1": TEST_PASSWORD, "password2": TEST_PASSWORD, "usable_password": "true"},
    )  # fmt: skip

    assert response.status_code == 200
    assert not User.objects.filter(username="hunan.new").exists()


def test_a_unit_admin_cannot_make_anyone_superuser(client, unit_admin, caseworker):
    client.force_login(unit_admin)

    response = client.get(reverse("admin:people_user_change", args=[caseworker.pk]))

    assert response.status_code == 200
    assert 'name="is_superuser"' not in response.content.decode()


def test_a_caseworker_is_not_let_into_admin(caseworker_client):
    response = caseworker_client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "login" in response.url


def test_nobody_deletes_a_unit(client, superuser, tree):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:people_unionunit_delete", args=[tree.dazhi.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert UnionUnit.objects.filter(pk=tree.dazhi.pk).exists()


def test_a_unit_admin_cannot_add_a_unit_under_another_branch(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_unionunit_add"),
        {"name": "越权工会", "code": "HN-X", "level": 4, "parent": tree.hunan.pk,
         "division_code": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert not UnionUnit.objects.filter(code="HN-X").exists()


def test_a_unit_admin_cannot_change_their_own_units_place(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_unionunit_change", args=[tree.wuhan.pk]),
        {"name": "改名", "code": tree.wuhan.code, "level": 3, "parent": tree.hubei.pk,
         "division_code": ""},
    )  # fmt: skip

    assert response.status_code == 403
    tree.wuhan.refresh_from_db()
    assert tree.wuhan.name == "武汉市总工会"
