"""Key rotation for every encrypted column and every keyed-hash column, in every app.

The columns are found by their field classes (``EncryptedCharField``,
``HashedIdField``, common/crypto.py) across all installed models, history
models included, so a column added later is rotated without anyone listing it
here; tests/hardship/test_key_rotation.py proves no hash of an ID number
escapes that way.

Two passes:

1. Rows with encrypted columns: each token is re-encrypted under the newest key
   of ``FIELD_ENCRYPTION_KEYS``, and each hash with a ``source`` recomputed from
   its plaintext under ``ID_HASH_KEY``. While ``ID_HASH_PREVIOUS_KEY`` is set,
   each plaintext's hash under that key is noted beside its new one.
2. Hashes without a source (snapshots of a value stored elsewhere, such as a
   schooling grant's student): each is replaced through those notes, old hash
   to new.

Batches of rows are their own transactions, so a rotation can be stopped and
run again; the notes are rebuilt from the plaintexts on every run. History
triggers are ignored while rows are rewritten: the values mean what they meant.
"""

import contextlib
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from common.crypto import (
    EncryptedCharField,
    HashedIdField,
    decrypt,
    keyed_hash,
    previous_keyed_hash,
    reencrypt,
)

ROTATION_BATCH = 1_000
SAMPLE_ROWS = 100
HASH_NOTES = "key_rotation_hash_notes"


@dataclass(frozen=True)
class HashedColumn:
    """One column written through ``keyed_hash``."""

    model: type[models.Model]
    field: HashedIdField

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"


def hashed_columns() -> list[HashedColumn]:
    """Every keyed-hash column of every installed model (history models included)."""
    return [
        HashedColumn(model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, HashedIdField)
    ]


def _encrypted(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedCharField)]


def _sourced(model: type[models.Model]) -> list[HashedIdField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, HashedIdField) and f.source]


def keys_rotate() -> dict[str, int]:
    """Rotate every encrypted and keyed-hash column; return the rows rewritten per table.

    Raises ImproperlyConfigured, writing nothing, when stored hashes are under a key
    that is neither ``ID_HASH_KEY`` nor ``ID_HASH_PREVIOUS_KEY``: the snapshots could
    not be carried over then.
    """
    _refuse_unknown_hash_key()
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {HASH_NOTES} "
            "(old_hash varchar(64) PRIMARY KEY, new_hash varchar(64) NOT NULL)"
        )
    try:
        for model in apps.get_models():
            if _encrypted(model):
                counts[model._meta.db_table] = _rewrite_rows(model)
        for column in hashed_columns():
            if not column.field.source:
                counts[f"{column.model._meta.db_table}.{column.field.column}"] = _carry_over(column)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {HASH_NOTES}")
    return counts


def _refuse_unknown_hash_key() -> None:
    for model in apps.get_models():
        for field in _sourced(model):
            source = model._meta.get_field(field.source)
            rows = (
                model._base_manager.exclude(**{field.source: ""})
                .exclude(**{field.name: ""})
                .order_by("pk")
                .values_list(source.attname, field.attname)[:SAMPLE_ROWS]
            )
            for plaintext, stored in rows:
                if stored not in (keyed_hash(plaintext), previous_keyed_hash(plaintext)):
                    raise ImproperlyConfigured(
                        "ID numbers are hashed under a key that is neither ID_HASH_KEY nor "
                        "ID_HASH_PREVIOUS_KEY. Set ID_HASH_PREVIOUS_KEY to the key used until "
                        "now and run the rotation again."
                    )


def _triggers_ignored(model: type[models.Model]):
    """Ignore the triggers on ``model``'s table (its history): the values mean what they meant."""
    import pgtrigger

    uris = [
        f"{registered._meta.label}:{trigger.name}"
        for registered, trigger in pgtrigger.registered()
        if registered._meta.db_table == model._meta.db_table
    ]
    # pgtrigger.ignore() without a name would ignore every trigger of the database.
    return pgtrigger.ignore(*uris) if uris else contextlib.nullcontext()


def _rewrite_rows(model: type[models.Model]) -> int:
    table = model._meta.db_table
    encrypted = _encrypted(model)
    sourced = _sourced(model)
    columns = [f.column for f in encrypted]
    source_index = {f.name: i for i, f in enumerate(encrypted)}
    key_column = model._meta.pk.column
    done, last = 0, None
    while True:
        with transaction.atomic(), _triggers_ignored(model), connection.cursor() as cursor:
            where = f"WHERE {key_column} > %s " if last is not None else ""
            cursor.execute(
                f"SELECT {key_column}, {', '.join(columns)} FROM {table} {where}"  # noqa: S608 - model metadata
                f"ORDER BY {key_column} LIMIT %s",
                ([last] if last is not None else []) + [ROTATION_BATCH],
            )
            rows = cursor.fetchall()
            notes = []
            for pk, *tokens in rows:
                assignments = {
                    c: reencrypt(t) if t else t for c, t in zip(columns, tokens, strict=True)
                }
                for field in sourced:
                    token = tokens[source_index[field.source]]
                    plaintext = decrypt(token) if token else ""
                    assignments[field.column] = keyed_hash(plaintext) if plaintext else ""
                    previous = previous_keyed_hash(plaintext) if plaintext else None
                    if previous:
                        notes.append((previous, assignments[field.column]))
                cursor.execute(
                    f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in assignments)} "  # noqa: S608
                    f"WHERE {key_column} = %s",
                    [*assignments.values(), pk],
                )
            if notes:
                cursor.execute(
                    f"INSERT INTO {HASH_NOTES} (old_hash, new_hash) "  # noqa: S608
                    "SELECT * FROM unnest(%s::varchar[], %s::varchar[]) ON CONFLICT DO NOTHING",
                    [[old for old, _new in notes], [new for _old, new in notes]],
                )
        if not rows:
            return done
        done += len(rows)
        last = rows[-1][0]


def _carry_over(column: HashedColumn) -> int:
    table, name = column.model._meta.db_table, column.field.column
    with transaction.atomic(), _triggers_ignored(column.model), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {name} = notes.new_hash FROM {HASH_NOTES} notes "  # noqa: S608
            f"WHERE {table}.{name} = notes.old_hash"
        )
        return cursor.rowcount
