"""Visits (走访慰问), pairing and the seasonal campaigns; built on hardship."""
