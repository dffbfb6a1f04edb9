"""What the visits app adds to the pages of the apps below it (common/slots.py)."""

from common.slots import Section
from hardship.slots import FILE_PAGE
from visits.selectors import file_visits_context


@FILE_PAGE.fill(order=10)
def file_visits_section(*, file, user) -> Section:
    """The household's visits, help, follow-ups and pairing, on its file page."""
    return Section("visits/file_section.html", file_visits_context(file=file, user=user))
