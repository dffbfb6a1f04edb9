"""Where apps above hardship add to its pages (common/slots.py says why and how)."""

from common.slots import PageSlot

# Sections below a file's own content, each called with ``file`` (fetched for the user) and
# ``user``: the household's visits and pairing (visits), its aid (funds).
FILE_PAGE = PageSlot("file page")
# Parts of a household's own record (a PDF), each called with ``file``: what the apps above
# hold on the household (visits, help, follow-ups and pairings; aid payments).
HOUSEHOLD_RECORD = PageSlot("household record")
