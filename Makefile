# OneWindow: two commands on a fresh machine with only Python and make.
#   make demo   - .venv, install, migrate, demo data, accounts, serve http://127.0.0.1:8000
#   make test   - install test dependencies, lint, types, layer contracts, the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
STREAM_PORT ?= 8001
WORKERS ?= 3
PYTEST_WORKERS ?= 2
export DJANGO_SETTINGS_MODULE ?= onewindow.config.settings.local

.PHONY: demo test lint types contracts pytest bench bench-17 serve clean messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[postgres]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	mkdir -p var
	$(BIN)/onewindow migrate --noinput
	$(BIN)/onewindow collectstatic --noinput --verbosity 0
	$(BIN)/onewindow demo_data
	$(MAKE) --no-print-directory serve

# The big screens' streams (SSE, long poll) are served by one ASGI process on STREAM_PORT: a sync
# gunicorn worker would be held by each open screen (docs/decisions/0019).
serve:
	@echo "Serving http://$(HOST):$(PORT), streams on http://$(HOST):$(STREAM_PORT)  (Ctrl-C stops the servers, the task worker and the scheduler)"
	@bash -c 'trap "kill 0" EXIT INT TERM; \
	  $(BIN)/onewindow db_worker --queue-name "*" >var/worker.log 2>&1 & \
	  $(BIN)/onewindow db_worker --queue-name live >var/worker-live.log 2>&1 & \
	  $(BIN)/onewindow core_scheduler >var/scheduler.log 2>&1 & \
	  $(BIN)/uvicorn onewindow.config.asgi:application --host $(HOST) --port $(STREAM_PORT) \
	    --no-access-log --timeout-graceful-shutdown 2 >var/stream.log 2>&1 & \
	  $(BIN)/gunicorn onewindow.config.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - '

test: $(VENV)/.installed-dev lint types contracts pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench conftest.py

types: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=onewindow.config.settings.test $(BIN)/mypy src/onewindow

contracts: $(VENV)/.installed-dev
	PYTHONPATH=src $(BIN)/lint-imports

pytest: $(VENV)/.installed-dev
	DJANGO_SETTINGS_MODULE=onewindow.config.settings.test $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(VENV)/.installed-dev
	$(PY) -m pip install --quiet -e ".[bench]"  # DuckDB and pyarrow (the rollup benchmark's reference), py-spy
	$(PY) -m bench.run $(BENCH_ARGS)
	$(PY) -m bench.taxqr $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.cases --only submit $(filter --postgres,$(BENCH_ARGS))  # the inbox: bench.cases_inbox below (wrk)
	$(PY) -m bench.centers $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.supervision_draw $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.sharing_exchange $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.analytics_rollups $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.staffing $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.bigscreen $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.catalog_varied $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.cases_inbox $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.polled $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.platform middleware $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.platform shedding $(filter --postgres,$(BENCH_ARGS))
	$(PY) -m bench.platform payload
	$(if $(filter --postgres,$(BENCH_ARGS)),$(PY) -m bench.platform connections --postgres --workers 2 4)

# Issue #17's benches on SQLite, then PostgreSQL (its own database per bench on the server of
# BENCH_PG_URL), path by path, then their aims beside the newest results (bench.aims: a Markdown table
# for docs/benchmarks.md). A failing bench does not stop the others: the table shows each run's time.
# Run it on an idle machine; e.g. make bench-17 BENCH17_ARGS="--rounds 3 --seconds 8 --workers 3".
BENCH17_ARGS ?= --rounds 3 --seconds 8
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/bench
bench-17: $(VENV)/.installed-dev
	command -v wrk >/dev/null || { echo "wrk is the load client: apt-get install -y wrk"; exit 1; }
	-$(PY) -m bench.catalog_varied $(BENCH17_ARGS)
	-DATABASE_URL=$(BENCH_PG_URL) $(PY) -m bench.catalog_varied --postgres $(BENCH17_ARGS)
	-$(PY) -m bench.cases --only submit $(BENCH17_ARGS)
	-DATABASE_URL=$(BENCH_PG_URL) $(PY) -m bench.cases --only submit --postgres $(BENCH17_ARGS)
	-$(PY) -m bench.cases_inbox $(BENCH17_ARGS)
	-DATABASE_URL=$(BENCH_PG_URL) $(PY) -m bench.cases_inbox --postgres $(BENCH17_ARGS)
	-$(PY) -m bench.centers $(BENCH17_ARGS)
	-DATABASE_URL=$(BENCH_PG_URL) $(PY) -m bench.centers --postgres $(BENCH17_ARGS)
	-$(PY) -m bench.polled $(BENCH17_ARGS)
	-DATABASE_URL=$(BENCH_PG_URL) $(PY) -m bench.polled --postgres $(BENCH17_ARGS)
	$(PY) -m bench.aims

# Update the English catalog from every source string (needs gettext: apt-get install gettext), then
# fill the new msgstr entries in src/onewindow/locale/en/LC_MESSAGES/django.po and run it again to
# compile. Always run from src/onewindow, so that no source string is left out of the catalog.
messages: $(VENV)/.installed-dev
	cd src/onewindow && ../../$(BIN)/onewindow makemessages -l en --ignore='.venv/*' --add-location=file
	cd src/onewindow && ../../$(BIN)/onewindow compilemessages -l en

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
