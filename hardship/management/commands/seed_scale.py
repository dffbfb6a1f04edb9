"""Build a large data set fast, for benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from hardship.models import UnionUnit
from hardship.scale import seed_province
from hardship.services import union_unit_create


class Command(BaseCommand):
    help = "Add a generated province of --units union units (bulk COPY on PostgreSQL)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--units", type=int, required=True, help="Units in the province, itself included."
        )
        parser.add_argument(
            "--prefix", default="", help="Code prefix; defaults to one not yet used."
        )

    def handle(self, *args, units: int, prefix: str, **options) -> None:
        if units < 1:
            raise CommandError("--units must be at least 1.")
        prefix = prefix or f"S{UnionUnit.objects.count() + 1}"
        if UnionUnit.objects.filter(code__startswith=f"{prefix}-").exists():
            raise CommandError(
                f"Units with the prefix {prefix} exist already; pick another --prefix."
            )
        root = UnionUnit.objects.filter(level=UnionUnit.Level.NATIONAL).order_by("pk").first()
        if root is None:
            root = union_unit_create(
                name="中华全国总工会", code="ACFTU", level=UnionUnit.Level.NATIONAL, parent=None
            )
        province = seed_province(units=units, prefix=prefix, parent=root)
        self.stdout.write(
            f"Created {units} units under {province.name} (id {province.pk}, path {province.path})."
        )
