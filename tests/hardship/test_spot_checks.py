"""The yearly spot check: an approver draws a reproducible random share of the branch's files
on record; the sample is a queue worked through by marking files verified again."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from common.errors import RuleBroken
from hardship.choices import FileStatus
from hardship.models import HardshipFile, SpotCheck, SpotCheckFile
from hardship.spot_checks import spot_check_draw, spot_check_progress
from tests.factories import UserFactory, open_file

pytestmark = pytest.mark.django_db


def files_on_record(caseworker, unit, count, *, start=0):
    files = [open_file(by=caseworker, unit=unit, name=f"抽查户{start + n}") for n in range(count)]
    HardshipFile.objects.filter(pk__in=[f.pk for f in files]).update(
        status=FileStatus.ON_FILE, category="relative"
    )
    return files


def sampled(spot_check) -> set[int]:
    return set(spot_check.entries.values_list("file_id", flat=True))


def test_an_approver_draws_thirty_percent_of_the_branchs_files_on_record(
    approver, caseworker, tree
):
    on_record = files_on_record(caseworker, tree.jiangan, 7) + files_on_record(
        caseworker, tree.dazhi, 3, start=7
    )
    open_file(by=caseworker, unit=tree.jiangan, name="草稿户")  # a draft is never drawn
    yichang = UserFactory(username="yichang.cw", unit=tree.yichang)
    files_on_record(yichang, tree.yichang, 2, start=20)  # another city: drawn in its own
    spot_check = spot_check_draw(unit=tree.jiangan, by=approver)
    assert spot_check.fraction == Decimal("0.30")
    assert len(sampled(spot_check)) == 3  # ceil(0.3 × 10)
    assert sampled(spot_check) <= {f.pk for f in on_record}


def test_the_fraction_is_respected_and_rounded_up(approver, caseworker, tree):
    files_on_record(caseworker, tree.jiangan, 7)
    spot_check = spot_check_draw(unit=tree.jiangan, by=approver, fraction=Decimal("0.5"))
    assert len(sampled(spot_check)) == 4  # ceil(3.5)


def test_the_same_seed_draws_the_same_sample(approver, caseworker, tree):
    files_on_record(caseworker, tree.jiangan, 20)
    first = spot_check_draw(unit=tree.jiangan, by=approver, seed="3f2a")
    drawn = sampled(first)
    first.delete()
    again = spot_check_draw(unit=tree.jiangan, by=approver, seed="3f2a")
    assert sampled(again) == drawn
    assert len(drawn) == 6


def test_a_unit_is_drawn_once_a_year(approver, caseworker, tree):
    files_on_record(caseworker, tree.jiangan, 3)
    spot_check_draw(unit=tree.jiangan, by=approver)
    with pytest.raises(RuleBroken, match="本年度的抽查已抽取"):
        spot_check_draw(unit=tree.jiangan, by=approver)
    assert SpotCheck.objects.count() == 1


def test_a_caseworker_may_not_draw(caseworker, tree):
    with pytest.raises(PermissionDenied):
        spot_check_draw(unit=tree.jiangan, by=caseworker)


def test_an_approver_may_not_draw_outside_the_branch(approver, tree):
    with pytest.raises(PermissionDenied):
        spot_check_draw(unit=tree.hunan, by=approver)


def test_the_page_draws_and_shows_the_sample_with_its_progress(client, approver, caseworker, tree):
    files_on_record(caseworker, tree.jiangan, 10)
    client.force_login(approver)
    url = reverse("hardship:yearly_sample", args=[tree.jiangan.pk])
    assert 'data-testid="spot-check-draw"' in client.get(url).content.decode()
    drawn = client.post(
        reverse("hardship:yearly_sample_draw", args=[tree.jiangan.pk]), {"percent": "30"}
    )
    assert drawn.status_code == 302
    page = client.get(url).content.decode()
    assert page.count('data-testid="spot-check-entry"') == 3
    assert "已复核 0 份，共 3 份" in page
    entry = SpotCheckFile.objects.order_by("pk").first()
    client.force_login(caseworker)
    client.post(reverse("hardship:yearly_sample_verified", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.verified_by == caseworker
    assert spot_check_progress(entry.spot_check) == {"total": 3, "verified": 1}


def test_a_bad_share_is_refused_beside_the_field(client, approver, tree):
    client.force_login(approver)
    page = client.post(
        reverse("hardship:yearly_sample_draw", args=[tree.jiangan.pk]), {"percent": "0"}
    )
    assert page.status_code == 400
    assert "field__error" in page.content.decode()
    assert not SpotCheck.objects.exists()


def test_a_caseworker_is_not_offered_the_draw_and_is_refused_it(caseworker_client, tree):
    url = reverse("hardship:yearly_sample", args=[tree.jiangan.pk])
    assert 'data-testid="spot-check-draw"' not in caseworker_client.get(url).content.decode()
    page = caseworker_client.post(
        reverse("hardship:yearly_sample_draw", args=[tree.jiangan.pk]), {"percent": "30"}
    )
    assert page.status_code == 403
    assert not SpotCheck.objects.exists()


def test_a_sibling_branch_gets_404_everywhere(sibling_client, approver, caseworker, tree):
    files_on_record(caseworker, tree.jiangan, 3)
    spot_check = spot_check_draw(unit=tree.jiangan, by=approver)
    entry = spot_check.entries.first()
    assert (
        sibling_client.get(reverse("hardship:yearly_sample", args=[tree.jiangan.pk])).status_code
        == 404
    )
    assert (
        sibling_client.post(
            reverse("hardship:yearly_sample_draw", args=[tree.jiangan.pk]), {"percent": "30"}
        ).status_code
        == 404
    )
    assert (
        sibling_client.post(reverse("hardship:yearly_sample_verified", args=[entry.pk])).status_code
        == 404
    )
    entry.refresh_from_db()
    assert entry.verified_at is None


def test_an_anonymous_visitor_is_sent_to_sign_in(client, tree):
    page = client.get(reverse("hardship:yearly_sample", args=[tree.jiangan.pk]))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse(settings.LOGIN_URL))


def test_a_file_is_verified_again_only_once(approver, caseworker, tree):
    from hardship.spot_checks import spot_check_file_verify

    files_on_record(caseworker, tree.jiangan, 1)
    entry = spot_check_draw(unit=tree.jiangan, by=approver).entries.get()
    spot_check_file_verify(entry=entry, by=caseworker)
    with pytest.raises(RuleBroken):
        spot_check_file_verify(entry=entry, by=approver)
