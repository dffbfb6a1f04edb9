from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class MailingsConfig(AppConfig):
    name = "mailings"
    verbose_name = _("Report emails")

    def ready(self) -> None:
        post_migrate.connect(_create_default_schedules, sender=self)
        # The sections and settings this app adds to the pages of the apps below it.
        from mailings import sections  # noqa: F401


def _create_default_schedules(sender, using="default", **kwargs) -> None:
    """Create the missing ``EmailSchedule`` rows from mailings/schedules.py.

    A hook rather than a data migration so that the defaults stay in one place
    (a migration would copy them) and come back after a test's flush.
    """
    from mailings.services import email_schedules_ensure

    email_schedules_ensure(using=using)
