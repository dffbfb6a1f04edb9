"""What the reports app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from reports.documents import may_request_campaign_report
from visits.slots import CAMPAIGN_ACTIONS


@CAMPAIGN_ACTIONS.fill(order=10)
def campaign_report_action(*, campaign, user, unit=None, **_page) -> Section | None:
    """The campaign report's button for the branch the page shows, for those who see it."""
    if not may_request_campaign_report(user, campaign, unit=unit):
        return None
    return Section("reports/campaign_actions.html")
