# Production image for Warmth: gunicorn by default; the Celery worker and beat
# run from the same image with another command (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/app/.venv \
    PATH=/app/.venv/bin:$PATH \
    WARMTH_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media

WORKDIR /app

# The script `make system-packages` runs, so the image renders PDFs with the
# same Pango, HarfBuzz and CJK fonts as a developer's machine. It runs as root
# here, so it calls apt-get without sudo.
COPY scripts/system_packages.sh scripts/system_packages.sh
RUN scripts/system_packages.sh run \
 && rm -rf /var/lib/apt/lists/*

# A home of its own, so fontconfig and friends have somewhere writable that is
# not the code.
RUN groupadd --system --gid 10001 warmth \
 && useradd --system --uid 10001 --gid warmth --create-home --home-dir /home/warmth \
      --shell /usr/sbin/nologin warmth

# Dependencies before the source, so a code change does not reinstall them: the
# production lock (requirements/base.txt, the versions the tests ran, each file
# checked by its hash), as the Makefile installs requirements/dev.txt. The code
# runs from /app, which manage.py, gunicorn and Celery's Django fix-up put on
# sys.path; the project itself is not installed (pyproject.toml lists no packages).
COPY requirements/base.txt requirements/base.txt
RUN python -m venv .venv \
 && pip install --upgrade 'pip>=24' \
 && pip install --require-hashes -r requirements/base.txt

COPY . .

# The code stays root-owned, so a compromised process cannot rewrite it; compile
# it now because the runtime user could not write __pycache__.
# collectstatic needs settings that load with DEBUG off, but none of these values
# reach the running container. It does not touch the database, whose URL is a
# placeholder here.
RUN python -m compileall -q config common people documents hardship visits funds reports mailings manage.py \
 && DEBUG=0 \
    SECRET_KEY=build-only-placeholder-never-used-at-runtime-5d0c3e1a9f7b \
    STATIC_MANIFEST=1 \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1wbGFjZWhvbGRlci1rZXktMzJieXQ= \
    ID_HASH_KEY=build-only-placeholder-never-used-at-runtime \
    DATABASE_URL=postgres://build-only-placeholder/unused \
    python manage.py collectstatic --no-input \
 && mkdir -p var/media \
 && chown warmth:warmth var var/media

# Created and owned above: a new named volume copies this ownership, so the
# worker can write generated documents into it.
VOLUME ["/app/var/media"]

USER warmth
EXPOSE 8000

# Without curl: one request that follows no redirect. The Host header must be
# in ALLOWED_HOSTS or Django answers 400. gunicorn trusts X-Forwarded-Proto from
# 127.0.0.1 (its forwarded_allow_ips default), so SECURE_SSL_REDIRECT does not
# turn the check into a redirect to an https port nobody serves here; a 301/302
# is still accepted, as it too proves Django took the request.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import http.client, os\nhosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',')]\nhost = next((h for h in hosts if h and h != '*'), 'localhost')\nc = http.client.HTTPConnection('127.0.0.1', 8000, timeout=4)\nc.request('GET', '/health/', headers={'Host': host, 'X-Forwarded-Proto': 'https'})\nraise SystemExit(c.getresponse().status != 200)"]

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
