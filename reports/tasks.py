"""Thin tasks around the precomputed figures; the work is in reports/tallies.py."""

from celery import shared_task
from django.utils import timezone

from reports.tallies import refresh_tallies, window_months


@shared_task(name="reports.refresh_recent_figures")
def refresh_recent_figures() -> int:
    """Counts as they stand now and the recent months' movements (every few minutes)."""
    log = refresh_tallies(wait=False)
    return log.rows if log else 0


@shared_task(name="reports.refresh_all_figures")
def refresh_all_figures() -> int:
    """Every month kept (nightly): catches back-dated entries and edits of old records."""
    log = refresh_tallies(months=window_months(timezone.localdate()))
    return log.rows if log else 0
