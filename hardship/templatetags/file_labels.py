"""The labels of a file's status and category, for long lists of files.

``get_status_display()`` rebuilds the field's choices on every call (some 60 µs); a page of
the file list calls it a hundred times. These look the label up in a dictionary built once.
"""

from django import template

from hardship.choices import Category, FileStatus

register = template.Library()

STATUS_LABELS = dict(FileStatus.choices)
CATEGORY_LABELS = dict(Category.choices)


@register.filter
def status_label(value: str) -> str:
    """The label of a file status, in the language of the request."""
    return STATUS_LABELS.get(value, value)


@register.filter
def category_label(value: str) -> str:
    """The label of a file category ("" for none), in the language of the request."""
    return CATEGORY_LABELS.get(value, value)
