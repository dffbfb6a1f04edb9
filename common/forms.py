"""Showing a service's refusal on a page: the one way every view does it.

Services refuse with ``RuleBroken`` (a ValidationError, its messages by field
when they are about one) or ``PermissionDenied``. A view that has a form puts
each message beside the field it names and the rest above the form; a view
without one (a button) shows the messages at the top of the page it returns to.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm, BaseFormSet
from django.http import HttpRequest
from django.utils.translation import gettext as _


def refusal_messages(refusal: ValidationError | PermissionDenied) -> list[str]:
    """The messages of a refusal, for a person to read."""
    if isinstance(refusal, ValidationError):
        return list(refusal.messages)
    return [str(refusal) or _("You may not do this.")]


def show_refusal(form: BaseForm, refusal: ValidationError | PermissionDenied) -> None:
    """Put ``refusal`` on ``form``: messages about one of its fields beside that field, the
    others above the form (where ``non_field_errors`` shows them)."""
    if isinstance(refusal, ValidationError) and hasattr(refusal, "error_dict"):
        for field, errors in refusal.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    for message in refusal_messages(refusal):
        form.add_error(None, message)


def report_refusal(request: HttpRequest, refusal: ValidationError | PermissionDenied) -> None:
    """Show ``refusal`` at the top of the next page, for an action that has no form."""
    messages.error(request, " ".join(refusal_messages(refusal)))


class BoundedFormSet(BaseFormSet):
    """A formset that refuses a negative row count instead of reading it as "no rows".

    Build it with ``absolute_max`` equal to ``max_num``: Django then never builds more rows
    than that, whatever count is posted, and refuses a larger one with a message.
    """

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.management_form.cleaned_data.get("TOTAL_FORMS", 0) < 0:
            self._non_form_errors.append(
                ValidationError(
                    _("The form arrived damaged. Please reload the page and try again."),
                    code="missing_management_form",
                )
            )
