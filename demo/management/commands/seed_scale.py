"""Build a large data set fast, for benchmarks."""

import os

from django.core.management.base import BaseCommand, CommandError

from demo.scale.files import analyze_tables, seed_files, seed_province
from people.models import UnionUnit
from people.services import union_unit_create


class Command(BaseCommand):
    help = (
        "Add a generated province of --units union units and, with --files, that many "
        "hardship files with household members spread over its township and grassroots "
        "units (bulk COPY). With --files but no "
        "--units, files go to the existing province of --prefix. Generated files get no "
        "history: the tables' user triggers (django-pghistory's history triggers and the "
        "delete guard) are disabled during the load and enabled again before it commits, "
        "and the tables stay locked until then. A load at least as large as the table drops "
        "its plain indexes and builds them again at the end. Benchmark data only: ID numbers "
        "are valid and unique within one run, not checked against files already in the "
        "database. With --ledger-entries, funds over the province's units (or, without --units "
        "and --prefix, over every unit present) and about that many ledger entries of three "
        "years of receipts, allocations down and payments (demo/scale/ledger.py)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--units", type=int, help="Units in the province, itself included.")
        parser.add_argument(
            "--prefix", default="", help="Code prefix; defaults to one not yet used."
        )
        parser.add_argument(
            "--files", type=int, default=0, help="Hardship files to generate in the province."
        )
        parser.add_argument(
            "--members-per-file",
            type=float,
            default=2.0,
            help="Average household members besides the worker (default 2).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="Processes generating and encrypting rows (PostgreSQL; default: up to 2).",
        )
        parser.add_argument(
            "--ledger-entries",
            type=int,
            default=0,
            help="Aid-ledger entries to generate over the province's funds (e.g. 10000000).",
        )
        parser.add_argument(
            "--seed", default="warmth", help="Random seed for the people and numbers generated."
        )

    def handle(
        self,
        *args,
        units: int | None,
        prefix: str,
        files: int,
        members_per_file: float,
        processes: int,
        ledger_entries: int,
        seed: str,
        **options,
    ) -> None:
        if units is None and not files and not ledger_entries:
            raise CommandError("Give --units, --files, --ledger-entries, or several.")
        if ledger_entries < 0:
            raise CommandError("--ledger-entries must not be negative.")
        if units is None and not prefix and not files:
            self._seed_ledger(UnionUnit.objects.order_by("level", "pk"), ledger_entries, seed)
            return
        if units is not None and units < 1:
            raise CommandError("--units must be at least 1.")
        if files < 0 or not 0 <= members_per_file <= 6:
            raise CommandError("--files must not be negative; --members-per-file is 0 to 6.")
        if units is None:
            province = self._existing_province(prefix)
        else:
            province = self._new_province(units, prefix)
            prefix = province.code.rsplit("-", 1)[0]
        if files:
            self.stdout.write(f"Generating {files:,} files in {province.name}…")
            result = seed_files(
                province=province,
                files=files,
                prefix=prefix,
                members_per_file=members_per_file,
                processes=max(1, processes),
                seed=seed,
                progress=self._progress(files),
                log=self.stdout.write,
            )
            self.stdout.write(
                f"Created {result.files:,} files and {result.members:,} members in "
                f"{result.seconds:.1f} s ({result.files / max(result.seconds, 1e-9):,.0f} files/s); "
                f"entered by {result.caseworker.username}."
            )
        analyze_tables()
        if ledger_entries:
            branch = UnionUnit.objects.filter(path__startswith=province.path)
            self._seed_ledger(branch.order_by("level", "pk"), ledger_entries, seed)

    def _seed_ledger(self, units, entries: int, seed: str) -> None:
        # Funds build on hardship; the import stays here so that the command's other
        # options work without them.
        from demo.scale.ledger import analyze_ledger, seed_ledger

        units = list(units)
        self.stdout.write(f"Generating {entries:,} ledger entries over {len(units):,} units…")
        result = seed_ledger(
            units=units,
            entries=entries,
            seed=seed,
            progress=lambda done, seconds: self.stdout.write(
                f"  {done:>12,} / {entries:,} entries, {seconds:6.1f} s"
            ),
        )
        analyze_ledger()
        self.stdout.write(
            f"Created {result.funds:,} funds, {result.accounts:,} accounts, "
            f"{result.transactions:,} transactions and {result.entries:,} entries in "
            f"{result.seconds:.1f} s "
            f"({(result.transactions + result.entries) / max(result.seconds, 1e-9):,.0f} rows/s)."
        )

    def _new_province(self, units: int, prefix: str) -> UnionUnit:
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
        return province

    def _existing_province(self, prefix: str) -> UnionUnit:
        province = (
            UnionUnit.objects.filter(code__startswith=f"{prefix}-", level=UnionUnit.Level.PROVINCE)
            .order_by("pk")
            .first()
            if prefix
            else None
        )
        if province is None:
            raise CommandError("Without --units, --prefix must name a generated province.")
        return province

    def _progress(self, total: int):
        step = max(1, total // 20)
        reported = [0]

        def report(done: int, _total: int, members: int, seconds: float) -> None:
            if done - reported[0] >= step or done == total:
                reported[0] = done
                self.stdout.write(
                    f"  {done:>10,} / {total:,} files, {members:,} members, {seconds:6.1f} s"
                )

        return report
