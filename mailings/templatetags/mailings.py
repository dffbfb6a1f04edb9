"""Template helpers of the report emails."""

from django import template

from mailings.selectors import may_set_progress_schedule

register = template.Library()


@register.filter
def may_set_progress_emails(campaign, user) -> bool:
    """Whether to offer ``user`` the campaign's progress-email settings (the view decides)."""
    return user.is_authenticated and may_set_progress_schedule(user=user, campaign=campaign)
