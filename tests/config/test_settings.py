"""Start-up refuses malformed configuration, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DEBUG": "0",
    "SECRET_KEY": "Zq8v!3nW#p2L@x7R$c5T^m1K&b9Y*d4H(f6J)g0N-s8A_u2E+w7Q=r3",
    "ALLOWED_HOSTS": "warmth.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/warmth",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "FIELD_ENCRYPTION_KEYS": "nfRcmPKeKwgjVFN0wRHoM56TdZoIoJLlkeum6F6txOQ=",
    "ID_HASH_KEY": "a-production-like-hash-key-of-enough-length-123",
}


def production_env() -> dict[str, str]:
    """This process's environment with production values instead of the test ones."""
    test_only = {*GOOD, "DJANGO_ALLOW_ASYNC_UNSAFE", "SECURE_SSL_REDIRECT"}
    test_only |= {"SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "STATIC_MANIFEST"}
    return {k: v for k, v in os.environ.items() if k not in test_only} | GOOD


def start_django(**overrides: str | None) -> subprocess.CompletedProcess:
    env = production_env()
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_good_production_values_start():
    result = start_django()

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql//nowhere"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432"),
        ("REDIS_URL", "127.0.0.1:6379"),
        ("DEBUG", "maybe"),
        ("SESSION_IDLE_MINUTES", "half an hour"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("EMAIL_PORT", "smtp"),
        ("LOGIN_FAILURE_LIMIT", "-3"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-fernet-key"),
        ("ID_HASH_KEY", "short"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(name, value):
    result = start_django(**{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr.splitlines()[-1]


@pytest.mark.parametrize("name", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "ID_HASH_KEY"])
def test_production_refuses_to_start_without_a_secret(name):
    result = start_django(**{name: None})

    assert result.returncode != 0
    assert name in result.stderr.splitlines()[-1]


def test_a_visibility_timeout_below_the_task_time_limit_is_refused():
    result = start_django(CELERY_TASK_TIME_LIMIT="600", CELERY_VISIBILITY_TIMEOUT="300")

    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT" in result.stderr.splitlines()[-1]


def test_the_deploy_check_passes_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
