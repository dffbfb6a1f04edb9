"""The campaign page offers the campaign report exactly when its request is accepted.

Tried by everyone who could meet a campaign organised by 武汉: its caseworkers and
approver, an approver of a unit below (江岸) and above (湖北), a viewer, a unit
administrator, and a caseworker of a sibling branch (湖南). tests/actions.py says how.
"""

import pytest

from people.models import UnionUnit, User
from reports.documents import campaign_report_request
from tests.actions import ActionCase, assert_button_matches_service, offered
from tests.factories import UserFactory
from tests.visits.test_visits import campaign

pytestmark = pytest.mark.django_db


def person(username: str, unit: UnionUnit, **roles) -> User:
    # No password: the harness signs in with force_login, and hashing one takes time.
    return UserFactory(username=username, unit=unit, password=None, **roles)


# Everyone who could meet a campaign organised by 武汉, by where they work and what they do.
CAMPAIGN_PEOPLE = {
    "a caseworker of the organiser": lambda tree: person("wuhan.cw", tree.wuhan),
    "an approver of the organiser": lambda tree: person(
        "wuhan.ap", tree.wuhan, is_caseworker=False, is_approver=True
    ),
    "an approver of a unit below": lambda tree: person(
        "jiangan.ap", tree.jiangan, is_caseworker=False, is_approver=True
    ),
    "an approver of the unit above": lambda tree: person(
        "hubei.ap", tree.hubei, is_caseworker=False, is_approver=True
    ),
    "a viewer of the organiser": lambda tree: person(
        "wuhan.viewer", tree.wuhan, is_caseworker=False, is_viewer=True
    ),
    "a unit administrator of the organiser": lambda tree: person(
        "wuhan.admin", tree.wuhan, is_caseworker=False, is_unit_admin=True
    ),
    "a caseworker of a sibling branch": lambda tree: person("hunan.cw", tree.hunan),
}

CAMPAIGN_REPORT = ActionCase(
    "campaign-report",
    page=lambda campaign: campaign.get_absolute_url(),
    attempt=lambda campaign, user: campaign_report_request(campaign=campaign, by=user),
)
# Whoever sees the organiser's whole branch (its own people and those above it), and every
# unit below it in the campaign for its own branch.
MAY_ASK_FOR_THE_REPORT = {
    "an approver of a unit below",
    "a caseworker of the organiser",
    "an approver of the organiser",
    "an approver of the unit above",
    "a viewer of the organiser",
    "a unit administrator of the organiser",
}


@pytest.mark.parametrize("who", list(CAMPAIGN_PEOPLE))
def test_the_campaign_report_is_offered_exactly_when_it_would_be_made(who, tree, client):
    organiser_approver = UserFactory(
        username="wuhan.organiser", unit=tree.wuhan, password=None, is_approver=True
    )
    winter = campaign(tree.wuhan, organiser_approver)
    user = CAMPAIGN_PEOPLE[who](tree)

    page = CAMPAIGN_REPORT.page(winter)
    assert offered(client, user, page, CAMPAIGN_REPORT.testid) == (who in MAY_ASK_FOR_THE_REPORT)
    assert_button_matches_service(client, CAMPAIGN_REPORT, winter, user)
