"""The exception every service raises when a business rule refuses an action."""

from django.core.exceptions import ValidationError


class RuleBroken(ValidationError):
    """A business rule refused the action; the message says which, for the person acting.

    Like a ValidationError it carries either messages, or messages by field name
    (``{"reason": ["Give the reason."]}``), so a form can show each beside its field
    (``common.forms.show_refusal``).
    """
