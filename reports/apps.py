from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Statistics and reports")

    def ready(self) -> None:
        # Register the producers of this app's generated documents (summary reports), and
        # the sections it adds to the pages of the apps below it.
        from reports import documents, sections  # noqa: F401
