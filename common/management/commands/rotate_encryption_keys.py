"""Re-encrypt personal identifiers under the newest key and re-hash them."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from common.crypto import clear_key_cache
from common.rotation import keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS and "
        "recompute every keyed hash under ID_HASH_KEY (carrying hashes kept of values stored "
        "elsewhere over from ID_HASH_PREVIOUS_KEY). Safe to run again; old keys may be "
        "removed after."
    )

    def handle(self, *args, **options) -> None:
        clear_key_cache()
        try:
            counts = keys_rotate()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        for table, count in counts.items():
            self.stdout.write(f"{table}: {count} rows")
