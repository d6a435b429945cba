# Guichet — the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_PYTHON_DOWNLOADS := never
export PYTHONUNBUFFERED := 1
PY := .venv/bin/python
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
APPS := core portal identity notifications mandates contributions benefits payment_sandbox check_sandbox devtools

.PHONY: help install run test check lint typecheck migrations-check translations pytest test-clock stop messages bench bench-notifications bench-pages bench-bulk bench-interest bench-faults bench-rules bench-payments bench-attribution

help:
	@echo "make run    install, prepare the demo database and serve the portal on http://127.0.0.1:8000"
	@echo "make test   the whole gate: lint, import contracts, types, migrations, translations, tests"
	@echo "make test-clock  the tests with the clock a year ahead, then a year back"
	@echo "make stop   stop the embedded PostgreSQL and Redis of the zero-setup mode"
	@echo "make bench  every benchmark (each prints one JSON line)"

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --user --break-system-packages uv

install: $(UV)
	$(UV) sync --locked --quiet
	scripts/system-packages.sh gettext pango
	DEBUG=true $(PY) manage.py compilemessages --ignore=.venv --verbosity 0

run: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py serve

stop:
	DEBUG=true $(PY) manage.py embedded_services stop

test: install check pytest

check: lint typecheck migrations-check translations

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

typecheck:
	.venv/bin/mypy $(APPS) manage.py

migrations-check:
	$(PY) manage.py makemigrations --check --dry-run --settings=tests.settings

translations:
	$(PY) manage.py translations_check --settings=tests.settings

messages:
	$(PY) manage.py makemessages -l fr -l en --no-obsolete --ignore=.venv --ignore=var --ignore=staticfiles --ignore=tests --ignore=assets

# The tests on two processes (pytest-xdist), each with its own test database, Redis databases
# (tests/settings.py), ports and temporary directories; the tests that time real servers and
# workers run one after the other on one of them (tests/servers.py). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
PYTEST_OPTIONS := -n $(PYTEST_WORKERS) --dist loadgroup

pytest:
	scripts/system-packages.sh chromium
	$(PY) -m pytest -q $(PYTEST_OPTIONS)

# The tests with the clock moved by each of these days (tests/clock.py: the tests' process and the
# workers and commands it starts): a test mixing a fixed date with the real clock fails here, not
# on the day its window ends on the calendar. Twice the time of `pytest`: not part of `test`.
CLOCK_SHIFTS ?= 365 -365

test-clock: install
	scripts/system-packages.sh chromium
	@set -e; for days in $(CLOCK_SHIFTS); do \
		echo "== the tests with the clock moved $$days days"; \
		GUICHET_TEST_CLOCK_SHIFT_DAYS=$$days $(PY) -m pytest -q $(PYTEST_OPTIONS); \
	done

bench: bench-notifications bench-pages bench-bulk bench-interest bench-rules bench-payments bench-attribution

# Fan one message out to 100,000 inboxes in one call (target: < 30 s, flat memory).
bench-notifications: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_notifications --count 100000

# The record and account pages under gunicorn with 16 connections (targets: p99 <= 100 ms, each
# page >= 15 % of a bare view's throughput).
bench-pages: install
	scripts/system-packages.sh wrk
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_pages

# The monthly late-payment interest run over 20,000 enterprises with two years of history, then
# the same run after one in ten filed a month 18 months late (17 months caught up each).
bench-interest: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_interest

# A million-line declaration file from upload to report with a real worker, against a bare COPY of
# the same rows (targets: <= 30 s, >= 50 % of the COPY's throughput, worker < 300 MB); then the
# same file with 5 % invalid lines, rejected with its complete report.
bench-bulk: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_bulk
	DEBUG=true $(PY) manage.py bench_bulk --invalid-percent 5

# The old-age pension for 1,000,000 persons in one OpenFisca simulation, each with 36 yearly wages
# (target: well under a minute for the nightly scan; prints time and peak memory). No database.
bench-rules: install
	DEBUG=true $(PY) manage.py bench_rules --count 1000000

# The monthly benefit payment run over 1,000,000 monthly entitlements: prepared (set-based SQL),
# prepared again (0 created), checked, approved and exported as pain.001 files by two processes
# (targets: preparation <= 30 s, export <= 60 s, peak memory <= 500 MB).
bench-payments: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_payments --count 1000000

# Proactive attribution: the pension-age scan and its dry run over 1,000,000 persons (targets:
# each <= 15 s, <= 500 MB), and 100,000 births sent through the partner API, applied and
# proposed by a real Celery worker on the attribution queue (target: <= 30 s from the first
# request to the last proposal).
bench-attribution: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_attribution --persons 1000000 --events 100000

# A scripted tour of faults under a running portal (gunicorn, a worker with its beat, a Redis of
# its own): Redis stopped 30 s, PostgreSQL restarted during a 200,000-line file, the worker killed
# during a statement, SMTP silent during a password reset (targets: no 500 while Redis is down,
# work resumed within 15 s of PostgreSQL's return and 30 s of the worker's, no request over 2 s,
# everything exactly once). It restarts the PostgreSQL it runs on: the embedded one, or a local
# cluster that nothing else uses at the time. Not part of `bench`.
bench-faults: install
	DEBUG=true $(PY) manage.py migrate --noinput --verbosity 0
	DEBUG=true $(PY) manage.py bench_faults
