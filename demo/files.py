"""A few hundred realistic hardship files for the demo, in every state, made through the services.

Deterministic (a fixed random seed), so every `make run` shows the same
households. Dates are spread over the past years afterwards, with the history
triggers paused for that one step, so the timeline reads like real casework.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import pgtrigger
from django.db.models import F
from django.utils import timezone

from demo.tree import DEMO_FILE_KEEPERS
from hardship.choices import FileStatus
from hardship.identity import check_character
from hardship.models import (
    FileTransition,
    HardshipCause,
    HardshipFile,
    HardshipFileEvent,
    HomeVerification,
    HouseholdMemberEvent,
    PublicNotice,
    PublicNoticeEntry,
)
from hardship.notices import short_reason
from hardship.pipeline import mask_name
from hardship.services import (
    MemberInput,
    a_year_after,
    hardship_file_approve,
    hardship_file_close,
    hardship_file_exit,
    hardship_file_first_review,
    hardship_file_open,
    hardship_file_record_verification,
)
from people.models import UnionUnit, User

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "建国", "秀英", "桂英", "丽", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "秀兰", "霞", "平", "刚", "桂兰", "志强", "红梅", "国华", "卫东", "海燕", "德胜",
    "玉兰", "春花", "建华", "文斌", "小红", "永刚", "凤英", "金凤", "少华", "立新", "淑芬", "爱民",
]  # fmt: skip
CHILD_GIVEN = [
    "子涵",
    "浩然",
    "欣怡",
    "梓轩",
    "雨桐",
    "宇航",
    "思彤",
    "一诺",
    "俊杰",
    "佳怡",
    "博文",
    "诗琪",
]
STREETS = {
    "4201": [
        "大智路",
        "一元路",
        "中山大道",
        "解放大道",
        "黄浦大街",
        "中南路",
        "首义路",
        "珞喻路",
        "关山大道",
    ],
    "4205": ["夜明珠路", "东山大道", "西陵一路", "小溪塔大道"],
    "4206": ["米公路", "人民路", "长虹路"],
    "4301": ["五一大道", "文艺路", "韶山北路", "芙蓉中路"],
}
FINDINGS = [
    "入户核实，家中两间旧房，丈夫尿毒症每周透析三次，医疗支出大，情况属实。",
    "职工所在企业停产半年，本人下岗，靠打零工维持生活，子女在读高中，情况属实。",
    "单亲家庭，职工月收入两千元左右，孩子患先天性心脏病，情况属实。",
    "家中老人瘫痪在床，职工一人照顾，收入微薄，情况属实。",
    "去年家中遭遇火灾，房屋受损，家庭积蓄用尽，情况属实。",
]
# (main cause, how the household's money looks): income per person a month, costs
CAUSES = ["illness", "illness", "illness", "disability", "schooling", "unemployment", "unemployment",
          "single_parent", "low_wage", "accident", "disaster"]  # fmt: skip
STATUS_WEIGHTS = [
    (FileStatus.APPLIED, 8), (FileStatus.FIRST_REVIEWED, 6), (FileStatus.VERIFIED, 6),
    (FileStatus.ON_FILE, 62), (FileStatus.EXITED, 12), (FileStatus.CLOSED, 6),
]  # fmt: skip


def _id_number(rng: random.Random, division: str, birth: date, male: bool) -> str:
    sequence = rng.randrange(0, 500) * 2 + (1 if male else 0)
    first = f"{division[:6]}{birth:%Y%m%d}{sequence:03d}"
    return first + check_character(first)


def _keepers(unit: UnionUnit, users: dict[str, User]) -> tuple[User, User, User]:
    for prefix, enters, verifies, approves in DEMO_FILE_KEEPERS:
        if unit.code.startswith(prefix):
            return users[enters], users[verifies], users[approves]
    raise LookupError(unit.code)


def seed_demo_files(*, count: int = 320, seed: int = 2026) -> int:
    """Create ``count`` files over the demo's grassroots unions; returns how many were made."""
    rng = random.Random(seed)
    users = {u.username: u for u in User.objects.filter(unit__isnull=False)}
    units = list(UnionUnit.objects.filter(level=UnionUnit.Level.GRASSROOTS).order_by("code"))
    causes = {c.code: c for c in HardshipCause.objects.all()}
    today = timezone.localdate()
    used_ids: set[str] = set()
    made = []
    for number in range(count):
        unit = units[number % len(units)]
        enters, verifies, approves = _keepers(unit, users)
        male = rng.random() < 0.55
        birth = date(rng.randrange(1962, 1995), rng.randrange(1, 13), rng.randrange(1, 29))
        id_number = _id_number(rng, unit.division_code, birth, male)
        if id_number in used_ids:
            continue
        used_ids.add(id_number)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        cause = causes[rng.choice(CAUSES)]
        size = rng.choice([1, 2, 3, 3, 3, 4, 4, 5])
        monthly_per_person = Decimal(rng.randrange(350, 1900))
        medical = (
            Decimal(rng.choice([0, 0, 2000, 8000, 24000, 36000]))
            if cause.code in ("illness", "disability")
            else Decimal(0)
        )
        schooling = Decimal(rng.choice([0, 3000, 6000, 12000])) if size >= 3 else Decimal(0)
        disaster = Decimal(rng.choice([20000, 45000])) if cause.code == "disaster" else Decimal(0)
        income = monthly_per_person * 12 * size + medical + schooling + disaster
        members = _members(rng, name, size, unit.division_code, birth, used_ids)
        street = rng.choice(STREETS.get(unit.division_code[:4], ["人民路"]))
        values = {
            "name": name,
            "ethnicity": "01" if rng.random() < 0.94 else rng.choice(["03", "15", "06", "02"]),
            "political_status": rng.choice(["masses"] * 6 + ["cpc", "cyl"]),
            "phone": f"1{rng.choice('3578')}{rng.randrange(10**8, 10**9)}",
            "address": f"{street}{rng.randrange(1, 300)}号{rng.randrange(1, 9)}单元{rng.randrange(101, 1802)}室",
            "division_code": unit.division_code[:6],
            "hukou_type": "urban" if rng.random() < 0.8 else "rural",
            "marital_status": "widowed"
            if cause.code == "single_parent"
            else rng.choice(["married"] * 5 + ["divorced", "unmarried"]),
            "health": {"illness": "serious", "disability": "disabled"}.get(
                cause.code, rng.choice(["healthy", "healthy", "chronic"])
            ),
            "disability": "physical" if cause.code == "disability" else "none",
            "employment_status": {"unemployment": rng.choice(["laid_off", "unemployed"])}.get(
                cause.code, rng.choice(["employed", "employed", "flexible", "new_forms", "retired"])
            ),
            "is_migrant_worker": rng.random() < 0.2,
            "model_worker_level": rng.choice(["none"] * 24 + ["city", "provincial", "national"]),
            "employer_name": unit.name.removesuffix("工会").removesuffix("联合") or unit.name,
            "employer_credit_code": "",
            "employer_situation": rng.choice(["normal", "normal", "difficult", "halted"]),
            "industry": rng.choice(
                ["制造业", "交通运输", "建筑业", "批发零售", "环卫", "快递物流"]
            ),
            "job_is_outdoor_or_hot": rng.random() < 0.3,
            "bank_name": rng.choice(
                ["中国工商银行", "中国农业银行", "中国建设银行", "湖北银行", "邮政储蓄银行"]
            ),
            "bank_account": f"62{rng.randrange(10**15, 10**16)}",
            "annual_income": income,
            "medical_costs": medical,
            "schooling_costs": schooling,
            "disaster_costs": disaster,
            "household_size": size,
            "main_cause": cause,
            "needs_living": True,
            "needs_medical": cause.code in ("illness", "disability"),
            "needs_schooling": schooling > 0,
            "needs_employment": cause.code == "unemployment",
            "needs_housing": cause.code == "disaster",
            "needs_legal": rng.random() < 0.05,
            "notes": "",
        }
        secondary = [causes["schooling"]] if schooling and cause.code != "schooling" else []
        file = hardship_file_open(by=enters, unit=unit, id_number=id_number, values=values,
                                  secondary_causes=secondary, members=members)  # fmt: skip
        if file.category in ("", "none"):
            # Not in hardship by the rules: the application is refused.
            hardship_file_close(
                file=file,
                by=approves,
                reason="ineligible",
                notes="经核算，家庭人均收入高于低保标准两倍。",
            )
            made.append(file)
            continue
        target = rng.choices([s for s, _w in STATUS_WEIGHTS], [w for _s, w in STATUS_WEIGHTS])[0]
        _walk(
            file, target, enters=enters, verifies=verifies, approves=approves, rng=rng, today=today
        )
        made.append(file)
    _spread_dates(made, rng=rng, today=today)
    return len(made)


def _members(rng, name, size, division, worker_birth, used_ids) -> list[MemberInput]:
    members = []
    surname = name[0]
    if size >= 2:
        birth = worker_birth + timedelta(days=rng.randrange(-1500, 1500))
        number = _id_number(rng, division, birth, male=rng.random() < 0.5)
        if number not in used_ids:
            used_ids.add(number)
            members.append(MemberInput(relation="spouse", name=rng.choice(SURNAMES) + rng.choice(GIVEN), birth_date=birth,
                                       employment=rng.choice(["employed", "unemployed", "flexible", "unable"]), id_number=number,
                                       monthly_income=Decimal(rng.choice([0, 800, 1500, 2200]))))  # fmt: skip
    for _ in range(max(0, size - 2)):
        year = rng.randrange(max(worker_birth.year + 20, 2003), 2021)
        birth = date(year, rng.randrange(1, 13), rng.randrange(1, 29))
        age = timezone.localdate().year - year
        stage = (
            "primary"
            if age < 12
            else "middle"
            if age < 15
            else "high"
            if age < 18
            else rng.choice(["university", "vocational"])
        )
        number = _id_number(rng, division, birth, male=rng.random() < 0.5)
        if number in used_ids:
            continue
        used_ids.add(number)
        members.append(MemberInput(relation=rng.choice(["son", "daughter"]), name=surname + rng.choice(CHILD_GIVEN), birth_date=birth,
                                   employment="student", id_number=number, school_stage=stage,
                                   school_name={"primary": "育才小学", "middle": "第二初级中学", "high": "第六中学",
                                                "university": "武汉理工大学", "vocational": "交通职业技术学院"}[stage],
                                   school_year=rng.randrange(1, 4)))  # fmt: skip
    return members


def _walk(file, target, *, enters, verifies, approves, rng, today) -> None:
    if target == FileStatus.APPLIED:
        return
    hardship_file_first_review(file=file, by=enters, notes="材料齐全，同意上报。")
    if target == FileStatus.FIRST_REVIEWED:
        return
    hardship_file_record_verification(file=file, by=verifies, visited_on=today, verifiers=[verifies],
                                      findings=rng.choice(FINDINGS))  # fmt: skip
    if target == FileStatus.VERIFIED:
        return
    _on_a_closed_notice(file, by=enters, today=today)
    hardship_file_approve(file=file, by=approves, notes="同意建档。")
    if target == FileStatus.EXITED:
        hardship_file_exit(
            file=file, by=approves, reason=rng.choice(["income_above", "reemployed", "government"])
        )
    elif target == FileStatus.CLOSED:
        hardship_file_close(file=file, by=approves, reason=rng.choice(["moved", "deceased"]))


def _on_a_closed_notice(file, *, by, today) -> None:
    """The public notice (公示) the unit asks for before approval, run in the weeks before."""
    notice = PublicNotice.objects.create(
        unit=file.unit, kind=PublicNotice.Kind.NEW_FILES, starts_on=today - timedelta(days=14),
        ends_on=today - timedelta(days=8), working_days=5, created_by=by,
        where_to_object="本单位工会办公室，电话 027-82345678，或投入工会意见箱。",
    )  # fmt: skip
    PublicNoticeEntry.objects.create(
        notice=notice, file=file, masked_name=mask_name(file.name), unit_name=file.unit.name,
        category=file.get_category_display(), reason=short_reason(file),
    )  # fmt: skip


def _spread_dates(files, *, rng, today) -> None:
    """Move each file's dates back by up to four years, keeping their order.

    The history triggers are paused for this step only (PostgreSQL), so the
    demo's change history shows casework, not the seeding.
    """
    with _history_paused():
        for file in files:
            days = rng.randrange(20, 4 * 365)
            shift = timedelta(days=days)
            HardshipFile.objects.filter(pk=file.pk).update(
                created_at=file.created_at - shift,
                content_changed_at=file.created_at - shift + timedelta(days=rng.randrange(0, 15)),
            )
            step = 0
            moments = []
            for number, transition in enumerate(
                FileTransition.objects.filter(file=file).order_by("pk")
            ):
                # The entry keeps the file's creation date; each later step follows it by days.
                step += rng.randrange(3, 25) if number else 0
                moved = max(transition.at - shift + timedelta(days=step), transition.at - shift)
                moments.append((transition, min(moved, timezone.now())))
                FileTransition.objects.filter(pk=transition.pk).update(at=moments[-1][1])
            _align_history(file, moments, shift=shift)
            opened = (
                HardshipFile.objects.filter(pk=file.pk, status=FileStatus.ON_FILE)
                .values_list("opened_on", flat=True)
                .first()
            )
            if opened:
                new_opened = min(opened - shift + timedelta(days=step), today)
                # Some reviews fall due, a few are overdue: the review queue has work in it.
                due = a_year_after(new_opened)
                while due < today - timedelta(days=rng.choice([0, 0, 0, 40])):
                    due = a_year_after(due)
                HardshipFile.objects.filter(pk=file.pk).update(
                    opened_on=new_opened, review_due_on=due
                )


def _align_history(file, moments, *, shift: timedelta) -> None:
    """Give the file's change history and its home verification the dates of its timeline.

    Each step of the file's life wrote one history event of the file, in order (the entry
    first), and the members were entered with it; so the change history shows each change
    on the day the timeline says it happened.
    """
    events = list(HardshipFileEvent.objects.filter(pgh_obj_id=file.pk).order_by("pgh_id"))
    if len(events) != len(moments):
        # Not the walk of _walk(): keep the order and move everything back alike.
        HardshipFileEvent.objects.filter(pgh_obj_id=file.pk).update(
            pgh_created_at=F("pgh_created_at") - shift
        )
        HouseholdMemberEvent.objects.filter(file_id=file.pk).update(
            pgh_created_at=F("pgh_created_at") - shift
        )
        return
    for event, (_transition, at) in zip(events, moments, strict=True):
        HardshipFileEvent.objects.filter(pgh_id=event.pgh_id).update(pgh_created_at=at)
    HouseholdMemberEvent.objects.filter(file_id=file.pk).update(pgh_created_at=moments[0][1])
    for transition, at in moments:
        if transition.to_status == FileStatus.VERIFIED:
            HomeVerification.objects.filter(file=file).update(
                visited_on=timezone.localdate(at), recorded_at=at
            )


def _history_paused():
    """Skip the history and append-only triggers for this transaction's statements."""
    return pgtrigger.ignore(
        "hardship.HardshipFile:update_update", "hardship.FileTransition:transition_append_only"
    )
