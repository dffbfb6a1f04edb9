from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits and campaigns")

    def ready(self) -> None:
        # Register the producers of this app's generated documents and jobs, and the
        # sections it adds to the pages of the apps below it.
        from visits import campaigns, documents, sections  # noqa: F401
