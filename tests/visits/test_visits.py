"""Logging visits (走访慰问): who may, to which households, with what follow-ups and photos.

The helpers at the top are shared by the other visits tests of this package.
"""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UserFactory, open_file
from visits.choices import FollowUpStatus, VisitKind
from visits.models import (
    Cadre,
    Campaign,
    FollowUp,
    Visit,
    VisitList,
    VisitListRow,
    VisitPhoto,
)
from visits.services import FollowUpInput, visit_log

# ---------------------------------------------------------------- shared helpers


def today():
    return timezone.localdate()


def on_file(file: HardshipFile, **changes) -> HardshipFile:
    """Put a file straight on record (its life steps are tested in tests/hardship)."""
    HardshipFile.objects.filter(pk=file.pk).update(
        status=changes.pop("status", FileStatus.ON_FILE),
        category=changes.pop("category", "relative"),
        opened_on=today(),
        **changes,
    )
    file.refresh_from_db()
    return file


def household(*, by, unit=None, **values) -> HardshipFile:
    """A household on file in ``unit`` (the caseworker's own by default)."""
    return on_file(open_file(by=by, unit=unit, **values))


def image_bytes(fmt: str = "JPEG", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color=(200, 80, 40)).save(buffer, fmt)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(buffer, "PDF")
    return buffer.getvalue()


def photo(name: str = "入户.jpg", content: bytes | None = None, claimed: str = "image/jpeg"):
    return SimpleUploadedFile(
        name, image_bytes() if content is None else content, content_type=claimed
    )


def log(file: HardshipFile, by, **overrides) -> Visit:
    """Log a visit through the service with plausible defaults."""
    arguments = {
        "visited_on": today(),
        "kind": VisitKind.HOME,
        "visitors": [by],
        "cadres": [],
        "campaign": None,
        "findings": "老人卧床，女儿在读高二，冬衣不足。",
        "pressing_problems": "",
        "solved_on_spot": "",
        "goods": "",
        "goods_value": Decimal(0),
        "cash_amount": Decimal(0),
        "people_reached": 2,
        "follow_ups": [],
        "photos": [],
    }
    arguments.update(overrides)
    return visit_log(file=file, by=by, **arguments)


def follow_up(owner, *, due_in_days: int = 14, problem="医保报销未到账", **more) -> FollowUpInput:
    return FollowUpInput(
        problem=problem, owner=owner, due_on=today() + timedelta(days=due_in_days), **more
    )


def campaign(organiser, by, *, starts=-10, ends=60, name="冬送温暖") -> Campaign:
    return Campaign.objects.create(
        season="winter",
        year=today().year,
        name=name,
        organiser=organiser,
        starts_on=today() + timedelta(days=starts),
        ends_on=today() + timedelta(days=ends),
        created_by=by,
    )


def list_row(campaign: Campaign, file: HardshipFile, *, priority: int = 1) -> VisitListRow:
    visit_list, _ = VisitList.objects.get_or_create(campaign=campaign, unit=file.unit)
    return VisitListRow.objects.create(
        visit_list=visit_list, campaign=campaign, file=file, priority=priority, township="大智街道",
        community="大智路社区", name=file.name, masked_id_number=file.masked_id_number,
        address=file.address, phone=file.phone, main_cause="大病",
    )  # fmt: skip


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def file(caseworker, tree):
    return household(by=caseworker, unit=tree.jiangan)


@pytest.fixture(autouse=True)
def _media(media):
    return media


# ---------------------------------------------------------------- logging a visit


def test_a_caseworker_logs_a_visit_with_follow_ups_and_photos(
    file, caseworker, second_caseworker, media
):
    cadre = Cadre.objects.create(unit=file.unit, name="王书记", is_leading_cadre=True)

    visit = log(
        file, caseworker, visitors=[caseworker, second_caseworker], cadres=[cadre],
        goods="大米一袋、食用油一桶", goods_value=Decimal("160"), cash_amount=Decimal("1000"),
        follow_ups=[follow_up(caseworker), follow_up(second_caseworker, problem="女儿助学金申请")],
        photos=[photo(), photo("客厅.png", image_bytes("PNG"), "image/png")],
    )  # fmt: skip

    assert visit.file == file
    assert set(visit.visitors.all()) == {caseworker, second_caseworker}
    assert list(visit.cadres.all()) == [cadre]
    assert visit.cash_amount == Decimal("1000")
    assert sorted(f.owner.username for f in visit.follow_ups.all()) == ["wuhan.cw", "wuhan.cw2"]
    assert {f.status for f in FollowUp.objects.all()} == {FollowUpStatus.OPEN}
    assert sorted(p.content_type for p in visit.photos.all()) == ["image/jpeg", "image/png"]
    assert len(stored_files(media)) == 2


def test_a_visit_dated_in_the_future_is_refused(file, caseworker):
    with pytest.raises(RuleBroken) as refused:
        log(file, caseworker, visited_on=today() + timedelta(days=1))

    assert list(refused.value.message_dict) == ["visited_on"]
    assert Visit.objects.count() == 0


def test_a_follow_up_due_before_the_visit_is_refused_and_nothing_is_saved(file, caseworker, media):
    with pytest.raises(RuleBroken) as refused:
        log(
            file, caseworker, visited_on=today(), photos=[photo()],
            follow_ups=[follow_up(caseworker), follow_up(caseworker, due_in_days=-1)],
        )  # fmt: skip

    assert list(refused.value.message_dict) == ["follow_ups-1-due_on"]
    assert Visit.objects.count() == 0
    assert FollowUp.objects.count() == 0
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("扫描件.pdf", pdf_bytes(), "application/pdf"),
        ("照片.jpg", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200, "image/jpeg"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 40, "image/jpeg"),
    ],
    ids=["pdf", "program-named-jpg", "damaged-jpeg"],
)
def test_photos_that_are_not_images_are_refused_and_nothing_is_saved(
    file, caseworker, media, name, content, claimed
):
    with pytest.raises(RuleBroken) as refused:
        log(file, caseworker, photos=[photo(), photo(name, content, claimed)])

    assert list(refused.value.message_dict) == ["photos"]
    assert name in refused.value.message_dict["photos"][0]
    assert Visit.objects.count() == 0
    assert VisitPhoto.objects.count() == 0
    assert stored_files(media) == []


def test_a_caseworker_of_a_sibling_branch_cannot_log_a_visit(file, sibling):
    with pytest.raises(PermissionDenied):
        log(file, sibling)

    assert Visit.objects.count() == 0


def test_a_viewer_cannot_log_a_visit(file, tree):
    viewer = UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True)

    with pytest.raises(PermissionDenied):
        log(file, viewer)


def test_visitors_and_owners_must_belong_to_the_branch(file, caseworker, sibling, tree):
    yichang = UserFactory(unit=tree.yichang)

    with pytest.raises(RuleBroken) as outsider:
        log(file, caseworker, visitors=[sibling])
    with pytest.raises(RuleBroken) as cannot_see:
        log(file, caseworker, follow_ups=[follow_up(yichang)])

    assert list(outsider.value.message_dict) == ["visitors"]
    assert list(cannot_see.value.message_dict) == ["follow_ups-0-owner"]


def test_someone_must_have_gone(file, caseworker):
    with pytest.raises(RuleBroken) as refused:
        log(file, caseworker, visitors=[], cadres=[])

    assert list(refused.value.message_dict) == ["visitors"]


def test_goods_with_a_value_must_be_named(file, caseworker):
    with pytest.raises(RuleBroken) as refused:
        log(file, caseworker, goods="", goods_value=Decimal("200"))

    assert list(refused.value.message_dict) == ["goods"]


def test_an_application_not_yet_on_file_takes_no_visit(caseworker):
    application = open_file(by=caseworker)

    with pytest.raises(RuleBroken):
        log(application, caseworker)

    assert Visit.objects.count() == 0


def test_a_household_out_of_hardship_gets_phone_calls_only(file, caseworker):
    on_file(file, status=FileStatus.EXITED, exit_reason="reemployed", ended_on=today())

    with pytest.raises(RuleBroken) as home_visit:
        log(file, caseworker, kind=VisitKind.HOME)
    with pytest.raises(RuleBroken) as with_money:
        log(file, caseworker, kind=VisitKind.PHONE, cash_amount=Decimal("500"))
    with pytest.raises(RuleBroken) as with_follow_up:
        log(file, caseworker, kind=VisitKind.PHONE, follow_ups=[follow_up(caseworker)])
    call = log(file, caseworker, kind=VisitKind.PHONE, findings="电话回访：已在新单位上班。")

    assert list(home_visit.value.message_dict) == ["kind"]
    assert with_money.value.messages
    assert with_follow_up.value.messages
    assert call.kind == VisitKind.PHONE


def test_a_closed_file_takes_no_visit_at_all(file, caseworker):
    on_file(file, status=FileStatus.CLOSED, close_reason="deceased", ended_on=today())

    with pytest.raises(RuleBroken):
        log(file, caseworker, kind=VisitKind.PHONE)


# ---------------------------------------------------------------- campaigns


def test_a_campaign_visit_marks_the_households_row_on_the_visit_list(
    file, caseworker, approver, tree
):
    winter = campaign(tree.wuhan, approver)
    row = list_row(winter, file)
    other = list_row(winter, household(by=caseworker, unit=tree.jiangan), priority=2)

    visit = log(file, caseworker, campaign=winter)

    row.refresh_from_db()
    other.refresh_from_db()
    assert row.visit == visit
    assert other.visit is None
    assert visit.campaign == winter


def test_a_second_visit_in_the_campaign_leaves_the_first_on_the_list(
    file, caseworker, approver, tree
):
    winter = campaign(tree.wuhan, approver)
    row = list_row(winter, file)
    first = log(file, caseworker, campaign=winter)

    log(file, caseworker, campaign=winter)

    row.refresh_from_db()
    assert row.visit == first


def test_a_campaign_visit_to_a_household_not_on_the_list_is_logged_all_the_same(
    file, caseworker, approver, tree
):
    winter = campaign(tree.wuhan, approver)

    visit = log(file, caseworker, campaign=winter)

    assert visit.campaign == winter
    assert VisitListRow.objects.count() == 0


def test_a_campaign_must_run_on_the_visit_date_and_cover_the_household(
    file, caseworker, approver, tree, sibling
):
    finished = campaign(tree.wuhan, approver, starts=-60, ends=-30, name="已结束")
    elsewhere = campaign(tree.yichang, approver, name="宜昌")
    hunan = campaign(tree.hunan, sibling, name="湖南")

    refusals = []
    for chosen in (finished, elsewhere, hunan):
        with pytest.raises(RuleBroken) as refused:
            log(file, caseworker, campaign=chosen)
        refusals.append(list(refused.value.message_dict))

    assert refusals == [["campaign"], ["campaign"], ["campaign"]]
    assert Visit.objects.count() == 0


def test_a_campaign_of_a_higher_unit_covers_the_household(file, caseworker, tree, superuser):
    national = campaign(tree.national, superuser, name="全国冬送温暖")

    assert log(file, caseworker, campaign=national).campaign == national
