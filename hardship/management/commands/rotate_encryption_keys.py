"""Re-encrypt personal identifiers under the newest key and re-hash them."""

from django.core.management.base import BaseCommand

from common.crypto import clear_key_cache
from hardship.services import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every ID number and bank account with the first key of FIELD_ENCRYPTION_KEYS "
        "and recompute ID hashes with ID_HASH_KEY. Safe to run again; old keys may be removed after."
    )

    def handle(self, *args, **options) -> None:
        clear_key_cache()
        for table, count in encryption_keys_rotate().items():
            self.stdout.write(f"{table}: {count} rows")
