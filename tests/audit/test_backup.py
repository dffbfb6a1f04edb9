"""A backup of a populated installation restores into a fresh database and storage, whole."""

import tarfile
from decimal import Decimal
from pathlib import Path

import psycopg
import pyrage
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from audit.backup import backup_write, stored_names
from common.crypto import decrypt
from funds.choices import FundKind, ReceiptSource
from funds.services import fund_create, receipt_record
from hardship.attachments import attachment_add
from tests.factories import UserFactory, make_id_number, open_file
from tests.hardship.test_attachments import image_bytes, upload

TABLES = [
    "hardship_hardshipfile",
    "hardship_householdmember",
    "hardship_attachment",
    "funds_entry",
    "funds_ledgertransaction",
    "people_user",
]


@pytest.fixture
def key():
    return pyrage.x25519.Identity.generate()


@pytest.fixture
def populated(tree, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    caseworker = UserFactory(username="wuhan.cw", unit=tree.wuhan)
    approver = UserFactory(username="wuhan.ap", unit=tree.wuhan, is_approver=True)
    files = [
        open_file(by=caseworker, id_number=make_id_number(sequence=n * 2 + 101)) for n in range(3)
    ]
    attachment_add(
        file=files[0], by=caseworker, upload=upload("低保证.png", image_bytes("PNG")), kind="income"
    )
    fund = fund_create(unit=tree.wuhan, name="送温暖基金", kind=FundKind.WARMTH, by=approver)
    receipt_record(
        fund=fund,
        amount=Decimal("50000"),
        source=ReceiptSource.GOVERNMENT,
        received_on=timezone.localdate(),
        by=approver,
    )
    return files


@pytest.fixture
def fresh_database():
    """An empty database beside the test's, dropped afterwards."""
    own = connection.settings_dict
    name = f"{own['NAME']}_restored"
    admin = f"postgresql://{own['USER']}@{own['HOST']}:{own['PORT']}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{own['USER']}@{own['HOST']}:{own['PORT']}/{name}"
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def figures(url_or_conn) -> dict:
    with psycopg.connect(url_or_conn) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608
        balances = conn.execute(
            "SELECT account_id, SUM(amount) FROM funds_entry GROUP BY account_id ORDER BY 1"
        ).fetchall()
        ciphertexts = dict(
            conn.execute("SELECT id, id_number FROM hardship_hardshipfile ORDER BY id").fetchall()
        )
    return {"counts": counts, "balances": balances, "ciphertexts": ciphertexts}


def own_url() -> str:
    own = connection.settings_dict
    return f"postgresql://{own['USER']}@{own['HOST']}:{own['PORT']}/{own['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_and_storage(
    populated, key, fresh_database, tmp_path, settings
):
    before = figures(own_url())
    files_before = {
        name: (Path(settings.MEDIA_ROOT) / name).read_bytes()
        for name in stored_names(default_storage)
    }

    call_command(
        "backup", "--output", str(tmp_path / "backups"), "--recipient", str(key.to_public())
    )
    [backup] = (tmp_path / "backups").glob("warmth-*.tar.age")
    identity = tmp_path / "key.txt"
    identity.write_text(str(key))
    settings.MEDIA_ROOT = tmp_path / "restored-media"
    call_command(
        "restore", str(backup), "--identity-file", str(identity), "--database-url", fresh_database
    )

    after = figures(fresh_database)
    assert after["counts"] == before["counts"]
    assert after["balances"] == before["balances"]
    # The same ciphertext, and with this installation's keys it reads as the same ID numbers.
    assert after["ciphertexts"] == before["ciphertexts"]
    assert {decrypt(c) for c in after["ciphertexts"].values()} == {f.id_number for f in populated}
    restored = Path(settings.MEDIA_ROOT)
    assert {n: (restored / n).read_bytes() for n in files_before} == files_before


@pytest.mark.django_db(transaction=True)
def test_the_backup_cannot_be_read_without_the_key_and_holds_no_keys(populated, key, tmp_path):
    summary = backup_write(folder=tmp_path, recipients=[str(key.to_public())])
    raw = summary.path.read_bytes()

    assert raw.startswith(b"age-encryption.org/v1")
    with pytest.raises(tarfile.ReadError), tarfile.open(summary.path):
        pass
    plain = pyrage.decrypt(raw, [key])
    for secret in (*settings.FIELD_ENCRYPTION_KEYS, settings.ID_HASH_KEY, settings.SECRET_KEY):
        assert secret.encode() not in plain


@pytest.mark.django_db(transaction=True)
def test_a_tampered_backup_is_refused_and_nothing_is_restored(
    populated, key, fresh_database, tmp_path, settings
):
    summary = backup_write(folder=tmp_path, recipients=[str(key.to_public())])
    plain = tmp_path / "plain.tar"
    plain.write_bytes(pyrage.decrypt(summary.path.read_bytes(), [key]))
    with tarfile.open(plain, "a") as tar:
        tar.add(Path(__file__), arcname="files/intruder.py")
    summary.path.write_bytes(pyrage.encrypt(plain.read_bytes(), [key.to_public()]))
    identity = tmp_path / "key.txt"
    identity.write_text(str(key))
    settings.MEDIA_ROOT = tmp_path / "restored-media"

    with pytest.raises(CommandError, match=r"checksums do not match for: files/intruder\.py"):
        call_command(
            "restore", str(summary.path), "--identity-file", str(identity),
            "--database-url", fresh_database,
        )  # fmt: skip

    with psycopg.connect(fresh_database) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert tables == 0
    assert not (tmp_path / "restored-media").exists()


@pytest.mark.django_db(transaction=True)
def test_a_database_that_is_not_empty_is_refused(populated, key, tmp_path):
    summary = backup_write(folder=tmp_path, recipients=[str(key.to_public())])
    identity = tmp_path / "key.txt"
    identity.write_text(str(key))

    with pytest.raises(CommandError, match="is not empty"):
        call_command("restore", str(summary.path), "--identity-file", str(identity))
