"""Fixtures for the funds tests: a city fund with money in it, a campaign, a household on file."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from funds.choices import FundKind, ReceiptSource
from funds.services import fund_create, receipt_record
from tests.factories import UserFactory
from tests.visits.test_visits import campaign, household


@pytest.fixture(autouse=True)
def _messages_in_english():
    """The rules' messages are asserted in their English source; their Chinese is checked in
    tests/test_translations.py, and pages are tried in Chinese where they are tested.
    """
    with translation.override("en"):
        yield


@pytest.fixture
def city_fund(tree, approver):
    """武汉市总工会's sending-warmth fund, with nothing in it."""
    return fund_create(unit=tree.wuhan, name="送温暖资金", kind=FundKind.WARMTH, by=approver)


@pytest.fixture
def funded(city_fund, caseworker):
    """The city fund after a government receipt of 100,000 yuan."""
    receipt_record(
        fund=city_fund,
        source=ReceiptSource.GOVERNMENT,
        amount=Decimal("100000"),
        received_on=timezone.localdate() - timedelta(days=3),
        by=caseworker,
    )
    return city_fund


@pytest.fixture
def winter(tree, approver):
    return campaign(tree.wuhan, approver)


@pytest.fixture
def family(caseworker, tree):
    """A household on file in 江岸区 (in 武汉's branch)."""
    return household(by=caseworker, unit=tree.jiangan, name="陈桂兰")


@pytest.fixture
def second_approver(tree):
    return UserFactory(
        username="wuhan.ap2",
        full_name="周红",
        unit=tree.wuhan,
        is_caseworker=False,
        is_approver=True,
    )


@pytest.fixture
def sibling_approver(tree):
    return UserFactory(
        username="hunan.ap",
        full_name="黄丽",
        unit=tree.hunan,
        is_caseworker=False,
        is_approver=True,
    )
