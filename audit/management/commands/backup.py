"""manage.py backup: one consistent, encrypted backup of the database and every stored file."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.backup import BackupRefused, backup_write


class Command(BaseCommand):
    help = "Write an encrypted backup (database, stored files, manifest) into BACKUP_DIR."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Folder to write into (BACKUP_DIR).")
        parser.add_argument(
            "--recipient", action="append", help="An age public key (BACKUP_RECIPIENTS)."
        )

    def handle(self, *args, output: Path | None, recipient: list[str] | None, **options):
        try:
            summary = backup_write(
                folder=output or settings.BACKUP_DIR,
                recipients=recipient or settings.BACKUP_RECIPIENTS,
            )
        except BackupRefused as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(
            f"{summary.path}: the database and {summary.files} stored files, "
            f"{summary.bytes / 2**20:.1f} MB encrypted."
        )
