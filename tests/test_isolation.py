"""Parallel test workers each get their own Redis database (tests/isolation.py)."""

import pytest

from tests.isolation import _own_redis_database


def test_each_worker_takes_the_configured_redis_database_minus_its_number():
    assert _own_redis_database("redis://127.0.0.1:6379/15", 0) == "redis://127.0.0.1:6379/15"
    assert _own_redis_database("redis://127.0.0.1:6379/15", 3) == "redis://127.0.0.1:6379/12"


def test_a_worker_beyond_the_databases_redis_has_is_refused_rather_than_shared():
    with pytest.raises(RuntimeError, match="no Redis database"):
        _own_redis_database("redis://127.0.0.1:6379/1", 2)
