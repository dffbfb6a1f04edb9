"""What the reports app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from reports.documents import may_request_campaign_report
from visits.slots import CAMPAIGN_ACTIONS


@CAMPAIGN_ACTIONS.fill(order=10)
def campaign_report_action(*, campaign, user, **_page) -> Section | None:
    """The campaign report's button, for those who see the organiser's whole branch."""
    if not may_request_campaign_report(user, campaign):
        return None
    return Section("reports/campaign_actions.html")
