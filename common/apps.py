from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers with no domain of their own, used by every app: keyset paging, field
    encryption, the business-rule exception, showing a service's refusal on a form, page
    slots and template filters. It holds no models and imports no app of ours."""

    name = "common"
