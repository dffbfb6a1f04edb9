"""The fixed lists of visits, pairing and campaigns. English in code, Chinese through gettext."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Season(models.TextChoices):
    SPRING = "spring", _("Spring: sending jobs")
    SUMMER = "summer", _("Summer: sending coolness")
    AUTUMN = "autumn", _("Autumn: schooling aid")
    WINTER = "winter", _("Winter: sending warmth")


class PairingRole(models.TextChoices):
    LEADING_CADRE = "leading_cadre", _("Leading cadre")
    RESPONSIBLE_HELPER = "helper", _("Union helper responsible for the file")


class VisitKind(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    COLLECTIVE = "collective", _("Collective visit")
    HELP_CENTRE = "centre", _("Reception at a help centre")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("Raised at a visit")
    AFTER_EXIT_6 = "exit_6", _("Call six months after the exit")
    AFTER_EXIT_12 = "exit_12", _("Call twelve months after the exit")


# The calls made to a household after it came out of hardship, each so many months after.
AFTER_EXIT_MONTHS = {FollowUpKind.AFTER_EXIT_6: 6, FollowUpKind.AFTER_EXIT_12: 12}


class HelpKind(models.TextChoices):
    JOB_FAIR = "job_fair", _("Job fair attended")
    JOB_REFERRAL = "job_referral", _("Job referral")
    PLACEMENT = "placement", _("Job placement")
    CONTRACT = "contract", _("Labour contract of a year or more")
    TRAINING = "training", _("Skills training")
    LEGAL_AID = "legal_aid", _("Legal aid")
    WAGE_ARREARS = "wage_arrears", _("Wage arrears recovered")
    PSYCHOLOGICAL = "psychological", _("Psychological support")
    MEDICAL = "medical", _("Medical consultation")
    TICKETS = "tickets", _("Help with tickets home")


class VisitListStatus(models.TextChoices):
    BUILDING = "building", _("Being built")
    READY = "ready", _("Ready")
    APPROVED = "approved", _("Approved and frozen")
