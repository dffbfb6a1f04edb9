"""The review queue: files on record due for their yearly review, and files nobody changed
for a year — each only in the signed-in person's branch."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import open_file

pytestmark = pytest.mark.django_db


def on_record(file, *, due_in_days=None, unchanged_days=None):
    values = {"status": FileStatus.ON_FILE, "category": "relative"}
    if due_in_days is not None:
        values["review_due_on"] = timezone.localdate() + timedelta(days=due_in_days)
    if unchanged_days is not None:
        values["content_changed_at"] = timezone.now() - timedelta(days=unchanged_days)
    HardshipFile.objects.filter(pk=file.pk).update(**values)
    return file


def sections(page) -> tuple[str, str]:
    body = page.content.decode()
    due, unchanged = body.split('id="unchanged-heading"')
    return due, unchanged


@pytest.fixture
def files(caseworker, tree):
    return {
        "overdue": on_record(open_file(by=caseworker, unit=tree.jiangan, name="逾期户"),
                             due_in_days=-5),
        "soon": on_record(open_file(by=caseworker, unit=tree.dazhi, name="将到户"),
                          due_in_days=20),
        "later": on_record(open_file(by=caseworker, unit=tree.jiangan, name="远期户"),
                           due_in_days=200),
        "stale": on_record(open_file(by=caseworker, unit=tree.jiangan, name="久未改户"),
                           due_in_days=200, unchanged_days=400),
    }  # fmt: skip


def test_the_queue_lists_overdue_and_soon_due_files_but_not_later_ones(caseworker_client, files):
    due, unchanged = sections(caseworker_client.get(reverse("hardship:review_queue")))
    assert "逾期户" in due and "将到户" in due
    assert "远期户" not in due and "久未改户" not in due
    assert "久未改户" in unchanged and "逾期户" not in unchanged


def test_a_draft_is_never_due_for_review(caseworker_client, caseworker, tree):
    draft = open_file(by=caseworker, unit=tree.jiangan, name="草稿户")
    HardshipFile.objects.filter(pk=draft.pk).update(
        review_due_on=timezone.localdate() - timedelta(days=5)
    )
    due, _ = sections(caseworker_client.get(reverse("hardship:review_queue")))
    assert "草稿户" not in due


def test_a_lower_unit_sees_its_own_files_only(client, files, tree):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="dazhi.cw", unit=tree.dazhi))
    due, _ = sections(client.get(reverse("hardship:review_queue")))
    assert "将到户" in due
    assert "逾期户" not in due


def test_a_sibling_branch_sees_nothing(sibling_client, files):
    page = sibling_client.get(reverse("hardship:review_queue"))
    assert page.status_code == 200
    body = page.content.decode()
    assert not any(name in body for name in ("逾期户", "将到户", "久未改户"))


def test_an_anonymous_visitor_is_sent_to_sign_in(client, files):
    page = client.get(reverse("hardship:review_queue"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse(settings.LOGIN_URL))


def test_the_queue_costs_the_same_queries_for_one_and_three_files(
    caseworker_client, caseworker, tree, django_assert_max_num_queries
):
    on_record(open_file(by=caseworker, unit=tree.jiangan, name="一户"), due_in_days=1)
    with django_assert_max_num_queries(20) as one:
        caseworker_client.get(reverse("hardship:review_queue"))
    for n in range(2):
        on_record(open_file(by=caseworker, unit=tree.jiangan, name=f"多户{n}"), due_in_days=1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        caseworker_client.get(reverse("hardship:review_queue"))
