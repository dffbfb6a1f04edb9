"""Each report email built *as its recipient*: their language, their branch, nothing else.

Every queryset goes through ``people.access.scope_to_user`` with the
recipient as the user, and is narrowed again to the recipient's unit, so a
superuser who also receives a unit's email gets that unit's, not the nation's.
The unit is read when the email is built, not when it was queued: someone
moved to another unit gets the new unit's figures and households next time.
Households appear by name and masked ID number only.

Emails are HTML with a plain-text alternative, from the templates
``mailings/email/<kind>.{html,txt}``; links are absolute, from ``SITE_URL``.

A monthly report or a campaign's progress says the same to every approver of a
unit who reads the same language: nothing in it depends on who reads it but the
name in the greeting (figures of the unit's branch, no household named). Such a
message is built once per unit and language (``Kind.shared_by`` says what it
depends on) and then addressed to each recipient: their name put in the
greeting, their address in To. Who may have it (``Kind.admits``) is still asked
of every recipient, and a digest, which names the recipient's own households
and follow-ups, is built for each.
"""

import re
import secrets
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from email import encoders
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import forbid_multi_line_headers
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
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


@dataclass(frozen=True)
class Kind:
    """How one kind of email is built.

    ``build`` works out the subject, context and attachments as the recipient;
    ``admits`` says whether the recipient may have it at all, asked of each one;
    ``shared_by`` gives what the message depends on besides the recipient's name
    and language (which are always part of the key), so that everyone with the same
    key is sent the same message built once; None: built for each recipient.
    """

    build: Callable[..., Built]
    admits: Callable[[OutboxEmail, User], bool] = lambda email, recipient: True
    shared_by: Callable[[OutboxEmail, User], tuple] | None = None


# Stands for the recipient's name in a message built for several recipients; replaced
# in each one's copy. Random, so that no name typed anywhere can contain it.
RECIPIENT_NAME = "warmth" + secrets.token_hex(12)


@dataclass(frozen=True)
class Message:
    """A message built once, for everyone it is shared by: addressed to each in turn."""

    subject: str
    text: str
    html: str
    language: str
    attachments: tuple

    def addressed(self, *, recipient: User, address: str) -> EmailMultiAlternatives:
        """The message for ``recipient``: their name in the greeting, to ``address``.

        Raises BadHeaderError for an address no header can hold: here, where a failure is
        the content's (the rest of the message was written out once, when it was built).
        """
        forbid_multi_line_headers("To", address, settings.DEFAULT_CHARSET)
        name = recipient.get_full_name()
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text.replace(RECIPIENT_NAME, name),
            to=[address],
            headers={"Content-Language": self.language, "Auto-Submitted": "auto-generated"},
        )
        # The HTML template escapes what it prints; the name is escaped the same way.
        message.attach_alternative(self.html.replace(RECIPIENT_NAME, escape(name)), "text/html")
        for attachment in self.attachments:
            if isinstance(attachment, MIMEBase):
                message.attach(attachment)
            else:
                message.attach(*attachment)
        return message


def email_message(*, email: OutboxEmail, recipient: User | None = None) -> EmailMultiAlternatives:
    """The message for one outbox row, built in its recipient's language and scope.

    ``recipient``: the row's recipient with their unit, if already loaded. Raises
    NotForThisRecipient when the email no longer applies to them; any other
    exception means the message cannot be built (the content's fault).
    """
    if recipient is None:
        recipient = User.objects.select_related("unit").get(pk=email.recipient_id)
    kind = KINDS[email.kind]
    if recipient.unit is None or not kind.admits(email, recipient):
        raise NotForThisRecipient
    language = recipient.language or settings.LANGUAGE_CODE
    key = None
    if kind.shared_by is not None:
        key = (email.kind, language, *kind.shared_by(email, recipient))
    shared = _recent_messages.get(key) if key else None
    if shared is None:
        shared = _message_built(kind, email=email, recipient=recipient, language=language)
        if key:
            _remember(_recent_messages, key, shared, keep=RECENT_MESSAGES)
    return shared.addressed(recipient=recipient, address=email.address)


def _message_built(kind: Kind, *, email: OutboxEmail, recipient: User, language: str) -> Message:
    with translation.override(language):
        built = kind.build(email=email, recipient=recipient)
        subject = one_line(built.subject)
        context = {
            **built.context,
            # Not the recipient: a message shared by several has no one reader to print.
            "recipient_name": RECIPIENT_NAME,
            "unit": recipient.unit,
            "language": language,
            "subject": subject,
            "profile_url": absolute(reverse("people:profile")),
            "site_url": settings.SITE_URL,
        }
        text = render_to_string(f"mailings/email/{email.kind}.txt", context)
        html = render_to_string(f"mailings/email/{email.kind}.html", context)
    message = Message(
        subject=subject,
        text=text,
        html=html,
        language=language,
        attachments=tuple(_attachment(*attachment) for attachment in built.attachments),
    )
    # Written out once here, where a failure is the content's (a header that cannot be
    # written, say) and not the address's: a bad subject must not pause everyone it was
    # meant for (see outbox.py). Each recipient's copy differs only in the address,
    # checked as it is addressed, and in the greeting's name, which is text.
    message.addressed(recipient=recipient, address=email.address).message().as_bytes()
    return message


def _attachment(name: str, content: bytes, mimetype: str):
    """A file to attach, encoded once for every recipient of the message (base64 of a
    report of a few hundred kB was most of what each further email cost)."""
    basetype, subtype = mimetype.split("/", 1)
    if basetype in ("text", "message"):
        return (one_line(name), content, mimetype)  # Django encodes these its own way
    part = MIMEBase(basetype, subtype)
    part.set_payload(content)
    encoders.encode_base64(part)
    filename = one_line(name)
    if not filename.isascii():
        filename = ("utf-8", "", filename)  # RFC 2231, as Django writes it
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


# The last few messages built for several recipients, in this process: the send tasks
# take a unit's people one after another (outbox_dispatch orders them so).
_recent_messages: OrderedDict[tuple, Message] = OrderedDict()
RECENT_MESSAGES = 8


def forget_recent() -> None:
    """Forget the reports and messages this process keeps at hand (for tests)."""
    _recent_reports.clear()
    _recent_messages.clear()


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
        _remember(_recent_reports, cache_key, kept, keep=RECENT_REPORTS)
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


def _remember(store: OrderedDict, key: tuple, value, *, keep: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > keep:
        store.popitem(last=False)


# ---------------------------------------------------------------------- campaign progress


def campaign_progress(*, email: OutboxEmail, recipient: User) -> Built:
    from visits.campaigns import campaign_coverage

    campaign = email.campaign
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


def _unit(email: OutboxEmail, recipient: User) -> tuple:
    # Figures of the recipient's unit and its branch, whoever reads them: nothing in the
    # message is masked or left out by the reader's rights. The unit's name and code are
    # printed, so a renamed unit is built again.
    unit = recipient.unit
    return (email.period, unit.pk, unit.name, unit.code)


def _organiser_approver(email: OutboxEmail, recipient: User) -> bool:
    campaign = email.campaign
    return (
        campaign is not None
        and recipient.is_approver
        and recipient.unit_id == campaign.organiser_id
    )


KINDS = {
    # The recipient's own follow-ups and the households of their branch, by name: built
    # for each recipient.
    EmailKind.WEEKLY_DIGEST: Kind(build=weekly_digest),
    EmailKind.MONTHLY_REPORT: Kind(
        build=monthly_report,
        admits=lambda email, recipient: recipient.is_approver,
        shared_by=_unit,
    ),
    EmailKind.CAMPAIGN_PROGRESS: Kind(
        build=campaign_progress,
        admits=_organiser_approver,
        shared_by=lambda email, recipient: (email.campaign_id, *_unit(email, recipient)),
    ),
}
