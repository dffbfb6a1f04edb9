#!/usr/bin/env bash
# Serve the app and run a Celery worker with an embedded beat scheduler beside
# it; Ctrl-C stops both.
set -euo pipefail
python=.venv/bin/python
host_port="${WARMTH_ADDR:-127.0.0.1:8000}"

.venv/bin/celery -A config worker --beat --concurrency 2 --loglevel INFO &
worker=$!
stop() {
  trap - INT TERM EXIT
  kill -TERM "$worker" 2>/dev/null || true
  wait "$worker" 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "Warmth is at http://$host_port/ (Ctrl-C stops the server and the worker)."
$python manage.py runserver "$host_port"
