"""Generate large data sets fast, for benchmarks (`manage.py seed_scale`).

A province of union units, then hardship files with their household members
spread over its township and grassroots units. Rows are built in memory with
their primary keys already known, then written with PostgreSQL's COPY (about
ten times faster than bulk_create).

Generated files are stored exactly as the services store them: ID numbers
encrypted (common.crypto.encrypt) beside their keyed hash, search keys from
pinyin_keys, file numbers in the service's format with FileNumberCounter moved
past them, and every CHECK constraint satisfied. What is left out: life-step
rows (FileTransition), home verifications and history rows; the history
triggers are switched off for the load (see ``seed_files``).

Each chunk of files is a pure function of (plan, chunk number), so worker
processes can generate chunks in any order and the data set is the same for
the same seed.
"""

import math
import multiprocessing
import random
import time
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from hardship.identity import mask_id_number
from hardship.models import (
    NAME_KEY_ROWS_INSERT,
    FileNameKey,
    FileNumberCounter,
    HardshipCause,
    HardshipFile,
    HouseholdMember,
)
from people.models import UnionUnit, User

# How many children each level gets, at most, before the rest of the budget
# goes to grassroots unions: shaped like a province (a few dozen cities, a few
# hundred counties, thousands of streets).
FAN_OUT = {UnionUnit.Level.CITY: 20, UnionUnit.Level.COUNTY: 10, UnionUnit.Level.TOWNSHIP: 20}
NAME_PATTERN = {
    UnionUnit.Level.CITY: "第%d市总工会",
    UnionUnit.Level.COUNTY: "第%d区总工会",
    UnionUnit.Level.TOWNSHIP: "第%d街道工会",
    UnionUnit.Level.GRASSROOTS: "第%d基层工会",
}
# Hubei's prefecture codes, given to the generated cities in turn; counties and
# streets below them get codes built from their city's.
CITY_DIVISIONS = (
    "420100", "420200", "420300", "420500", "420600", "420700", "420800", "420900",
    "421000", "421100", "421200", "421300", "422800",
)  # fmt: skip


@dataclass(frozen=True)
class UnitRow:
    id: int
    name: str
    code: str
    level: int
    parent_id: int | None
    division_code: str
    path: str


def province_rows(
    *, units: int, first_id: int, parent: UnionUnit | None, prefix: str
) -> Iterator[UnitRow]:
    """Yield ``units`` rows: one province and its branch, grassroots spread evenly over streets."""
    next_id = first_id

    def make(
        name: str, level: int, parent_row: UnitRow | None, number: int, *, parent_path: str = ""
    ) -> UnitRow:
        nonlocal next_id
        if level == UnionUnit.Level.PROVINCE:
            division = "420000"
        elif level == UnionUnit.Level.CITY:
            division = CITY_DIVISIONS[number % len(CITY_DIVISIONS)]
        elif level == UnionUnit.Level.COUNTY:
            division = f"{parent_row.division_code[:4]}{number % 99 + 1:02d}"
        elif level == UnionUnit.Level.TOWNSHIP:
            division = f"{parent_row.division_code[:6]}{number % 999 + 1:03d}"
        else:
            division = parent_row.division_code
        row = UnitRow(
            id=next_id,
            name=name,
            code=f"{prefix}-{next_id}",
            level=level,
            parent_id=parent_row.id if parent_row else (parent.pk if parent else None),
            division_code=division,
            path=f"{parent_row.path if parent_row else parent_path}{next_id}/",
        )
        next_id += 1
        return row

    province = make(
        f"{prefix}省总工会",
        UnionUnit.Level.PROVINCE,
        None,
        0,
        parent_path=parent.path if parent else "/",
    )
    yield province
    budget = units - 1
    layer = [province]
    for level in (UnionUnit.Level.CITY, UnionUnit.Level.COUNTY, UnionUnit.Level.TOWNSHIP):
        # Keep at least one grassroots union per street where the budget allows.
        per_parent = FAN_OUT[level]
        while per_parent > 1 and len(layer) * per_parent * 2 > budget:
            per_parent -= 1
        children = []
        for holder in layer:
            for number in range(per_parent):
                if budget == 0:
                    break
                child = make(f"{prefix}{NAME_PATTERN[level] % next_id}", level, holder, number)
                children.append(child)
                budget -= 1
        yield from children
        layer = children or layer
    for number in range(budget):
        holder = layer[number % len(layer)]
        yield make(
            f"{prefix}{NAME_PATTERN[UnionUnit.Level.GRASSROOTS] % next_id}",
            UnionUnit.Level.GRASSROOTS,
            holder,
            number,
        )


@transaction.atomic
def seed_province(*, units: int, prefix: str, parent: UnionUnit | None = None) -> UnionUnit:
    """Write a province of ``units`` units under ``parent``; returns the province."""
    first_id = (UnionUnit.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    rows = province_rows(units=units, first_id=first_id, parent=parent, prefix=prefix)
    _copy_rows(rows)
    return UnionUnit.objects.get(pk=first_id)


def _copy_rows(rows: Iterator[UnitRow]) -> None:
    columns = ("id", "name", "code", "level", "parent_id", "division_code", "path")
    table = UnionUnit._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (
                        row.id,
                        row.name,
                        row.code,
                        row.level,
                        row.parent_id,
                        row.division_code,
                        row.path,
                    )
                )
        _move_sequence_past_max(cursor, table)


def _move_sequence_past_max(cursor, table: str) -> None:
    # The table name is our model's, never user input.
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
    )


# ====================================================================== hardship files

# Common surnames with their rough share of the population (per mille), and a
# few two-character ones.
SURNAMES = (
    ("王", 71), ("李", 70), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 32), ("黄", 22),
    ("赵", 22), ("吴", 20), ("周", 19), ("徐", 13), ("孙", 13), ("马", 12), ("朱", 12),
    ("胡", 11), ("郭", 11), ("何", 10), ("高", 10), ("林", 10), ("罗", 9), ("郑", 9),
    ("梁", 8), ("谢", 8), ("宋", 7), ("唐", 7), ("许", 6), ("韩", 6), ("冯", 6), ("邓", 6),
    ("曹", 6), ("彭", 6), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 2), ("邹", 2),
    ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2),
    ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2),
    ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2),
    ("覃", 1), ("武", 1), ("戴", 1), ("莫", 1), ("孔", 1), ("向", 1), ("汤", 1),
    ("欧阳", 1), ("司马", 0.2), ("诸葛", 0.1), ("上官", 0.1),
)  # fmt: skip
# Given names: popular whole names (chosen often), else built from a first and
# a second character, else a single character.
POPULAR_GIVEN = {
    "M": (
        "建国", "建华", "国强", "志强", "建军", "海涛", "志刚", "建平", "国华", "永刚", "文华", "俊杰",
        "志明", "德明", "春生", "红军", "卫东", "建新", "立新", "晓东", "振华", "伟", "强", "磊", "军",
        "勇", "杰", "涛", "斌", "超", "明", "刚", "平", "辉", "鹏",
    ),
    "F": (
        "秀英", "桂英", "秀兰", "丽华", "玉兰", "桂兰", "秀珍", "凤英", "玉珍", "丽娟", "海燕", "晓燕",
        "红梅", "春梅", "淑珍", "美玲", "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲",
        "萍", "红", "婷",
    ),
}  # fmt: skip
GIVEN_FIRST = {
    "M": "建国志明伟文海永德春俊军晓子浩宇振成立世家学金长红天玉兴宏新光庆利卫平江自彦",
    "F": "秀丽美玉桂春晓海小雪红晶慧淑凤金翠彩兰月静燕艳婷文雅佳梦欣思雨",
}
GIVEN_SECOND = {
    "M": "国华强平军明伟林东勇杰涛斌刚波辉峰磊超龙鹏飞成忠民兵生荣祥亮武安元福昌清毅彬",
    "F": "英兰华珍芳娟霞梅琴云莲红萍玲敏静丽燕艳婷洁瑶琳颖慧丹蓉凤",
}
GIVEN_SINGLE = {
    "M": "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁浩凯健俊帆旭宇林峰",
    "F": "芳娜敏静丽艳娟霞燕玲桂丹萍红玉梅琳婷雪倩颖洁琴云莉",
}
# Real Hubei county-level codes with the district's name: birthplaces in ID numbers.
REGIONS = (
    ("420102", "江岸区"), ("420103", "江汉区"), ("420104", "硚口区"), ("420105", "汉阳区"),
    ("420106", "武昌区"), ("420107", "青山区"), ("420111", "洪山区"), ("420112", "东西湖区"),
    ("420113", "汉南区"), ("420114", "蔡甸区"), ("420115", "江夏区"), ("420116", "黄陂区"),
    ("420117", "新洲区"), ("420202", "黄石港区"), ("420203", "西塞山区"), ("420222", "阳新县"),
    ("420281", "大冶市"), ("420302", "茅箭区"), ("420303", "张湾区"), ("420325", "房县"),
    ("420381", "丹江口市"), ("420502", "西陵区"), ("420503", "伍家岗区"), ("420506", "夷陵区"),
    ("420581", "宜都市"), ("420582", "当阳市"), ("420583", "枝江市"), ("420602", "襄城区"),
    ("420606", "樊城区"), ("420607", "襄州区"), ("420682", "老河口市"), ("420683", "枣阳市"),
    ("420702", "梁子湖区"), ("420704", "鄂城区"), ("420802", "东宝区"), ("420881", "钟祥市"),
    ("420902", "孝南区"), ("420981", "应城市"), ("420982", "安陆市"), ("420984", "汉川市"),
    ("421002", "沙市区"), ("421003", "荆州区"), ("421022", "公安县"), ("421081", "石首市"),
    ("421083", "洪湖市"), ("421087", "松滋市"), ("421102", "黄州区"), ("421122", "红安县"),
    ("421123", "罗田县"), ("421125", "浠水县"), ("421126", "蕲春县"), ("421127", "黄梅县"),
    ("421181", "麻城市"), ("421182", "武穴市"), ("421202", "咸安区"), ("421281", "赤壁市"),
    ("421303", "曾都区"), ("421381", "广水市"), ("422801", "恩施市"), ("422802", "利川市"),
)  # fmt: skip
ROADS = (
    "解放路", "中山路", "人民路", "建设路", "和平路", "胜利路", "新华路", "友谊路", "长江路", "工农路",
    "幸福路", "民主路", "团结路", "光明路", "建设大道", "发展大道",
)  # fmt: skip
EMPLOYERS = (
    "钢铁公司", "纺织厂", "机械厂", "车辆厂", "化工厂", "水泥厂", "建筑公司", "物流公司", "商贸公司",
    "食品厂", "汽车零部件公司", "服装厂", "印刷厂", "电子厂", "物业公司", "出租汽车公司", "餐饮公司",
    "环卫公司",
)  # fmt: skip
INDUSTRIES = (
    "制造业", "建筑业", "批发和零售业", "交通运输业", "住宿和餐饮业", "居民服务业", "农林牧渔业",
    "采矿业", "卫生和社会工作", "公共设施管理业",
)  # fmt: skip
BANKS = (
    "中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行",
    "湖北农商银行",
)  # fmt: skip
CAUSE_WEIGHTS = {
    "illness": 30, "disability": 12, "schooling": 12, "unemployment": 15, "disaster": 3,
    "accident": 4, "single_parent": 6, "low_wage": 15, "other": 3,
}  # fmt: skip

# Columns the COPY writes, in order. Every NOT NULL column of the tables must be here.
FILE_COLUMNS = (
    "id", "unit_id", "file_number", "status", "name", "id_number", "id_hash", "id_number_masked", "gender",
    "birth_date", "ethnicity", "political_status", "phone", "address", "division_code",
    "hukou_type", "marital_status", "health", "disability", "employment_status",
    "is_migrant_worker", "model_worker_level", "employer_name", "employer_credit_code",
    "employer_situation", "industry", "job_is_outdoor_or_hot", "bank_name", "bank_account",
    "annual_income", "medical_costs", "schooling_costs", "disaster_costs", "household_size",
    "main_cause_id", "needs_living", "needs_medical", "needs_schooling", "needs_employment",
    "needs_housing", "needs_legal", "notes", "proposed_category", "category",
    "category_override_reason", "entered_by_id", "created_at", "updated_by_id", "updated_at",
    "content_changed_at", "opened_on", "review_due_on", "ended_on", "exit_reason",
    "close_reason", "search_keys", "unit_path",
)  # fmt: skip
MEMBER_COLUMNS = (
    "file_id", "relation", "name", "id_number", "id_hash", "birth_date", "health",
    "school_stage", "school_name", "school_year", "employment", "monthly_income",
    "medical_insurance",
)  # fmt: skip
ENCRYPTED_COLUMNS = frozenset({"id_number", "bank_account"})
CAUSE_LINK_COLUMNS = ("hardshipfile_id", "hardshipcause_id")
# Files a worker generates at a time. An ID number's three-digit sequence has
# 500 values per sex (odd for men, even for women) for one region and birth
# day; they are shared out among the chunks, so no two chunks make the same ID.
CHUNK_FILES = 10_000
MAX_CHUNKS = 500
YEARS_OF_FILES = 5


class Weighted:
    """A weighted choice, drawn faster than random.choices (it runs millions of times)."""

    def __init__(self, weights: dict) -> None:
        self.values = list(weights)
        self.cumulative = list(accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


SURNAME = Weighted(dict(SURNAMES))
CAUSE = Weighted(CAUSE_WEIGHTS)
_CAUSE_CODES = list(CAUSE_WEIGHTS)
CATEGORY = Weighted({"deep": 30, "relative": 62, "accident": 8})
HEALTH = Weighted({"healthy": 60, "chronic": 25, "serious": 10, "disabled": 5})
MEMBER_HEALTH = Weighted({"healthy": 75, "chronic": 15, "serious": 7, "disabled": 3})
_EMPLOYMENT = {"employed": 35, "laid_off": 15, "unemployed": 15, "flexible": 20, "new_forms": 10}
EMPLOYMENT = Weighted(_EMPLOYMENT)
EMPLOYMENT_OVER_50 = Weighted({**_EMPLOYMENT, "retired": 5})
MEMBER_EMPLOYMENT = Weighted({"employed": 45, "unemployed": 25, "flexible": 25, "unable": 5})
ETHNICITY = Weighted({"01": 95, "15": 3, "06": 1, "03": 1})
POLITICAL = Weighted({"masses": 80, "cpc": 12, "cyl": 5, "democratic": 1, "cpc_probationary": 2})
UNMARRIED = Weighted({"unmarried": 40, "divorced": 40, "widowed": 20})
MODEL_WORKER = Weighted({"none": 985, "city": 10, "provincial": 4, "national": 1})
EMPLOYER_SITUATION = Weighted(
    {"normal": 50, "difficult": 20, "halted": 10, "restructured": 8, "bankrupt": 7, "closed": 5}
)
RECENT_STATUS = Weighted(
    {"applied": 40, "first_reviewed": 20, "verified": 15, "on_file": 20, "closed": 5}
)
OLD_STATUS = Weighted({"on_file": 76, "exited": 15, "closed": 9})
MEMBER_INSURANCE = Weighted({"resident": 90, "commercial": 3, "none": 7})


@dataclass(frozen=True)
class FilePlan:
    """Everything needed to generate any chunk of files, the same in every worker process."""

    seed: str
    total: int
    chunk_files: int
    first_file_id: int
    # (unit id, unit division code, unit path) of the receiving units
    units: tuple[tuple[int, str, str], ...]
    causes: dict[str, tuple[int, bool]]  # cause code → (id, is sudden)
    user_id: int
    start: datetime
    step_seconds: float
    now: datetime
    year_first_index: dict[int, int]  # year → index of the first file created in it
    year_base: dict[int, int]  # year → FileNumberCounter.last before the load
    members_per_file: float

    @property
    def chunks(self) -> int:
        return math.ceil(self.total / self.chunk_files)


@dataclass
class FileSeedResult:
    files: int
    members: int
    seconds: float
    caseworker: User


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def created_at_of(index: int, *, start: datetime, step_seconds: float) -> datetime:
    """When file ``index`` was entered: evenly over the years, jittered, never out of order."""
    jitter = ((index * 2654435761) % 4294967296) / 4294967296
    return start + timedelta(seconds=(index + jitter) * step_seconds)


def _year_of(moment: datetime, zone: ZoneInfo) -> int:
    return moment.astimezone(zone).year


def _first_index_of_years(*, total: int, start: datetime, step_seconds: float) -> dict[int, int]:
    zone = _local_zone()

    def year(index):
        return _year_of(created_at_of(index, start=start, step_seconds=step_seconds), zone)

    first = {}
    for y in range(year(0), year(total - 1) + 1):
        low, high = 0, total
        while low < high:  # the first index whose year is y or later
            middle = (low + high) // 2
            if year(middle) < y:
                low = middle + 1
            else:
                high = middle
        first[y] = low
    return first


class _Chunk:
    """Generates one chunk of files: plain values, ID numbers in clear."""

    def __init__(self, plan: FilePlan, number: int) -> None:
        self.plan = plan
        self.number = number
        self.rng = random.Random(f"{plan.seed}:{number}")
        # This chunk's share of the 500 sequence numbers per region, birth day and sex.
        self.sequences = list(range(number % plan.chunks, 500, plan.chunks))
        self.taken: dict[tuple, list[int]] = {}
        self.zone = _local_zone()
        self.today = plan.now.astimezone(self.zone).date()

    # ---------------------------------------------------------------- people

    def surname(self) -> str:
        return SURNAME.pick(self.rng)

    def given_name(self, sex: str) -> str:
        draw = self.rng.random()
        if draw < 0.35:
            return self.rng.choice(POPULAR_GIVEN[sex])
        if draw < 0.85:
            return self.rng.choice(GIVEN_FIRST[sex]) + self.rng.choice(GIVEN_SECOND[sex])
        return self.rng.choice(GIVEN_SINGLE[sex])

    def id_number(self, region: str, born: date, sex: str) -> tuple[str, date]:
        """A valid ID number no other chunk can produce, and the birth date it carries."""
        from hardship.identity import check_character

        odd = 1 if sex == "M" else 0
        while True:
            key = (region, born, odd)
            slot = self.taken.setdefault(key, [self.rng.randrange(len(self.sequences)), 0])
            if slot[1] < len(self.sequences):
                break
            born += timedelta(days=1)  # every number of that day is taken: the next day
        sequence = self.sequences[(slot[0] + slot[1]) % len(self.sequences)] * 2 + odd
        slot[1] += 1
        first = f"{region}{born:%Y%m%d}{sequence:03d}"
        return first + check_character(first), born

    def birth_date(self, oldest: int, youngest: int) -> date:
        """A birth date between ``oldest`` and ``youngest`` years ago."""
        low = self.today.toordinal() - oldest * 365
        high = self.today.toordinal() - youngest * 365
        return date.fromordinal(self.rng.randint(low, high))

    def region(self) -> tuple[str, str]:
        return self.rng.choice(REGIONS)

    # ---------------------------------------------------------------- files

    def files(self) -> tuple[list[dict], list[dict], list[tuple[int, int]]]:
        plan = self.plan
        first = self.number * plan.chunk_files
        last = min(plan.total, first + plan.chunk_files)
        files, members, links = [], [], []
        for index in range(first, last):
            file, household, secondary = self.file(index)
            files.append(file)
            members.extend(household)
            links.extend((file["id"], cause) for cause in secondary)
        return files, members, links

    def file(self, index: int) -> tuple[dict, list[dict], list[int]]:
        from common.crypto import keyed_hash

        plan, rng = self.plan, self.rng
        file_id = plan.first_file_id + index
        created_at = created_at_of(index, start=plan.start, step_seconds=plan.step_seconds)
        zone = self.zone
        created_on = created_at.astimezone(zone).date()
        year = created_on.year
        unit_id, unit_division, unit_path = rng.choice(plan.units)
        file_number = (
            f"{(unit_division or '000000')[:6]}-{year}-"
            f"{plan.year_base[year] + index - plan.year_first_index[year] + 1:07d}"
        )

        sex = "M" if rng.random() < 0.55 else "F"
        surname = self.surname()
        name = surname + self.given_name(sex)
        birth_region, district = self.region()
        worker_id, born = self.id_number(birth_region, self.birth_date(60, 20), sex)
        home_region, home_district = (
            (birth_region, district) if rng.random() < 0.7 else self.region()
        )
        division = unit_division if unit_division and rng.random() < 0.8 else home_region
        age = (self.today - born).days // 365

        household = self.household(file_id, sex, surname, born)
        married = any(m["relation"] == "spouse" for m in household)
        has_pupils = any(m["school_stage"] != "none" for m in household)

        cause = CAUSE.pick(rng)
        if cause == "schooling" and not has_pupils:
            cause = "low_wage"
        cause_id, sudden = plan.causes.get(cause) or next(iter(plan.causes.values()))
        others = [
            c
            for c in rng.sample(_CAUSE_CODES, rng.choice((0, 0, 0, 1, 1, 2)))
            if c != cause and c in plan.causes
        ]
        secondary = [plan.causes[c][0] for c in others]
        sudden = sudden or any(plan.causes[c][1] for c in others)

        category = "accident" if sudden and rng.random() < 0.7 else CATEGORY.pick(rng)
        proposed, override_reason = category, ""
        if rng.random() < 0.03:
            proposed = rng.choice([c for c in ("deep", "relative", "none") if c != category])
            override_reason = "入户核查发现实际支出高于申报,经集体研究调整类别。"

        status, opened_on, review_due_on, ended_on, exit_reason, close_reason = self.life(
            created_on
        )
        if status in ("applied", "first_reviewed", "verified", "closed") and rng.random() < 0.1:
            category = ""  # not yet confirmed when the application stopped or is pending
        content_changed_at = created_at + timedelta(
            seconds=rng.random() ** 2 * (plan.now - created_at).total_seconds()
        )
        updated_at = content_changed_at
        if ended_on is not None:
            ended_moment = datetime(
                ended_on.year, ended_on.month, ended_on.day, 10, tzinfo=zone
            ) + timedelta(minutes=rng.randrange(420))
            updated_at = max(updated_at, min(ended_moment, plan.now))

        medical = (
            rng.randrange(50, 800) * 100
            if cause == "illness"
            else rng.choice((0, 0, 0, rng.randrange(5, 30) * 100))
        )
        schooling = rng.randrange(20, 200) * 100 if has_pupils else 0
        disaster = rng.randrange(50, 500) * 100 if cause == "disaster" else 0
        health = "serious" if cause == "illness" and rng.random() < 0.6 else None
        health = health or HEALTH.pick(rng)
        if cause == "disability":
            health = "disabled"
        employment = (EMPLOYMENT_OVER_50 if age >= 50 else EMPLOYMENT).pick(rng)
        has_bank = rng.random() < 0.4
        return (
            {
                "id": file_id,
                "unit_id": unit_id,
                "unit_path": unit_path,  # written by a trigger, switched off for the load
                "file_number": file_number,
                "status": status,
                "name": name,
                "id_number": worker_id,
                "id_hash": keyed_hash(worker_id),
                "id_number_masked": mask_id_number(worker_id),
                "gender": sex,
                "birth_date": born,
                "ethnicity": ETHNICITY.pick(rng),
                "political_status": POLITICAL.pick(rng),
                "phone": f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                "address": f"{home_district}{rng.choice(ROADS)}{rng.randrange(1, 400)}号"
                f"{rng.randrange(1, 30)}栋{rng.randrange(1, 30)}{rng.randrange(1, 5):02d}室",
                "division_code": division,
                "hukou_type": "urban" if rng.random() < 0.65 else "rural",
                "marital_status": "married" if married else UNMARRIED.pick(rng),
                "health": health,
                "disability": rng.choice(("physical", "visual", "hearing", "intellectual"))
                if health == "disabled"
                else "none",
                "employment_status": employment,
                "is_migrant_worker": rng.random() < 0.15,
                "model_worker_level": MODEL_WORKER.pick(rng),
                "employer_name": ""
                if employment in ("unemployed", "retired")
                else f"{district[:-1]}{rng.choice(EMPLOYERS)}",
                "employer_credit_code": "",
                "employer_situation": EMPLOYER_SITUATION.pick(rng),
                "industry": rng.choice(INDUSTRIES),
                "job_is_outdoor_or_hot": rng.random() < 0.25,
                "bank_name": rng.choice(BANKS) if has_bank else "",
                "bank_account": f"62{rng.randrange(10**17):017d}" if has_bank else "",
                "annual_income": Decimal(rng.randrange(40, 600) * 100),
                "medical_costs": Decimal(medical),
                "schooling_costs": Decimal(schooling),
                "disaster_costs": Decimal(disaster),
                "household_size": 1 + len(household),
                "main_cause_id": cause_id,
                "needs_living": rng.random() < 0.7,
                "needs_medical": cause == "illness" or medical > 0,
                "needs_schooling": has_pupils,
                "needs_employment": employment in ("laid_off", "unemployed"),
                "needs_housing": rng.random() < 0.1,
                "needs_legal": rng.random() < 0.03,
                "notes": "",
                "proposed_category": proposed if category else "",
                "category": category,
                "category_override_reason": override_reason if category else "",
                "entered_by_id": plan.user_id,
                "created_at": created_at,
                "updated_by_id": plan.user_id,
                "updated_at": updated_at,
                "content_changed_at": content_changed_at,
                "opened_on": opened_on,
                "review_due_on": review_due_on,
                "ended_on": ended_on,
                "exit_reason": exit_reason,
                "close_reason": close_reason,
                "search_keys": _search_keys(name),
            },
            household,
            secondary,
        )

    def life(self, created_on: date):
        """Status and its dates: recent files are still in review; old ones exited or closed."""
        rng, today = self.rng, self.today
        age = (today - created_on).days
        status = RECENT_STATUS.pick(rng) if age <= 90 else OLD_STATUS.pick(rng)
        opened_on = review_due_on = ended_on = None
        exit_reason = close_reason = ""
        if status in ("on_file", "exited") or (status == "closed" and rng.random() < 0.7):
            opened_on = min(today, created_on + timedelta(days=rng.randrange(10, 60)))
        if status == "on_file":
            # The next yearly review; a few are overdue by up to two months.
            years = max(1, math.ceil(((today - timedelta(days=60)) - opened_on).days / 365.25))
            review_due_on = _add_years(opened_on, years)
        if status in ("exited", "closed"):
            start = opened_on or created_on
            ended_on = start + timedelta(days=rng.randrange(max(1, (today - start).days + 1)))
            if status == "exited":
                exit_reason = rng.choice(("income_above", "reemployed", "government", "other"))
            else:
                close_reason = (
                    rng.choice(("deceased", "moved", "duplicate")) if opened_on else "ineligible"
                )
        return status, opened_on, review_due_on, ended_on, exit_reason, close_reason

    def household(self, file_id: int, sex: str, surname: str, born: date) -> list[dict]:
        """The other members: a spouse, children, then parents, about ``members_per_file``."""
        rng = self.rng
        wanted = min(6, max(0, round(rng.gauss(self.plan.members_per_file, 1.0))))
        age = (self.today - born).days // 365
        roles: list[str] = []
        if wanted and rng.random() < 0.75:
            roles.append("spouse")
        children = 0
        while len(roles) < wanted and children < 3 and age >= 22:
            roles.append("son" if rng.random() < 0.5 else "daughter")
            children += 1
        for parent in ("father", "mother"):
            if len(roles) < wanted and age <= 55:
                roles.append(parent)
        while len(roles) < wanted:
            roles.append(rng.choice(("sibling", "grandchild", "other")))
        members = []
        for relation in roles:
            members.append(self.member(file_id, relation, sex, surname, born))
        return members

    def member(self, file_id: int, relation: str, sex: str, surname: str, born: date) -> dict:
        from common.crypto import keyed_hash

        rng, today = self.rng, self.today
        worker_year = born.year
        if relation == "spouse":
            member_sex = "F" if sex == "M" else "M"
            year = worker_year + rng.randint(-4, 4)
            family = self.surname()
        elif relation in ("son", "daughter", "grandchild"):
            member_sex = "F" if relation == "daughter" else rng.choice("MF")
            year = worker_year + (rng.randint(22, 36) if relation != "grandchild" else 50)
            family = surname
        elif relation in ("father", "mother"):
            member_sex = "M" if relation == "father" else "F"
            year = worker_year - rng.randint(22, 32)
            family = surname if relation == "father" else self.surname()
        else:
            member_sex = rng.choice("MF")
            year = worker_year + rng.randint(-10, 10)
            family = surname if relation == "sibling" else self.surname()
        year = min(year, today.year - 1)
        day = min(date(year, 1, 1) + timedelta(days=rng.randrange(365)), today - timedelta(days=30))
        member_age = (today - day).days // 365
        has_id = member_age >= 3 or rng.random() < 0.5
        number = ""
        if has_id:
            number, day = self.id_number(self.region()[0], day, member_sex)
            member_age = (today - day).days // 365
        stage, school, school_year = "none", "", None
        if 6 <= member_age <= 11:
            stage, school, school_year = "primary", "第%d小学", member_age - 5
        elif 12 <= member_age <= 14:
            stage, school, school_year = "middle", "第%d中学", member_age - 11
        elif 15 <= member_age <= 17:
            stage, school, school_year = rng.choice(
                (("high", "第%d高级中学", member_age - 14), ("vocational", "第%d职业技术学校", 1))
            )
        elif 18 <= member_age <= 21 and rng.random() < 0.5:
            stage, school, school_year = "university", "湖北第%d学院", member_age - 17
        if member_age < 6:
            employment = "child"
        elif stage != "none":
            employment = "student"
        elif member_age >= 60:
            employment = "retired"
        else:
            employment = MEMBER_EMPLOYMENT.pick(rng)
        income = {
            "employed": rng.randrange(15, 50) * 100,
            "flexible": rng.randrange(8, 30) * 100,
            "retired": rng.randrange(10, 35) * 100,
        }.get(employment, 0)
        return {
            "file_id": file_id,
            "relation": relation,
            "name": family + self.given_name(member_sex),
            "id_number": number,
            "id_hash": keyed_hash(number) if number else "",
            "birth_date": day,
            "health": MEMBER_HEALTH.pick(rng),
            "school_stage": stage,
            "school_name": school % rng.randrange(1, 80) if school else "",
            "school_year": school_year,
            "employment": employment,
            "monthly_income": Decimal(income),
            "medical_insurance": "employee"
            if employment in ("employed", "retired")
            else MEMBER_INSURANCE.pick(rng),
        }


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


_search_key_cache: dict[str, str] = {}


def _search_keys(name: str) -> str:
    # Names repeat a great deal; pypinyin is the slowest step without this.
    keys = _search_key_cache.get(name)
    if keys is None:
        from hardship.identity import pinyin_keys

        keys = _search_key_cache[name] = " ".join(pinyin_keys(name))
    return keys


# COPY's text format: backslash, tab, newline and carriage return are escaped; \N is NULL.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)  # numbers, dates, timestamps and booleans as PostgreSQL reads them


def _copy_text(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    from common.crypto import encrypt

    encrypted = [i for i, column in enumerate(columns) if column in ENCRYPTED_COLUMNS]
    separators = len(columns) - 1
    lines = []
    for row in rows:
        values = [row[column] for column in columns]
        for i in encrypted:
            if values[i]:
                values[i] = encrypt(values[i])
        line = "\t".join(["\\N" if v is None else str(v) for v in values])
        # Generated values never hold a tab, newline or backslash; escape them if one does.
        if (
            line.count("\t") != separators
            or line.count("\\") != values.count(None)
            or "\n" in line
            or "\r" in line
        ):
            line = "\t".join(_copy_value(v) for v in values)
        lines.append(line)
    lines.append("")
    return "\n".join(lines).encode()


_worker_plan: FilePlan | None = None


def _start_worker(plan: FilePlan) -> None:
    global _worker_plan
    _worker_plan = plan


def _chunk_as_copy_text(
    number: int, plan: FilePlan | None = None
) -> tuple[bytes, bytes, bytes, int, int]:
    """One chunk in COPY text format, ID numbers and bank accounts encrypted (the CPU-bound part)."""
    plan = plan or _worker_plan
    files, members, links = _Chunk(plan, number).files()
    return (
        _copy_text(files, FILE_COLUMNS),
        _copy_text(members, MEMBER_COLUMNS),
        "".join(f"{a}\t{b}\n" for a, b in links).encode(),
        len(files),
        len(members),
    )


def province_caseworker(*, province: UnionUnit, prefix: str) -> User:
    """The generated caseworker of ``province`` who enters and changes the generated files."""
    user, created = User.objects.get_or_create(
        username=f"{prefix.lower()}.caseworker",
        defaults={"full_name": "规模测试个案员", "unit": province, "is_caseworker": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def receiving_units(province: UnionUnit) -> list[tuple[int, str, str]]:
    """The township and grassroots units of ``province``'s branch: where files are kept."""
    return list(
        UnionUnit.objects.filter(
            path__startswith=province.path,
            level__in=(UnionUnit.Level.TOWNSHIP, UnionUnit.Level.GRASSROOTS),
        )
        .order_by("pk")
        .values_list("pk", "division_code", "path")
    ) or [(province.pk, province.division_code, province.path)]


def seed_files(
    *,
    province: UnionUnit,
    files: int,
    prefix: str,
    members_per_file: float = 2.0,
    processes: int = 1,
    seed: str = "warmth",
    progress: Callable[[int, int, int, float], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> FileSeedResult:
    """Write ``files`` hardship files with their members across ``province``'s branch.

    One transaction. On PostgreSQL the tables' user triggers (the history
    triggers of django-pghistory and the delete guard) are disabled for the
    load and enabled again before commit, so no history rows are written for
    generated data; ALTER TABLE locks the tables until the load commits. When
    the load is at least as large as the table, the non-unique indexes are
    dropped and built again afterwards (several times faster than keeping them
    up to date row by row). ``progress(files_done, files, members_done,
    seconds)`` is called after each chunk, ``log(message)`` at each phase.
    """
    log = log or (lambda message: None)
    started = time.perf_counter()
    with transaction.atomic():
        caseworker = province_caseworker(province=province, prefix=prefix)
        if files <= 0:
            return FileSeedResult(0, 0, 0.0, caseworker)
        tables = [
            HardshipFile._meta.db_table,
            HouseholdMember._meta.db_table,
            HardshipFile.secondary_causes.through._meta.db_table,
            FileNameKey._meta.db_table,
        ]
        enabled_triggers = _disable_user_triggers(tables)
        # Taken after the lock on the table: no one else can insert in between.
        first_id = (
            HardshipFile.objects.order_by("-id").values_list("id", flat=True).first() or 0
        ) + 1
        rebuild = files >= HardshipFile.objects.count()
        index_definitions = _drop_plain_indexes(tables) if rebuild else []
        now = timezone.now() - timedelta(hours=1)
        start = now - timedelta(days=365 * YEARS_OF_FILES)
        step = (now - start).total_seconds() / files
        year_first_index = _first_index_of_years(total=files, start=start, step_seconds=step)
        counters = {
            year: FileNumberCounter.objects.select_for_update().get_or_create(year=year)[0]
            for year in year_first_index
        }
        causes = {
            code: (pk, sudden)
            for code, pk, sudden in HardshipCause.objects.values_list("code", "pk", "is_sudden")
        }
        if not causes:
            raise ValueError("No causes of hardship exist: run the migrations first.")
        plan = FilePlan(
            seed=f"{seed}:{prefix}",
            total=files,
            chunk_files=max(CHUNK_FILES, math.ceil(files / MAX_CHUNKS)),
            first_file_id=first_id,
            units=tuple(receiving_units(province)),
            causes=causes,
            user_id=caseworker.pk,
            start=start,
            step_seconds=step,
            now=now,
            year_first_index=year_first_index,
            year_base={year: counter.last for year, counter in counters.items()},
            members_per_file=members_per_file,
        )
        done_files, done_members = _copy_files(plan, processes, progress, started)
        log("Writing the files' name keys…")
        _write_name_keys(first_id)
        years = sorted(year_first_index)
        for position, year in enumerate(years):
            end = year_first_index[years[position + 1]] if position + 1 < len(years) else files
            counters[year].last += end - year_first_index[year]
            counters[year].save(update_fields=["last"])
        if index_definitions:
            log(f"Building {len(index_definitions)} indexes again…")
            _create_indexes(index_definitions)
        with connection.cursor() as cursor:
            _move_sequence_past_max(cursor, HardshipFile._meta.db_table)
        _enable_triggers(enabled_triggers)
    return FileSeedResult(done_files, done_members, time.perf_counter() - started, caseworker)


def _copy_files(plan: FilePlan, processes: int, progress, started: float) -> tuple[int, int]:
    quote = connection.ops.quote_name
    statements = [
        f"COPY {quote(model._meta.db_table)} ({', '.join(columns)}) FROM STDIN"
        for model, columns in (
            (HardshipFile, FILE_COLUMNS),
            (HouseholdMember, MEMBER_COLUMNS),
            (HardshipFile.secondary_causes.through, CAUSE_LINK_COLUMNS),
        )
    ]
    _check_columns(HardshipFile, FILE_COLUMNS)
    _check_columns(HouseholdMember, MEMBER_COLUMNS)
    done_files = done_members = 0
    pool = None
    if processes > 1 and plan.chunks > 1:
        # fork: the workers inherit configured Django and never touch the connection.
        pool = multiprocessing.get_context("fork").Pool(
            processes, initializer=_start_worker, initargs=(plan,)
        )
        chunks = pool.imap(_chunk_as_copy_text, range(plan.chunks))
    else:
        chunks = (_chunk_as_copy_text(n, plan) for n in range(plan.chunks))
    try:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # A bigger pending list lets the GIN index absorb the load in larger batches.
            raw.execute("SET LOCAL gin_pending_list_limit = '64MB'")
            for file_text, member_text, link_text, file_count, member_count in chunks:
                for statement, text in zip(
                    statements, (file_text, member_text, link_text), strict=True
                ):
                    if text:
                        with raw.copy(statement) as copy:
                            copy.write(text)
                done_files += file_count
                done_members += member_count
                if progress:
                    progress(done_files, plan.total, done_members, time.perf_counter() - started)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return done_files, done_members


def _write_name_keys(first_id: int) -> None:
    """The name keys of the files loaded (from ``first_id`` on), which their trigger, off for
    the load, would have written: in one statement."""
    table = connection.ops.quote_name(HardshipFile._meta.db_table)
    loaded = f'(SELECT * FROM {table} WHERE "id" >= %s)'  # noqa: S608 - our table's name
    with connection.cursor() as cursor:
        cursor.execute(NAME_KEY_ROWS_INSERT.format(files=loaded), [first_id])


def _check_columns(model, columns: tuple[str, ...]) -> None:
    """Fail before loading if the model gained a required column this generator does not fill."""
    missing = [
        f.column
        for f in model._meta.concrete_fields
        if f.column not in columns and not f.null and f.column != "id"
    ]
    if missing:
        raise RuntimeError(
            f"{model.__name__} has columns seed_scale does not fill: {', '.join(missing)}. "
            "Add them to demo/scale/files.py."
        )


def _drop_plain_indexes(tables: list[str]) -> list[str]:
    """Drop the indexes of ``tables`` that enforce nothing; return how to create them again.

    Primary keys and unique indexes stay: the load is checked against them as it goes.
    """
    definitions = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass AND NOT indisunique AND NOT indisprimary "
                "ORDER BY indexrelid",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {name}")
                definitions.append(definition)
    return definitions


def _create_indexes(definitions: list[str]) -> None:
    with connection.cursor() as cursor:
        # Sorting in memory builds each index in one pass; reset at commit.
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for definition in definitions:
            cursor.execute(definition)


def _disable_user_triggers(tables: list[str]) -> dict[str, list[str]]:
    """Disable every user trigger on ``tables``; return the ones that were enabled."""
    enabled: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred to commit, and ALTER TABLE refuses a table
        # with checks pending: check each statement's rows at its end instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname",
                [table],
            )
            enabled[table] = [name for (name,) in cursor.fetchall()]
            cursor.execute(f"ALTER TABLE {connection.ops.quote_name(table)} DISABLE TRIGGER USER")
    return enabled


def _enable_triggers(enabled: dict[str, list[str]]) -> None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, names in enabled.items():
            for name in names:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(name)}")
        # Back to Django's default for the rest of the transaction.
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def analyze_tables() -> None:
    """Refresh the planner's statistics after a load (and the visibility map, when allowed)."""
    tables = [
        UnionUnit._meta.db_table,
        HardshipFile._meta.db_table,
        HouseholdMember._meta.db_table,
        HardshipFile.secondary_causes.through._meta.db_table,
        FileNameKey._meta.db_table,
    ]
    # VACUUM cannot run inside a transaction (tests run in one); ANALYZE can.
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
