"""Load the demo union tree and accounts once; print the accounts every time."""

from base64 import b32encode
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.county import COUNTY, COUNTY_HOUSEHOLDS, COUNTY_USERS, county_exists, seed_county
from demo.files import seed_demo_files
from demo.tree import (
    DEMO_PASSWORD,
    DEMO_SECOND_FACTORS,
    DEMO_STANDARDS,
    DEMO_SUPERUSER,
    DEMO_TREE,
    DEMO_USERS,
)
from hardship.models import MinimumLivingStandard
from people.models import UnionUnit, User
from people.services import union_unit_create, user_sync_staff_flag


class Command(BaseCommand):
    help = "Load demo units and users (skipped if already loaded) and print the demo accounts."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--county",
            action="store_true",
            help="Also load a county at real size (红安县, 5,000 households on file); skipped if "
            "its county union exists.",
        )
        parser.add_argument(
            "--county-households",
            type=int,
            default=COUNTY_HOUSEHOLDS,
            help="Households of the county (default %(default)s).",
        )

    def handle(self, *args, **options) -> None:
        if UnionUnit.objects.filter(code=DEMO_TREE[0]).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self._load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        if options["county"]:
            self._load_county(options["county_households"])
        self._give_admins_second_factors()
        self._print_accounts()
        if options["county"] or county_exists():
            self._print_county_accounts()
        # The dashboards of large branches read precomputed figures, which Celery beat
        # refreshes every few minutes (every kept month only at night): count them all now,
        # so no dashboard waits for the first night. (Branches below TALLY_MIN_FILES files,
        # the whole demo by default, are counted as their page opens.) Imported here because
        # reports sits on top of all three apps.
        from reports.tallies import refresh_tallies, window_months

        refresh = refresh_tallies(months=window_months(timezone.localdate()))
        self.stdout.write(f"\nDashboard figures refreshed: {refresh.rows} precomputed.")

    @transaction.atomic
    def _load(self) -> None:
        def create(node, parent):
            code, name, level, division_code, children = node
            unit = union_unit_create(
                name=name, code=code, level=level, parent=parent, division_code=division_code
            )
            for child in children:
                create(child, unit)

        create(DEMO_TREE, None)
        units = {unit.code: unit for unit in UnionUnit.objects.all()}
        for username, full_name, unit_code, roles in DEMO_USERS:
            # An address each, so the scheduled report emails have somewhere to go (in
            # `make run`, files under var/mail/).
            user = User(
                username=username,
                full_name=full_name,
                unit=units[unit_code],
                email=f"{username}@demo.warmth.example",
            )
            for role in roles:
                setattr(user, f"is_{role}", True)
            user.set_password(DEMO_PASSWORD)
            user_sync_staff_flag(user=user)
            user.save()
        User.objects.create_superuser(
            DEMO_SUPERUSER, password=DEMO_PASSWORD, full_name="系统管理员"
        )
        year = timezone.localdate().year
        for code, urban, rural in DEMO_STANDARDS:
            # Last year's standards were about 4% lower.
            for y, factor in ((year - 1, Decimal("0.96")), (year, Decimal(1))):
                MinimumLivingStandard.objects.create(
                    division_code=code,
                    year=y,
                    urban_monthly=(Decimal(urban) * factor).quantize(Decimal(1)),
                    rural_monthly=(Decimal(rural) * factor).quantize(Decimal(1)),
                )
        made = seed_demo_files()
        self.stdout.write(f"{made} demo hardship files.")
        from demo.pipeline import seed_demo_pipeline

        seed_demo_pipeline()
        # The visits app builds on the files: pairing, a winter campaign, visits.
        from demo.visits import seed_demo_visits

        figures = seed_demo_visits()
        self.stdout.write(
            "{cadres} cadres, {paired} households paired, {listed} households on this "
            "winter's visit lists, {visited} visited.".format(**figures)
        )
        # The funds build on both: money raised, allocated down, budgeted and paid.
        from demo.funds import seed_demo_funds

        payments = seed_demo_funds()
        self.stdout.write(
            "Winter visit money: {paid} paid, {approved} approved, {proposed} waiting for "
            "approval.".format(**payments)
        )

    def _load_county(self, households: int) -> None:
        # Loaded in one transaction: the county union's code shows it is there, whole.
        if county_exists():
            self.stdout.write("County already loaded.")
            return
        self.stdout.write(f"Loading the county: {households} households…")
        result = seed_county(households=households)
        self.stdout.write(
            self.style.SUCCESS(
                f"County loaded in {result.seconds:.1f}s: {result.units} units, "
                f"{result.households} households on file ({result.members} members, "
                f"{result.banked} with a bank account), {result.cadres} cadres, "
                f"{result.pairings} pairings, a winter budget of {result.budget} yuan."
            )
        )

    def _print_county_accounts(self) -> None:
        self.stdout.write(f"\nCounty accounts ({COUNTY[1]}, password {DEMO_PASSWORD}):")
        for username, full_name, roles in COUNTY_USERS:
            self.stdout.write(f"  {username:<22} {full_name} · {', '.join(roles)}")

    @transaction.atomic
    def _give_admins_second_factors(self) -> None:
        """Give each demo administrator its known authenticator and recovery codes, unless it has
        one already (a demo loaded before second factors existed gets them on the next run)."""
        from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for username, key, codes in DEMO_SECOND_FACTORS:
            user = User.objects.filter(username=username).first()
            if user is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                continue
            TOTPDevice.objects.create(user=user, name="demo", key=key.hex(), confirmed=True)
            recovery, _ = StaticDevice.objects.get_or_create(
                user=user, name="recovery codes", defaults={"confirmed": True}
            )
            for code in codes:
                StaticToken.objects.get_or_create(device=recovery, token=code)

    def _print_accounts(self) -> None:
        self.stdout.write(f"\nDemo accounts (password for all: {DEMO_PASSWORD}):")
        self.stdout.write(f"  {DEMO_SUPERUSER:<22} superuser, Django admin at /admin/")
        units = dict(UnionUnit.objects.values_list("code", "name"))
        for username, full_name, unit_code, roles in DEMO_USERS:
            unit_name = units.get(unit_code, unit_code)
            self.stdout.write(f"  {username:<22} {full_name} · {unit_name} · {', '.join(roles)}")
        self.stdout.write("\nAdministrators also give a code from an authenticator app:")
        for username, key, codes in DEMO_SECOND_FACTORS:
            secret = b32encode(key).decode()
            self.stdout.write(
                f"  {username:<22} key {secret} (oathtool --totp -b {secret}); "
                f"recovery codes {', '.join(codes)}"
            )
