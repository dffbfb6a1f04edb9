from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HardshipConfig(AppConfig):
    name = "hardship"
    verbose_name = _("Hardship files")

    def ready(self) -> None:
        # Register the producers of this app's generated documents and jobs (the file card,
        # the spreadsheet import's jobs, large exports of the file list).
        from hardship import checks, exporting, file_card  # noqa: F401
        from hardship.importing import services  # noqa: F401
