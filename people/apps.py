from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("Union units and users")

    def ready(self) -> None:
        from people.foreign_labels import name_foreign_apps

        name_foreign_apps()
