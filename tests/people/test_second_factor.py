"""Superusers and unit administrators sign in with a second factor, in the app and in admin."""

from base64 import b32decode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import AccountEvent
from tests.factories import TEST_PASSWORD, UserFactory, second_factor_device, totp_code


@pytest.fixture
def unit_admin(tree):
    return UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True,
    )  # fmt: skip


def password_only(username: str) -> Client:
    """A browser that has given the right password, and nothing more."""
    client = Client()
    response = client.post(
        reverse("people:login"), {"username": username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_a_password_alone_does_not_open_the_app_to_a_unit_admin(unit_admin):
    client = password_only("wuhan.admin")

    response = client.get(reverse("reports:home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:second_factor"))


def test_a_password_alone_does_not_open_admin_to_a_superuser(superuser):
    client = Client()
    client.post(reverse("admin:login"), {"username": "root", "password": TEST_PASSWORD})

    response = client.get(reverse("admin:people_user_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:second_factor"))


def test_a_caseworker_signs_in_with_a_password_alone(caseworker):
    client = password_only("wuhan.cw")

    assert client.get(reverse("reports:home")).status_code == 200


def test_on_first_sign_in_an_admin_enrols_an_authenticator_and_gets_recovery_codes(unit_admin):
    client = password_only("wuhan.admin")
    page = client.get(reverse("people:second_factor"), {"next": "/admin/"}).content.decode()
    assert "<svg" in page
    device = TOTPDevice.objects.get(user=unit_admin, confirmed=False)
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    assert b32decode(secret) == device.bin_key

    response = client.post(
        reverse("people:second_factor"), {"token": totp_code(device), "next": "/admin/"}
    )

    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    assert client.get("/admin/").status_code == 200
    assert AccountEvent.objects.filter(
        user=unit_admin, kind=AccountEvent.Kind.SECOND_FACTOR_ENROLLED
    ).exists()


def test_a_wrong_code_at_enrolment_keeps_the_admin_out_and_says_so(unit_admin):
    client = password_only("wuhan.admin")
    client.get(reverse("people:second_factor"))

    response = client.post(reverse("people:second_factor"), {"token": "000000"})

    assert response.status_code == 400
    assert "field__error" in response.content.decode()
    assert client.get(reverse("reports:home")).status_code == 302
    assert not TOTPDevice.objects.filter(user=unit_admin, confirmed=True).exists()


def test_an_enrolled_admin_passes_with_the_apps_code(unit_admin):
    device = second_factor_device(unit_admin)
    client = password_only("wuhan.admin")

    response = client.post(reverse("people:second_factor"), {"token": totp_code(device)})

    assert response.status_code == 302
    assert client.get(reverse("reports:home")).status_code == 200


def test_a_wrong_code_keeps_an_enrolled_admin_out(unit_admin):
    second_factor_device(unit_admin)
    client = password_only("wuhan.admin")

    response = client.post(reverse("people:second_factor"), {"token": "12345"})

    assert response.status_code == 400
    assert client.get(reverse("reports:home")).status_code == 302


def test_a_recovery_code_works_once(unit_admin):
    client = password_only("wuhan.admin")
    client.get(reverse("people:second_factor"))
    device = TOTPDevice.objects.get(user=unit_admin)
    codes = client.post(reverse("people:second_factor"), {"token": totp_code(device)}).context[
        "codes"
    ]

    first = password_only("wuhan.admin")
    passed = first.post(reverse("people:second_factor"), {"token": codes[0]})
    second = password_only("wuhan.admin")
    refused = second.post(reverse("people:second_factor"), {"token": codes[0]})

    assert passed.status_code == 302
    assert refused.status_code == 400
    assert StaticToken.objects.filter(device__user=unit_admin).count() == 9


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_second_factor_page(client, db):
    response = client.get(reverse("people:second_factor"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))


def test_the_second_factor_page_sends_a_caseworker_on(caseworker):
    client = password_only("wuhan.cw")

    response = client.get(reverse("people:second_factor"), {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == reverse("reports:home")
