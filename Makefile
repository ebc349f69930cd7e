# Two commands: `make run` runs the product, `make test` runs the whole test suite.
# Set DATABASE_URL / REDIS_URL to use PostgreSQL / Redis instead of SQLite and the filesystem broker.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HOST PORT

.PHONY: run test install migrate messages clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	@mkdir -p var/broker/queue var/broker/processed var/broker/control var/media
	@$(PY) manage.py banner --database-warning
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_mechanism
	$(PY) manage.py load_demo -v 0
	$(PY) manage.py deadlines_sweep --no-send

run: migrate
	@$(PY) manage.py banner
	$(VENV)/bin/honcho --no-prefix -f Procfile.dev start 2>&1 | cat || true

test: install
	@mkdir -p var/broker/queue var/broker/processed var/broker/control
	$(VENV)/bin/pytest $(PYTEST_ARGS)

messages: install
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var db.sqlite3 staticfiles
