"""Where apps above visits add to its pages (common/slots.py says why and how)."""

from common.slots import PageSlot

# Buttons in a campaign page's header, called with ``campaign``, ``unit`` (the unit viewed),
# ``trail`` (the organiser's units above it that the user sees) and ``user``.
CAMPAIGN_ACTIONS = PageSlot("campaign page actions")
# Sections after a campaign page's visit lists, with the same arguments and ``has_lists``.
CAMPAIGN_PAGE = PageSlot("campaign page")
# Buttons in a visit list's header, called with ``visit_list`` and ``user``.
VISIT_LIST_ACTIONS = PageSlot("visit list actions")
