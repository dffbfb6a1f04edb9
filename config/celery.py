"""The Celery application.

With ``REDIS_URL`` set, Redis is broker and result store, as in production.
Without it (the embedded default of ``make run``) kombu's filesystem transport
carries messages between the web process and a real worker, so background jobs
behave as in production without a broker server. The options themselves are
the ``CELERY_*`` settings in config/settings.py, beside every periodic schedule.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("warmth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
