"""Building visit lists through real worker processes: killed half-way, redelivered, completed."""

import os
import signal
from datetime import timedelta

import psycopg
import pytest
from django.utils import timezone

from documents.models import GeneratedDocument
from documents.services import JobAlreadyRunning, documents_resend_pending
from documents.tasks import generate_document
from hardship.choices import FileStatus
from hardship.models import HardshipFile
from tests.factories import UnionUnitFactory, make_id_number, open_file
from tests.workers import database_url_for_other_processes, wait_for, worker_process
from visits.campaigns import campaign_create, visit_lists_request_build
from visits.models import VisitListRow

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORKER_ENV = {
    # One unit per statement, so the build has many steps to be killed between.
    "VISIT_LIST_UNITS_PER_BATCH": "1",
    # A short lease: a dead worker's job is free to claim again within seconds. The
    # broker hands back the unacknowledged message itself only after its visibility
    # timeout, and kombu's Redis transport looks for such messages about every
    # 100 s: the re-send of jobs whose lease expired is what makes redelivery prompt.
    "DOCUMENT_JOB_LEASE_SECONDS": "3",
    "CELERY_TASK_TIME_LIMIT": "10",
    "CELERY_VISIBILITY_TIMEOUT": "12",
}


@pytest.fixture
def campaign_with_six_communities(tree, caseworker, approver, standards):
    communities = [
        UnionUnitFactory(name=f"社区{n}", code=f"DZ-{n}", level=6, parent=tree.dazhi)
        for n in range(6)
    ]
    files = []
    for n, unit in enumerate(communities):
        for k in range(2):
            file = open_file(
                by=caseworker,
                unit=unit,
                name=f"户{n}{k}",
                id_number=make_id_number(sequence=4000 + 20 * n + 2 * k + 1),
            )
            HardshipFile.objects.filter(pk=file.pk).update(
                status=FileStatus.ON_FILE, category="relative"
            )
            files.append(file)
    today = timezone.localdate()
    campaign = campaign_create(
        by=approver,
        season="winter",
        year=today.year,
        name="冬送温暖",
        starts_on=today,
        ends_on=today + timedelta(days=30),
        organiser=tree.wuhan,
    )
    return campaign, files


def test_a_build_killed_half_way_is_redelivered_and_completes_without_duplicates(
    campaign_with_six_communities,
    approver,
    tmp_path,
    django_capture_on_commit_callbacks,
    own_default_queue,
):
    campaign, files = campaign_with_six_communities
    env = {"DATABASE_URL": database_url_for_other_processes(), **WORKER_ENV}
    # Hold a row lock on a file of the fourth community: the build blocks there,
    # with three communities written, until this connection lets go.
    blocker = psycopg.connect(database_url_for_other_processes())
    blocker.execute("SELECT id FROM hardship_hardshipfile WHERE id = %s FOR UPDATE", [files[6].pk])

    with worker_process(
        env=env, log_path=tmp_path / "first.log", queue=own_default_queue
    ) as worker:
        with django_capture_on_commit_callbacks(execute=True):
            document = visit_lists_request_build(campaign=campaign, by=approver)
        wait_for(
            lambda: GeneratedDocument.objects.filter(pk=document.pk, progress_done=3).exists(),
            timeout=60,
            what="three communities written",
        )
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait()
    blocker.rollback()
    blocker.close()
    # Whole communities only: three, or four when the blocked batch's commit was
    # already on its way to the server when its worker died.
    assert VisitListRow.objects.filter(campaign=campaign).count() in (6, 8)

    with worker_process(env=env, log_path=tmp_path / "second.log", queue=own_default_queue):
        # What the periodic re-send does: once the dead worker's lease expires, send the job again.
        wait_for(
            documents_resend_pending, timeout=30, what="the lease of the dead worker to expire"
        )
        wait_for(
            lambda: GeneratedDocument.objects.filter(pk=document.pk, status="done").exists(),
            timeout=60,
            what="the redelivered build to finish",
        )

    document.refresh_from_db()
    assert document.attempts == 2
    rows = VisitListRow.objects.filter(campaign=campaign)
    assert rows.count() == 12
    assert rows.values("file").distinct().count() == 12


def test_a_duplicated_message_is_refused_by_a_second_worker_while_the_first_runs_the_job(
    campaign_with_six_communities,
    approver,
    tmp_path,
    django_capture_on_commit_callbacks,
    own_default_queue,
):
    campaign, files = campaign_with_six_communities
    env = {
        "DATABASE_URL": database_url_for_other_processes(),
        "VISIT_LIST_UNITS_PER_BATCH": "1",
        "DOCUMENT_JOB_LEASE_SECONDS": "3",
    }
    blocker = psycopg.connect(database_url_for_other_processes())
    blocker.execute("SELECT id FROM hardship_hardshipfile WHERE id = %s FOR UPDATE", [files[6].pk])
    with (
        worker_process(env=env, log_path=tmp_path / "one.log", queue=own_default_queue),
        worker_process(env=env, log_path=tmp_path / "two.log", queue=own_default_queue),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            document = visit_lists_request_build(campaign=campaign, by=approver)
        wait_for(
            lambda: GeneratedDocument.objects.filter(pk=document.pk, progress_done=3).exists(),
            timeout=60,
            what="three communities written",
        )
        # The same job's message again (a re-send, a redelivery): the worker not busy with it
        # takes it, and must leave the running job alone.
        duplicate = generate_document.apply_async(args=[document.pk], queue=own_default_queue)
        assert duplicate.get(timeout=60) == "nothing to do"
        blocker.rollback()
        blocker.close()
        wait_for(
            lambda: GeneratedDocument.objects.filter(pk=document.pk, status="done").exists(),
            timeout=60,
            what="the build to finish",
        )

    document.refresh_from_db()
    assert document.attempts == 1
    rows = VisitListRow.objects.filter(campaign=campaign)
    assert rows.count() == 12
    assert rows.values("file").distinct().count() == 12


def test_a_second_build_of_the_same_lists_is_told_one_is_running(
    campaign_with_six_communities, approver
):
    campaign, _files = campaign_with_six_communities
    first = visit_lists_request_build(campaign=campaign, by=approver)

    with pytest.raises(JobAlreadyRunning) as refused:
        visit_lists_request_build(campaign=campaign, by=approver)

    assert refused.value.running == first
