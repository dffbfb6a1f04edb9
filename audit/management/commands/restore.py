"""manage.py restore BACKUP --identity-file KEY: into an empty database and storage, then check
the ledger."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from audit.backup import BackupRefused, backup_restore, connection_settings_for


class Command(BaseCommand):
    help = "Restore an encrypted backup into an empty database and storage, then run check_ledger."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument(
            "--identity-file",
            type=Path,
            required=True,
            help="The age secret key (AGE-SECRET-KEY-1…).",
        )
        parser.add_argument(
            "--database-url", help="Restore into this database instead of DATABASE_URL's."
        )

    def handle(self, *args, backup: Path, identity_file: Path, database_url: str | None, **options):
        try:
            summary = backup_restore(
                backup=backup,
                identity=identity_file.read_text(),
                database=connection_settings_for(database_url),
            )
        except BackupRefused as refused:
            raise CommandError(f"Nothing restored: {refused}.") from refused
        self.stdout.write(f"Restored the database and {summary.files} stored files.")
        if database_url:
            # The ledger of the database just restored, not of this process's own.
            checked = subprocess.run(  # noqa: S603 - this project's manage.py, no shell
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check_ledger"],
                env=os.environ | {"DATABASE_URL": database_url},
                check=False,
            )
            if checked.returncode:
                raise CommandError("The restored ledger does not balance (check_ledger).")
        else:
            call_command("check_ledger")
