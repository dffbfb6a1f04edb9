from django.core.management import call_command

from demo.tree import DEMO_PASSWORD, DEMO_SECOND_FACTORS, DEMO_USERS
from hardship.choices import FileStatus
from hardship.models import FileTransition, HardshipFile
from people.models import UnionUnit, User


def test_seed_demo_builds_a_lively_world_once(db, capsys):
    call_command("seed_demo")
    counts = (UnionUnit.objects.count(), User.objects.count(), HardshipFile.objects.count())
    call_command("seed_demo")

    # Loaded once: a second run changes nothing.
    assert (UnionUnit.objects.count(), User.objects.count(), HardshipFile.objects.count()) == counts
    assert counts[1] == len(DEMO_USERS) + 1
    caseworker = User.objects.get(username="jiangan.caseworker")
    assert caseworker.check_password(DEMO_PASSWORD)
    assert caseworker.unit.name == "江岸区总工会"
    printed = capsys.readouterr().out
    assert "jiangan.caseworker" in printed

    # The demo administrators have the authenticator keys and recovery codes README lists.
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for username, key, codes in DEMO_SECOND_FACTORS:
        assert TOTPDevice.objects.get(user__username=username, confirmed=True).bin_key == key
        tokens = StaticToken.objects.filter(device__user__username=username)
        assert sorted(tokens.values_list("token", flat=True)) == sorted(codes)
        assert codes[0] in printed

    # Every unit's path matches its parent's.
    for unit in UnionUnit.objects.select_related("parent"):
        assert unit.path == f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"

    # Every role, caseworkers at several levels.
    for role in ("caseworker", "approver", "viewer", "unit_admin"):
        assert User.objects.filter(**{f"is_{role}": True}).exists(), role
    levels = set(User.objects.filter(is_caseworker=True).values_list("unit__level", flat=True))
    assert len(levels) >= 3

    # A few hundred files, in every state, each with its history of steps.
    assert counts[2] >= 250
    statuses = set(HardshipFile.objects.values_list("status", flat=True))
    assert statuses == set(FileStatus.values)
    on_file = HardshipFile.objects.filter(status=FileStatus.ON_FILE).first()
    actions = list(FileTransition.objects.filter(file=on_file).values_list("action", flat=True))
    assert actions == ["open", "first_review", "verify", "approve"]
    assert HardshipFile.objects.filter(status=FileStatus.ON_FILE, members__isnull=False).exists()

    # A current winter campaign with its lists, visits and follow-ups.
    from visits.models import Campaign, FollowUp, Pairing, VisitListRow

    campaign = Campaign.objects.get(season="winter")
    rows = VisitListRow.objects.filter(campaign=campaign)
    assert rows.count() > 100
    assert 0 < rows.filter(visit__isnull=False).count() < rows.count()
    assert FollowUp.objects.filter(status="open").exists()
    assert FollowUp.objects.filter(status="done").exists()
    assert Pairing.objects.filter(ends_on__isnull=True).exists()

    # Funds raised, allocated down, budgeted, and visit money in every state; the ledger holds.
    from funds.models import Allocation, Budget, Disbursement, Receipt
    from funds.selectors import ledger_problems

    assert Receipt.objects.filter(source="donation").exclude(donor="").exists()
    assert Allocation.objects.count() >= 2
    assert Budget.objects.filter(parent__isnull=False).exists()
    statuses = set(Disbursement.objects.values_list("status", flat=True))
    assert {"proposed", "approved", "paid"} <= statuses
    assert ledger_problems() == []

    # Figures of the shape the higher unions report ("raised … yuan, visited … households
    # (户次), … person-times"), with something to compare a year earlier and to chart by month.
    from django.utils import timezone

    from reports.periods import Period
    from reports.statistics import branch_figures

    today = timezone.localdate()
    figures = branch_figures(UnionUnit.objects.get(code="HB"), Period.year_to_date(today))
    assert figures.received.value >= 1_000_000
    assert figures.received.year_before > 0
    assert figures.visits.value >= 100
    assert figures.person_times.value > figures.visits.value
    assert figures.visits.year_before > 0
    assert figures.paid.value > 0
    assert figures.helped.value > 10
    assert figures.on_record.value > figures.on_record.year_before > 0
    assert figures.overdue_follow_ups > 0
    assert 0 < figures.campaigns[0].percent < 100
    assert len([month for month in figures.months if month.received and month.visits]) >= 6


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
