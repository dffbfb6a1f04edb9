"""What the visits app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from hardship.slots import FILE_PAGE, HOUSEHOLD_RECORD
from visits.models import HelpService, Pairing
from visits.selectors import file_visits_context, follow_ups_without_visit, visits_of_file


@FILE_PAGE.fill(order=10)
def file_visits_section(*, file, user) -> Section:
    """The household's visits, help, follow-ups and pairing, on its file page."""
    return Section("visits/file_section.html", file_visits_context(file=file, user=user))


@HOUSEHOLD_RECORD.fill(order=10)
def household_record_visits(*, file) -> Section:
    """The household's visits with their follow-ups, help services and pairings, all of them."""
    visits = list(visits_of_file(file=file))
    return Section(
        "visits/household_record.html",
        {
            "visits": visits,
            "follow_ups": [f for v in visits for f in v.follow_ups.all()]
            + list(follow_ups_without_visit(file=file)),
            "help_services": list(
                HelpService.objects.filter(file=file).order_by("-provided_on", "-id")
            ),
            "pairings": list(
                Pairing.objects.filter(file=file).select_related("cadre").order_by("-starts_on")
            ),
        },
    )
