"""The page offers an action exactly when its service accepts it.

Each app lists its action buttons as ``ActionCase``s and, for each of them and
each person who could meet the record (the one who entered it, verified it or
proposed it, an approver, a viewer, a stranger of a sibling branch…), asks two
questions of the same database state:

- is the button there? (the page, fetched as that person, carries an element
  with the button's ``data-testid``; a 404 means no button);
- does the service accept it? (called as that person inside a transaction
  that is rolled back, with inputs that are otherwise valid).

The answers must agree: a button that the service then refuses, or a service
that allows what no page offers, is one rule written twice that has drifted.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction


@dataclass(frozen=True)
class ActionCase:
    """One action: the ``data-testid`` of its button, the page offering it for ``record``, and
    the service call ``attempt(record, user)`` with otherwise valid inputs."""

    testid: str
    page: Callable[[object], str]
    attempt: Callable[[object, object], object]

    def __str__(self) -> str:
        return self.testid


class _RolledBack(Exception):
    pass


def offered(client, user, url: str, testid: str) -> bool:
    """Whether ``url``, fetched as ``user``, shows the button ``testid``."""
    client.force_login(user)
    response = client.get(url)
    client.logout()
    if response.status_code == 404:
        return False
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return f'data-testid="{testid}"' in response.content.decode()


def accepted(case: ActionCase, record, user) -> bool:
    """Whether the service lets ``user`` do ``case`` to ``record`` (nothing is kept)."""
    try:
        with transaction.atomic():
            case.attempt(record, user)
            raise _RolledBack
    except _RolledBack:
        return True
    except (PermissionDenied, ValidationError):
        return False


def assert_button_matches_service(client, case: ActionCase, record, user) -> None:
    shown = offered(client, user, case.page(record), case.testid)
    allowed = accepted(case, record, user)
    assert shown == allowed, (
        f"{case.testid} for {user}: the page {'offers' if shown else 'hides'} it, "
        f"the service {'accepts' if allowed else 'refuses'} it"
    )
