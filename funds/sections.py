"""What the funds app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from funds.selectors import file_funds_context
from hardship.slots import FILE_PAGE
from people.access import has_any_role
from people.models import Role
from visits.choices import VisitListStatus
from visits.slots import CAMPAIGN_PAGE, VISIT_LIST_ACTIONS


@FILE_PAGE.fill(order=20)
def file_aid_section(*, file, user) -> Section:
    """The household's aid across all funds and years, on its file page."""
    return Section("funds/file_section.html", file_funds_context(file=file, user=user))


def _may_propose_visit_money(user) -> bool:
    return has_any_role(user, Role.CASEWORKER)


@CAMPAIGN_PAGE.fill(order=10)
def campaign_money_section(*, campaign, unit, user, has_lists, **_page) -> Section:
    """A campaign's visit money (proposed from its lists) and its budgets."""
    return Section(
        "funds/campaign_section.html",
        {"may_propose": has_lists and _may_propose_visit_money(user)},
    )


@VISIT_LIST_ACTIONS.fill(order=10)
def visit_list_money_action(*, visit_list, user) -> Section | None:
    """Propose the visit money of an approved list's households."""
    if visit_list.status != VisitListStatus.APPROVED or not _may_propose_visit_money(user):
        return None
    return Section("funds/visit_list_actions.html")
