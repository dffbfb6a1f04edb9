"""The Celery application.

With ``REDIS_URL`` set, Redis is broker and result store, as in production.
Without it (the embedded default of ``make run``) kombu's filesystem transport
carries messages between the web process and a real worker through folders
under var/, so background jobs behave as in production without a broker
server. The options themselves are the ``CELERY_*`` settings in
config/settings.py, beside every periodic schedule.
"""

import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("warmth")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_embedded_broker_folders(sender: Celery, **kwargs) -> None:
    """Create the filesystem broker's and result store's folders, which kombu expects to exist."""
    if not sender.conf.broker_url.startswith("filesystem://"):
        return
    for folder in ("data_folder_in", "control_folder"):
        Path(sender.conf.broker_transport_options[folder]).mkdir(parents=True, exist_ok=True)
    if sender.conf.result_backend.startswith("file://"):
        Path(sender.conf.result_backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _cap_worker_memory(**kwargs) -> None:
    """Cap the worker's address space before its pool forks (children inherit the limit)."""
    from documents.pdf import worker_memory_cap

    worker_memory_cap()
