"""The Celery wiring, proved through real worker processes."""

import os
import subprocess
import sys

import pytest

from documents.tasks import health_check
from tests.workers import ROOT, database_url_for_other_processes, worker_process


def test_the_health_task_reaches_the_database_when_called_directly(db):
    assert health_check()["database"] is True


@pytest.mark.worker
def test_a_real_worker_runs_the_health_task_through_redis(transactional_db, tmp_path):
    env = {"DATABASE_URL": database_url_for_other_processes()}
    with worker_process(env=env, log_path=tmp_path / "worker.log") as worker:
        result = health_check.apply_async(queue=worker.queue).get(timeout=60)

    assert result["database"] is True


@pytest.mark.worker
def test_without_a_broker_server_a_real_worker_still_runs_tasks(transactional_db, tmp_path):
    # `make run` without REDIS_URL: kombu's filesystem broker under var/.
    env = {
        "REDIS_URL": "",
        "DATABASE_URL": database_url_for_other_processes(),
        "WARMTH_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "1",
    }
    sender = (
        "import django; django.setup()\n"
        "from documents.tasks import health_check\n"
        "print(health_check.apply_async(queue='embedded').get(timeout=60)['database'])\n"
    )
    with worker_process(env=env, log_path=tmp_path / "worker.log", queue="embedded"):
        result = subprocess.run(
            [sys.executable, "-c", sender],
            cwd=ROOT,
            env=os.environ | env,
            capture_output=True,
            text=True,
            timeout=90,
        )

    assert result.returncode == 0, result.stderr + (tmp_path / "worker.log").read_text()
    assert result.stdout.strip() == "True"
