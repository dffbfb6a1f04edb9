from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("Aid funds")

    def ready(self) -> None:
        # Register the producers of this app's generated documents and jobs (rosters,
        # statements, the bank's result files), and the sections it adds to the pages of the
        # apps below it.
        from funds import bank, rosters, sections  # noqa: F401
