"""Read settings from the environment, refusing malformed values by name.

Every reader raises ``ImproperlyConfigured`` naming the variable, so a typo in a
deployment stops start-up with a message a person can act on instead of a
traceback deep inside a library.
"""

import os
from urllib.parse import urlparse

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = _raw(name)
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"The environment variable {name} must be set.")
    return default


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"The environment variable {name} must be true or false (1/0, yes/no), not {value!r}."
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be a whole number, not {value!r}."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be at least {minimum}, not {number}."
        )
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str | None, *, schemes: set[str]) -> str | None:
    """Return a URL whose scheme is one of ``schemes`` and that names a host or path."""
    value = _raw(name) or default
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path.strip("/")):
        allowed = ", ".join(sorted(f"{scheme}://" for scheme in schemes))
        raise ImproperlyConfigured(
            f"The environment variable {name} must be a URL starting with one of "
            f"{allowed}; got {value!r}."
        )
    return value


EMBEDDED_DATABASE = "warmth"


def embedded_database_url(var_dir) -> str:
    """The URL of the embedded PostgreSQL that `make run` keeps in ``var_dir``/postgres/: its
    socket folder, percent-encoded, as the host (scripts/embedded_database.py)."""
    from urllib.parse import quote

    return f"postgres://postgres@{quote(str(var_dir / 'postgres'), safe='')}/{EMBEDDED_DATABASE}"


def env_database(name: str, default: str | None) -> dict:
    """Parse a PostgreSQL URL into Django's DATABASES entry; required without a default."""
    import dj_database_url

    if not (_raw(name) or default):
        raise ImproperlyConfigured(
            f"The environment variable {name} must be set to a PostgreSQL URL, e.g. "
            "postgres://user@host:5432/warmth."
        )
    value = env_url(name, default, schemes={"postgres", "postgresql"})
    try:
        config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"The environment variable {name} is not a valid database URL: {error}"
        ) from None
    if not config.get("NAME"):
        raise ImproperlyConfigured(
            f"The environment variable {name} must name a database, e.g. "
            "postgres://user@host:5432/warmth."
        )
    return config
