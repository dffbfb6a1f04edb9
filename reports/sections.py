"""What the reports app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from visits.slots import CAMPAIGN_ACTIONS


@CAMPAIGN_ACTIONS.fill(order=10)
def campaign_report_action(*, campaign, unit, trail, **_page) -> Section | None:
    """The campaign report's button, where the page shows the organiser's whole branch."""
    if unit.pk != campaign.organiser_id and campaign.organiser not in trail:
        return None
    return Section("reports/campaign_actions.html")
