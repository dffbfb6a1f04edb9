"""Small template filters used across the product's pages."""

from datetime import timedelta

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def minutes(duration: timedelta | None) -> int:
    """Whole minutes in a duration, rounded up, so a wait is never understated."""
    if not duration:
        return 0
    return -(-int(duration.total_seconds()) // 60)


@register.filter
def duration(value: timedelta | None) -> str:
    """A job's duration in words: "12 seconds", "3 minutes 5 seconds", "1 hour 4 minutes".

    Django's ``timeuntil`` counts whole minutes only, so a job of a few seconds
    read "0 minutes".
    """
    if value is None:
        return ""
    total = round(value.total_seconds())
    if total < 1:
        return gettext("less than a second")
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if minutes:
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    if seconds and not hours:
        parts.append(
            ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
        )
    return " ".join(parts)
