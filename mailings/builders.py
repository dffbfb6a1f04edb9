"""Each report email built *as its recipient*: their language, their branch, nothing else.

Every queryset goes through ``people.access.scope_to_user`` with the
recipient as the user, and is narrowed again to the recipient's unit, so a
superuser who also receives a unit's email gets that unit's, not the nation's.
The unit is read when the email is built, not when it was queued: someone
moved to another unit gets the new unit's figures and households next time.
Households appear by name and masked ID number only.

Emails are HTML with a plain-text alternative, from the templates
``mailings/email/<kind>.{html,txt}``; links are absolute, from ``SITE_URL``.
"""

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hardship.choices import ACTIVE_STATUSES
from hardship.models import HardshipFile
from mailings.choices import EmailKind
from mailings.models import MonthlyReportFile, OutboxEmail
from people.access import scope_to_user
from people.models import UnionUnit, User

# Items listed per section; the rest is a count and a link to the page.
SHOWN = 10
# Households named per campaign in the weekly digest.
NAMES_PER_CAMPAIGN = 5
# Files whose yearly review falls within this many days are listed as due.
REVIEW_WITHIN_DAYS = 14


@dataclass
class Built:
    subject: str
    context: dict
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


class NotForThisRecipient(Exception):
    """The email no longer applies to its recipient (moved, no longer an approver)."""


def one_line(text: str) -> str:
    """``text`` fit for a header: line breaks and other control characters become spaces.

    Names typed by people (a unit's, a campaign's) end up in subjects and file
    names; a line break there makes the message unbuildable (BadHeaderError) or,
    in a parameter such as an attachment's file name, starts a header of its own.
    """
    spaced = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in text
    )
    return re.sub(r"\s+", " ", spaced).strip()


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _in_branch(queryset: QuerySet, *, recipient: User, unit_path: str) -> QuerySet:
    """``queryset`` as ``recipient`` may see it, narrowed to their own unit's branch."""
    scoped = scope_to_user(queryset, user=recipient, unit_path=unit_path)
    return scoped.filter(**{f"{unit_path}__startswith": recipient.unit.path})


def email_message(*, email: OutboxEmail) -> EmailMultiAlternatives:
    """The message for one outbox row, built in its recipient's language and scope.

    Raises NotForThisRecipient when the email no longer applies to them.
    """
    recipient = User.objects.select_related("unit").get(pk=email.recipient_id)
    if recipient.unit is None:
        raise NotForThisRecipient
    language = recipient.language or settings.LANGUAGE_CODE
    with translation.override(language):
        built = BUILDERS[email.kind](email=email, recipient=recipient)
        subject = one_line(built.subject)
        context = {
            **built.context,
            "recipient": recipient,
            "unit": recipient.unit,
            "language": language,
            "subject": subject,
            "profile_url": absolute(reverse("people:profile")),
            "site_url": settings.SITE_URL,
        }
        text = render_to_string(f"mailings/email/{email.kind}.txt", context)
        html = render_to_string(f"mailings/email/{email.kind}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[email.address],
        headers={"Content-Language": language, "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in built.attachments:
        message.attach(one_line(name), content, mimetype)
    return message


# ---------------------------------------------------------------------- weekly digest


def weekly_digest(*, email: OutboxEmail, recipient: User, today: date | None = None) -> Built:
    from funds.selectors import disbursements_waiting
    from visits.campaigns import campaigns_for_user
    from visits.models import VisitListRow
    from visits.selectors import overdue_follow_ups

    today = today or timezone.localdate()
    unit = recipient.unit
    overdue = overdue_follow_ups(user=recipient, owner=recipient, unit=unit, today=today)
    reviews = _in_branch(
        HardshipFile.objects.filter(
            status__in=ACTIVE_STATUSES,
            review_due_on__lte=today + timedelta(days=REVIEW_WITHIN_DAYS),
        ),
        recipient=recipient,
        unit_path="unit__path",
    ).order_by("review_due_on", "pk")
    waiting = _in_branch(
        disbursements_waiting(recipient), recipient=recipient, unit_path="unit__path"
    )
    under_way = campaigns_for_user(user=recipient).filter(starts_on__lte=today, ends_on__gte=today)
    unvisited = _in_branch(
        VisitListRow.objects.filter(campaign__in=under_way, visit__isnull=True),
        recipient=recipient,
        unit_path="visit_list__unit__path",
    )
    counts = {
        row["campaign"]: row["n"]
        for row in unvisited.order_by().values("campaign").annotate(n=Count("pk"))
    }
    campaigns = []
    for campaign in under_way.filter(pk__in=counts).order_by("ends_on", "pk"):
        names = unvisited.filter(campaign=campaign).order_by("visit_list__unit__path", "priority")
        campaigns.append(
            {
                "campaign": campaign,
                "count": counts[campaign.pk],
                "households": list(names.values("name", "masked_id_number")[:NAMES_PER_CAMPAIGN]),
                "url": absolute(
                    reverse("visits:campaign_unvisited", args=[campaign.pk]) + f"?unit={unit.pk}"
                ),
            }
        )
    week = email.period
    return Built(
        subject=_("Your week in Warmth (%(week)s)") % {"week": week},
        context={
            "week": week,
            "today": today,
            "overdue": [
                {"item": f, "url": absolute(reverse("visits:follow_up_detail", args=[f.pk]))}
                for f in overdue[:SHOWN]
            ],
            "overdue_count": overdue.count(),
            "overdue_url": absolute(reverse("visits:follow_up_mine")),
            "reviews": [
                {"item": f, "url": absolute(f.get_absolute_url())}
                for f in reviews.only("name", "file_number", "id_number_masked", "review_due_on")[
                    :SHOWN
                ]
            ],
            "reviews_count": reviews.count(),
            "reviews_url": absolute(reverse("hardship:review_queue")),
            "campaigns": campaigns,
            "waiting": [
                {"item": d, "url": absolute(reverse("funds:disbursement_detail", args=[d.pk]))}
                for d in waiting[:SHOWN]
            ],
            "waiting_count": waiting.count(),
            "waiting_url": absolute(reverse("funds:disbursement_waiting")),
        },
    )


# ---------------------------------------------------------------------- monthly report


# The figures of reports.statistics.BranchFigures the email shows, in order.
KEY_FIGURES = ("on_record", "opened", "visits", "person_times", "received", "paid", "helped")


def monthly_report(*, email: OutboxEmail, recipient: User) -> Built:
    from reports.periods import Period
    from reports.statistics import Figure

    if not recipient.is_approver:
        raise NotForThisRecipient
    year, month = (int(part) for part in email.period.split("-"))
    period = Period.month(year, month)
    unit = recipient.unit
    labels = {
        "on_record": _("Households on record"),
        "opened": _("Files opened"),
        "visits": _("Household visits"),
        "person_times": _("Person-times"),
        "received": _("Money received"),
        "paid": _("Money paid out"),
        "helped": _("Households helped"),
    }
    report = monthly_report_of(unit=unit, period=period)
    rows, attachments = [], []
    if report is not None:
        rows = [
            {
                "label": labels[key],
                "figure": Figure(Decimal(report.figures[key][0]), Decimal(report.figures[key][1])),
            }
            for key in KEY_FIGURES
        ]
        attachments.append(
            (f"{unit.code}-{period.slug}.pdf", bytes(report.content), "application/pdf")
        )
    return Built(
        subject=_("Monthly report of %(unit)s: %(period)s")
        % {"unit": unit.name, "period": period.label},
        context={
            "period": period,
            "rows": rows,
            "overdue_follow_ups": report.figures["overdue_follow_ups"] if report else None,
            "statistics_url": absolute(reverse("reports:unit_detail", args=[unit.pk])),
        },
        attachments=attachments,
    )


def monthly_report_of(*, unit: UnionUnit, period) -> MonthlyReportFile | None:
    """``unit``'s report for ``period`` in the active language: figures and PDF, made once.

    The first approver's email works it out and keeps it; the others of the
    unit reuse it. On PostgreSQL a transaction-scoped advisory lock on the key
    makes the emails of one unit sent at the same time by several workers wait
    for the first instead of each rendering. None when the period is too old
    for figures (reports.statistics.PeriodTooOld).
    """
    from reports.statistics import PeriodTooOld, branch_figures

    language = translation.get_language() or settings.LANGUAGE_CODE
    key = {"unit": unit, "period": period.slug, "language": language}
    cache_key = (unit.pk, period.slug, language)
    kept = _recent_reports.get(cache_key) or MonthlyReportFile.objects.filter(**key).first()
    if kept is not None:
        _remember(cache_key, kept)
        return kept
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"mailings.report:{unit.pk}:{period.slug}:{language}"],
            )
        kept = MonthlyReportFile.objects.filter(**key).first()
        if kept is not None:
            return kept
        try:
            figures = branch_figures(unit, period)
        except PeriodTooOld:
            return None
        # Imported here: the renderer pulls in WeasyPrint, which web processes need not load.
        from reports.documents import render_periodic_report

        content = render_periodic_report(
            unit=unit, period=period, made_by_label=_("Sent by Warmth's report emails")
        )
        values = {
            name: [str(getattr(figures, name).value), str(getattr(figures, name).year_before)]
            for name in KEY_FIGURES
        }
        values["overdue_follow_ups"] = str(figures.overdue_follow_ups)
        return MonthlyReportFile.objects.create(**key, content=content, figures=values)


# The last few reports this process used: a unit's approvers are sent one after
# another, and a report (a few hundred kB of PDF) never changes once made.
_recent_reports: OrderedDict[tuple, MonthlyReportFile] = OrderedDict()
RECENT_REPORTS = 8


def _remember(key: tuple, report: MonthlyReportFile) -> None:
    _recent_reports[key] = report
    _recent_reports.move_to_end(key)
    while len(_recent_reports) > RECENT_REPORTS:
        _recent_reports.popitem(last=False)


# ---------------------------------------------------------------------- campaign progress


def campaign_progress(*, email: OutboxEmail, recipient: User) -> Built:
    from visits.campaigns import campaign_coverage

    campaign = email.campaign
    if campaign is None or not (
        recipient.is_approver and recipient.unit_id == campaign.organiser_id
    ):
        raise NotForThisRecipient
    total, children = campaign_coverage(campaign=campaign, unit=recipient.unit)
    return Built(
        subject=_("Progress of %(campaign)s") % {"campaign": campaign.name},
        context={
            "campaign": campaign,
            "total": total,
            "children": children,
            "campaign_url": absolute(campaign.get_absolute_url()),
        },
    )


BUILDERS = {
    EmailKind.WEEKLY_DIGEST: weekly_digest,
    EmailKind.MONTHLY_REPORT: monthly_report,
    EmailKind.CAMPAIGN_PROGRESS: campaign_progress,
}
