# Two commands for a newcomer: `make run` and `make test`. Every target sets up what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
PY        := $(VENV)/bin/python
RASA      := $(VENV)/bin/rasa
STAMP     := $(VENV)/.installed
MODEL_STAMP := models/.trained
ACTIONS_PORT ?= 5055
RASA_PORT    ?= 5005
MIN_NLU_ACCURACY ?= 0.97

# No telemetry, no TensorFlow chatter; the action server finds the packages at the root.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export PYTHONPATH := $(CURDIR)

# Training inputs: a change to any of them retrains.
TRAIN_INPUTS := config.yml domain.yml $(shell find data knowledge dicts components -type f -not -path '*/__pycache__/*' -not -path 'knowledge/findings/*' 2>/dev/null)

# Find a Python 3.10 by itself: pyenv's 3.10.x, then python3.10 on PATH.
PYTHON310 := $(shell \
  for p in "$$(pyenv prefix 3.10.13 2>/dev/null)/bin/python" \
           "$$(pyenv prefix 3.10 2>/dev/null)/bin/python" \
           $$(ls -d $$HOME/.pyenv/versions/3.10*/bin/python 2>/dev/null) \
           "$$(command -v python3.10)"; do \
    if [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then echo "$$p"; break; fi; \
  done)

.PHONY: help setup train run serve serve-cluster actions test test-cluster validate bench bench-load cross-validate report clean

help:
	@echo "make run    — set up, train if needed, start the action server and a rasa shell"
	@echo "make test   — set up, train, run every test"
	@echo "make serve  — REST channel on :$(RASA_PORT) and action server on :$(ACTIONS_PORT) (Ctrl-C stops both)"
	@echo "make serve-cluster — nginx :5005 + Rasa :5006/:5007 + PostgreSQL + Redis (Ctrl-C stops all)"
	@echo "make report [SINCE=2026-11-01] [UNTIL=…] [CLUSTER=1] — reports/report.html + report.json (default: last 30 days)"
	@echo "make test-cluster | bench-load | train | validate | bench | cross-validate | clean"

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt
	@if [ -z "$(PYTHON310)" ]; then \
	  echo "需要 Python 3.10（Rasa 3.6 不支持 3.11 及以上）。未找到 Python 3.10。"; \
	  echo "Python 3.10 is required (Rasa 3.6 refuses 3.11+). Install it, e.g.: pyenv install 3.10.13"; \
	  echo "or on Debian/Ubuntu: apt-get install python3.10 python3.10-venv"; exit 1; fi
	@echo "Using $(PYTHON310)"
	test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $(STAMP)

# Retrain only when the data, config or knowledge changed.
$(MODEL_STAMP): $(STAMP) $(TRAIN_INPUTS)
	$(PY) scripts/timed.py bench/last-training.json -- $(RASA) train --fixed-model-name realname --out models
	touch $(MODEL_STAMP)

train: $(MODEL_STAMP)

validate: $(STAMP)
	$(PY) scripts/validate_data.py

run: $(MODEL_STAMP)
	@SANIC_HOST=127.0.0.1 $(RASA) run actions --port $(ACTIONS_PORT) > .rasa-actions.log 2>&1 & \
	  pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; \
	  $(PY) scripts/wait_port.py $(ACTIONS_PORT) && \
	  $(RASA) shell -m models/realname.tar.gz --endpoints endpoints.yml

# The public port serves the channels only; Rasa's HTTP API opens with REALNAME_API_TOKEN (service/serve.py).
# The action server listens on loopback: only Rasa calls it.
serve: $(MODEL_STAMP)
	@SANIC_HOST=127.0.0.1 $(RASA) run actions --port $(ACTIONS_PORT) & apid=$$!; \
	  trap "kill $$apid 2>/dev/null" EXIT INT TERM; \
	  $(PY) -m service.serve --port $(RASA_PORT) -m models/realname.tar.gz \
	    --credentials credentials.yml --endpoints endpoints.yml

# Rasa's production layout on this machine: nginx :5005 → Rasa instances :5006, :5007 → PostgreSQL :5433,
# Redis :6380, action server :5055; all on 127.0.0.1, data and logs in .cluster/ (not removed by `make clean`).
serve-cluster: $(MODEL_STAMP)
	bash scripts/install_cluster_deps.sh
	$(PY) -m service.cluster

test-cluster: $(MODEL_STAMP)
	bash scripts/install_cluster_deps.sh
	$(PY) -m pytest -q -m cluster tests/cluster

test: $(MODEL_STAMP)
	bash scripts/ensure_chromium.sh
	$(PY) scripts/validate_data.py
	$(PY) -m pytest -q
	$(PY) scripts/run_story_tests.py
	$(PY) scripts/score_heldout_nlu.py --min-accuracy $(MIN_NLU_ACCURACY)

bench: $(MODEL_STAMP)
	$(PY) bench/run_bench.py

# 50 users for 2 minutes against one instance and against the cluster (BENCH_LOAD_ARGS to change).
bench-load: $(MODEL_STAMP)
	bash scripts/install_cluster_deps.sh
	$(PY) bench/run_load.py $(BENCH_LOAD_ARGS)

cross-validate: $(STAMP)
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 3 --out results/cross-validation

# The operator's report of what customers hit (operator_report/): reads the tracker store of `make serve`
# (endpoints.yml) or, with CLUSTER=1, of `make serve-cluster`; SINCE/UNTIL are UTC days, both included.
SINCE ?=
UNTIL ?=
report: $(STAMP)
	$(PY) -m operator_report $(if $(CLUSTER),--cluster,--endpoints endpoints.yml) \
	  --since "$(SINCE)" --until "$(UNTIL)" --out reports

clean:
	rm -rf models results .rasa-actions.log
