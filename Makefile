# The common tasks behind the README's commands. Everything installs into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run worker test lint bench bench-waitlist migrate messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "This project needs Python 3.11 (found $(PYTHON)); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Web, worker and beat on the embedded defaults (SQLite, filesystem broker, console SMS/email).
# PROCESSES starts only some of them: `make run PROCESSES="web beat"` leaves the worker to
# `make worker` in a terminal of its own (honcho stops everything when one of its processes ends).
# PORT is the web's (`make run PORT=8123`). honcho hands each process PORT, PORT+100, ... in the
# order they are named, so web goes first; the links in messages follow unless PUBLIC_BASE_URL is set.
PROCESSES ?=
PORT ?= 8000
URL := http://127.0.0.1:$(PORT)
run: migrate
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo "Open $(URL)/  (API docs: $(URL)/api/docs/, admin: $(URL)/admin/, queue: $(URL)/admin/queue/)"
	PATH="$(CURDIR)/$(BIN):$$PATH" PUBLIC_BASE_URL="$${PUBLIC_BASE_URL:-$(URL)}" \
		$(BIN)/honcho start -f Procfile -p $(PORT) $(filter web,$(PROCESSES)) $(filter-out web,$(PROCESSES))

# The worker alone, beside `make run PROCESSES="web beat"`: Ctrl-C stops it, `make worker` restarts it.
# Celery itself, not under honcho: honcho stops a process by signalling its whole group, and a
# pool child killed that way dies holding the pool's lock, so the worker never finishes stopping.
worker: install
	$(BIN)/celery -A config worker --loglevel=INFO --concurrency=2

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The suite in two parts: most of it on every core (pytest-xdist: each worker has a test database
# and a Redis database of its own), then tests/integration alone, whose real Celery workers and
# timings must not share the cores with other tests.
test: install
	$(BIN)/python -m pytest -n auto --ignore=tests/integration
	$(BIN)/python -m pytest tests/integration

# The translations: each app's locale/<lang>/LC_MESSAGES/django.po brought up to date with its
# strings, then compiled (needs GNU gettext). Translate the new msgids in the .po files, run it
# again, and commit the .po and .mo files both (tests/config/test_translations.py checks them).
LOCALE_APPS := clinic notifications scheduling web
messages: install
	for app in $(LOCALE_APPS); do \
		(cd $$app && ../$(BIN)/python ../manage.py makemessages --locale es --no-obsolete --add-location file) || exit 1; \
	done
	$(BIN)/python manage.py compilemessages --ignore .venv

bench: install
	$(BIN)/python -m bench.run

bench-notifications: install
	$(BIN)/python -m bench.reminders

bench-pages: install
	$(BIN)/python -m bench.pages

bench-waitlist: install
	$(BIN)/python -m bench.waitlist

clean:
	rm -rf $(VENV) var
