from django.core.management import call_command

from demo.county import AID_STANDARDS, COUNTY, COUNTY_USERS, GRASSROOTS, TOWNSHIPS
from demo.tree import DEMO_PASSWORD
from hardship.choices import FileStatus
from hardship.identity import check_character
from hardship.models import FileTransition, HardshipFile, HouseholdMember
from hardship.selectors import files_for_user
from people.models import UnionUnit, User


def _county_counts():
    from visits.models import Cadre, Pairing

    return (
        UnionUnit.objects.count(),
        User.objects.count(),
        HardshipFile.objects.count(),
        HouseholdMember.objects.count(),
        Cadre.objects.count(),
        Pairing.objects.count(),
    )


def test_seed_demo_county_loads_a_county_of_households_on_file_once(db, capsys):
    from funds.models import Budget
    from funds.selectors import fund_balance
    from visits.models import Campaign, Pairing

    call_command("seed_demo", "--county", "--county-households", "300")
    counts = _county_counts()
    call_command("seed_demo", "--county", "--county-households", "300")

    # A second run finds the county union and adds nothing.
    assert _county_counts() == counts
    printed = capsys.readouterr().out
    assert "County already loaded." in printed
    assert "hongan.caseworker" in printed

    # The tree: a county, its townships, ten grassroots unions under each.
    county = UnionUnit.objects.get(code=COUNTY[0])
    assert county.name == COUNTY[1]
    assert county.parent.parent.code == "HB"
    branch = UnionUnit.objects.filter(path__startswith=county.path)
    townships = branch.filter(level=UnionUnit.Level.TOWNSHIP)
    grassroots = branch.filter(level=UnionUnit.Level.GRASSROOTS)
    assert townships.count() == len(TOWNSHIPS)
    assert grassroots.count() == len(TOWNSHIPS) * len(GRASSROOTS)
    assert all(u.parent.level == UnionUnit.Level.TOWNSHIP for u in grassroots)

    # Its caseworker and approver sign in with the demo password.
    for username, _name, roles in COUNTY_USERS:
        user = User.objects.get(username=username)
        assert user.unit == county
        assert user.check_password(DEMO_PASSWORD)
        assert all(getattr(user, f"is_{role}") for role in roles)

    # Households on file, in its grassroots unions, with valid ID numbers, members and steps.
    files = list(HardshipFile.objects.filter(unit__path__startswith=county.path))
    assert len(files) == 300
    assert files_for_user(user=User.objects.get(username=COUNTY_USERS[0][0])).count() == 300
    assert {f.status for f in files} == {FileStatus.ON_FILE}
    assert {f.unit.level for f in files} == {UnionUnit.Level.GRASSROOTS}
    assert {f.category for f in files} <= set(AID_STANDARDS)
    assert len({f.id_hash for f in files}) == 300
    for file in files:
        assert len(file.id_number) == 18
        assert file.id_number[17] == check_character(file.id_number[:17])
        assert file.opened_on is not None and file.review_due_on > file.opened_on
        assert file.created_at < file.updated_at or file.created_at == file.updated_at
    assert len({f.file_number for f in files}) == 300
    assert HouseholdMember.objects.filter(file__in=files).count() > 300
    on_file = files[0]
    entered = on_file.events.order_by("pgh_id").first()
    assert entered.pgh_created_at == on_file.created_at
    assert list(FileTransition.objects.filter(file=on_file).values_list("action", flat=True)) == [
        "open",
        "first_review",
        "verify",
        "approve",
    ]

    # About 60% give a bank account, stored encrypted and read back in clear.
    banked = [f for f in files if f.bank_account]
    assert 0.45 < len(banked) / len(files) < 0.75
    assert all(f.bank_name and f.bank_account.startswith("62") for f in banked)
    assert not any(f.bank_name for f in files if not f.bank_account)

    # Each household has a current union helper of its own union; deep hardship a leader too.
    helpers = Pairing.objects.filter(file__in=files, role="helper", ends_on__isnull=True)
    assert helpers.count() == 300
    assert all(p.cadre.unit_id == p.file.unit_id for p in helpers.select_related("cadre", "file"))
    deep = sum(1 for f in files if f.category == "deep")
    assert Pairing.objects.filter(file__in=files, role="leading_cadre").count() == deep

    # This winter's campaign, with aid standards, and a budget the fund has the money for.
    campaign = Campaign.objects.get(organiser=county, season="winter")
    assert dict(campaign.aid_standards.values_list("category", "amount")) == AID_STANDARDS
    budget = Budget.objects.get(campaign=campaign, unit=county)
    needed = sum(AID_STANDARDS[f.category] for f in files)
    assert budget.amount >= needed
    assert fund_balance(budget.fund).available >= budget.amount
