"""Real Celery worker processes for tests.

pytest-celery's fixtures need Docker, which is not available everywhere we
test, so tests start `celery worker` as a child process with the same settings
module and the test database, on a queue of their own.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_other_processes() -> str:
    """The URL of the database pytest-django created, for processes outside this one."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    queue: str
    process: subprocess.Popen


@contextmanager
def worker_process(
    *, env: dict[str, str], log_path: Path, queue: str | None = None
) -> Iterator[Worker]:
    """Run a solo-pool worker on a queue of its own; yields it (its queue and process)."""
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool", "solo", "--queues", queue, "--hostname", f"{queue}@%h",
        "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "INFO",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=os.environ | env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield Worker(queue=queue, process=process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.2):
    """Poll ``condition`` until it returns something true (returned), or fail the test."""
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}")


@contextmanager
def jobs_on_own_queue() -> Iterator[str]:
    """Send the jobs this process enqueues to a queue of their own, read only by the test's
    workers (a stray message on the default queue could be taken by another test's)."""
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous
