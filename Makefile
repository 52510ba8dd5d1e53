# govcdk: `make demo` runs the main job, `make test` the whole test suite. Each sets up what is
# missing first: a Python virtual environment from the hashed lock file, and the npm side (the
# AWS CDK CLI, and Node.js 22 for jsii when the system Node.js is older than 22), and checkov's own
# environment (.venv-checkov, hashed lock requirements-checkov.lock), whose findings join the report.
# `make bench` times govcdk against checkov and cfn-lint on the shared corpus (scripts/bench.py).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
AGENCY ?= agencies/reference.yaml
OUT ?= cdk.out
PYTEST_ARGS ?=
# checkov lives in its own virtual environment: it pins boto3 and networkx versions that
# govcdk's environment cannot share. Its hashed lock is requirements-checkov.lock (`make lock-checkov` re-resolves
# it from requirements-checkov.in). `make check`/`make demo` merge its findings into govcdk's
# report (govcdk finds .venv-checkov/bin/checkov itself), `make test` runs it on both example
# agencies, and `make bench` times it.
CHECKOV_VENV ?= .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
CORPUS ?= ../shared/corpus/templates
BENCH_ARGS ?=

.PHONY: setup demo synth check test lock lock-checkov checkov-setup bench clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.lock pyproject.toml
	@echo "setup: Python environment in $(VENV) (hashed lock: requirements.lock)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "setup: npm (Node.js) is required for the AWS CDK; install Node.js and npm"; exit 1; }
	@major=$$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'); \
	if [[ -z "$$major" || "$$major" -lt 22 ]]; then \
	  echo "setup: system Node.js $${major:-none} is older than the 22 jsii supports; installing Node.js 22 and the CDK CLI from npm"; \
	  npm ci --no-audit --no-fund --loglevel=error; \
	else \
	  echo "setup: using system Node.js $$major; installing the CDK CLI from npm"; \
	  npm ci --no-audit --no-fund --loglevel=error --omit=optional; \
	fi
	@touch $@

checkov-setup: $(CHECKOV_STAMP)

$(CHECKOV_STAMP): requirements-checkov.lock
	@echo "setup: checkov in $(CHECKOV_VENV) (hashed lock: requirements-checkov.lock)"
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-checkov.lock 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
	@touch $@

synth: setup
	$(VENV)/bin/govcdk synth --agency $(AGENCY) --out $(OUT)

check: setup checkov-setup
	$(VENV)/bin/govcdk check $(OUT) --scanners govcdk,cfn-lint,checkov --output reports/$(notdir $(basename $(AGENCY))).json

demo: synth check

test: setup checkov-setup
	$(PY) -m pytest $(PYTEST_ARGS)

# Time govcdk, checkov and cfn-lint over the corpus; writes reports/bench.json.
bench: setup checkov-setup
	$(PY) scripts/bench.py --corpus $(CORPUS) --checkov $(CHECKOV) --out reports/bench.json $(BENCH_ARGS)

# Re-resolve the Python lock (needs pip-tools; names, versions and hashes only).
lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host --extra dev --extra oscal --strip-extras --allow-unsafe -o requirements.lock pyproject.toml

# Re-resolve checkov's lock (its own environment; names, versions and hashes only).
lock-checkov:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
	  --no-emit-trusted-host --allow-unsafe --strip-extras -o requirements-checkov.lock requirements-checkov.in

clean:
	rm -rf $(OUT) reports .pytest_cache build src/*.egg-info
