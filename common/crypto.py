"""Encryption at rest for national ID numbers (and other identifiers), and their keyed hash.

Values are encrypted with Fernet (AES-128-CBC plus HMAC). ``FIELD_ENCRYPTION_KEYS``
holds one or more keys, newest first: new values use the first, every key
still decrypts, and ``manage.py rotate_encryption_keys`` re-encrypts old rows
with the newest so an old key can then be dropped.

Exact-match search cannot use ciphertext, so each ID number also gets an
HMAC-SHA256 under ``ID_HASH_KEY``: the same number always hashes the same, and
without the key the hash reveals nothing (an ID number has too little entropy
for a plain hash: all 18-digit numbers of one birth day can be enumerated).
Every column holding such a hash is a ``HashedIdField``: that is how key
rotation (common/rotation.py) finds them all. While ``ID_HASH_KEY`` is being
rotated, ``ID_HASH_PREVIOUS_KEY`` holds the key used until then, and lookups
match a hash under either (``keyed_hashes``).
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
    return _hmac(settings.ID_HASH_KEY, value)


def previous_keyed_hash(value: str) -> str | None:
    """The hash under ``ID_HASH_PREVIOUS_KEY``, while a rotation is under way; else None."""
    previous = getattr(settings, "ID_HASH_PREVIOUS_KEY", "")
    return _hmac(previous, value) if previous else None


def keyed_hashes(value: str) -> list[str]:
    """Every hash ``value`` may be stored under now: the current key's, and the previous
    key's while a rotation is under way (rows not yet rewritten still hold it)."""
    hashes = [keyed_hash(value)]
    previous = previous_keyed_hash(value)
    if previous and previous != hashes[0]:
        hashes.append(previous)
    return hashes


def _hmac(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


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


class HashedIdField(models.CharField):
    """A column holding ``keyed_hash`` of an identifier: hex, 64 characters.

    ``source`` names the EncryptedCharField of the same row whose value it hashes; a
    hash kept of a value stored elsewhere (a snapshot, such as the student's on a
    schooling grant) has none, and rotation maps it from the old key's hash to the
    new one's through every identifier it knows. Write these columns only through
    ``keyed_hash``: rotation finds every one by this class.
    """

    def __init__(self, *args, source: str = "", **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        self.source = source
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.source:
            kwargs["source"] = self.source
        return name, path, args, kwargs
