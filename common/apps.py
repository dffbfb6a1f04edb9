from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    """Helpers with no domain of their own, used by every app: keyset paging, field
    encryption, the business-rule exception, showing a service's refusal on a form, page
    slots and template filters. It holds no models and imports no app of ours."""

    name = "common"

    def ready(self) -> None:
        from common.trigger_functions import after_migrate

        # post_migrate goes to each app with models, after every migration has run (and after
        # a flush); one of them is enough. This app has no models, so it hears none itself.
        post_migrate.connect(
            after_migrate,
            sender=apps.get_app_config("pghistory"),
            dispatch_uid="common.trigger_functions",
        )
