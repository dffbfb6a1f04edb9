# Two commands for a new machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/warmth
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Test processes run side by side (pytest-xdist); each has its own database and Redis database.
PYTEST_WORKERS ?= 2

# Production-shaped values for `check --deploy`: nothing here is a real secret.
# The test target exports http-friendly values; this puts production's back.
DEPLOY_ENV := DEBUG=0 SECRET_KEY=deploy-check-$$(head -c 48 /dev/urandom | base64 | tr -d '/+=') \
	ALLOWED_HOSTS=warmth.example.org DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	SECURE_SSL_REDIRECT=1 SESSION_COOKIE_SECURE=1 CSRF_COOKIE_SECURE=1 STATIC_MANIFEST=1 DEMO_DATA=0

.PHONY: lock run test setup system-packages system-packages-test lint format migrate messages bench clean

# Exactly the versions and files in the lock (requirements/dev.txt), checked by their hashes,
# so every machine runs what the tests ran. pyproject.toml declares the ranges; `make lock`
# turns them into the lock files.
$(STAMP): requirements/dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Warmth needs Python 3.11 or newer.")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# The pip a venv is born with may be older than 23.3, which refuses a hash-checked lock whose
	# packages ask for extras (weasyprint's fonttools[woff]); the installer itself is not locked.
	$(PY) -m pip install --quiet --upgrade 'pip>=24'
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	touch $(STAMP)

setup: $(STAMP)

system-packages:
	@scripts/system_packages.sh run

system-packages-test:
	@scripts/system_packages.sh test

## make run: the app with demo data on an embedded PostgreSQL under var/ and the filesystem
## broker, or on your PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set.
## make run COUNTY=1: also a county at real size (5,000 households; seed_demo --county).
run: export DEBUG ?= 1
run: export COUNTY ?=
# The demo is small: keep the figures of its province and city branches precomputed, as a
# large installation keeps its big branches (reports/tallies.py), so the demo shows that path.
run: export TALLY_MIN_FILES ?= 100
run: $(STAMP) system-packages
	@scripts/run_dev.sh

## make test: lint, migrations, deploy checks and every test, on real PostgreSQL and Redis.
test: export DATABASE_URL = $(TEST_DATABASE_URL)
test: export REDIS_URL = $(TEST_REDIS_URL)
test: export DEBUG = 0
test: export SECRET_KEY = test-only-key-not-for-production-6c1f0a8e9b2d4f7a
test: export ALLOWED_HOSTS = localhost,127.0.0.1,testserver
test: export SECURE_SSL_REDIRECT = 0
test: export SESSION_COOKIE_SECURE = 0
test: export CSRF_COOKIE_SECURE = 0
test: export STATIC_MANIFEST = 0
test: export FIELD_ENCRYPTION_KEYS = nfRcmPKeKwgjVFN0wRHoM56TdZoIoJLlkeum6F6txOQ=
test: export ID_HASH_KEY = test-only-id-hash-key-not-for-production-3b9e1d
# The tests load demo and generated data (the demo app, development only).
test: export DEMO_DATA = 1
test: $(STAMP) system-packages-test
	@scripts/check_services.sh "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) manage.py collectstatic --no-input -v0
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make messages: extract UI strings into locale/zh_Hans/LC_MESSAGES/django.po (the source
## of truth for the Chinese: translate there, in any .po editor), then compile it.
messages: $(STAMP)
	DEBUG=1 $(PY) manage.py makemessages --locale zh_Hans --no-obsolete \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=1 $(PY) manage.py compilemessages --locale zh_Hans --ignore '.venv/*'

## make lock: resolve pyproject.toml's ranges afresh into requirements/base.txt (production,
## the Dockerfile) and requirements/dev.txt (make run, make test), with every file's hash.
## Upgrade one package: make lock UV_ARGS="--upgrade-package django"; all: UV_ARGS=--upgrade.
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet $(UV_ARGS)
lock: $(STAMP)
	$(UV_COMPILE) -o requirements/base.txt
	$(UV_COMPILE) --extra dev -o requirements/dev.txt

## make bench: the benchmarks under bench/, on PostgreSQL (BENCH_DATABASE_URL).
bench: $(STAMP)
	$(PY) bench/units.py
	$(PY) bench/files.py
	$(PY) bench/import_files.py
	$(PY) bench/visit_lists.py
	$(PY) bench/pdf.py
	$(PY) bench/ledger.py
	$(PY) bench/batches.py
	$(PY) bench/campaign.py
	$(PY) bench/campaign.py --size province
	$(PY) bench/dashboard.py
	$(PY) bench/reports.py
	$(PY) bench/emails.py
	$(PY) bench/load.py

clean:
	rm -rf var .pytest_cache
