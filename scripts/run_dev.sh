#!/usr/bin/env bash
# `make run`: the app with demo data, a Celery worker with an embedded beat beside it.
# Without DATABASE_URL it starts an embedded PostgreSQL under var/postgres/ (and stops it
# again with the app); without REDIS_URL the worker uses kombu's filesystem broker under
# var/celery/. Ctrl-C stops everything. COUNTY=1 also loads the county at real size
# (seed_demo --county, once; about half a minute).
set -euo pipefail
python=.venv/bin/python
host_port="${WARMTH_ADDR:-127.0.0.1:8000}"

embedded=0
if [ -z "${DATABASE_URL:-}" ]; then
  echo "Starting the embedded PostgreSQL in var/postgres/ (DATABASE_URL is not set)."
  DATABASE_URL="$($python scripts/embedded_database.py start)"
  export DATABASE_URL
  embedded=1
fi

worker=""
stop() {
  trap - INT TERM EXIT
  if [ -n "$worker" ]; then
    kill -TERM "$worker" 2>/dev/null || true
    wait "$worker" 2>/dev/null || true
  fi
  if [ "$embedded" = 1 ]; then
    echo "Stopping the embedded PostgreSQL."
    $python scripts/embedded_database.py stop || true
  fi
}
trap stop INT TERM EXIT

$python manage.py migrate --no-input
if [ -n "${COUNTY:-}" ] && [ "${COUNTY}" != 0 ]; then
  $python manage.py seed_demo --county
else
  $python manage.py seed_demo
fi

.venv/bin/celery -A config worker --beat --concurrency 2 --loglevel INFO &
worker=$!

echo "Warmth is at http://$host_port/ (Ctrl-C stops the server, the worker and the database)."
$python manage.py runserver "$host_port"
