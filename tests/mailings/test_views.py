"""The profile page (email language, opt-outs) and a campaign's progress-email page."""

import re

import pytest
from django.urls import reverse

from mailings.choices import EmailKind
from mailings.models import CampaignProgressSchedule, EmailOptOut
from tests.factories import UserFactory
from tests.visits.test_visits import campaign

PROFILE = reverse("people:profile")


def checkbox(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group()


# ---------------------------------------------------------------------- the profile


def test_the_profile_shows_who_the_user_is(caseworker_client, caseworker):
    response = caseworker_client.get(PROFILE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "李建国" in page
    assert "武汉市总工会" in page
    assert "wuhan.cw@example.org" in page
    assert 'name="opt_out_weekly_digest"' in page


def test_the_profile_saves_the_language_and_opt_outs(caseworker_client, caseworker):
    response = caseworker_client.post(
        PROFILE, {"language": "en", "opt_out_weekly_digest": "on", "opt_out_monthly_report": "on"}
    )
    caseworker.refresh_from_db()
    after_first = set(EmailOptOut.objects.filter(user=caseworker).values_list("kind", flat=True))
    caseworker_client.post(PROFILE, {"language": "en", "opt_out_monthly_report": "on"})

    assert response.status_code == 302
    assert caseworker.language == "en"
    assert after_first == {EmailKind.WEEKLY_DIGEST, EmailKind.MONTHLY_REPORT}
    assert list(EmailOptOut.objects.filter(user=caseworker).values_list("kind", flat=True)) == [
        EmailKind.MONTHLY_REPORT
    ]
    page = caseworker_client.get(PROFILE).content.decode()
    assert "checked" in checkbox(page, "opt_out_monthly_report")
    assert "checked" not in checkbox(page, "opt_out_weekly_digest")


def test_a_bad_language_is_refused_beside_the_field(caseworker_client, caseworker):
    response = caseworker_client.post(PROFILE, {"language": "xx"})

    caseworker.refresh_from_db()
    assert response.status_code == 400
    assert 'class="field__error" id="id_language_error"' in response.content.decode()
    assert caseworker.language == "zh-hans"


def test_each_person_changes_only_their_own_profile(sibling_client, sibling, caseworker):
    sibling_client.post(PROFILE, {"language": "en", "opt_out_weekly_digest": "on"})

    caseworker.refresh_from_db()
    assert caseworker.language == "zh-hans"
    assert list(EmailOptOut.objects.values_list("user", flat=True)) == [sibling.pk]


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert "login" in response.url


def test_the_user_menu_links_to_the_profile(caseworker_client):
    page = caseworker_client.get(reverse("reports:home")).content.decode()

    assert f'href="{PROFILE}"' in page


# ---------------------------------------------------------------------- campaign progress


@pytest.fixture
def drive(tree, approver):
    return campaign(tree.wuhan, approver, name="武汉冬送温暖")


def progress_url(drive) -> str:
    return reverse("mailings:campaign_progress", args=[drive.pk])


def test_the_organisers_caseworker_sets_the_progress_emails(caseworker_client, caseworker, drive):
    form = caseworker_client.get(progress_url(drive))
    response = caseworker_client.post(
        progress_url(drive), {"frequency": "weekly", "weekday": "4", "hour": "9"}
    )

    schedule = CampaignProgressSchedule.objects.get(campaign=drive)
    assert form.status_code == 200
    assert response.status_code == 302
    assert (schedule.frequency, schedule.weekday, schedule.hour) == ("weekly", 4, 9)
    assert schedule.updated_by == caseworker


def test_a_bad_hour_is_refused_beside_the_field(caseworker_client, drive):
    response = caseworker_client.post(
        progress_url(drive), {"frequency": "daily", "weekday": "0", "hour": "25"}
    )

    assert response.status_code == 400
    assert 'id="id_hour_error"' in response.content.decode()
    assert not CampaignProgressSchedule.objects.exists()


def test_the_campaign_page_links_to_the_progress_emails_for_the_organiser(caseworker_client, drive):
    page = caseworker_client.get(drive.get_absolute_url()).content.decode()

    assert f'href="{progress_url(drive)}"' in page


@pytest.mark.parametrize("where", ["jiangan", "hubei"])
def test_users_of_other_units_of_the_branch_get_404(client, tree, drive, where):
    client.force_login(UserFactory(unit=getattr(tree, where), is_approver=True))

    page = client.get(drive.get_absolute_url()).content.decode()
    response = client.get(progress_url(drive))

    assert response.status_code == 404
    assert progress_url(drive) not in page


def test_a_sibling_branchs_user_gets_404(sibling_client, drive):
    assert sibling_client.get(progress_url(drive)).status_code == 404
    assert not CampaignProgressSchedule.objects.exists()


def test_a_viewer_of_the_organiser_gets_404(client, tree, drive):
    client.force_login(UserFactory(unit=tree.wuhan, is_caseworker=False, is_viewer=True))

    assert client.get(progress_url(drive)).status_code == 404


def test_an_anonymous_visitor_cannot_set_progress_emails(client, drive):
    response = client.post(progress_url(drive), {"frequency": "daily", "weekday": "0", "hour": "8"})

    assert response.status_code == 302
    assert not CampaignProgressSchedule.objects.exists()
