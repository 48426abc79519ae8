# Watchfloor — `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install bytecode native demo console test test-cluster bench chaos train eval lint clean

$(STAMP): pyproject.toml deploy/constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	@$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)
	@$(MAKE) --no-print-directory native

# An editable install leaves the sources uncompiled, and where
# PYTHONDONTWRITEBYTECODE is set nothing ever writes their bytecode: every
# start compiles them again (0.27 s of `watchfloor classify`'s 0.7 s start).
# A wheel install compiles at install time; this does the same here.
bytecode:
	@$(BIN)/python -m compileall -q services shared samples > /dev/null

# The classifier's per-item modules compiled with mypyc (see
# services/classifier/native.py): same output, about 35 % more items a second.
# Optional: without a C compiler it says why and the classifier runs as
# Python; a source edited since the build runs as Python until this runs again
# (make test and make bench do).
NATIVE := services/classifier/_native/manifest.json
NATIVE_SOURCES := $(addprefix services/classifier/,$(addsuffix .py,actors concepts engine \
	features learned matcher sentences verifier native native_build))

# (after every install too: another Python or mypy needs another build)
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	-@$(BIN)/python -m watchfloor.services.classifier.native_build

native: $(STAMP) $(NATIVE)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/watchfloor demo

# The demo, then its pipeline and the console stay up (http://127.0.0.1:8080/) until Ctrl-C
console: $(STAMP)
	$(BIN)/watchfloor demo --keep-running

test: $(STAMP) $(NATIVE)
	$(BIN)/python -m pytest -q

# The integration suite and the browser tests on a real local Redis Cluster
# (3 masters, 3 replicas; needs redis-server and redis-cli on PATH)
test-cluster: $(STAMP)
	WATCHFLOOR_TEST_REDIS_CLUSTER=true $(BIN)/python -m pytest -q tests/integration tests/browser

bench: $(STAMP) $(NATIVE) bytecode
	$(BIN)/python -m watchfloor.services.bench
	$(BIN)/python -m watchfloor.services.bench --scaling

# Faults under a steady load (the receiver down for a full minute); one JSON
# line, exit 1 if anything owed was lost or a webhook-id arrived twice (beyond
# a send answered as the notifier was SIGKILLed: at-least-once, counted apart)
chaos: $(STAMP)
	$(BIN)/python -m watchfloor.services.chaos --receiver-down-s 60

# Rebuild the learned verifier from services/training/labels and ../shared/data
train: $(STAMP)
	$(BIN)/watchfloor train

# The locked test split's scores (report them once per model)
eval: $(STAMP)
	$(BIN)/watchfloor eval --corpus --show-errors 0

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .watchfloor .pytest_cache services/classifier/_native
