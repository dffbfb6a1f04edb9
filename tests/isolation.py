"""Tests run in parallel (pytest-xdist, `make test`): each worker process gets its own Redis
database, so its broker queues, results and cache never meet another worker's.

Loaded with ``-p tests.isolation`` (pyproject.toml) before pytest-django reads the
settings; xdist names the worker (gw0, gw1, …) in the environment before that. Each
worker's PostgreSQL database is pytest-django's own doing (test_warmth_gw0, …), and the
Celery workers that tests start inherit this process's environment, so they use the same
two. Redis has databases 0 to 15: worker n takes the configured one minus n.
"""

import os
from urllib.parse import urlparse, urlunparse


def _own_redis_database(url: str, worker: int) -> str:
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 0)
    if worker > base:
        raise RuntimeError(f"{url} leaves no Redis database for xdist worker {worker}")
    return urlunparse(parsed._replace(path=f"/{base - worker}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _own_redis_database(os.environ["REDIS_URL"], int(_worker[2:]))
    os.environ.pop("CACHE_REDIS_URL", None)
