"""The report emails in Django admin: schedules edited, paused recipients resumed, superusers only."""

from django.urls import reverse

from mailings.choices import EmailKind
from mailings.models import EmailOptOut, EmailSchedule, MailRecipient
from tests.mailings.conftest import MONDAY_0805


def test_a_superuser_changes_the_weekly_digests_schedule(client, superuser):
    client.force_login(superuser)
    schedule = EmailSchedule.objects.get(kind=EmailKind.WEEKLY_DIGEST)

    response = client.post(
        reverse("admin:mailings_emailschedule_change", args=[schedule.pk]),
        {"enabled": "on", "weekday": "4", "day_of_month": "1", "hour": "17", "minute": "30"},
    )

    schedule.refresh_from_db()
    assert response.status_code == 302
    assert (schedule.weekday, schedule.hour, schedule.minute) == (4, 17, 30)


def test_an_impossible_hour_is_refused(client, superuser):
    client.force_login(superuser)
    schedule = EmailSchedule.objects.get(kind=EmailKind.WEEKLY_DIGEST)

    response = client.post(
        reverse("admin:mailings_emailschedule_change", args=[schedule.pk]),
        {"enabled": "on", "weekday": "0", "day_of_month": "1", "hour": "24", "minute": "0"},
    )

    assert response.status_code == 200
    assert EmailSchedule.objects.get(pk=schedule.pk).hour == 8


def test_a_superuser_resumes_a_paused_recipient(client, superuser, caseworker):
    MailRecipient.objects.create(
        user=caseworker, consecutive_failures=5, paused_at=MONDAY_0805, last_error="550"
    )
    client.force_login(superuser)

    listed = client.get(reverse("admin:mailings_mailrecipient_changelist") + "?paused=yes")
    response = client.post(
        reverse("admin:mailings_mailrecipient_changelist"),
        {"action": "resume", "_selected_action": [caseworker.pk]},
    )

    health = MailRecipient.objects.get(user=caseworker)
    assert "李建国" in listed.content.decode()
    assert response.status_code == 302
    assert (health.paused_at, health.consecutive_failures) == (None, 0)


def test_opt_outs_are_visible_to_a_superuser(client, superuser, caseworker):
    EmailOptOut.objects.create(user=caseworker, kind=EmailKind.MONTHLY_REPORT)
    client.force_login(superuser)

    page = client.get(reverse("admin:mailings_emailoptout_changelist")).content.decode()

    assert "李建国" in page


def test_a_unit_administrator_does_not_see_the_outbox(client, tree):
    from tests.factories import UserFactory

    admin_user = UserFactory(unit=tree.wuhan, is_unit_admin=True, is_staff=True)
    client.force_login(admin_user)

    response = client.get(reverse("admin:mailings_outboxemail_changelist"))

    assert response.status_code == 403
