"""What the funds app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from funds.rosters import roster_payers_of_list, rosters_of_campaign
from funds.selectors import (
    batches_visible_to,
    file_funds_context,
    household_aid,
    may_propose_batch,
)
from hardship.slots import FILE_PAGE, HOUSEHOLD_RECORD
from visits.slots import CAMPAIGN_PAGE, VISIT_LIST_ACTIONS

BATCHES_SHOWN = 20


@FILE_PAGE.fill(order=20)
def file_aid_section(*, file, user) -> Section:
    """The household's aid across all funds and years, on its file page."""
    return Section("funds/file_section.html", file_funds_context(file=file, user=user))


@HOUSEHOLD_RECORD.fill(order=20)
def household_record_aid(*, file) -> Section:
    """Every payment proposed for the household, all funds and years."""
    return Section("funds/household_record.html", {"payments": list(household_aid(file))})


@CAMPAIGN_PAGE.fill(order=10)
def campaign_money_section(*, campaign, unit, user, **_page) -> Section:
    """A campaign's visit money: proposing it for the lists of the unit shown, the batches
    proposed in that branch, and the budgets."""
    return Section(
        "funds/campaign_section.html",
        {
            "may_propose": may_propose_batch(user, campaign, unit),
            # Where the money went next: each batch of the branch, its bank payments once
            # approved (the cash rosters are the section below).
            "batches": list(
                batches_visible_to(user).filter(
                    campaign=campaign, unit__path__startswith=unit.path
                )[:BATCHES_SHOWN]
            ),
        },
    )


@CAMPAIGN_PAGE.fill(order=15)
def campaign_rosters_section(*, campaign, unit, user, **_page) -> Section | None:
    """The rosters paying households of the unit shown: one link for each whole roster, and one
    for each team's (visit list's) part of it."""
    found = rosters_of_campaign(campaign=campaign, unit=unit, user=user)
    if not found:
        return None
    return Section("funds/campaign_rosters.html", {"rosters": found})


@VISIT_LIST_ACTIONS.fill(order=10)
def visit_list_money_action(*, visit_list, user) -> Section | None:
    """Propose the visit money of the households on the lists of this list's unit's branch."""
    if not may_propose_batch(user, visit_list.campaign, visit_list.unit):
        return None
    return Section("funds/visit_list_actions.html")


@VISIT_LIST_ACTIONS.fill(order=20)
def visit_list_roster_action(*, visit_list, user) -> Section | None:
    """The roster this list's team signs for, once its households' money is approved."""
    payers = roster_payers_of_list(visit_list=visit_list, user=user)
    if not payers:
        return None
    return Section("funds/visit_list_roster.html", {"payers": payers})
