import csv

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from audit.forms import AuditFilterForm
from audit.models import AuditSection
from audit.selectors import AUDIT_READERS, PAGE_ROWS, audit_rows
from audit.services import audit_reading_record
from people.access import branch_view


@branch_view(roles=AUDIT_READERS)
def audit_page(request: HttpRequest) -> HttpResponse:
    """Who saw, changed, signed in or changed accounts in the reader's branch; the reading is
    recorded."""
    form = AuditFilterForm(request.GET or {"section": AuditSection.ID_NUMBERS}, user=request.user)
    rows, older = [], None
    kept = {k: v for k, v in request.GET.items() if k not in ("section", "before")}
    if form.is_valid():
        rows = audit_rows(user=request.user, section=form.chosen_section, filters=form.filters())
        audit_reading_record(
            user=request.user, section=form.chosen_section, filters=form.recorded()
        )
        if len(rows) == PAGE_ROWS:
            query = request.GET.copy()
            query["before"] = rows[-1].at.isoformat()
            older = query.urlencode()
    return render(
        request,
        "audit/audit.html",
        {
            "form": form,
            "rows": rows,
            "older": older,
            "tabs": [
                (value, label, urlencode({**kept, "section": value}))
                for value, label in AuditSection.choices
            ],
            "section": form.chosen_section,
            "export_query": request.GET.urlencode(),
        },
        status=200 if form.is_valid() else 400,
    )


class _Echo:
    def write(self, value):
        return value


@branch_view(roles=AUDIT_READERS)
def audit_export(request: HttpRequest) -> HttpResponse:
    """The rows the page's filters select, as a CSV that opens in Excel; recorded with its count."""
    form = AuditFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return audit_page(request)
    rows = audit_rows(
        user=request.user,
        section=form.chosen_section,
        filters=form.filters(),
        limit=settings.AUDIT_EXPORT_MAX_ROWS,
    )
    audit_reading_record(
        user=request.user,
        section=form.chosen_section,
        filters=form.recorded(),
        exported_rows=len(rows),
    )
    writer = csv.writer(_Echo())
    local = timezone.localtime

    def lines():
        yield "\ufeff"  # Excel reads UTF-8 with a byte-order mark as Chinese, not as mojibake
        yield writer.writerow(
            [
                pgettext("audit", "When"),
                pgettext("audit", "Who"),
                pgettext("audit", "What"),
                _("Concerning"),
                _("Details"),
            ]
        )
        for row in rows:
            yield writer.writerow(
                [
                    f"{local(row.at):%Y-%m-%d %H:%M:%S}",
                    row.person,
                    row.what,
                    row.subject,
                    "；".join(row.details),
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = _("audit-%(part)s-%(date)s.csv") % {
        "part": AuditSection(form.chosen_section).label,
        "date": timezone.localdate().isoformat(),
    }
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
