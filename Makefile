# shadowsweep: `make demo` and `make test` do all the set-up on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

PY_DIRS := $(wildcard scanner connectors reports tests bench)

.PHONY: demo demo-lifecycle bench bench-full test lint typecheck unit browser-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

demo: $(STAMP)
	$(BIN)/shadowsweep demo
	$(BIN)/shadowsweep demo --lifecycle

# Only the lifecycle loop: discover, suggest, register, retire, plan, apply in the emulators, close.
demo-lifecycle: $(STAMP)
	$(BIN)/shadowsweep demo --lifecycle

# Every benchmark, then one summary with the peers measured in the same run (bench/README.md). Not a test:
# it prints figures. `bench` uses sizes that finish in minutes on 2 cores (Prowler's first install takes about
# 4 more); `bench-full` runs each at the size its issue names (Prowler alone needs over 10 minutes there).
bench: $(STAMP)
	$(BIN)/python -m bench

bench-full: $(STAMP)
	$(BIN)/python -m bench --full

# Headless Chromium for the HTML report's browser tests and shellcheck for the offboarding scripts:
# installed when missing, never skipped.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="chromium"; \
	command -v shellcheck >/dev/null 2>&1 || missing="$$missing shellcheck"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian's$$missing for the tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser-deps
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
