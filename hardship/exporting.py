"""Exports of the file list to Excel (xlsx) and CSV, masked as the user's role requires."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from hardship.models import HardshipFile, IdNumberView
from people.models import User

# A web request exports at most this many files; larger sets belong in a background job.
EXPORT_LIMIT = 50_000
CHUNK = 2_000


def _columns() -> list[tuple[str, str]]:
    return [
        ("file_number", _("File number")),
        ("name", _("Name")),
        ("id_number", _("ID number")),
        ("gender", _("Gender")),
        ("birth_date", _("Birth date")),
        ("phone", _("Phone")),
        ("address", _("Home address")),
        ("unit", _("Unit")),
        ("status", _("Status")),
        ("category", _("Category")),
        ("main_cause", _("Main cause")),
        ("employment_status", _("Employment status")),
        ("model_worker_level", _("Model worker in hardship")),
        ("migrant", _("Migrant worker")),
        ("annual_income", _("Household income this year")),
        ("household_size", _("Household size")),
        ("review_due_on", _("Review due")),
    ]


def file_rows(queryset: QuerySet[HardshipFile], *, full_ids: bool) -> Iterator[list]:
    """The header, then one row per file, reading the database in chunks by primary key."""
    yield [label for _key, label in _columns()]
    last_pk = 0
    base = queryset.select_related("unit", "main_cause").order_by("pk")
    sent = 0
    while sent < EXPORT_LIMIT:
        chunk = list(base.filter(pk__gt=last_pk)[: min(CHUNK, EXPORT_LIMIT - sent)])
        if not chunk:
            return
        for file in chunk:
            yield [
                file.file_number,
                file.name,
                file.id_number if full_ids else file.masked_id_number,
                file.get_gender_display(),
                file.birth_date.isoformat(),
                file.phone,
                file.address,
                file.unit.name,
                file.get_status_display(),
                file.get_category_display(),
                str(file.main_cause),
                file.get_employment_status_display(),
                file.get_model_worker_level_display(),
                _("Yes") if file.is_migrant_worker else _("No"),
                file.annual_income,
                file.household_size,
                file.review_due_on.isoformat() if file.review_due_on else "",
            ]
        last_pk = chunk[-1].pk
        sent += len(chunk)


def record_full_id_export(*, queryset: QuerySet[HardshipFile], by: User) -> None:
    """Record that ``by`` saw the full ID number of every exported file."""
    ids = queryset.order_by("pk").values_list("pk", flat=True)[:EXPORT_LIMIT]
    IdNumberView.objects.bulk_create(
        [IdNumberView(user=by, file_id=pk, purpose=IdNumberView.Purpose.EXPORT) for pk in ids],
        batch_size=2_000,
    )
