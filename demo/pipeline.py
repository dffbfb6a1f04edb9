"""Demo of the steps before approval in 江岸区: a civil-affairs check that found a mismatch,
a public notice running with an objection waiting, and one closed clean whose files wait to be
approved together."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import (
    FinanceCheck,
    FinanceCheckFinding,
    FullIdExport,
    HardshipFile,
    Objection,
    PublicNotice,
    PublicNoticeEntry,
)
from hardship.notices import NoticeLine, objection_record, public_notice_create, short_reason
from hardship.pipeline import mask_name
from people.models import User

WHERE = "江岸区总工会帮扶中心（江岸区胜利街218号），电话 027-82345678；或投入各基层工会意见箱。"


@transaction.atomic
def seed_demo_pipeline() -> dict:
    caseworker = User.objects.get(username="jiangan.caseworker")
    verified = list(
        HardshipFile.objects.filter(
            status=FileStatus.VERIFIED, unit__path__startswith=caseworker.unit.path
        )
        .select_related("unit")
        .order_by("pk")[:6]
    )
    if len(verified) < 3:
        return {"checks": 0, "notices": 0}
    now = timezone.now()
    today = timezone.localdate()
    checked = verified[0]
    export = FullIdExport.objects.create(
        user=caseworker, reason="民政家庭经济状况核对", row_count=1
    )
    check = FinanceCheck.objects.create(
        file=checked, requested_by=caseworker, export=export,
        status=FinanceCheck.Status.ANSWERED, answered_at=now, mismatch=True,
    )  # fmt: skip
    FinanceCheckFinding.objects.create(
        finance_check=check, name=checked.name, id_number_masked=checked.masked_id_number,
        receives_dibao=False, receives_tekun=False,
        income_found=checked.annual_income + Decimal("30000"), assets_found=Decimal("150000"),
        centre_mismatch=True, note="名下有小型汽车一辆",
    )  # fmt: skip
    running = public_notice_create(
        by=caseworker, unit=caseworker.unit, kind=PublicNotice.Kind.NEW_FILES, starts_on=today,
        working_days=5, where_to_object=WHERE,
        lines=[NoticeLine(file=f, reason="") for f in verified[1:3]],
    )  # fmt: skip
    objection_record(
        by=caseworker, entry=running.entries.order_by("id").first(), received_at=now,
        channel=Objection.Channel.PHONE, content="邻居来电反映其家中经营一处门面房。",
    )  # fmt: skip
    closed = verified[3:6]
    if closed:
        notice = PublicNotice.objects.create(
            unit=caseworker.unit, kind=PublicNotice.Kind.NEW_FILES,
            starts_on=today - timedelta(days=14), ends_on=today - timedelta(days=8),
            working_days=5, where_to_object=WHERE, created_by=caseworker,
        )  # fmt: skip
        PublicNoticeEntry.objects.bulk_create(
            PublicNoticeEntry(
                notice=notice,
                file=f,
                masked_name=mask_name(f.name),
                unit_name=f.unit.name,
                category=f.get_category_display(),
                reason=short_reason(f),
            )
            for f in closed
        )
    return {"checks": 1, "notices": 2 if closed else 1}
