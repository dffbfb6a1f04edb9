"""Demo data of the visits app: cadres paired with households, a current winter campaign with
its visit lists built, some households visited, follow-ups open and closed, help given, and
the routine visits of the months before, so the dashboards show visits over time and beside
the year before.

Loaded by ``manage.py seed_demo`` after the hardship files; deterministic.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.models import UnionUnit, User
from visits.campaigns import campaign_create, visit_lists_build
from visits.models import VisitListRow
from visits.services import (
    FollowUpInput,
    cadre_create,
    follow_up_close,
    help_service_record,
    pairing_start,
    visit_log,
)

CADRES = [
    # unit code, name, position, leading cadre
    ("HB-WH-JA", "孙国强", "江岸区总工会主席", True),
    ("HB-WH-JA", "钱慧", "江岸区总工会帮扶中心主任", False),
    ("HB-WH-JA-DZ", "林晓峰", "大智街道工会主席", False),
    ("HB-WH", "高建平", "武汉市总工会副主席", True),
    ("HB-WH", "何秀珍", "武汉市总工会权益保障部干部", False),
    ("HB-YC", "方志刚", "宜昌市总工会副主席", True),
]
FINDINGS = [
    "家中暖气不足，老人行动不便，慰问金当面交到本人手中。",
    "孩子今年考上大学，学费有缺口，已告知金秋助学申请办法。",
    "职工透析费用负担重，已联系社区卫生服务中心上门随访。",
    "下岗后在小区做保洁，收入不稳定，有意参加技能培训。",
]
PROBLEMS = [
    "协调医保报销慢病门诊",
    "推荐社区公益性岗位",
    "联系学校落实学费减免",
    "协助申请临时救助",
]


def seed_demo_visits(*, seed: int = 1992) -> dict[str, int]:
    """Pair cadres, run this winter's campaign in 湖北, visit part of the lists."""
    rng = random.Random(seed)
    today = timezone.localdate()
    users = {u.username: u for u in User.objects.filter(unit__isnull=False)}
    units = {u.code: u for u in UnionUnit.objects.all()}
    by = {
        "HB-WH-JA": users["jiangan.caseworker"],
        "HB-WH-JA-DZ": users["dazhi.caseworker"],
        "HB-WH": users["wuhan.caseworker"],
        "HB-YC": users["yichang.caseworker"],
    }
    cadres = [
        cadre_create(
            by=by[code], unit=units[code], name=name, position=position, is_leading_cadre=leading
        )
        for code, name, position, leading in CADRES
    ]
    paired = 0
    files = list(
        HardshipFile.objects.filter(
            status=FileStatus.ON_FILE, unit__path__startswith=units["HB-WH"].path
        )
        .select_related("unit")
        .order_by("pk")
    )
    for file in files[: len(files) * 2 // 3]:
        caseworker = (
            users["jiangan.caseworker"]
            if file.unit.code.startswith("HB-WH-JA")
            else users["wuhan.caseworker"]
        )
        # A caseworker pairs cadres of their own branch with the households of their branch.
        mine = [
            c
            for c in cadres
            if c.unit.is_in_branch_of(caseworker.unit) and file.unit.is_in_branch_of(c.unit)
        ]
        helpers = [c for c in mine if not c.is_leading_cadre]
        leaders = [c for c in mine if c.is_leading_cadre]
        start = max(file.opened_on or today, today - timedelta(days=200))
        if helpers:
            pairing_start(
                file=file, cadre=rng.choice(helpers), role="helper", starts_on=start, by=caseworker
            )
            paired += 1
        if leaders and rng.random() < 0.5:
            pairing_start(
                file=file,
                cadre=rng.choice(leaders),
                role="leading_cadre",
                starts_on=start,
                by=caseworker,
            )

    winter = campaign_create(
        by=users["hubei.approver"], season="winter", year=today.year, name=f"{today.year}年“两节”送温暖活动",
        starts_on=today - timedelta(days=20), ends_on=today + timedelta(days=70), organiser=units["HB"],
        aid_standards={"deep": Decimal("1000"), "relative": Decimal("800"), "accident": Decimal("1500")},
    )  # fmt: skip
    listed = visit_lists_build(campaign=winter, unit=units["HB"])
    visited = 0
    rows = list(
        VisitListRow.objects.filter(
            campaign=winter, visit_list__unit__path__startswith=units["HB-WH"].path
        )
        .select_related("file__unit")
        .order_by("pk")
    )
    for row in rows:
        if rng.random() > 0.55:
            continue
        file = row.file
        caseworker = (
            users["jiangan.caseworker"]
            if file.unit.code.startswith("HB-WH-JA")
            else users["wuhan.caseworker"]
        )
        colleague = (
            users["jiangan.caseworker2"]
            if caseworker.username.startswith("jiangan")
            else users["wuhan.approver"]
        )
        day = today - timedelta(days=rng.randrange(0, 18))
        follow_ups = []
        if rng.random() < 0.35:
            follow_ups.append(
                FollowUpInput(
                    problem=rng.choice(PROBLEMS),
                    owner=caseworker,
                    due_on=day + timedelta(days=rng.choice([3, 10, 30])),
                    needs_return_visit=rng.random() < 0.5,
                )
            )
        visit = visit_log(
            file=file, by=caseworker, visited_on=day, kind="home", visitors=[caseworker, colleague], cadres=[],
            campaign=winter, findings=rng.choice(FINDINGS), pressing_problems="", solved_on_spot="送上慰问金和米、油",
            goods="大米一袋、食用油一桶", goods_value=Decimal("150"), cash_amount=Decimal("1000" if file.category == "deep" else "800"),
            people_reached=rng.choice([1, 2, 3]), follow_ups=follow_ups,
        )  # fmt: skip
        visited += 1
        for follow_up in visit.follow_ups.all():
            if rng.random() < 0.4:
                return_visit = None
                if follow_up.needs_return_visit:
                    return_visit = visit_log(
                        file=file, by=caseworker, visited_on=min(today, day + timedelta(days=5)),
                        kind="phone", visitors=[caseworker], cadres=[], campaign=None,
                        findings="电话回访：问题已解决，职工表示满意。",
                    )  # fmt: skip
                follow_up_close(
                    follow_up=follow_up,
                    by=caseworker,
                    resolution="已协调办结，职工表示满意。",
                    return_visit=return_visit,
                )
        if rng.random() < 0.1:
            help_service_record(
                file=file, by=caseworker, kind=rng.choice(["job_referral", "training", "medical"]), provided_on=day,
                provider="江岸区职工服务中心", campaign=winter, visit=visit, outcome="已对接", person_times=1,
            )  # fmt: skip
    routine = _routine_visits(rng, files, users, today)
    return {
        "cadres": len(cadres),
        "paired": paired,
        "listed": listed,
        "visited": visited,
        "routine": routine,
    }


ROUTINE_FINDINGS = [
    "日常走访，了解近况，家中生活基本稳定。",
    "电话回访，职工病情平稳，按时复诊。",
    "走访了解孩子上学情况，学习正常。",
    "职工已在社区找到临时工作，收入有所增加。",
]


def _routine_visits(rng: random.Random, files: list[HardshipFile], users, today) -> int:
    """Everyday home visits and calls of the fourteen months before this one, in 武汉."""
    made = 0
    first_of_month = today.replace(day=1)
    for back in range(1, 15):
        month_start = first_of_month
        for _ in range(back):
            month_start = (month_start - timedelta(days=1)).replace(day=1)
        for file in files:
            if rng.random() > 0.12:
                continue
            day = month_start + timedelta(days=rng.randrange(0, 28))
            entered = timezone.localtime(file.created_at).date()
            if day < entered or (file.opened_on and day < file.opened_on):
                continue
            caseworker = (
                users["jiangan.caseworker"]
                if file.unit.code.startswith("HB-WH-JA")
                else users["wuhan.caseworker"]
            )
            visit_log(
                file=file, by=caseworker, visited_on=day, kind=rng.choice(["home", "home", "phone"]),
                visitors=[caseworker], cadres=[], campaign=None, findings=rng.choice(ROUTINE_FINDINGS),
                people_reached=rng.choice([1, 1, 2, 3]),
            )  # fmt: skip
            made += 1
    return made
