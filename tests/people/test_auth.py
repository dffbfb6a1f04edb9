"""Signing in and out: throttling, records, sessions, passwords, CSRF."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import TEST_PASSWORD


def sign_in(client: Client, username: str, password: str, **headers):
    return client.post(
        reverse("people:login"), {"username": username, "password": password}, **headers
    )


def test_a_caseworker_signs_in_and_lands_on_their_units_home(client, caseworker):
    response = sign_in(client, "wuhan.cw", TEST_PASSWORD)

    assert response.status_code == 302
    assert response.url == reverse("reports:home")
    assert "武汉市总工会" in client.get(response.url).content.decode()


def test_the_sign_in_page_is_in_chinese(client, db):
    response = client.get(reverse("people:login"))

    assert response.status_code == 200
    assert "<h1>登录</h1>" in response.content.decode()
    assert response.headers["Content-Language"] == "zh-hans"


def test_a_browser_asking_for_english_still_gets_chinese_until_the_user_switches(client, db):
    response = client.get(reverse("people:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert "<h1>登录</h1>" in response.content.decode()


def test_the_language_switch_turns_the_ui_english(client, db):
    response = client.post(
        reverse("people:set_language"), {"language": "en", "next": reverse("people:login")}
    )
    page = client.get(response.url)

    assert "<h1>Sign in</h1>" in page.content.decode()


def test_a_successful_sign_in_and_a_sign_out_are_recorded(client, caseworker):
    sign_in(client, "wuhan.cw", TEST_PASSWORD)
    client.post(reverse("people:logout"))

    log = AccessLog.objects.get(username="wuhan.cw")
    assert log.attempt_time is not None
    assert log.logout_time is not None


def test_a_failed_sign_in_is_recorded_and_says_so(client, caseworker):
    response = sign_in(client, "wuhan.cw", "wrong-password")

    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode() or "正确的用户名和密码" in (
        response.content.decode()
    )
    assert AccessFailureLog.objects.filter(username="wuhan.cw", locked_out=False).count() == 1


def test_repeated_failures_lock_the_username_from_that_address(client, caseworker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wuhan.cw", "wrong-password")

    response = sign_in(client, "wuhan.cw", TEST_PASSWORD)

    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_does_not_stop_the_same_user_from_another_address(client, caseworker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wuhan.cw", "wrong-password", REMOTE_ADDR="10.0.0.9")

    response = sign_in(Client(), "wuhan.cw", TEST_PASSWORD, REMOTE_ADDR="10.0.0.10")

    assert response.status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock(client, caseworker):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wuhan.cw", "wrong-password", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    response = sign_in(client, "wuhan.cw", TEST_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert response.status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, caseworker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wuhan.cw", "wrong-password")
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    response = sign_in(client, "wuhan.cw", TEST_PASSWORD)

    assert response.status_code == 302


def test_a_session_ends_after_inactivity(caseworker_client):
    assert caseworker_client.get(reverse("reports:home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = caseworker_client.get(reverse("reports:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_every_request_pushes_the_inactivity_expiry_on(caseworker_client):
    caseworker_client.get(reverse("reports:home"))
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=1))

    caseworker_client.get(reverse("reports:home"))

    session = Session.objects.get()
    assert session.expire_date > timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )


@pytest.mark.parametrize("password", ["12345678901", "password1234", "short1!"])
def test_weak_passwords_are_refused(password, caseworker):
    with pytest.raises(ValidationError):
        validate_password(password, user=caseworker)


def test_a_post_without_csrf_token_is_refused(caseworker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker)

    response = client.post(reverse("people:logout"))

    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()


def test_a_sign_in_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)

    response = sign_in(client, "anyone", "whatever-it-is")

    assert response.status_code == 403


def test_passwords_are_hashed_with_argon2id(caseworker):
    caseworker.set_password("A-new-password-2026")
    caseworker.save(update_fields=["password"])

    assert caseworker.password.startswith("argon2$argon2id$v=19$m=65536,t=2,p=1$")


def test_an_older_pbkdf2_hash_still_signs_in_and_is_rehashed_with_argon2(client, caseworker):
    caseworker.password = make_password(TEST_PASSWORD, hasher="pbkdf2_sha256")
    caseworker.save(update_fields=["password"])

    response = sign_in(client, "wuhan.cw", TEST_PASSWORD)

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.password.startswith("argon2$argon2id$")
