"""Pages of the visits app: ``visits`` (pairing, visits, follow-ups, help) and ``campaigns``."""
