# Precept: `make run` to try it, `make test` to check it. Both install what they need.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# Development: debug on, links in emails to this server's port (PRECEPT_BASE_URL wins).
DEV := DJANGO_DEBUG=1 PRECEPT_PORT=$(PORT)
# Production-like settings for checks and the benchmark (never a real deployment's key).
# DJANGO_DEBUG=0 is explicit: a developer's .env (DJANGO_DEBUG=1) must not turn these into
# development checks.
PROD := DJANGO_DEBUG=0 \
	DJANGO_SECRET_KEY=check-only-$$(date +%s%N)-not-a-deployed-key-0123456789abcdef \
	DJANGO_ALLOWED_HOSTS=precept.example.org,testserver \
	DJANGO_CSRF_TRUSTED_ORIGINS=https://precept.example.org \
	DJANGO_HSTS_SECONDS=31536000 DJANGO_HSTS_PRELOAD=1
PIP := $(BIN)/pip install --quiet --disable-pip-version-check

.PHONY: install run test lint bench load clean

# Everything `make test` needs; `make run` installs the runtime only.
install: $(VENV)/.dev node_modules/.installed

# Each step that installs checks the system first (bin/check-prerequisites), so a missing
# python3-venv, Node.js or npm is named, with its apt-get line, before anything is built.
$(VENV)/pyvenv.cfg:
	@PYTHON=$(PYTHON) bin/check-prerequisites
	$(PYTHON) -m venv $(VENV)

# Separate stamps: editing requirements.txt reinstalls both, requirements-dev.txt the tools.
$(VENV)/.runtime: requirements.txt | $(VENV)/pyvenv.cfg
	@PYTHON=$(PYTHON) bin/check-prerequisites
	$(PIP) -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(VENV)/pyvenv.cfg
	@PYTHON=$(PYTHON) bin/check-prerequisites
	$(PIP) -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@PYTHON=$(PYTHON) bin/check-prerequisites
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A development .env, so that hand-run `manage.py` commands work without variables.
# Written once; an existing .env is never touched.
.env:
	@printf '%s\n' '# Development settings, written by `make run`; every variable: .env.example.' \
		'DJANGO_DEBUG=1' > $@
	@echo "Wrote .env (DJANGO_DEBUG=1) for development."

run: $(VENV)/.runtime node_modules/.installed .env
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_curriculum
	$(DEV) $(BIN)/python manage.py load_demo
	@echo
	@echo "  Precept is starting on http://127.0.0.1:$(PORT)"
	@echo "  Demo logins (password for all: precept-demo):"
	@echo "    trainee      a fellow with about 60 entries"
	@echo "    trainee2     another fellow, supervised by supervisor2"
	@echo "    supervisor   signs off trainee's entries"
	@echo "    supervisor2  signs off trainee2's entries"
	@echo "    director     directs the program"
	@echo "    admin        staff: the Django admin at http://127.0.0.1:$(PORT)/admin/"
	@echo "  Stop with Ctrl-C."
	@echo
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(PROD) $(BIN)/python manage.py check --deploy --fail-level WARNING

test: lint
	$(PROD) $(BIN)/python manage.py collectstatic --noinput -v0
	DJANGO_DEBUG=0 $(BIN)/pytest

bench: install
	$(PROD) $(BIN)/python manage.py collectstatic --noinput -v0
	$(PROD) $(BIN)/python manage.py benchmark $(ARGS)

load: install
	DJANGO_DEBUG=0 bash loadtest/run.sh

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
