"""The file list's rows and status tabs, written out in Python.

Through the template language, a page of 50 files took some 1,100 variable lookups and 50
URL reversals: about a third of the page's time. These tags write the same markup (a test
renders both and compares them), every value escaped: the rows' 450 values by ``html.escape``,
as Django's ``escape`` does, without its checks for lazy and safe strings (none is either).
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from hardship.templatetags.file_labels import category_label, status_label

register = template.Library()

# Any file number: the detail page's path is reversed once per page, then this is replaced.
_SOME_PK = 918273645

_ROW = """
            <tr>
              <td><a href="{0}">{1}</a></td>
              <td><a href="{0}">{2}</a></td>
              <td class="hide-narrow mono">{3}</td>
              <td><span class="status status--{4}">{5}</span></td>
              <td class="hide-narrow">{6}</td>
              <td class="hide-narrow">{7}</td>
              <td class="hide-narrow">{8}</td>
            </tr>
          """

_TAB = (
    '\n        <a href="?{0}&amp;status={1}" {2}data-testid="status-count-{1}">'
    '{3} <span class="count">{4}{5}</span></a>\n      '
)


@register.simple_tag
def file_rows(files) -> SafeString:
    """The table rows of ``files`` (with their unit and main cause loaded)."""
    head, tail = reverse("hardship:file_detail", kwargs={"pk": _SOME_PK}).split(str(_SOME_PK))
    rows = "".join(
        _ROW.format(
            *(
                escape(str(value))
                for value in (
                    f"{head}{file.pk}{tail}",
                    file.file_number,
                    file.name,
                    file.id_number_masked,
                    file.status,
                    status_label(file.status),
                    category_label(file.category) or "—",
                    file.main_cause,
                    file.unit.name,
                )
            )
        )
        for file in files
    )
    return mark_safe(rows)  # noqa: S308 - every value escaped above


@register.simple_tag(takes_context=True)
def status_tabs(context, status_counts, status_query: str) -> SafeString:
    """The tabs "All" and one per status with its count, ``(value, label, count, capped)``;
    the tab of the status in the request's link is marked current."""
    current = context["request"].GET.get("status")
    all_tab = format_html(
        '\n      <a href="?{}" {}>{}</a>\n      ',
        status_query,
        "" if current else mark_safe('aria-current="true"'),
        gettext("All"),
    )
    tabs = format_html_join(
        "",
        _TAB,
        (
            (
                status_query,
                value,
                mark_safe('aria-current="true" ') if current == value else " ",
                label,
                count,
                "+" if capped else "",
            )
            for value, label, count, capped in status_counts
        ),
    )
    return all_tab + tabs + mark_safe("\n    ")
