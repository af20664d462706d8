# Precept: `make run` to try it, `make test` to check it. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEV := DJANGO_DEBUG=1
# Production-like settings for checks and the benchmark (never a real deployment's key).
PROD := DJANGO_SECRET_KEY=check-only-$$(date +%s%N)-not-a-deployed-key-0123456789abcdef \
	DJANGO_ALLOWED_HOSTS=precept.example.org,testserver \
	DJANGO_CSRF_TRUSTED_ORIGINS=https://precept.example.org \
	DJANGO_HSTS_SECONDS=31536000 DJANGO_HSTS_PRELOAD=1

.PHONY: install run test lint bench load clean

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Precept needs Python 3.11 or newer; found " + sys.version.split()[0])'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtualenv. On Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install
	$(DEV) $(BIN)/python manage.py migrate --noinput
	$(DEV) $(BIN)/python manage.py load_curriculum
	$(DEV) $(BIN)/python manage.py load_demo
	@echo
	@echo "  Precept is starting on http://127.0.0.1:8000"
	@echo "  Demo logins (password for all: precept-demo):"
	@echo "    trainee      a fellow with about 60 entries"
	@echo "    trainee2     another fellow, supervised by supervisor2"
	@echo "    supervisor   signs off trainee's entries"
	@echo "    supervisor2  signs off trainee2's entries"
	@echo "    director     directs the program"
	@echo "  Stop with Ctrl-C."
	@echo
	$(DEV) $(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(DEV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(PROD) $(BIN)/python manage.py check --deploy --fail-level WARNING

test: lint
	$(PROD) $(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/pytest

bench: install
	$(PROD) $(BIN)/python manage.py collectstatic --noinput -v0
	$(PROD) $(BIN)/python manage.py benchmark $(ARGS)

load: install
	bash loadtest/run.sh

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache
