# Two set-up commands: `make run` and `make test`. Everything else is a helper target.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.matchcast-installed
# Airflow has its own virtualenv and lock (airflow/requirements.lock): its pins never
# constrain the project's. matchcast is not installed there; the DAGs call $(BIN)/matchcast.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.airflow-installed
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for `make test` (auto: one per core).
TEST_WORKERS ?= auto

# Use the shared offline archive when it sits beside the checkout (developer machines, CI);
# otherwise params.yaml's data.football_data (the live site) applies.
SHARED_ARCHIVE := $(abspath ../shared/data/football-data)
ifneq ($(wildcard $(SHARED_ARCHIVE)/mmz4281),)
export MATCHCAST_FOOTBALL_DATA ?= $(SHARED_ARCHIVE)
endif
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help run test setup pipeline serve lint typecheck unit clean-outputs airflow-setup airflow-test \
	cluster-up cluster-down cluster-test

help:
	@echo "make run   - install into .venv, run the pipeline (dvc repro), serve API + dashboard"
	@echo "make test  - install into .venv, run ruff, mypy and every test"

# Re-installs only when the lock or the project metadata changed.
# --compile-bytecode: uv writes no .pyc by default, and where PYTHONDONTWRITEBYTECODE is set
# (this machine, CI) Python never writes them either: every process that imports pandas,
# scipy or MLflow then compiles them from source again (a DVC stage: 10-40 s of start-up).
$(STAMP): requirements.lock pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

pipeline: setup
	@$(BIN)/dvc repro
	@$(BIN)/matchcast summary

serve: setup
	@echo "API:        http://$(HOST):$(PORT)/docs"
	@echo "Dashboard:  http://$(HOST):$(PORT)/"
	@echo "Metrics:    http://$(HOST):$(PORT)/metrics"
	@$(BIN)/matchcast serve --host $(HOST) --port $(PORT)

run: pipeline serve

lint: setup
	@$(BIN)/ruff check src tests benchmarks airflow dags
	@$(BIN)/ruff format --check src tests benchmarks airflow dags
	@$(BIN)/lint-imports --no-cache --no-logo

typecheck: setup
	@$(BIN)/mypy
	@$(BIN)/mypy airflow/run_dag_tests.py

# Airflow's DAG runs first, so that pytest's summary is the last line CI prints.
# pytest runs on every core (pytest-xdist), each test file on one worker: the two
# whole-pipeline e2e files then run side by side.
test: setup lint typecheck
	@$(MAKE) --no-print-directory airflow-test
	@$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

# Re-installs only when Airflow's lock changed.
$(AIRFLOW_STAMP): airflow/requirements.lock | $(STAMP)
	@test -x $(AIRFLOW_VENV)/bin/python || $(PYTHON) -m venv $(AIRFLOW_VENV)
	@$(BIN)/uv pip sync --quiet --compile-bytecode --python $(AIRFLOW_VENV)/bin/python airflow/requirements.lock
	@touch $(AIRFLOW_STAMP)

airflow-setup: $(AIRFLOW_STAMP)

# Both DAGs end to end (`airflow dags test`) in a temporary AIRFLOW_HOME against a scratch
# DVC project with a tiny params.yaml: weekly first (registers a champion), then daily.
airflow-test: setup airflow-setup
	@$(BIN)/python airflow/run_dag_tests.py --airflow-bin $(AIRFLOW_VENV)/bin/airflow

clean-outputs:
	rm -rf data reports/*.json reports/*.csv mlruns mlartifacts mlflow.db

# The reference cluster (deploy/cluster, ADR-0021): network namespaces as hosts, HAProxy,
# two API replicas, two Celery workers. Needs root, haproxy and socat.
cluster-up: setup
	@deploy/cluster/up.sh

cluster-down:
	@deploy/cluster/down.sh

# Chaos tests on a cluster of their own: up, tests, down (also after a failure).
cluster-test: setup
	@MATCHCAST_CLUSTER_TESTS=1 $(BIN)/pytest -q -p no:cacheprovider tests/cluster
