# The project's vocabulary: `make run` chats with Lukas in the terminal, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAYERS := domain application adapters entrypoints

.PHONY: run test lint typecheck imports pytest bench-smoke soak bench clean chromium

run: $(STAMP)
	$(BIN)/lukas console

test: lint typecheck imports pytest bench-smoke

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy resolves `lukas.<layer>` through a tree of symlinks to the layer folders,
# the same mapping that pyproject's package-dir gives the installed package.
typecheck: $(STAMP)
	@mkdir -p .typecheck/lukas
	@for layer in $(LAYERS); do ln -sfn ../../$$layer .typecheck/lukas/$$layer; done
	$(BIN)/mypy -p lukas.domain -p lukas.application -p lukas.adapters -p lukas.entrypoints
	$(BIN)/mypy tests
	$(BIN)/mypy bench

# The layer rules, import-linter contracts in pyproject.toml (ADR 13). It finds each
# `lukas.<layer>` through the editable install, unlike mypy. A run takes well under a second,
# so a cache would only be one more thing to go stale.
imports: $(STAMP)
	$(BIN)/lint-imports --no-cache

pytest: $(STAMP) chromium
	$(BIN)/pytest -m "not soak"

# The browser tests of `lukas web` drive Debian's chromium (Playwright's own browser download
# needs the internet). Installed when missing and we are root, as on CI; otherwise those
# tests say why they skip (and fail under CI=true).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
		echo "Installing Debian's chromium for the browser tests (apt-get; a minute or two)"; \
		log=$$(mktemp); \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
			> $$log 2>&1 || { cat $$log; rm -f $$log; exit 1; }; \
		rm -f $$log; \
	fi

# Long reliability runs (SIGKILL storms, processes contending for streams); CI need not.
soak: $(STAMP)
	$(BIN)/pytest -m soak

bench: $(STAMP)
	$(BIN)/python -m bench

# Every benchmark at small sizes, so none can rot unnoticed: it fails only when one crashes
# (a missed target at these sizes says nothing). Its figures go to bench/results.json too.
bench-smoke: $(STAMP)
	$(BIN)/python -m bench --quick > /dev/null

# pip is kept quiet so that `make test` reads as its checks; these lines say why the first
# run waits.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV): installing Lukas and its tools (first run, or pyproject.toml changed: about a minute)"
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)
	@echo "$(VENV) is ready."

clean:
	rm -rf $(VENV) .typecheck .import_linter_cache .mypy_cache .pytest_cache .ruff_cache build *.egg-info
