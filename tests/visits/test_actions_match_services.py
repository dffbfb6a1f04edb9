"""Every action of the visits app is offered by its page exactly when its service accepts it.

One predicate per rule (``may_<verb>_<thing>`` in visits/selectors.py) answers both
questions. Here each action is tried in a state where it applies, and for most also in
one where it does not (a closed file, an approved list, a campaign out of its dates…),
by everyone who could meet the record: the caseworker of the unit above who recorded it,
the follow-up's owner and a colleague in the household's unit, another caseworker of the
unit above, a caseworker of a unit below, an approver, a viewer, a unit administrator
and a caseworker of a sibling branch.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from people.models import User
from tests.actions import ActionCase, assert_button_matches_service
from tests.conftest import Tree
from tests.factories import UserFactory, open_file
from tests.visits.test_visits import campaign, follow_up, household, list_row, log, on_file, today
from visits import urls, urls_campaigns
from visits.campaigns import (
    campaign_correct,
    campaign_create,
    visit_list_approve,
    visit_list_request_document,
    visit_lists_approve_all,
    visit_lists_request_build,
    visit_lists_request_document,
)
from visits.choices import HelpKind, PairingRole, VisitKind, VisitListStatus
from visits.models import (
    Cadre,
    Campaign,
    EnterprisePairing,
    FollowUp,
    Pairing,
    Visit,
    VisitList,
    VisitListRow,
)
from visits.selectors import visit_kinds_for
from visits.services import (
    FollowUpInput,
    cadre_create,
    enterprise_pairing_end,
    enterprise_pairing_start,
    follow_up_cancel,
    follow_up_close,
    help_service_record,
    pairing_end,
    pairing_start,
    visit_log,
)

# ---------------------------------------------------------------- who meets the record


@dataclass(frozen=True)
class Cast:
    """Everyone who could meet a household of 江岸区 (below 武汉) and what is recorded on it."""

    tree: Tree
    recorder: User  # a caseworker of 武汉 who logged the visit and made the pairings
    owner: User  # a caseworker of 江岸 who owns the follow-up raised at the visit
    colleague: User  # another caseworker of 江岸, who took no part
    above: User  # another caseworker of 武汉, the unit above, who took no part
    below: User  # a caseworker of 大智街道, a unit below the household's
    approver: User  # of 武汉
    viewer: User
    unit_admin: User
    sibling: User  # a caseworker of 湖南省总工会


PEOPLE = {
    "by_the_caseworker_of_the_unit_above_who_recorded_it": "recorder",
    "by_the_follow_ups_owner_in_the_households_unit": "owner",
    "by_a_colleague_in_the_households_unit": "colleague",
    "by_another_caseworker_of_the_unit_above": "above",
    "by_a_caseworker_of_a_unit_below": "below",
    "by_an_approver": "approver",
    "by_a_viewer": "viewer",
    "by_a_unit_administrator": "unit_admin",
    "by_a_caseworker_of_a_sibling_branch": "sibling",
}


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """Nine people per case, hundreds of cases: nobody here signs in with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cast(tree, caseworker, second_caseworker, approver, sibling) -> Cast:
    return Cast(
        tree=tree,
        recorder=caseworker,
        owner=UserFactory(username="jiangan.cw", unit=tree.jiangan),
        colleague=UserFactory(username="jiangan.cw2", unit=tree.jiangan),
        above=second_caseworker,
        below=UserFactory(username="dazhi.cw", unit=tree.dazhi),
        approver=approver,
        viewer=UserFactory(
            username="wuhan.viewer", unit=tree.wuhan, is_caseworker=False, is_viewer=True
        ),
        unit_admin=UserFactory(
            username="wuhan.admin",
            unit=tree.wuhan,
            is_caseworker=False,
            is_unit_admin=True,
            is_staff=True,
        ),
        sibling=sibling,
    )


# ---------------------------------------------------------------- the records and their states


def fresh(file: HardshipFile) -> HardshipFile:
    return HardshipFile.objects.select_related("unit").get(pk=file.pk)


def exit_(file: HardshipFile) -> HardshipFile:
    return fresh(
        on_file(file, status=FileStatus.EXITED, exit_reason="reemployed", ended_on=today())
    )


def close(file: HardshipFile) -> HardshipFile:
    return fresh(on_file(file, status=FileStatus.CLOSED, close_reason="deceased", ended_on=today()))


def a_household_on_file(cast: Cast) -> HardshipFile:
    return fresh(household(by=cast.recorder, unit=cast.tree.jiangan, name="陈桂兰"))


def a_household_out_of_hardship(cast: Cast) -> HardshipFile:
    return exit_(a_household_on_file(cast))


def a_closed_file(cast: Cast) -> HardshipFile:
    return close(a_household_on_file(cast))


def an_application(cast: Cast) -> HardshipFile:
    return fresh(open_file(by=cast.recorder, unit=cast.tree.jiangan, name="陈桂兰"))


def a_household_on_file_and_a_helper(cast: Cast) -> HardshipFile:
    a_helper(cast)
    return a_household_on_file(cast)


def a_household_out_of_hardship_and_a_helper(cast: Cast) -> HardshipFile:
    a_helper(cast)
    return a_household_out_of_hardship(cast)


def a_closed_file_and_a_helper(cast: Cast) -> HardshipFile:
    a_helper(cast)
    return a_closed_file(cast)


def a_visit(cast: Cast) -> Visit:
    return log(a_household_on_file(cast), cast.recorder)


def a_visit_to_a_household_since_out_of_hardship(cast: Cast) -> Visit:
    visit = a_visit(cast)
    exit_(visit.file)
    return Visit.objects.select_related("file__unit").get(pk=visit.pk)


def a_visit_to_a_household_since_closed(cast: Cast) -> Visit:
    visit = a_visit(cast)
    close(visit.file)
    return Visit.objects.select_related("file__unit").get(pk=visit.pk)


def _follow_up(cast: Cast, *, needs_return_visit: bool = False) -> FollowUp:
    visit = log(
        a_household_on_file(cast), cast.recorder,
        follow_ups=[follow_up(cast.owner, needs_return_visit=needs_return_visit)],
    )  # fmt: skip
    return visit.follow_ups.get()


def fresh_follow_up(follow_up: FollowUp) -> FollowUp:
    return FollowUp.objects.select_related("file__unit", "visit").get(pk=follow_up.pk)


def an_open_follow_up(cast: Cast) -> FollowUp:
    return fresh_follow_up(_follow_up(cast))


def an_open_follow_up_of_a_household_since_closed(cast: Cast) -> FollowUp:
    follow_up = _follow_up(cast)
    close(follow_up.file)
    return fresh_follow_up(follow_up)


def a_follow_up_done(cast: Cast) -> FollowUp:
    follow_up = _follow_up(cast)
    follow_up_close(follow_up=follow_up, by=cast.owner, resolution="助学金已到账。")
    return fresh_follow_up(follow_up)


def a_follow_up_cancelled(cast: Cast) -> FollowUp:
    follow_up = _follow_up(cast)
    follow_up_cancel(follow_up=follow_up, by=cast.owner, reason="户主已迁居外省。")
    return fresh_follow_up(follow_up)


def a_follow_up_awaiting_its_return_visit(cast: Cast) -> FollowUp:
    return fresh_follow_up(_follow_up(cast, needs_return_visit=True))


def a_follow_up_awaiting_its_return_visit_on_a_closed_file(cast: Cast) -> FollowUp:
    follow_up = _follow_up(cast, needs_return_visit=True)
    close(follow_up.file)
    return fresh_follow_up(follow_up)


def a_helper(cast: Cast) -> Cadre:
    return cadre_create(by=cast.recorder, unit=cast.tree.jiangan, name="刘帮扶")


def _pairing(cast: Cast) -> Pairing:
    return pairing_start(
        file=a_household_on_file(cast), cadre=a_helper(cast), role=PairingRole.RESPONSIBLE_HELPER,
        starts_on=today() - timedelta(days=10), by=cast.recorder,
    )  # fmt: skip


def fresh_pairing(pairing: Pairing) -> Pairing:
    return Pairing.objects.select_related("file__unit", "cadre").get(pk=pairing.pk)


def a_current_pairing(cast: Cast) -> Pairing:
    return fresh_pairing(_pairing(cast))


def a_current_pairing_of_a_household_since_out_of_hardship(cast: Cast) -> Pairing:
    pairing = _pairing(cast)
    exit_(pairing.file)
    return fresh_pairing(pairing)


def an_ended_pairing(cast: Cast) -> Pairing:
    pairing = _pairing(cast)
    pairing_end(pairing=pairing, ends_on=today() - timedelta(days=1), by=cast.recorder)
    return fresh_pairing(pairing)


def _enterprise_pairing(cast: Cast) -> EnterprisePairing:
    return enterprise_pairing_start(
        cadre=a_helper(cast), unit=cast.tree.jiangan, enterprise_name="江岸车辆厂",
        starts_on=today() - timedelta(days=10), by=cast.recorder,
    )  # fmt: skip


def a_current_enterprise_pairing(cast: Cast) -> EnterprisePairing:
    return EnterprisePairing.objects.select_related("unit", "cadre").get(
        pk=_enterprise_pairing(cast).pk
    )


def an_ended_enterprise_pairing(cast: Cast) -> EnterprisePairing:
    pairing = _enterprise_pairing(cast)
    enterprise_pairing_end(
        enterprise_pairing=pairing, ends_on=today() - timedelta(days=1), by=cast.recorder
    )
    return EnterprisePairing.objects.select_related("unit", "cadre").get(pk=pairing.pk)


def the_users_own_branch(cast: Cast) -> None:
    """Creating a cadre or a campaign is about no record: the page asks of the user's unit."""


def _campaign(cast: Cast, *, organiser=None, starts=-10, ends=60) -> Campaign:
    return Campaign.objects.select_related("organiser").get(
        pk=campaign(organiser or cast.tree.wuhan, cast.approver, starts=starts, ends=ends).pk
    )


def a_running_campaign(cast: Cast) -> Campaign:
    return _campaign(cast)


def a_campaign_that_has_ended(cast: Cast) -> Campaign:
    return _campaign(cast, starts=-60, ends=-1)


def a_campaign_of_the_province(cast: Cast) -> Campaign:
    return _campaign(cast, organiser=cast.tree.hubei)


def _listed(cast: Cast, *, starts=-10, ends=60, status=VisitListStatus.READY) -> VisitListRow:
    row = list_row(_campaign(cast, starts=starts, ends=ends), a_household_on_file(cast))
    VisitList.objects.filter(pk=row.visit_list_id).update(status=status)
    return VisitListRow.objects.select_related(
        "visit_list__unit", "campaign__organiser", "file__unit"
    ).get(pk=row.pk)


def a_household_listed_in_a_running_campaign(cast: Cast) -> VisitListRow:
    return _listed(cast)


def a_household_listed_in_a_campaign_that_has_ended(cast: Cast) -> VisitListRow:
    return _listed(cast, starts=-60, ends=-1)


def a_household_listed_in_a_campaign_not_yet_begun(cast: Cast) -> VisitListRow:
    return _listed(cast, starts=3, ends=60)


def a_listed_household_since_out_of_hardship(cast: Cast) -> VisitListRow:
    row = _listed(cast)
    exit_(row.file)
    return VisitListRow.objects.select_related(
        "visit_list__unit", "campaign__organiser", "file__unit"
    ).get(pk=row.pk)


def _list(cast: Cast, *, status=VisitListStatus.READY) -> VisitList:
    row = _listed(cast, status=status)
    return VisitList.objects.select_related("unit", "campaign").get(pk=row.visit_list_id)


def a_list_built(cast: Cast) -> VisitList:
    return _list(cast)


def a_list_being_built(cast: Cast) -> VisitList:
    return _list(cast, status=VisitListStatus.BUILDING)


def an_approved_list(cast: Cast) -> VisitList:
    visit_list = _list(cast)
    visit_list_approve(visit_list=visit_list, by=cast.approver)
    return VisitList.objects.select_related("unit", "campaign").get(pk=visit_list.pk)


# ---------------------------------------------------------------- the actions


def file_page(file: HardshipFile) -> str:
    return file.get_absolute_url()


def pairings_page(file: HardshipFile) -> str:
    return reverse("visits:file_pairings", args=[file.pk])


def list_page(visit_list: VisitList) -> str:
    return reverse("visits:visit_list_detail", args=[visit_list.pk])


def follow_up_page(follow_up: FollowUp) -> str:
    return reverse("visits:follow_up_detail", args=[follow_up.pk])


def visit_to(file: HardshipFile, user: User, **more) -> Visit:
    """A visit of the first kind ``file`` takes, by ``user`` alone, with nothing else wrong."""
    kinds = visit_kinds_for(file=file) or (VisitKind.HOME,)
    return visit_log(
        file=file, by=user, visited_on=today(), kind=kinds[0], visitors=[user], cadres=[],
        campaign=more.pop("campaign", None), findings="老人卧床，冬衣不足。", **more,
    )  # fmt: skip


def help_to(file: HardshipFile, user: User, visit: Visit | None = None):
    return help_service_record(
        file=file, by=user, kind=HelpKind.JOB_REFERRAL, provided_on=today(),
        provider="江岸区人社局", visit=visit,
    )  # fmt: skip


def pair(file: HardshipFile, user: User) -> Pairing:
    return pairing_start(
        file=file, cadre=Cadre.objects.get(name="刘帮扶"), role=PairingRole.RESPONSIBLE_HELPER,
        starts_on=today(), by=user,
    )  # fmt: skip


def the_unit_the_campaign_page_shows(campaign: Campaign, user: User):
    """The unit whose lists the campaign page's button builds for ``user`` (the view's rule)."""
    if user.unit is not None and user.unit.is_in_branch_of(campaign.organiser):
        return user.unit
    return campaign.organiser


ACTIONS = {
    "log_visit": ActionCase("log-visit", file_page, visit_to),
    "raise_follow_up": ActionCase(
        "add-follow-up",
        lambda file: reverse("visits:visit_create", args=[file.pk]),
        lambda file, user: visit_to(
            file,
            user,
            follow_ups=[FollowUpInput(problem="医保报销未到账", owner=user, due_on=today())],
        ),
    ),
    "log_visit_from_the_list": ActionCase(
        "log-visit-from-list",
        lambda row: list_page(row.visit_list),
        lambda row, user: visit_to(row.file, user, campaign=row.campaign),
    ),
    "log_the_return_visit": ActionCase(
        "log-return-visit",
        follow_up_page,
        lambda follow_up, user: visit_to(follow_up.file, user),
    ),
    "record_help": ActionCase("record-help", file_page, help_to),
    "record_help_from_a_visit": ActionCase(
        "record-help-from-visit",
        lambda visit: reverse("visits:visit_detail", args=[visit.pk]),
        lambda visit, user: help_to(visit.file, user, visit=visit),
    ),
    "pair_from_the_file": ActionCase("pair-helper", file_page, pair),
    "pair_on_the_helpers_page": ActionCase("start-pairing", pairings_page, pair),
    "pair_from_the_coverage": ActionCase(
        "pair-from-coverage", lambda file: reverse("visits:pairing_coverage"), pair
    ),
    "end_pairing": ActionCase(
        "end-pairing",
        lambda pairing: pairings_page(pairing.file),
        lambda pairing, user: pairing_end(pairing=pairing, ends_on=today(), by=user),
    ),
    "pair_with_an_enterprise": ActionCase(
        "start-enterprise-pairing",
        lambda cadre: cadre.get_absolute_url(),
        lambda cadre, user: enterprise_pairing_start(
            cadre=cadre, unit=user.unit, enterprise_name="江岸车辆厂", starts_on=today(), by=user
        ),
    ),
    "end_enterprise_pairing": ActionCase(
        "end-enterprise-pairing",
        lambda pairing: pairing.cadre.get_absolute_url(),
        lambda pairing, user: enterprise_pairing_end(
            enterprise_pairing=pairing, ends_on=today(), by=user
        ),
    ),
    "close_follow_up": ActionCase(
        "close-follow-up",
        follow_up_page,
        lambda follow_up, user: follow_up_close(
            follow_up=follow_up, by=user, resolution="已落实助学金 3000 元。"
        ),
    ),
    "cancel_follow_up": ActionCase(
        "cancel-follow-up",
        follow_up_page,
        lambda follow_up, user: follow_up_cancel(
            follow_up=follow_up, by=user, reason="户主已迁居外省。"
        ),
    ),
    "work_on_follow_up_from_the_file": ActionCase(
        "work-follow-up",
        lambda follow_up: file_page(follow_up.file),
        lambda follow_up, user: follow_up_cancel(
            follow_up=follow_up, by=user, reason="户主已迁居外省。"
        ),
    ),
    "work_on_follow_up_from_its_visit": ActionCase(
        "work-follow-up",
        lambda follow_up: reverse("visits:visit_detail", args=[follow_up.visit_id]),
        lambda follow_up, user: follow_up_close(
            follow_up=follow_up, by=user, resolution="已落实助学金 3000 元。"
        ),
    ),
    "create_cadre": ActionCase(
        "add-cadre",
        lambda nothing: reverse("visits:cadre_list"),
        lambda nothing, user: cadre_create(by=user, unit=user.unit, name="赵主席"),
    ),
    "create_campaign": ActionCase(
        "new-campaign",
        lambda nothing: reverse("visits:campaign_list"),
        lambda nothing, user: campaign_create(
            by=user,
            season="winter",
            year=today().year,
            name="两节送温暖",
            starts_on=today(),
            ends_on=today() + timedelta(days=40),
            organiser=user.unit,
            aid_standards={"deep": Decimal(1000)},
        ),
    ),
    "build_lists": ActionCase(
        "build-lists",
        lambda campaign: campaign.get_absolute_url(),
        lambda campaign, user: visit_lists_request_build(
            campaign=campaign, by=user, unit=the_unit_the_campaign_page_shows(campaign, user)
        ),
    ),
    "correct_campaign": ActionCase(
        "correct-campaign",
        lambda campaign: campaign.get_absolute_url(),
        lambda campaign, user: campaign_correct(
            campaign=campaign, by=user, name="两节送温暖（更正）"
        ),
    ),
    "correct_a_campaign_with_lists": ActionCase(
        "correct-campaign",
        lambda visit_list: visit_list.campaign.get_absolute_url(),
        lambda visit_list, user: campaign_correct(
            campaign=visit_list.campaign, by=user, name="两节送温暖（更正）"
        ),
    ),
    "approve_list": ActionCase(
        "approve-list",
        list_page,
        lambda visit_list, user: visit_list_approve(visit_list=visit_list, by=user),
    ),
    "approve_all_lists": ActionCase(
        "approve-lists",
        lambda visit_list: visit_list.campaign.get_absolute_url(),
        lambda visit_list, user: visit_lists_approve_all(
            campaign=visit_list.campaign,
            unit=the_unit_the_campaign_page_shows(visit_list.campaign, user),
            by=user,
        ),
    ),
    "print_list": ActionCase(
        "list-pdf",
        list_page,
        lambda visit_list, user: visit_list_request_document(
            visit_list=visit_list, kind="pdf", by=user
        ),
    ),
    "print_all_lists": ActionCase(
        "print-lists",
        lambda visit_list: visit_list.campaign.get_absolute_url(),
        lambda visit_list, user: visit_lists_request_document(
            campaign=visit_list.campaign,
            unit=the_unit_the_campaign_page_shows(visit_list.campaign, user),
            kind="pdf",
            by=user,
        ),
    ),
    "list_as_a_spreadsheet": ActionCase(
        "list-xlsx",
        list_page,
        lambda visit_list, user: visit_list_request_document(
            visit_list=visit_list, kind="xlsx", by=user
        ),
    ),
}


@dataclass(frozen=True)
class Situation:
    """An action, and the state its record is in when someone tries it."""

    action: str
    state: Callable[[Cast], object]

    def __str__(self) -> str:
        return f"{self.action}-on_{self.state.__name__}"


SITUATIONS = [
    Situation("log_visit", a_household_on_file),
    Situation("log_visit", a_household_out_of_hardship),
    Situation("log_visit", a_closed_file),
    Situation("log_visit", an_application),
    # The visit form itself only opens for a file that takes visits.
    Situation("raise_follow_up", a_household_on_file),
    Situation("raise_follow_up", a_household_out_of_hardship),
    Situation("log_visit_from_the_list", a_household_listed_in_a_running_campaign),
    Situation("log_visit_from_the_list", a_household_listed_in_a_campaign_that_has_ended),
    Situation("log_visit_from_the_list", a_household_listed_in_a_campaign_not_yet_begun),
    Situation("log_visit_from_the_list", a_listed_household_since_out_of_hardship),
    Situation("log_the_return_visit", a_follow_up_awaiting_its_return_visit),
    Situation("log_the_return_visit", a_follow_up_awaiting_its_return_visit_on_a_closed_file),
    Situation("record_help", a_household_on_file),
    Situation("record_help", a_household_out_of_hardship),
    Situation("record_help", a_closed_file),
    Situation("record_help_from_a_visit", a_visit),
    Situation("record_help_from_a_visit", a_visit_to_a_household_since_out_of_hardship),
    Situation("record_help_from_a_visit", a_visit_to_a_household_since_closed),
    Situation("pair_from_the_file", a_household_on_file_and_a_helper),
    Situation("pair_from_the_file", a_household_out_of_hardship_and_a_helper),
    Situation("pair_on_the_helpers_page", a_household_on_file_and_a_helper),
    Situation("pair_on_the_helpers_page", a_closed_file_and_a_helper),
    Situation("pair_from_the_coverage", a_household_on_file_and_a_helper),
    Situation("pair_from_the_coverage", a_household_out_of_hardship_and_a_helper),
    Situation("end_pairing", a_current_pairing),
    Situation("end_pairing", a_current_pairing_of_a_household_since_out_of_hardship),
    Situation("end_pairing", an_ended_pairing),
    Situation("pair_with_an_enterprise", a_helper),
    Situation("end_enterprise_pairing", a_current_enterprise_pairing),
    Situation("end_enterprise_pairing", an_ended_enterprise_pairing),
    Situation("close_follow_up", an_open_follow_up),
    Situation("close_follow_up", an_open_follow_up_of_a_household_since_closed),
    Situation("close_follow_up", a_follow_up_done),
    Situation("cancel_follow_up", an_open_follow_up),
    Situation("cancel_follow_up", a_follow_up_cancelled),
    Situation("work_on_follow_up_from_the_file", an_open_follow_up),
    Situation("work_on_follow_up_from_its_visit", an_open_follow_up),
    Situation("work_on_follow_up_from_its_visit", a_follow_up_done),
    Situation("create_cadre", the_users_own_branch),
    Situation("create_campaign", the_users_own_branch),
    Situation("build_lists", a_running_campaign),
    Situation("build_lists", a_campaign_that_has_ended),
    Situation("build_lists", a_campaign_of_the_province),
    Situation("correct_campaign", a_running_campaign),
    Situation("correct_campaign", a_campaign_of_the_province),
    Situation("correct_a_campaign_with_lists", a_list_built),
    Situation("correct_a_campaign_with_lists", an_approved_list),
    Situation("approve_list", a_list_built),
    Situation("approve_list", a_list_being_built),
    Situation("approve_list", an_approved_list),
    Situation("approve_all_lists", a_list_built),
    Situation("approve_all_lists", an_approved_list),
    Situation("print_list", a_list_built),
    Situation("print_all_lists", a_list_built),
    Situation("print_all_lists", an_approved_list),
    Situation("list_as_a_spreadsheet", an_approved_list),
]


@pytest.mark.parametrize("person", PEOPLE.values(), ids=PEOPLE.keys())
@pytest.mark.parametrize("situation", SITUATIONS, ids=str)
def test_the_page_offers_an_action_exactly_when_its_service_accepts_it(
    client, cast, situation, person
):
    record = situation.state(cast)

    assert_button_matches_service(client, ACTIONS[situation.action], record, getattr(cast, person))


def test_every_url_of_the_visits_app_that_takes_a_post_is_an_action_tried_above():
    """A new button joins the matrix: a URL not listed here as reading only must be."""
    takes_a_post = {
        "visit_create": "log_visit",
        "follow_up_close": "close_follow_up",
        "follow_up_cancel": "cancel_follow_up",
        "cadre_new": "create_cadre",
        "enterprise_pairing_new": "pair_with_an_enterprise",
        "enterprise_pairing_end": "end_enterprise_pairing",
        "file_pairings": "pair_on_the_helpers_page",
        "pairing_end": "end_pairing",
        "help_service_new": "record_help",
        "campaign_new": "create_campaign",
        "campaign_build": "build_lists",
        "visit_list_approve": "approve_list",
        "campaign_approve_lists": "approve_all_lists",
        "campaign_correct": "correct_campaign",
        "visit_list_document": "print_list",
        "campaign_lists_document": "print_all_lists",
    }
    names = {p.name for p in [*urls.urlpatterns, *urls_campaigns.urlpatterns] if hasattr(p, "name")}
    views_reading_only = {
        "visit_detail", "visit_photo", "follow_up_mine", "follow_up_overdue", "follow_up_detail",
        "cadre_list", "cadre_detail", "pairing_coverage", "figures", "campaign_list",
        "campaign_detail", "campaign_unvisited", "visit_list_detail",
    }  # fmt: skip

    assert names - views_reading_only == set(takes_a_post)
    assert set(takes_a_post.values()) <= {s.action for s in SITUATIONS}


def test_a_superuser_without_a_unit_is_neither_offered_nor_allowed_a_campaign(client, superuser):
    """It would have no organiser: the page offered it and the service failed on saving."""
    assert_button_matches_service(client, ACTIONS["create_campaign"], None, superuser)
