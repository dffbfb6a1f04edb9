from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data (``seed_demo``, ``seed_scale``): development only.

    Installed when DEBUG is on or DEMO_DATA is set (make run, make test, make bench);
    a production deployment leaves it out, and nothing else imports it.
    """

    name = "demo"
