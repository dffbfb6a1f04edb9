"""A county at real size (`manage.py seed_demo --county`): 红安县 in 黄冈市, 湖北, with about
20 townships, 200 grassroots unions and 5,000 households on file, a union helper paired with
each, a winter campaign with its aid standards and a funded budget.

The households come from the scale generator (demo/scale/files.py): the same names, valid ID
numbers with their check characters and keyed hashes, and members; here every one is on file,
60% with a bank account. They are written with bulk_create in batches (encrypted through the
model fields, as the services store them), their life steps and pairings likewise; the tree,
the accounts, the campaign, the fund and its budget go through the services, which are cheap
at that count. One transaction: a county is loaded whole or not at all, so the county unit's
code tells whether it is there.
"""

import random
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pgtrigger
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from demo.scale.files import (
    BANKS,
    POPULAR_GIVEN,
    SURNAME,
    FilePlan,
    _Chunk,
    _first_index_of_years,
)
from demo.tree import DEMO_PASSWORD
from funds.choices import FundKind, ReceiptSource
from funds.services import budget_set, fund_create, receipt_record
from hardship.choices import FileStatus
from hardship.models import (
    FileNumberCounter,
    FileTransition,
    HardshipCause,
    HardshipFile,
    HardshipFileEvent,
    HouseholdMember,
    HouseholdMemberEvent,
)
from hardship.services import a_year_after
from people.models import UnionUnit, User
from people.services import union_unit_create, user_sync_staff_flag
from visits.campaigns import campaign_create
from visits.models import Cadre, Pairing

COUNTY_HOUSEHOLDS = 5000
PARENT_CODE = "HB"  # 湖北省总工会, of the demo tree
CITY = ("HB-HG", "黄冈市总工会", "421100")
COUNTY = ("HB-HG-HA", "红安县总工会", "421122")
# 红安县's towns and townships, then the streets and parks of its county seat.
TOWNSHIPS = (
    "城关镇", "七里坪镇", "华家河镇", "二程镇", "上新集镇", "高桥镇", "觅儿寺镇", "八里湾镇",
    "太平桥镇", "永佳河镇", "杏花乡", "火连畈茶场", "天台山风景区", "经济开发区", "城南街道",
    "城北街道", "紫云街道", "金沙街道", "倒水河街道", "将军城街道",
)  # fmt: skip
# Ten grassroots unions per township: its school, clinic, trades, a village federation…
GRASSROOTS = (
    "中心学校工会", "卫生院工会", "供电所工会", "建筑工人联合工会", "快递物流联合工会",
    "商贸联合工会", "农业合作社联合工会", "食品加工厂工会", "环卫所工会", "社区联合工会",
)  # fmt: skip
# (username, full name, roles); each at the county union.
COUNTY_USERS = (
    ("hongan.caseworker", "程晓红", ["caseworker"]),
    ("hongan.approver", "詹国平", ["approver"]),
)
AID_STANDARDS = {"deep": Decimal(1000), "relative": Decimal(800), "accident": Decimal(1500)}
BANK_SHARE = 0.6
BATCH = 1000


@dataclass
class CountyResult:
    units: int
    households: int
    members: int
    banked: int
    cadres: int
    pairings: int
    budget: Decimal
    seconds: float


def county_exists() -> bool:
    return UnionUnit.objects.filter(code=COUNTY[0]).exists()


@transaction.atomic
def seed_county(*, households: int = COUNTY_HOUSEHOLDS, seed: str = "hongan") -> CountyResult:
    """Load the county: units, accounts, households on file, helpers paired, campaign, budget."""
    started = time.perf_counter()
    rng = random.Random(seed)
    county, townships, grassroots = _tree()
    caseworker, approver = _accounts(county)
    files = _households(
        households=households, units=grassroots, caseworker=caseworker, approver=approver, seed=seed
    )
    cadres = _cadres(rng, townships=townships, grassroots=grassroots, county=county)
    pairings = _pairings(rng, files=files, cadres=cadres, county=county, by=caseworker)
    budget = _campaign_and_money(county=county, approver=approver, files=files)
    members = HouseholdMember.objects.filter(file__unit__path__startswith=county.path).count()
    return CountyResult(
        units=2 + len(townships) + len(grassroots),
        households=len(files),
        members=members,
        banked=sum(1 for f in files if f.bank_account),
        cadres=len(cadres),
        pairings=pairings,
        budget=budget,
        seconds=time.perf_counter() - started,
    )


def _tree() -> tuple[UnionUnit, list[UnionUnit], list[UnionUnit]]:
    province = UnionUnit.objects.get(code=PARENT_CODE)
    city = UnionUnit.objects.filter(code=CITY[0]).first() or union_unit_create(
        name=CITY[1], code=CITY[0], level=UnionUnit.Level.CITY, parent=province,
        division_code=CITY[2],
    )  # fmt: skip
    county = union_unit_create(
        name=COUNTY[1], code=COUNTY[0], level=UnionUnit.Level.COUNTY, parent=city,
        division_code=COUNTY[2],
    )  # fmt: skip
    townships, grassroots = [], []
    for number, name in enumerate(TOWNSHIPS, start=1):
        division = f"{COUNTY[2]}{100 + number:03d}"
        township = union_unit_create(
            name=f"{name}工会", code=f"{COUNTY[0]}-{number:02d}", parent=county,
            level=UnionUnit.Level.TOWNSHIP, division_code=division,
        )  # fmt: skip
        townships.append(township)
        place = name.removesuffix("街道").removesuffix("风景区")
        for n, kind in enumerate(GRASSROOTS, start=1):
            grassroots.append(
                union_unit_create(
                    name=f"红安县{place}{kind}",
                    code=f"{township.code}-{n:02d}",
                    parent=township,
                    level=UnionUnit.Level.GRASSROOTS,
                    division_code=division,
                )
            )
    return county, townships, grassroots


def _accounts(county: UnionUnit) -> tuple[User, User]:
    users = []
    for username, full_name, roles in COUNTY_USERS:
        user = User(
            username=username,
            full_name=full_name,
            unit=county,
            email=f"{username}@demo.warmth.example",
        )
        for role in roles:
            setattr(user, f"is_{role}", True)
        user.set_password(DEMO_PASSWORD)
        user_sync_staff_flag(user=user)
        user.save()
        users.append(user)
    return users[0], users[1]


def _households(
    *, households: int, units: list[UnionUnit], caseworker: User, approver: User, seed: str
) -> list[HardshipFile]:
    """``households`` files on file over ``units``, with members and their four life steps."""
    if households <= 0:
        return []
    now = timezone.now() - timedelta(hours=1)
    start = now - timedelta(days=4 * 365)
    step = (now - start).total_seconds() / households
    year_first_index = _first_index_of_years(total=households, start=start, step_seconds=step)
    counters = {
        year: FileNumberCounter.objects.select_for_update().get_or_create(year=year)[0]
        for year in year_first_index
    }
    causes = {
        code: (pk, sudden)
        for code, pk, sudden in HardshipCause.objects.values_list("code", "pk", "is_sudden")
    }
    plan = FilePlan(
        seed=f"county:{seed}", total=households, chunk_files=households, first_file_id=1,
        units=tuple((u.pk, u.division_code, u.path) for u in units), causes=causes,
        user_id=caseworker.pk, start=start, step_seconds=step, now=now,
        year_first_index=year_first_index,
        year_base={year: counter.last for year, counter in counters.items()},
        members_per_file=2.0,
    )  # fmt: skip
    chunk = _Chunk(plan, 0)
    rng = random.Random(f"county-bank:{seed}")
    today = chunk.today
    rows, members_of, causes_of = [], [], []
    for index in range(households):
        values, members, secondary = chunk.file(index)
        values.pop("id")
        # Everyone is on file: a county's winter campaign is for households in hardship now.
        entered_on = timezone.localtime(values["created_at"]).date()
        opened_on = min(today, entered_on + timedelta(days=rng.randrange(10, 40)))
        due = a_year_after(opened_on)
        while due <= today:
            due = a_year_after(due)
        has_bank = rng.random() < BANK_SHARE
        values.update(
            status=FileStatus.ON_FILE, category=values["category"] or "relative",
            proposed_category=values["proposed_category"] or values["category"] or "relative",
            opened_on=opened_on, review_due_on=due, ended_on=None, exit_reason="",
            close_reason="", updated_by_id=approver.pk,
            bank_name=rng.choice(BANKS) if has_bank else "",
            bank_account=f"62{rng.randrange(10**17):017d}" if has_bank else "",
        )  # fmt: skip
        if values["category"] not in AID_STANDARDS:
            values["category"] = "relative"
        values["updated_at"] = max(values["updated_at"], values["created_at"])
        file = HardshipFile(**values)
        file.created, file.updated = values["created_at"], values["updated_at"]
        rows.append(file)
        members_of.append(members)
        causes_of.append(secondary)
    files = HardshipFile.objects.bulk_create(rows, batch_size=BATCH)
    _date_files(files)
    years = sorted(year_first_index)
    for position, year in enumerate(years):
        end = year_first_index[years[position + 1]] if position + 1 < len(years) else households
        counters[year].last += end - year_first_index[year]
        counters[year].save(update_fields=["last"])
    members, links, steps = [], [], []
    link_model = HardshipFile.secondary_causes.through
    for file, household, secondary in zip(files, members_of, causes_of, strict=True):
        for member in household:
            member.pop("file_id")
            members.append(HouseholdMember(file=file, **member))
        links.extend(link_model(hardshipfile_id=file.pk, hardshipcause_id=c) for c in secondary)
        for action, before, after, by in (
            ("open", "", FileStatus.APPLIED, caseworker),
            ("first_review", FileStatus.APPLIED, FileStatus.FIRST_REVIEWED, caseworker),
            ("verify", FileStatus.FIRST_REVIEWED, FileStatus.VERIFIED, caseworker),
            ("approve", FileStatus.VERIFIED, FileStatus.ON_FILE, approver),
        ):
            steps.append(
                FileTransition(file=file, action=action, from_status=before, to_status=after, by=by)
            )
    HouseholdMember.objects.bulk_create(members, batch_size=BATCH)
    link_model.objects.bulk_create(links, batch_size=BATCH)
    steps = FileTransition.objects.bulk_create(steps, batch_size=BATCH)
    _date_steps(first=steps[0].pk, last=steps[-1].pk)
    _date_history([f.pk for f in files])
    return files


def _date_files(files: list[HardshipFile]) -> None:
    """Give the files the entry dates the generator chose (bulk_create stamps them now).

    The history trigger is paused for this one statement: the seeding is not a change.
    """
    table = HardshipFile._meta.db_table
    with pgtrigger.ignore("hardship.HardshipFile:update_update"), connection.cursor() as cursor:
        # The table name is our model's, never input.
        cursor.execute(
            f"UPDATE {table} AS f SET created_at = v.created, updated_at = v.updated "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) "
            "AS v(id, created, updated) WHERE f.id = v.id",
            [[f.pk for f in files], [f.created for f in files], [f.updated for f in files]],
        )


def _date_history(ids: list[int]) -> None:
    """The change history shows each household entered on the day it was, with its members."""
    entered = Subquery(HardshipFile.objects.filter(pk=OuterRef("pgh_obj_id")).values("created_at"))
    HardshipFileEvent.objects.filter(pgh_obj_id__in=ids).update(
        pgh_created_at=entered, created_at=entered
    )
    HouseholdMemberEvent.objects.filter(file_id__in=ids).update(
        pgh_created_at=Subquery(
            HardshipFile.objects.filter(pk=OuterRef("file_id")).values("created_at")
        )
    )


def _date_steps(*, first: int, last: int) -> None:
    """Date the life steps from the file's entry to its opening (bulk_create stamps them now).

    The steps are append-only; the guard is paused for this one statement of the seeding.
    """
    table = FileTransition._meta.db_table
    files = HardshipFile._meta.db_table
    guard = pgtrigger.ignore("hardship.FileTransition:transition_append_only")
    with guard, connection.cursor() as cursor:
        # Table names are our models', never input.
        cursor.execute(
            f"UPDATE {table} AS t SET at = CASE t.action "  # noqa: S608
            "WHEN 'open' THEN f.created_at "
            "WHEN 'first_review' THEN f.created_at + interval '3 days' "
            "WHEN 'verify' THEN f.created_at + interval '7 days' "
            "ELSE f.opened_on + time '10:00' END "
            f"FROM {files} AS f WHERE t.file_id = f.id AND t.id BETWEEN %s AND %s",
            [first, last],
        )


def _person(rng: random.Random) -> str:
    sex = rng.choice("MF")
    return SURNAME.pick(rng) + rng.choice(POPULAR_GIVEN[sex])


def _cadres(
    rng: random.Random, *, townships: list[UnionUnit], grassroots: list[UnionUnit], county
) -> list[Cadre]:
    """Two union helpers in each grassroots union; a leading cadre in each township and two
    at the county."""
    cadres = [
        Cadre(
            unit=unit,
            name=_person(rng),
            position=position,
            is_leading_cadre=False,
            phone=f"13{rng.randrange(10**9):09d}",
        )
        for unit in grassroots
        for position in ("工会主席", "工会委员")
    ]
    cadres += [
        Cadre(unit=unit, name=_person(rng), position="党委副书记", is_leading_cadre=True)
        for unit in townships
    ]
    cadres += [
        Cadre(unit=county, name=_person(rng), position=position, is_leading_cadre=True)
        for position in ("县总工会主席", "县总工会常务副主席")
    ]
    return Cadre.objects.bulk_create(cadres, batch_size=BATCH)


def _pairings(rng: random.Random, *, files, cadres, county: UnionUnit, by: User) -> int:
    """A helper of the household's own union for each household; a leading cadre of its
    township (or the county) for the households in deep hardship (the double pairing)."""
    helpers: dict[int, list[Cadre]] = {}
    leaders: dict[int, list[Cadre]] = {}
    for cadre in cadres:
        (leaders if cadre.is_leading_cadre else helpers).setdefault(cadre.unit_id, []).append(cadre)
    county_leaders = [c for c in cadres if c.is_leading_cadre and c.unit_id == county.pk]
    parents = dict(UnionUnit.objects.filter(pk__in=helpers).values_list("pk", "parent_id"))
    pairings = []
    for file in files:
        starts_on = file.opened_on
        pairings.append(
            Pairing(file=file, cadre=rng.choice(helpers[file.unit_id]), role="helper",
                    starts_on=starts_on, created_by=by)
        )  # fmt: skip
        if file.category == "deep":
            leader = rng.choice(leaders.get(parents[file.unit_id]) or county_leaders)
            pairings.append(
                Pairing(file=file, cadre=leader, role="leading_cadre", starts_on=starts_on,
                        created_by=by)
            )  # fmt: skip
    Pairing.objects.bulk_create(pairings, batch_size=BATCH)
    return len(pairings)


def _campaign_and_money(*, county: UnionUnit, approver: User, files) -> Decimal:
    """This winter's campaign of the county, its fund with money received, and the budget:
    the aid standards for every household on file, rounded up to ten thousand yuan."""
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver, season="winter", year=today.year, organiser=county,
        name=f"{today.year}年红安县“两节”送温暖活动", starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=80), aid_standards=AID_STANDARDS,
    )  # fmt: skip
    needed = sum((AID_STANDARDS[f.category] for f in files), Decimal(0))
    budget = max(
        Decimal(10000), (needed / 10000).to_integral_value(rounding="ROUND_CEILING") * 10000
    )
    fund = fund_create(unit=county, name="送温暖资金", kind=FundKind.WARMTH, by=approver)
    # Raised a little beyond the budget: the government's share, one day's pay, employers.
    for days_ago, source, share in (
        (40, ReceiptSource.GOVERNMENT, Decimal("0.6")),
        (25, ReceiptSource.ONE_DAY, Decimal("0.35")),
        (15, ReceiptSource.EMPLOYER, Decimal("0.15")),
    ):
        receipt_record(
            fund=fund, source=source, amount=(budget * share).quantize(Decimal(1)),
            received_on=today - timedelta(days=days_ago), by=approver,
            reference=f"HA-{today.year}-{days_ago:03d}",
        )  # fmt: skip
    budget_set(campaign=campaign, unit=county, fund=fund, amount=budget, by=approver)
    return budget
