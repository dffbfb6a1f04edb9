"""Encryption at rest for national ID numbers (and other identifiers), and their keyed hash.

Values are encrypted with Fernet (AES-128-CBC plus HMAC). ``FIELD_ENCRYPTION_KEYS``
holds one or more keys, newest first: new values use the first, every key
still decrypts, and ``manage.py rotate_encryption_keys`` re-encrypts old rows
with the newest so an old key can then be dropped.

Exact-match search cannot use ciphertext, so each ID number also gets an
HMAC-SHA256 under ``ID_HASH_KEY``: the same number always hashes the same, and
without the key the hash reveals nothing (an ID number has too little entropy
for a plain hash: all 18-digit numbers of one birth day can be enumerated).
"""

import hashlib
import hmac
from functools import cache

from django.conf import settings
from django.db import models


@cache
def _fernet():
    from cryptography.fernet import Fernet, MultiFernet

    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def reencrypt(token: str) -> str:
    """The same value under the newest key (unchanged plaintext)."""
    return _fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """The search hash of an identifier: hex HMAC-SHA256 under ID_HASH_KEY."""
    return hmac.new(settings.ID_HASH_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def clear_key_cache() -> None:
    """Forget the loaded keys (after settings change, in tests and key rotation)."""
    _fernet.cache_clear()


class EncryptedCharField(models.TextField):
    """A text column holding a Fernet token; Python sees the plaintext.

    The database, its backups and every history row hold only ciphertext. It
    cannot be filtered on: search through a separate keyed-hash column.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
