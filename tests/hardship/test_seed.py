from django.core.management import call_command

from hardship.demo import DEMO_PASSWORD, DEMO_USERS
from hardship.models import UnionUnit, User


def test_seed_demo_builds_the_tree_and_accounts_once(db, capsys):
    call_command("seed_demo")
    units, users = UnionUnit.objects.count(), User.objects.count()
    call_command("seed_demo")

    assert (UnionUnit.objects.count(), User.objects.count()) == (units, users)
    assert users == len(DEMO_USERS) + 1
    caseworker = User.objects.get(username="jiangan.caseworker")
    assert caseworker.check_password(DEMO_PASSWORD)
    assert caseworker.unit.name == "江岸区总工会"
    assert caseworker.is_caseworker
    assert "jiangan.caseworker" in capsys.readouterr().out


def test_every_demo_unit_has_a_consistent_path(db):
    call_command("seed_demo")

    for unit in UnionUnit.objects.select_related("parent"):
        expected = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        assert unit.path == expected


def test_every_demo_role_is_present_at_several_levels(db):
    call_command("seed_demo")

    for role in ("caseworker", "approver", "viewer", "unit_admin"):
        assert User.objects.filter(**{f"is_{role}": True}).exists(), role
    levels = set(User.objects.filter(is_caseworker=True).values_list("unit__level", flat=True))
    assert len(levels) >= 3


def test_seed_scale_builds_a_province_of_the_size_asked(db):
    call_command("seed_scale", units=500, prefix="B")

    province = UnionUnit.objects.get(level=UnionUnit.Level.PROVINCE)
    branch = UnionUnit.objects.filter(path__startswith=province.path)
    assert branch.count() == 500
    assert set(branch.values_list("level", flat=True)) == {2, 3, 4, 5, 6}
    for unit in branch.select_related("parent")[:200]:
        assert unit.path == f"{unit.parent.path}{unit.pk}/"
    # The id sequence moved past the copied rows: ordinary inserts still work.
    UnionUnit.objects.create(
        name="之后新建", code="AFTER", level=3, parent=province, path="/tmp-after/"
    )
