"""Reads of the report emails: who receives which kind, and who may set a campaign's schedule."""

from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Value, When
from django.utils.translation import gettext as _

from common.rules import ALLOWED, Decision, refuse
from mailings.choices import EmailKind
from mailings.models import EmailOptOut, EmailSchedule, MailRecipient, OutboxEmail
from people.access import may_act_as
from people.models import Role, User
from visits.models import Campaign


def mail_recipients(*, kind: str) -> QuerySet[User]:
    """Everyone who may receive ``kind`` at all: active, in a unit, with an address, not opted out.

    Annotated with ``is_paused``: paused recipients still get an outbox row
    (status paused), so an admin sees what they missed.
    """
    opted_out = EmailOptOut.objects.filter(user=OuterRef("pk"), kind=kind)
    paused = MailRecipient.objects.filter(user=OuterRef("pk"), paused_at__isnull=False)
    return (
        User.objects.filter(is_active=True, unit__isnull=False)
        .exclude(email="")
        .exclude(Exists(opted_out))
        .annotate(is_paused=Exists(paused))
    )


def weekly_digest_recipients() -> QuerySet[User]:
    """Active caseworkers with an address: they get what waits for them this week."""
    return mail_recipients(kind=EmailKind.WEEKLY_DIGEST).filter(is_caseworker=True)


def monthly_report_recipients() -> QuerySet[User]:
    """Every approver of every unit: each gets their own unit's report."""
    return mail_recipients(kind=EmailKind.MONTHLY_REPORT).filter(is_approver=True)


def campaign_progress_recipients(*, campaign: Campaign) -> QuerySet[User]:
    """The approvers of the unit that organises ``campaign``."""
    return _organisers_approvers(campaign.organiser_id)


def _organisers_approvers(organiser_id) -> QuerySet[User]:
    # organiser_id: a unit's id, or a reference to one in an outer query.
    return mail_recipients(kind=EmailKind.CAMPAIGN_PROGRESS).filter(
        is_approver=True, unit_id=organiser_id
    )


def outbox_emails_to_send(*, email_ids: list[int]) -> QuerySet[OutboxEmail]:
    """Outbox rows with their recipient, the recipient's unit and the row's campaign, and where
    each recipient stands for it now, in one query (each batch of sends asks it):
    ``recipient_paused``, sending to them paused; ``recipient_wanted``, still chosen for the
    row's kind by the selectors above (they may have changed since it was queued).
    """

    def chosen(people: QuerySet[User]) -> Exists:
        return Exists(people.filter(pk=OuterRef("recipient_id")))

    paused = MailRecipient.objects.filter(user=OuterRef("recipient_id"), paused_at__isnull=False)
    wanted = Case(
        When(kind=EmailKind.WEEKLY_DIGEST, then=chosen(weekly_digest_recipients())),
        When(kind=EmailKind.MONTHLY_REPORT, then=chosen(monthly_report_recipients())),
        When(
            kind=EmailKind.CAMPAIGN_PROGRESS,
            then=chosen(_organisers_approvers(OuterRef("campaign__organiser_id"))),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )
    return (
        OutboxEmail.objects.select_related("recipient__unit", "campaign")
        .annotate(recipient_paused=Exists(paused), recipient_wanted=wanted)
        .filter(pk__in=email_ids)
        .order_by("pk")
    )


def email_schedule(*, kind: str) -> EmailSchedule:
    """The schedule of ``kind``, created from the defaults if it is missing."""
    from mailings.services import email_schedules_ensure

    schedule = EmailSchedule.objects.filter(kind=kind).first()
    if schedule is None:
        email_schedules_ensure()
        schedule = EmailSchedule.objects.get(kind=kind)
    return schedule


def may_set_progress_schedule(user: User, campaign: Campaign) -> Decision:
    """Whether ``user`` sets ``campaign``'s progress emails: the organiser's caseworkers and
    approvers (and superusers). Units above or below the organiser do not: it is their email.
    """
    if not (decision := may_act_as(user, Role.CASEWORKER, Role.APPROVER)):
        return decision
    if not user.is_superuser and user.unit_id != campaign.organiser_id:
        return refuse(
            _("Only the organiser's caseworkers and approvers set the campaign's progress emails."),
            denied=True,
        )
    return ALLOWED


def opted_out_kinds(*, user: User) -> set[str]:
    return set(EmailOptOut.objects.filter(user=user).values_list("kind", flat=True))
