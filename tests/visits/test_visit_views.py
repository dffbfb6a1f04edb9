"""The pages of pairing, visits, follow-ups and help: who may see and do what, what bad input
gets back, and how many queries the lists make."""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from hardship.models import HardshipFile
from tests.factories import UserFactory
from tests.visits.test_visits import (
    campaign,
    follow_up,
    household,
    image_bytes,
    list_row,
    log,
    on_file,
    pdf_bytes,
    photo,
    stored_files,
    today,
)
from visits.choices import FollowUpStatus, HelpKind, PairingRole
from visits.models import Cadre, EnterprisePairing, FollowUp, HelpService, Pairing, Visit
from visits.services import (
    cadre_create,
    enterprise_pairing_start,
    help_service_record,
    pairing_start,
)


@dataclass
class World:
    file: HardshipFile
    visit: Visit
    follow_up: FollowUp
    cadre: Cadre
    pairing: Pairing
    enterprise: EnterprisePairing
    help: HelpService


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def older(file: HardshipFile) -> HardshipFile:
    return on_file(file, created_at=timezone.now() - timedelta(days=60))


@pytest.fixture
def world(caseworker, tree) -> World:
    """A household of 江岸 with one of everything, all in the caseworker's branch."""
    file = older(household(by=caseworker, unit=tree.jiangan, name="陈桂兰"))
    visit = log(
        file, caseworker, visited_on=today() - timedelta(days=20), photos=[photo()],
        follow_ups=[follow_up(caseworker, due_in_days=-2, problem="女儿助学金未落实")],
    )  # fmt: skip
    cadre = cadre_create(by=caseworker, unit=tree.jiangan, name="刘帮扶")
    pairing = pairing_start(
        file=file, cadre=cadre, role=PairingRole.RESPONSIBLE_HELPER, starts_on=today(),
        by=caseworker,
    )  # fmt: skip
    enterprise = enterprise_pairing_start(
        cadre=cadre, unit=tree.jiangan, enterprise_name="江岸车辆厂", starts_on=today(),
        by=caseworker,
    )  # fmt: skip
    help_service = help_service_record(
        file=file, by=caseworker, kind=HelpKind.JOB_REFERRAL, provided_on=today(),
        provider="江岸区人社局", visit=visit,
    )  # fmt: skip
    return World(file, visit, visit.follow_ups.get(), cadre, pairing, enterprise, help_service)


# Each page: its name, how to fill its URL from the world, and what an allowed GET answers
# (405 for the pages that only take a POST).
PAGES = [
    ("visit_create", lambda w: [w.file.pk], 200),
    ("visit_detail", lambda w: [w.visit.pk], 200),
    ("visit_photo", lambda w: [w.visit.photos.get().pk], 200),
    ("follow_up_mine", lambda w: [], 200),
    ("follow_up_overdue", lambda w: [], 200),
    ("follow_up_detail", lambda w: [w.follow_up.pk], 200),
    ("follow_up_close", lambda w: [w.follow_up.pk], 405),
    ("follow_up_cancel", lambda w: [w.follow_up.pk], 405),
    ("cadre_list", lambda w: [], 200),
    ("cadre_new", lambda w: [], 200),
    ("cadre_detail", lambda w: [w.cadre.pk], 200),
    ("enterprise_pairing_new", lambda w: [w.cadre.pk], 405),
    ("enterprise_pairing_end", lambda w: [w.enterprise.pk], 405),
    ("file_pairings", lambda w: [w.file.pk], 200),
    ("pairing_end", lambda w: [w.pairing.pk], 405),
    ("pairing_coverage", lambda w: [], 200),
    ("help_service_new", lambda w: [w.file.pk], 200),
    ("figures", lambda w: [], 200),
]
PAGE_IDS = [name for name, _args, _status in PAGES]


@pytest.mark.parametrize(("name", "args", "status"), PAGES, ids=PAGE_IDS)
def test_a_caseworker_of_the_branch_reaches_every_page(
    caseworker_client, world, name, args, status
):
    response = caseworker_client.get(reverse(f"visits:{name}", args=args(world)))

    assert response.status_code == status


@pytest.mark.parametrize(("name", "args", "status"), PAGES, ids=PAGE_IDS)
def test_a_sibling_branch_gets_404_or_sees_none_of_our_data(
    caseworker, sibling, client, world, name, args, status
):
    theirs = household(by=sibling, name="黄小明")
    log(theirs, sibling, follow_ups=[follow_up(sibling)])
    client.force_login(sibling)
    url = reverse(f"visits:{name}", args=args(world))

    # A page that only takes a POST answers every GET 405 before looking anything up, so
    # the sibling learns nothing from it; its POST is what must find nothing.
    response = client.post(url) if status == 405 else client.get(url)

    if args(world):
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        page = response.content.decode()
        assert "陈桂兰" not in page
        assert "刘帮扶" not in page
        assert "李建国" not in page


@pytest.mark.parametrize(("name", "args", "status"), PAGES, ids=PAGE_IDS)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, world, name, args, status):
    response = client.get(reverse(f"visits:{name}", args=args(world)))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_a_viewer_reads_the_visits_but_is_offered_no_buttons_and_cannot_log(client, world, tree):
    viewer = UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True)
    client.force_login(viewer)

    page = client.get(world.file.get_absolute_url()).content.decode()
    form = client.get(reverse("visits:visit_create", args=[world.file.pk]))

    assert "女儿助学金未落实" in page
    assert 'data-testid="log-visit"' not in page
    assert form.status_code == 404


# ---------------------------------------------------------------- the file page


def test_the_file_page_shows_helpers_follow_ups_and_the_timeline(caseworker_client, world):
    page = caseworker_client.get(world.file.get_absolute_url()).content.decode()

    section = re.search(r'data-testid="visits-section".*?</section>', page, re.S).group(0)
    assert "刘帮扶" in section
    assert "女儿助学金未落实" in section
    assert reverse("visits:visit_detail", args=[world.visit.pk]) in section
    assert "江岸区人社局" in section
    assert 'data-testid="log-visit"' in section


@pytest.mark.parametrize("visits", [1, 3])
def test_the_file_page_makes_the_same_number_of_queries_however_many_visits(
    caseworker_client, caseworker, tree, django_assert_num_queries, visits
):
    file = older(household(by=caseworker, unit=tree.jiangan))
    for n in range(visits):
        visit = log(
            file, caseworker, visited_on=today() - timedelta(days=n), photos=[photo()],
            follow_ups=[follow_up(caseworker, problem=f"事项{n}", needs_return_visit=False)],
        )  # fmt: skip
        help_service_record(
            file=file, by=caseworker, kind=HelpKind.MEDICAL, provided_on=today(),
            provider="社区医院", visit=visit,
        )  # fmt: skip
    done = FollowUp.objects.filter(file=file).first()
    from visits.services import follow_up_close

    follow_up_close(follow_up=done, by=caseworker, resolution="已解决")

    with django_assert_num_queries(FILE_PAGE_QUERIES):
        response = caseworker_client.get(file.get_absolute_url())

    assert len(re.findall(r'href="/visits/visits/\d+/"', response.content.decode())) == visits


# The file page's own 21 queries (two of them the pipeline's: its civil-affairs check and its
# public notice; one its income records), the visits section's 9 (visits, visitors, cadres,
# photos, follow-ups, calls after an exit, who closed them, help services, pairings) and the
# funds section's one (the household's payments).
FILE_PAGE_QUERIES = 31


# ---------------------------------------------------------------- logging a visit


def visit_form(user, **overrides) -> dict:
    """What the form posts when ``user`` fills it in, leaving the follow-up row as offered."""
    data = {
        "visitors": [str(user.pk)],
        "visited_on": today().isoformat(),
        "kind": "home",
        "people_reached": "2",
        "findings": "老人卧床，冬衣不足。",
        "pressing_problems": "",
        "solved_on_spot": "",
        "goods": "",
        "goods_value": "",
        "cash_amount": "",
        "follow_ups-TOTAL_FORMS": "1",
        "follow_ups-INITIAL_FORMS": "0",
        "follow_ups-MIN_NUM_FORMS": "0",
        "follow_ups-MAX_NUM_FORMS": "5",
        "follow_ups-0-problem": "",
        "follow_ups-0-owner": str(user.pk),
        "follow_ups-0-due_on": (today() + timedelta(days=14)).isoformat(),
        "follow_ups-0-needs_return_visit": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def file(caseworker, tree):
    return older(household(by=caseworker, unit=tree.jiangan, name="王秀英"))


def error_beside(page: str, field_id: str) -> str | None:
    block = re.search(
        rf'<div class="field field--invalid">\s*<label for="{re.escape(field_id)}">.*?</div>',
        page,
        re.S,
    )
    return block.group(0) if block else None


def test_a_caseworker_logs_a_visit_with_a_follow_up_and_photos(caseworker_client, caseworker, file):
    data = visit_form(caseworker, cash_amount="500", **{"follow_ups-0-problem": "申请大病救助"})
    data["photos"] = [photo(), photo("第二张.png", image_bytes("PNG"), "image/png")]

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert response.url == f"{file.get_absolute_url()}#visits"
    visit = Visit.objects.get()
    assert visit.cash_amount == Decimal("500")
    assert visit.follow_ups.get().problem == "申请大病救助"
    assert visit.photos.count() == 2


def test_an_untouched_follow_up_row_is_ignored(caseworker_client, caseworker, file):
    data = visit_form(caseworker)

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 302
    assert FollowUp.objects.count() == 0


def test_the_add_button_offers_another_follow_up_row_and_saves_nothing(
    caseworker_client, caseworker, file
):
    data = visit_form(caseworker, add_follow_up="1")
    data["follow_ups-0-problem"] = "申请大病救助"

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="follow-up-row"') == 2
    assert "申请大病救助" in page
    assert "field--invalid" not in page
    assert Visit.objects.count() == 0


def test_a_visit_logged_by_a_user_outside_the_files_branch_gets_404(sibling_client, sibling, file):
    data = visit_form(sibling)

    response = sibling_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 404
    assert Visit.objects.count() == 0


def test_a_visit_dated_in_the_future_is_refused_beside_the_date(
    caseworker_client, caseworker, file
):
    data = visit_form(caseworker, visited_on=(today() + timedelta(days=1)).isoformat())

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 400
    block = error_beside(response.content.decode(), "id_visited_on")
    assert block is not None
    assert "future" in block or "未来" in block or "今天" in block
    assert Visit.objects.count() == 0


def test_a_follow_up_due_before_the_visit_is_refused_beside_its_due_date(
    caseworker_client, caseworker, file
):
    data = visit_form(
        caseworker,
        visited_on=(today() - timedelta(days=3)).isoformat(),
        **{
            "follow_ups-0-problem": "申请大病救助",
            "follow_ups-0-due_on": (today() - timedelta(days=5)).isoformat(),
        },
    )

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 400
    block = error_beside(response.content.decode(), "id_follow_ups-0-due_on")
    assert block is not None
    assert (today() - timedelta(days=3)).isoformat() in block
    assert Visit.objects.count() == 0
    assert FollowUp.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("扫描件.pdf", pdf_bytes(), "application/pdf"),
        ("假照片.jpg", b"MZ\x90\x00" + b"\x00" * 300, "image/jpeg"),
    ],
    ids=["pdf", "program"],
)
def test_photos_that_are_not_images_are_refused_beside_the_photos(
    caseworker_client, caseworker, file, media, name, content, claimed
):
    data = visit_form(caseworker)
    data["photos"] = [photo(), photo(name, content, claimed)]

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 400
    block = error_beside(response.content.decode(), "id_photos")
    assert block is not None
    assert name in block
    assert Visit.objects.count() == 0
    assert stored_files(media) == []


def test_a_photo_larger_than_the_limit_is_refused_while_it_arrives(
    caseworker_client, caseworker, file, settings
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    data = visit_form(caseworker)
    data["photos"] = [photo(content=image_bytes(size=(400, 400)) + b"\x00" * 2000)]

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 400
    assert error_beside(response.content.decode(), "id_photos") is not None
    assert Visit.objects.count() == 0


def test_a_campaign_visit_through_the_form_marks_the_visit_list(
    caseworker_client, caseworker, approver, file, tree
):
    winter = campaign(tree.wuhan, approver)
    row = list_row(winter, file)
    data = visit_form(caseworker, campaign=str(winter.pk))

    response = caseworker_client.post(reverse("visits:visit_create", args=[file.pk]), data)

    assert response.status_code == 302
    row.refresh_from_db()
    assert row.visit == Visit.objects.get()


def selected_campaign(page: str) -> str | None:
    """The value of the campaign the visit form has chosen ("" for "no campaign"), if any."""
    select = re.search(r'<select name="campaign"[^>]*>(.*?)</select>', page, re.S)
    chosen = re.search(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))
    return chosen.group(1) if chosen else None


def test_the_visit_form_chooses_the_running_campaign_whose_list_holds_the_household(
    caseworker_client, approver, file, tree
):
    winter = campaign(tree.wuhan, approver)
    list_row(winter, file)
    campaign(tree.jiangan, approver, name="江岸冬送温暖")  # running, but not listing the household

    page = caseworker_client.get(reverse("visits:visit_create", args=[file.pk])).content.decode()

    assert selected_campaign(page) == str(winter.pk)


def test_of_two_campaigns_listing_the_household_the_form_chooses_the_later_start(
    caseworker_client, approver, file, tree
):
    earlier = campaign(tree.wuhan, approver, starts=-20, name="两节送温暖")
    later = campaign(tree.jiangan, approver, starts=-5, name="江岸冬送温暖")
    for listing in (earlier, later):
        list_row(listing, file)

    page = caseworker_client.get(reverse("visits:visit_create", args=[file.pk])).content.decode()

    assert selected_campaign(page) == str(later.pk)


def test_the_form_opened_from_a_list_row_chooses_that_rows_campaign(
    caseworker_client, approver, file, tree
):
    earlier = campaign(tree.wuhan, approver, starts=-20, name="两节送温暖")
    later = campaign(tree.jiangan, approver, starts=-5, name="江岸冬送温暖")
    for listing in (earlier, later):
        list_row(listing, file)
    url = reverse("visits:visit_create", args=[file.pk])

    page = caseworker_client.get(url, {"campaign": earlier.pk}).content.decode()

    assert selected_campaign(page) == str(earlier.pk)


def test_a_campaign_in_the_link_that_does_not_list_the_household_is_not_chosen(
    caseworker_client, approver, sibling, file, tree
):
    winter = campaign(tree.wuhan, approver)
    list_row(winter, file)
    unlisted = campaign(tree.jiangan, approver, name="江岸冬送温暖")
    hunan = campaign(tree.hunan, sibling, name="湖南冬送温暖")
    url = reverse("visits:visit_create", args=[file.pk])

    for hint in (unlisted.pk, hunan.pk, "999999999999999999999", "x", "²"):
        page = caseworker_client.get(url, {"campaign": hint}).content.decode()
        assert selected_campaign(page) == str(winter.pk)
        assert "湖南冬送温暖" not in page


def test_no_campaign_is_chosen_when_the_listing_one_is_not_running_today(
    caseworker_client, approver, file, tree
):
    ended = campaign(tree.wuhan, approver, starts=-40, ends=-1, name="已结束")
    not_yet = campaign(tree.jiangan, approver, starts=2, ends=30, name="未开始")
    for listing in (ended, not_yet):
        list_row(listing, file)
    url = reverse("visits:visit_create", args=[file.pk])

    page = caseworker_client.get(url, {"campaign": ended.pk}).content.decode()

    assert selected_campaign(page) == ""


def test_a_household_already_visited_in_the_campaign_is_not_chosen_for_it_again(
    caseworker_client, caseworker, approver, file, tree
):
    earlier = campaign(tree.wuhan, approver, starts=-20, name="两节送温暖")
    later = campaign(tree.jiangan, approver, starts=-5, name="江岸冬送温暖")
    for listing in (earlier, later):
        list_row(listing, file)
    url = reverse("visits:visit_create", args=[file.pk])

    log(file, caseworker, campaign=later)
    after_one = caseworker_client.get(url).content.decode()
    log(file, caseworker, campaign=earlier)
    after_both = caseworker_client.get(url, {"kind": "phone"}).content.decode()

    assert selected_campaign(after_one) == str(earlier.pk)
    assert selected_campaign(after_both) == ""  # a return call is no campaign visit by default


def test_the_caseworker_may_still_log_the_visit_without_the_chosen_campaign(
    caseworker_client, caseworker, approver, file, tree
):
    winter = campaign(tree.wuhan, approver)
    row = list_row(winter, file)

    response = caseworker_client.post(
        reverse("visits:visit_create", args=[file.pk]) + f"?campaign={winter.pk}",
        visit_form(caseworker, campaign=""),
    )

    assert response.status_code == 302
    assert Visit.objects.get().campaign is None
    row.refresh_from_db()
    assert row.visit is None


# ---------------------------------------------------------------- follow-ups


def test_a_follow_up_is_closed_from_its_page(caseworker_client, caseworker, world):
    call = log(world.file, caseworker, kind="phone", findings="电话回访：助学金已到账。")
    url = reverse("visits:follow_up_close", args=[world.follow_up.pk])

    empty = caseworker_client.post(url, {"resolution": "", "return_visit": str(call.pk)})
    done = caseworker_client.post(
        url,
        {
            "resolution": "已落实助学金 3000 元。",
            "return_visit": str(call.pk),
            "next": reverse("visits:follow_up_mine"),
        },
    )

    assert empty.status_code == 400
    assert error_beside(empty.content.decode(), "id_resolution") is not None
    assert done.status_code == 302
    assert done.url == reverse("visits:follow_up_mine")
    world.follow_up.refresh_from_db()
    assert world.follow_up.status == FollowUpStatus.DONE
    assert world.follow_up.return_visit == call


def test_closing_without_the_needed_return_visit_is_refused_beside_it(caseworker_client, world):
    response = caseworker_client.post(
        reverse("visits:follow_up_close", args=[world.follow_up.pk]),
        {"resolution": "已解决", "return_visit": ""},
    )

    assert response.status_code == 400
    assert error_beside(response.content.decode(), "id_return_visit") is not None
    assert 'data-testid="log-return-visit"' in response.content.decode()


def test_a_follow_up_is_cancelled_with_a_reason_and_never_leaves_to_another_site(
    caseworker_client, world
):
    response = caseworker_client.post(
        reverse("visits:follow_up_cancel", args=[world.follow_up.pk]),
        {"reason": "户主已迁居外省。", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response.url == f"{world.file.get_absolute_url()}#follow-ups"
    world.follow_up.refresh_from_db()
    assert world.follow_up.status == FollowUpStatus.CANCELLED


def test_a_sibling_cannot_close_our_follow_up(sibling_client, world):
    response = sibling_client.post(
        reverse("visits:follow_up_close", args=[world.follow_up.pk]), {"resolution": "x"}
    )

    assert response.status_code == 404
    world.follow_up.refresh_from_db()
    assert world.follow_up.status == FollowUpStatus.OPEN


@pytest.mark.parametrize("count", [1, 3])
def test_my_follow_ups_make_the_same_number_of_queries_however_many(
    caseworker_client, caseworker, file, django_assert_num_queries, count
):
    for n in range(count):
        log(file, caseworker, follow_ups=[follow_up(caseworker, problem=f"事项{n}")])

    with django_assert_num_queries(LIST_QUERIES):
        response = caseworker_client.get(reverse("visits:follow_up_mine"))

    assert response.content.decode().count("事项") == count


@pytest.mark.parametrize("count", [1, 3])
def test_the_overdue_list_makes_the_same_number_of_queries_however_many(
    caseworker_client, caseworker, second_caseworker, file, django_assert_num_queries, count
):
    for n in range(count):
        log(
            file, caseworker, visited_on=today() - timedelta(days=30),
            follow_ups=[follow_up(second_caseworker, due_in_days=-n - 1, problem=f"事项{n}")],
        )  # fmt: skip

    with django_assert_num_queries(LIST_QUERIES + 2):
        response = caseworker_client.get(reverse("visits:follow_up_overdue"))

    page = response.content.decode()
    assert page.count("事项") == count
    assert re.search(rf'<td class="num">{count}</td>', page)


# session, user, user's unit, the rows, session save (3)
LIST_QUERIES = 7


# ---------------------------------------------------------------- cadres and pairing


@pytest.mark.parametrize("count", [1, 3])
def test_the_cadre_list_makes_the_same_number_of_queries_however_many(
    caseworker_client, caseworker, tree, django_assert_num_queries, count
):
    for n in range(count):
        cadre_create(by=caseworker, unit=tree.jiangan, name=f"干部{n}")

    with django_assert_num_queries(LIST_QUERIES):
        response = caseworker_client.get(reverse("visits:cadre_list"))

    assert response.content.decode().count("干部") >= count


@pytest.mark.parametrize("count", [1, 3])
def test_a_cadres_page_makes_the_same_number_of_queries_however_many_households(
    caseworker_client, caseworker, tree, django_assert_num_queries, count
):
    cadre = cadre_create(by=caseworker, unit=tree.wuhan, name="王书记", is_leading_cadre=True)
    for _ in range(count):
        pairing_start(
            file=household(by=caseworker, unit=tree.jiangan), cadre=cadre,
            role=PairingRole.LEADING_CADRE, starts_on=today(), by=caseworker,
        )  # fmt: skip

    # The cadre, current and past households, enterprises, the units offered by the form.
    with django_assert_num_queries(LIST_QUERIES + 5):
        response = caseworker_client.get(reverse("visits:cadre_detail", args=[cadre.pk]))

    assert response.content.decode().count("/files/") >= count


@pytest.mark.parametrize("count", [1, 3])
def test_the_coverage_page_makes_the_same_number_of_queries_however_many(
    caseworker_client, caseworker, tree, django_assert_num_queries, count
):
    for _ in range(count):
        household(by=caseworker, unit=tree.jiangan)

    with django_assert_num_queries(LIST_QUERIES + 1):
        response = caseworker_client.get(reverse("visits:pairing_coverage"))

    page = response.content.decode()
    assert page.count('href="/visits/files/') == count


def test_a_helper_is_paired_from_the_files_helpers_page(caseworker_client, caseworker, file, tree):
    cadre = cadre_create(by=caseworker, unit=tree.jiangan, name="刘帮扶")

    response = caseworker_client.post(
        reverse("visits:file_pairings", args=[file.pk]),
        {"role": "helper", "cadre": str(cadre.pk), "starts_on": today().isoformat()},
    )

    assert response.status_code == 302
    assert Pairing.objects.get().cadre == cadre


def test_pairing_in_advance_is_refused_beside_the_date(caseworker_client, caseworker, file, tree):
    cadre = cadre_create(by=caseworker, unit=tree.jiangan, name="刘帮扶")

    response = caseworker_client.post(
        reverse("visits:file_pairings", args=[file.pk]),
        {
            "role": "helper",
            "cadre": str(cadre.pk),
            "starts_on": (today() + timedelta(days=2)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert error_beside(response.content.decode(), "id_starts_on") is not None
    assert Pairing.objects.count() == 0


def test_ending_a_pairing_too_early_is_refused_beside_the_date(caseworker_client, world):
    response = caseworker_client.post(
        reverse("visits:pairing_end", args=[world.pairing.pk]),
        {f"end-{world.pairing.pk}-ends_on": (today() - timedelta(days=9)).isoformat()},
    )

    assert response.status_code == 400
    assert error_beside(response.content.decode(), f"id_end-{world.pairing.pk}-ends_on")
    world.pairing.refresh_from_db()
    assert world.pairing.ends_on is None


def test_a_cadre_is_added_from_the_form(caseworker_client, tree):
    response = caseworker_client.post(
        reverse("visits:cadre_new"),
        {"unit": str(tree.jiangan.pk), "name": "赵主席", "position": "区总工会副主席",
         "phone": "", "is_leading_cadre": "on", "username": ""},
    )  # fmt: skip

    assert response.status_code == 302
    assert Cadre.objects.get().is_leading_cadre is True


# ---------------------------------------------------------------- help services


def test_help_is_recorded_from_the_form_and_bad_input_is_shown_beside_fields(
    caseworker_client, file
):
    url = reverse("visits:help_service_new", args=[file.pk])
    data = {
        "kind": "training", "provided_on": today().isoformat(), "provider": "市职业技能培训中心",
        "person_times": "1", "outcome": "", "training_hours": "", "certificate": "",
        "amount_recovered": "", "visit": "", "campaign": "",
    }  # fmt: skip

    refused = caseworker_client.post(url, data)
    recorded = caseworker_client.post(url, {**data, "training_hours": "40"})

    assert refused.status_code == 400
    assert error_beside(refused.content.decode(), "id_training_hours") is not None
    assert recorded.status_code == 302
    assert HelpService.objects.get().training_hours == 40


def test_the_figures_page_counts_help_in_person_times(caseworker_client, caseworker, file):
    help_service_record(
        file=file, by=caseworker, kind=HelpKind.PSYCHOLOGICAL, provided_on=today(),
        provider="市总工会心理咨询室", person_times=3,
    )  # fmt: skip

    page = caseworker_client.get(reverse("visits:figures")).content.decode()

    assert re.search(r'data-testid="help-figures".*<td class="num">3</td>', page, re.S)


# ---------------------------------------------------------------- photos


def test_a_photo_is_served_inline_to_the_branch_and_never_cached(caseworker_client, world):
    response = caseworker_client.get(
        reverse("visits:visit_photo", args=[world.visit.photos.get().pk])
    )

    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")


def test_a_household_out_of_hardship_is_offered_a_phone_call_only(
    caseworker_client, caseworker, file
):
    on_file(file, status="exited", exit_reason="reemployed", ended_on=today())
    url = reverse("visits:visit_create", args=[file.pk])

    form = caseworker_client.get(url).content.decode()
    response = caseworker_client.post(url, visit_form(caseworker, kind="phone"))

    assert 'value="phone"' in form
    assert 'value="home"' not in form
    assert 'data-testid="follow-up-rows"' not in form
    assert response.status_code == 302
    assert Visit.objects.get().kind == "phone"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("visit_create", "该档案已注销（死亡），不再登记走访。"),
        ("help_service_new", "登记帮扶服务仅限在档困难职工家庭；本档案状态为“已注销”。"),
    ],
)
def test_the_form_of_a_closed_file_sends_back_to_the_file_saying_why(
    caseworker_client, file, name, why
):
    on_file(file, status="closed", close_reason="deceased", ended_on=today())

    response = caseworker_client.get(reverse(f"visits:{name}", args=[file.pk]), follow=True)

    assert response.redirect_chain == [(file.get_absolute_url(), 302)]
    assert why in response.content.decode()


# ---------------------------------------------------------------- administration


@pytest.fixture
def unit_admin(tree):
    return UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True,
    )  # fmt: skip


def test_a_unit_administrator_sees_the_visits_of_the_branch_only(
    client, unit_admin, world, sibling
):
    theirs = log(household(by=sibling, name="黄小明"), sibling)
    client.force_login(unit_admin)

    listing = client.get(reverse("admin:visits_visit_changelist")).content.decode()
    own = client.get(reverse("admin:visits_visit_change", args=[world.visit.pk]))
    foreign = client.get(reverse("admin:visits_visit_change", args=[theirs.pk]))

    assert "陈桂兰" in listing
    assert "黄小明" not in listing
    assert own.status_code == 200
    assert reverse("visits:visit_photo", args=[world.visit.photos.get().pk]) in own.content.decode()
    assert foreign.status_code == 302  # Django admin: "does not exist", back to the list


def test_a_unit_administrator_adds_a_cadre_through_the_service(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:visits_cadre_add"),
        {"unit": str(tree.jiangan.pk), "name": "赵主席", "position": "", "phone": "",
         "is_leading_cadre": "on", "user": "",
         "pairings-TOTAL_FORMS": "0", "pairings-INITIAL_FORMS": "0"},
    )  # fmt: skip
    outside = client.post(
        reverse("admin:visits_cadre_add"),
        {"unit": str(tree.hunan.pk), "name": "黄主席", "position": "", "phone": "", "user": "",
         "pairings-TOTAL_FORMS": "0", "pairings-INITIAL_FORMS": "0"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    assert outside.status_code == 200  # the form again: that unit is not a valid choice
    assert list(Cadre.objects.values_list("name", flat=True)) == ["赵主席"]


@pytest.mark.parametrize(
    ("model", "pick"),
    [
        ("cadre", lambda w: w.cadre),
        ("pairing", lambda w: w.pairing),
        ("enterprisepairing", lambda w: w.enterprise),
        ("visit", lambda w: w.visit),
        ("followup", lambda w: w.follow_up),
        ("helpservice", lambda w: w.help),
    ],
)
def test_every_visits_admin_page_opens_for_a_unit_administrator(
    client, unit_admin, world, model, pick
):
    client.force_login(unit_admin)

    listing = client.get(reverse(f"admin:visits_{model}_changelist"))
    page = client.get(reverse(f"admin:visits_{model}_change", args=[pick(world).pk]))

    assert (listing.status_code, page.status_code) == (200, 200)


def test_after_saving_from_a_visit_list_the_caseworker_returns_to_the_households_row(
    caseworker_client, caseworker, file
):
    back = "/visits/lists/7/#row-42"
    form = caseworker_client.get(
        reverse("visits:visit_create", args=[file.pk]), {"next": back}
    ).content.decode()
    assert f'name="next" value="{back}"' in form

    response = caseworker_client.post(
        reverse("visits:visit_create", args=[file.pk]), visit_form(caseworker, next=back)
    )

    assert response.status_code == 302
    assert response.url == back
    assert [m.level_tag for m in get_messages(response.wsgi_request)] == ["success"]


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/visits/", "javascript:alert(1)"]
)
def test_a_next_address_off_this_site_is_ignored(caseworker_client, caseworker, file, elsewhere):
    response = caseworker_client.post(
        reverse("visits:visit_create", args=[file.pk]), visit_form(caseworker, next=elsewhere)
    )

    assert response.status_code == 302
    assert response.url.startswith(file.get_absolute_url())
