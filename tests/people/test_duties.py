"""Separation of duties: nobody grants themselves anything, nobody sets another person's
password, and every change to an account is recorded for the branch's administrators."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import ProgrammingError, transaction
from django.urls import reverse

from people.models import AccountEvent, User
from people.services import password_link_send, user_account_update
from tests.factories import TEST_PASSWORD, UserFactory


@pytest.fixture
def unit_admin(tree):
    return UserFactory(
        username="wuhan.admin", unit=tree.wuhan, is_caseworker=False, is_unit_admin=True,
        is_staff=True, email="admin@example.org",
    )  # fmt: skip


@pytest.fixture
def colleague(tree):
    """A caseworker of 江岸, in the unit administrator's branch, with an email address."""
    return UserFactory(username="jiangan.cw", unit=tree.jiangan, email="cw@example.org")


def change_post(user: User, **overrides) -> dict:
    values = {
        "username": user.username, "full_name": user.full_name, "email": user.email,
        "unit": user.unit_id, "is_active": "on" if user.is_active else "",
        "account_events-TOTAL_FORMS": "0", "account_events-INITIAL_FORMS": "0",
    }  # fmt: skip
    for role in ("is_caseworker", "is_approver", "is_viewer", "is_unit_admin"):
        if getattr(user, role):
            values[role] = "on"
    values.update(overrides)
    return {key: value for key, value in values.items() if value not in ("", None)}


def test_a_unit_admin_cannot_give_themselves_a_role_in_admin(client, unit_admin):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_change", args=[unit_admin.pk]),
        change_post(unit_admin, is_approver="on"),
    )

    assert response.status_code == 302, response.content.decode()
    unit_admin.refresh_from_db()
    assert not unit_admin.is_approver
    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.ROLES).exists()


def test_a_unit_admins_own_roles_and_unit_are_shown_read_only(client, unit_admin):
    client.force_login(unit_admin)

    page = client.get(reverse("admin:people_user_change", args=[unit_admin.pk])).content.decode()

    assert 'name="is_approver"' not in page
    assert 'name="unit"' not in page
    assert 'name="is_active"' not in page


def test_the_service_refuses_anyone_changing_their_own_unit(unit_admin, tree):
    unit_admin.unit = tree.jiangan

    with pytest.raises(PermissionDenied):
        user_account_update(by=unit_admin, user=unit_admin)


def test_a_superuser_cannot_take_their_own_superuser_status_away(superuser):
    superuser.is_superuser = False

    with pytest.raises(PermissionDenied):
        user_account_update(by=superuser, user=superuser)


def test_a_role_given_in_admin_is_recorded_with_who_and_what(client, unit_admin, colleague):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_change", args=[colleague.pk]),
        change_post(colleague, is_approver="on"),
    )

    assert response.status_code == 302, response.content.decode()
    event = AccountEvent.objects.get(user=colleague, kind=AccountEvent.Kind.ROLES)
    assert event.actor == unit_admin
    assert event.before == "caseworker"
    assert event.after == "caseworker approver"
    assert event.at is not None


def test_a_unit_change_and_a_deactivation_are_each_recorded(client, unit_admin, colleague, tree):
    client.force_login(unit_admin)

    client.post(
        reverse("admin:people_user_change", args=[colleague.pk]),
        change_post(colleague, unit=tree.dazhi.pk, is_active=""),
    )

    kinds = set(AccountEvent.objects.filter(user=colleague).values_list("kind", flat=True))
    assert kinds == {AccountEvent.Kind.UNIT, AccountEvent.Kind.ACTIVITY}
    moved = AccountEvent.objects.get(user=colleague, kind=AccountEvent.Kind.UNIT)
    assert (moved.previous_unit, moved.unit) == (tree.jiangan, tree.dazhi)


def test_admins_set_password_page_is_closed(client, unit_admin, colleague, superuser):
    for admin_user in (unit_admin, superuser):
        client.force_login(admin_user)

        response = client.post(
            reverse("admin:auth_user_password_change", args=[colleague.pk]),
            {"password1": "New-Pass-2026!", "password2": "New-Pass-2026!"},
        )

        assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.check_password(TEST_PASSWORD)


def test_the_change_page_shows_no_password_hash(client, superuser, colleague):
    client.force_login(superuser)

    page = client.get(reverse("admin:people_user_change", args=[colleague.pk])).content.decode()

    assert colleague.password.split("$")[0] not in page
    assert colleague.password not in page


def test_a_new_account_gets_no_password_but_a_link_by_email(client, unit_admin, tree):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_add"),
        {"username": "jiangan.new", "full_name": "新经办人", "unit": tree.jiangan.pk,
         "email": "new@example.org", "is_caseworker": "on",
         "password1": "Chosen-By-Admin-1", "password2": "Chosen-By-Admin-1"},
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()
    created = User.objects.get(username="jiangan.new")
    assert not created.has_usable_password()
    assert [message.to for message in mail.outbox] == [["new@example.org"]]
    assert "/accounts/password-link/" in mail.outbox[0].body
    kinds = list(AccountEvent.objects.filter(user=created).values_list("kind", flat=True))
    assert sorted(kinds) == sorted(
        [AccountEvent.Kind.CREATED, AccountEvent.Kind.PASSWORD_LINK_SENT]
    )


def test_the_link_sets_the_password_once(client, unit_admin, colleague):
    password_link_send(by=unit_admin, user=colleague)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/password-link/" in line)
    path = link.split("testserver")[-1].split("localhost:8000")[-1]

    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "Her-Own-Pass-2026", "new_password2": "Her-Own-Pass-2026"}
    )
    again = client.get(path, follow=True)

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.check_password("Her-Own-Pass-2026")
    assert 'data-testid="link-invalid"' in again.content.decode()
    assert AccountEvent.objects.filter(
        user=colleague, kind=AccountEvent.Kind.PASSWORD_SET_BY_LINK, actor=colleague
    ).exists()


def test_the_link_action_sends_to_the_person_not_the_admin(client, unit_admin, colleague):
    client.force_login(unit_admin)

    response = client.post(
        reverse("admin:people_user_changelist"),
        {"action": "send_password_link", "_selected_action": [colleague.pk]},
    )

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["cw@example.org"]]
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.PASSWORD_LINK_SENT)
    assert (event.user, event.actor) == (colleague, unit_admin)


def test_no_link_goes_to_a_sibling_branchs_account(unit_admin, sibling):
    sibling.email = "hunan@example.org"
    sibling.save()

    with pytest.raises(PermissionDenied):
        password_link_send(by=unit_admin, user=sibling)
    assert mail.outbox == []


def test_changing_an_address_tells_the_old_address(unit_admin, colleague):
    colleague.email = "attacker@example.org"

    user_account_update(by=unit_admin, user=colleague)

    assert [message.to for message in mail.outbox] == [["cw@example.org"]]
    event = AccountEvent.objects.get(kind=AccountEvent.Kind.EMAIL)
    assert (event.before, event.after) == ("cw@example.org", "attacker@example.org")


def test_account_changes_are_never_changed_or_deleted(unit_admin, colleague):
    colleague.is_viewer = True
    user_account_update(by=unit_admin, user=colleague)
    event = AccountEvent.objects.get()

    for attempt in (
        lambda: AccountEvent.objects.filter(pk=event.pk).update(after=""),
        lambda: AccountEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(ProgrammingError, match="Cannot update or delete"), transaction.atomic():
            attempt()
    assert AccountEvent.objects.filter(pk=event.pk, after="caseworker viewer").exists()


# ---------------------------------------------------------------- who reads the changes


@pytest.fixture
def recorded_changes(unit_admin, colleague, sibling, superuser):
    """One change in the 武汉 branch and one in the 湖南 branch."""
    colleague.is_viewer = True
    user_account_update(by=unit_admin, user=colleague)
    sibling.is_viewer = True
    user_account_update(by=superuser, user=sibling)


def test_a_unit_admin_reads_the_changes_of_their_branch_only(client, unit_admin, recorded_changes):
    client.force_login(unit_admin)

    page = client.get(reverse("admin:people_accountevent_changelist")).content.decode()

    assert "jiangan.cw" in page
    assert "hunan.cw" not in page


def test_a_sibling_branchs_admin_cannot_open_a_change(client, tree, recorded_changes, colleague):
    hunan_admin = UserFactory(unit=tree.hunan, is_unit_admin=True, is_staff=True)
    event = AccountEvent.objects.get(user=colleague)
    client.force_login(hunan_admin)

    response = client.get(reverse("admin:people_accountevent_change", args=[event.pk]))

    assert response.status_code == 302  # admin's "does not exist" redirect
    assert "jiangan.cw" not in client.get(response.url).content.decode()


def test_an_anonymous_visitor_reads_no_changes(client, recorded_changes):
    response = client.get(reverse("admin:people_accountevent_changelist"))

    assert response.status_code == 302
    assert "login" in response.url


def test_a_caseworker_reads_no_changes(caseworker_client, recorded_changes):
    response = caseworker_client.get(reverse("admin:people_accountevent_changelist"))

    assert response.status_code == 302
    assert "login" in response.url


# ---------------------------------------------------------------- a person's own password


def test_a_person_changes_their_own_password_from_their_profile(caseworker_client, caseworker):
    profile = caseworker_client.get(reverse("people:profile")).content.decode()
    assert reverse("people:password_change") in profile

    response = caseworker_client.post(
        reverse("people:password_change"),
        {"old_password": TEST_PASSWORD, "new_password1": "Mine-Alone-2026",
         "new_password2": "Mine-Alone-2026"},
    )  # fmt: skip

    assert response.status_code == 302
    caseworker.refresh_from_db()
    assert caseworker.check_password("Mine-Alone-2026")
    event = AccountEvent.objects.get(user=caseworker)
    assert (event.kind, event.actor) == (AccountEvent.Kind.PASSWORD_CHANGED, caseworker)
    # Still signed in on this device.
    assert caseworker_client.get(reverse("people:profile")).status_code == 200


def test_a_wrong_current_password_changes_nothing_and_says_so(caseworker_client, caseworker):
    response = caseworker_client.post(
        reverse("people:password_change"),
        {"old_password": "not-it", "new_password1": "Mine-Alone-2026",
         "new_password2": "Mine-Alone-2026"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "field__error" in response.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.check_password(TEST_PASSWORD)


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_password_page(client, db):
    response = client.get(reverse("people:password_change"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("people:login"))
