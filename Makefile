# 定考通 — `make run` (the product with demo data and the WeChat simulator), `make test` (the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := APP_ENV=development $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint bench chaos worker clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt -r requirements-dev.txt
	touch $@

run: install
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty --sittings 300
	@echo ""
	@echo "  定考通 is running with demo data and the WeChat simulator:"
	@echo "    simulator (chat screen):  http://$(HOST):$(PORT)/_sim"
	@echo "    pick or create a test user, tap 医师定考 › 定考入口 to go through OAuth to /m/"
	@echo "    demo accounts (ID numbers, passwords, console users): the 演示账号 panel on that page"
	@echo "    console: http://$(HOST):$(PORT)/console/login    another port: make run PORT=5001"
	@echo ""
	PUBLIC_BASE_URL=http://$(HOST):$(PORT) $(FLASK) run --host $(HOST) --port $(PORT)

worker: install
	$(FLASK) notify worker

# The suite on SQLite and the in-process store; again on PostgreSQL and Redis when
# TEST_DATABASE_URL / TEST_REDIS_URL are set (CI sets both).
test: install
	env -u TEST_DATABASE_URL -u TEST_REDIS_URL APP_ENV=testing $(BIN)/pytest
	@if [ -n "$$TEST_DATABASE_URL$$TEST_REDIS_URL" ]; then \
		echo "--- again on $${TEST_DATABASE_URL:+PostgreSQL }$${TEST_REDIS_URL:+Redis}"; \
		APP_ENV=testing $(BIN)/pytest; \
	fi

# Style, imports, bug patterns and complexity (≤ 12): pyproject.toml [tool.ruff].
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.faces
	$(BIN)/python -m bench.surge
	$(BIN)/python -m bench.lists

# The fault campaign (issue 14): Redis and PostgreSQL stopped under load, workers killed, two nodes
# behind nginx, a soak, a backup drill. Outside the test suite; CHAOS_* settings in bench/chaos.py.
chaos: install
	$(BIN)/python -m bench.chaos

clean:
	rm -rf $(VENV) instance/dingkao.db
