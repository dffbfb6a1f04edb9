"""The campaign page offers the progress-email settings exactly when they may be saved.

Tried by everyone who could meet a campaign organised by 武汉 (tests/reports has the
list); tests/actions.py says how.
"""

import pytest

from mailings.choices import ProgressFrequency, Weekday
from mailings.services import campaign_progress_schedule_set
from tests.actions import ActionCase, assert_button_matches_service, offered
from tests.factories import UserFactory
from tests.reports.test_actions_match_services import CAMPAIGN_PEOPLE
from tests.visits.test_visits import campaign

pytestmark = pytest.mark.django_db

PROGRESS_EMAILS = ActionCase(
    "campaign-progress-emails",
    page=lambda campaign: campaign.get_absolute_url(),
    attempt=lambda campaign, user: campaign_progress_schedule_set(
        campaign=campaign,
        by=user,
        frequency=ProgressFrequency.WEEKLY,
        weekday=Weekday.MONDAY,
        hour=9,
    ),
)
# The organiser's caseworkers and approvers: it is their approvers' email.
MAY_SET_THEM = {"a caseworker of the organiser", "an approver of the organiser"}


@pytest.mark.parametrize("who", list(CAMPAIGN_PEOPLE))
def test_the_progress_emails_are_offered_exactly_when_they_may_be_set(who, tree, client):
    organiser_approver = UserFactory(
        username="wuhan.organiser", unit=tree.wuhan, password=None, is_approver=True
    )
    winter = campaign(tree.wuhan, organiser_approver)
    user = CAMPAIGN_PEOPLE[who](tree)

    page = PROGRESS_EMAILS.page(winter)
    assert offered(client, user, page, PROGRESS_EMAILS.testid) == (who in MAY_SET_THEM)
    assert_button_matches_service(client, PROGRESS_EMAILS, winter, user)
