"""The Server-Timing header: the server's time over an answer and its database's, when asked for
(SERVER_TIMING), and nothing when not (production), where a query count could tell a page that
found something outside the reader's branch from one that found nothing."""

import re

import pytest

pytestmark = pytest.mark.django_db

TIMING = re.compile(r'^app;dur=(\d+\.\d), db;dur=(\d+\.\d);desc="(\d+) queries"$')


def test_a_page_says_how_long_the_server_and_its_database_took(caseworker_client, settings):
    settings.SERVER_TIMING = True

    response = caseworker_client.get("/visits/campaigns/")

    found = TIMING.match(response["Server-Timing"])
    assert found is not None, response["Server-Timing"]
    app, db, queries = float(found.group(1)), float(found.group(2)), int(found.group(3))
    assert queries > 0  # the session, the user, the campaigns
    assert app >= db > 0


def test_an_answer_before_the_sign_in_is_timed_too(client, settings):
    settings.SERVER_TIMING = True

    response = client.get("/visits/campaigns/")

    assert response.status_code == 302
    assert TIMING.match(response["Server-Timing"])


def test_nothing_is_said_when_it_is_off(caseworker_client, settings):
    settings.SERVER_TIMING = False

    response = caseworker_client.get("/visits/campaigns/")

    assert response.status_code == 200
    assert "Server-Timing" not in response
