#!/usr/bin/env bash
# Tell plainly whether the PostgreSQL and Redis that the tests need answer.
set -uo pipefail
database_url="$1"
redis_url="$2"
failed=0
if ! .venv/bin/python - "$database_url" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"
psycopg.connect(url, connect_timeout=3).close()
PY
then
  echo "PostgreSQL is not reachable at $database_url." >&2
  echo "  Start it:  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  echo "  or point TEST_DATABASE_URL at a server where the user may create databases." >&2
  failed=1
fi
if ! .venv/bin/python - "$redis_url" <<'PY' 2>/dev/null
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()
PY
then
  echo "Redis is not reachable at $redis_url." >&2
  echo "  Start it:  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no" >&2
  echo "  or point TEST_REDIS_URL at another server." >&2
  failed=1
fi
exit $failed
