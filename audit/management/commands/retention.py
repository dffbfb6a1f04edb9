"""manage.py retention [--dry-run]: erase what the retention period has ended for, or list it."""

from django.core.management.base import BaseCommand

from audit.retention import retention_preview, retention_run


class Command(BaseCommand):
    help = "Erase the personal data of files that ended more than RETENTION_YEARS ago."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count and list what the next run would do."
        )

    def handle(self, *args, dry_run: bool, **options):
        if dry_run:
            for file in retention_preview():
                self.stdout.write(f"{file.file_number}  {file.unit.name}  {file.ended_on}")
        run = retention_run(dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        self.stdout.write(
            f"Files that ended before {run.cutoff}: {verb} {run.files} files, {run.members} "
            f"members, {run.visits} visits' notes, {run.attachments} attachments, {run.photos} "
            f"photos, {run.roster_scans} roster scans, {run.history_rows} history rows."
        )
