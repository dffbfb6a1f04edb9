"""Fixtures of the report-email tests: people with addresses, schedules, a stand-in PDF."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailings.choices import EmailKind
from mailings.models import EmailSchedule

# A Monday (2026-11-30) in Beijing, just after the weekly digest's default 08:00.
BEIJING = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE
MONDAY_0805 = datetime(2026, 11, 30, 8, 5, tzinfo=BEIJING)
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def caseworker(caseworker):
    caseworker.email = "wuhan.cw@example.org"
    caseworker.save(update_fields=["email"])
    return caseworker


@pytest.fixture
def sibling(sibling):
    sibling.email = "hunan.cw@example.org"
    sibling.save(update_fields=["email"])
    return sibling


@pytest.fixture
def approver(approver):
    approver.email = "wuhan.ap@example.org"
    approver.save(update_fields=["email"])
    return approver


@pytest.fixture
def rendered_reports(monkeypatch):
    """The periodic report renderer replaced by a small valid PDF; records each call."""
    import reports.documents

    calls = []

    def render_periodic_report(*, unit, period, made_by_label: str) -> bytes:
        calls.append((unit.pk, period.slug))
        return SMALL_PDF

    monkeypatch.setattr(
        reports.documents, "render_periodic_report", render_periodic_report, raising=False
    )
    return calls


def set_schedule(kind: str, **fields) -> EmailSchedule:
    schedule, _ = EmailSchedule.objects.update_or_create(kind=kind, defaults=fields)
    return schedule


def only_weekly_digests():
    """Turn off every kind but the weekly digest, so a test's dispatch makes only those."""
    set_schedule(EmailKind.MONTHLY_REPORT, enabled=False)
    set_schedule(EmailKind.CAMPAIGN_PROGRESS, enabled=False)
    set_schedule(EmailKind.WEEKLY_DIGEST, enabled=True, weekday=0, hour=8, minute=0)


@pytest.fixture(autouse=True)
def _forget_recent_reports():
    """Each test starts without the reports and messages an earlier test's emails kept in this
    process."""
    from mailings.builders import forget_recent

    forget_recent()
    yield
    forget_recent()


def attachments_of(message) -> list[tuple[str, bytes, str]]:
    """Each attached file's name, content and type, however it was attached (a shared
    message attaches its files already encoded)."""
    from email.mime.base import MIMEBase

    files = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            attachment = (
                attachment.get_filename(),
                attachment.get_payload(decode=True),
                attachment.get_content_type(),
            )
        files.append(tuple(attachment))
    return files
