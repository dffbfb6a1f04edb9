"""Recent changes of reference data, read from its history rows (django-pghistory).

A page that lets people keep reference data (a 低保 standard, a schooling grant) shows who
changed what lately, old → new, from the rows the database triggers wrote; the request's
user is in each row's context (pghistory's middleware, or the service's ``pghistory.context``).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _


@dataclass
class Change:
    at: datetime
    person: str
    what: str
    subject: str
    details: list[str] = field(default_factory=list)


def recent_changes(
    events: QuerySet, *, fields: list[str], subject, limit: int = 20
) -> list[Change]:
    """The newest ``limit`` of ``events`` (an event model's queryset), each with the values of
    ``fields`` it changed from the event of the same record before it; ``subject(event)``
    names the record. Three queries whatever ``limit``."""
    rows = list(events.select_related("pgh_context").order_by("-pgh_id")[:limit])
    if not rows:
        return []
    model: type[Model] = events.model
    earlier: dict[int, list] = {}
    for event in model.objects.filter(pgh_obj_id__in={e.pgh_obj_id for e in rows}).order_by(
        "-pgh_id"
    ):
        earlier.setdefault(event.pgh_obj_id, []).append(event)
    who = {e.pk: e.pgh_context.metadata.get("user") for e in rows if e.pgh_context_id is not None}
    people = get_user_model().objects.in_bulk({pk for pk in who.values() if pk})
    changes = []
    for event in rows:
        before = next((e for e in earlier[event.pgh_obj_id] if e.pgh_id < event.pgh_id), None)
        person = people.get(who.get(event.pk))
        details = []
        for name in fields:
            verbose = str(model._meta.get_field(name).verbose_name)
            new = _shown(event, name)
            if event.pgh_label == "delete" or before is None:
                details.append(f"{verbose}: {new}")
            elif getattr(before, name) != getattr(event, name):
                details.append(
                    _("%(field)s: %(old)s → %(new)s")
                    % {"field": verbose, "old": _shown(before, name), "new": new}
                )
        what = {"insert": _("Added"), "update": _("Changed"), "delete": _("Removed")}.get(
            event.pgh_label, event.pgh_label
        )
        changes.append(
            Change(
                at=event.pgh_created_at,
                person=(person.get_full_name() or person.username)
                if person
                else _("(no one signed in)"),
                what=what,
                subject=subject(event),
                details=details,
            )
        )
    return changes


def _shown(event, name: str) -> str:
    display = getattr(event, f"get_{name}_display", None)
    value = display() if display else getattr(event, name)
    return "" if value is None else str(value)
