"""Shared fixtures: a small union tree and the three people every view is tried by.

The tree has two provinces so that a *sibling* branch exists with data that
could leak: a caseworker in 武汉 must never see 湖南.
"""

import os
from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

from people.models import UnionUnit, User
from tests.factories import SignedInClient, UnionUnitFactory, UserFactory

# Property-based tests (tests/funds/test_money_properties.py): a modest, repeatable run in
# `make test`; HYPOTHESIS_PROFILE=long for a long random search. Steps touch the database,
# so no deadline; the world is built once per test by a function-scoped fixture and each
# example rolls back to it.
_PROPERTY_CHECKS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
settings.register_profile(
    "default", max_examples=5, stateful_step_count=40, derandomize=True, database=None,
    **_PROPERTY_CHECKS,
)  # fmt: skip
settings.register_profile("long", max_examples=300, stateful_step_count=50, **_PROPERTY_CHECKS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@dataclass
class Tree:
    national: UnionUnit
    hubei: UnionUnit
    wuhan: UnionUnit
    jiangan: UnionUnit
    dazhi: UnionUnit
    yichang: UnionUnit
    hunan: UnionUnit
    changsha: UnionUnit


@pytest.fixture
def client() -> Client:
    return SignedInClient()


@pytest.fixture
def tree(db) -> Tree:
    level = UnionUnit.Level
    national = UnionUnitFactory(name="中华全国总工会", code="ACFTU", level=level.NATIONAL)
    hubei = UnionUnitFactory(name="湖北省总工会", code="HB", level=level.PROVINCE, parent=national)
    wuhan = UnionUnitFactory(name="武汉市总工会", code="HB-WH", level=level.CITY, parent=hubei)
    jiangan = UnionUnitFactory(
        name="江岸区总工会", code="HB-WH-JA", level=level.COUNTY, parent=wuhan
    )
    dazhi = UnionUnitFactory(
        name="大智街道工会", code="HB-WH-JA-DZ", level=level.TOWNSHIP, parent=jiangan
    )
    yichang = UnionUnitFactory(name="宜昌市总工会", code="HB-YC", level=level.CITY, parent=hubei)
    hunan = UnionUnitFactory(name="湖南省总工会", code="HN", level=level.PROVINCE, parent=national)
    changsha = UnionUnitFactory(name="长沙市总工会", code="HN-CS", level=level.CITY, parent=hunan)
    return Tree(national, hubei, wuhan, jiangan, dazhi, yichang, hunan, changsha)


@pytest.fixture
def caseworker(tree) -> User:
    """A caseworker of 武汉市总工会: responsible for 武汉 and everything below it."""
    return UserFactory(username="wuhan.cw", full_name="李建国", unit=tree.wuhan)


@pytest.fixture
def sibling(tree) -> User:
    """A caseworker of 湖南省总工会, a sibling branch: must be refused everything in 湖北."""
    return UserFactory(username="hunan.cw", full_name="黄志明", unit=tree.hunan)


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", password="Correct-Horse-42")


@pytest.fixture
def caseworker_client(client, caseworker):
    client.force_login(caseworker)
    return client


@pytest.fixture
def sibling_client(client, sibling):
    client.force_login(sibling)
    return client


@pytest.fixture
def standards(db):
    """Minimum living standards (低保) for the divisions the tests use, this year and last."""
    from decimal import Decimal

    from django.utils import timezone

    from hardship.models import MinimumLivingStandard

    year = timezone.localdate().year
    for code, urban, rural in [
        ("420100", "780", "620"),
        ("420102", "800", "650"),
        ("430100", "750", "600"),
    ]:
        for y in (year - 1, year):
            MinimumLivingStandard.objects.create(
                division_code=code,
                year=y,
                urban_monthly=Decimal(urban),
                rural_monthly=Decimal(rural),
            )


@pytest.fixture
def approver(tree) -> User:
    """An approver (unit leader) of 武汉市总工会."""
    return UserFactory(
        username="wuhan.ap",
        full_name="陈静",
        unit=tree.wuhan,
        is_caseworker=False,
        is_approver=True,
    )


@pytest.fixture
def second_caseworker(tree) -> User:
    """Another caseworker of 武汉市总工会, for steps that need a second person."""
    return UserFactory(username="wuhan.cw2", full_name="刘洋", unit=tree.wuhan)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Chinese), whatever language a request of an
    earlier test left active in this thread.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fixed_lists_survive_flushes(request):
    """Put back the rows migrations load (causes, aid rules) for tests that flush the database.

    Transactional tests (live server, real workers) end by emptying every
    table, data migrations' rows included; the next such test would find no
    causes to choose from.
    """
    database_fixtures = {"transactional_db", "live_server"}
    marker = request.node.get_closest_marker("django_db")
    if not (
        database_fixtures & set(request.fixturenames)
        or (marker and marker.kwargs.get("transaction"))
    ):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("hardship.migrations.0002_causes").add_causes(apps, None)
    import_module("funds.migrations.0002_default_aid_rules").add_rules(apps, None)


@pytest.fixture
def own_default_queue():
    """Send this test's jobs to a queue only its workers read (tests/workers.py)."""
    from tests.workers import jobs_on_own_queue

    with jobs_on_own_queue() as queue:
        yield queue
