"""Writes of the audit: the record that someone read it."""

from audit.models import AuditReading
from people.models import User


def audit_reading_record(
    *, user: User, section: str, filters: dict, exported_rows: int | None = None
) -> AuditReading:
    """Record that ``user`` read (or exported ``exported_rows`` rows of) ``section``.

    Side effects: one AuditReading row, shown in the audit's own part.
    """
    return AuditReading.objects.create(
        user=user, section=section, filters=filters, exported_rows=exported_rows
    )
