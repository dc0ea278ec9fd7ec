# Set-up and the two entry points of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared/resources
CORES  ?= 8

.PHONY: run test lint resources browser slurm clean-results

run: $(VENV)/.installed resources
	$(BIN)/snakemake --profile profiles/local --cores $(CORES)

test: $(VENV)/.installed resources browser slurm
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/snakemake --lint

$(VENV)/.installed: requirements.txt requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements.lock
	touch $@

# Link the datasets and gene sets of a shared resources folder into resources/ (never copied,
# never modified). Without one, the download rules fetch what config.yaml needs.
resources:
	@if [ -d "$(SHARED)" ]; then \
	  for kind in datasets genesets; do \
	    mkdir -p resources/$$kind; \
	    for src in "$(SHARED)"/$$kind/*; do \
	      [ -d "$$src" ] && ln -sfn "$$(cd "$$src" && pwd)" resources/$$kind/$$(basename "$$src"); \
	    done; \
	  done; \
	  echo "linked $(SHARED) into resources/"; \
	else echo "no $(SHARED): the download rules will fetch the inputs"; fi

# Debian's chromium, for the headless-browser checks of the HTML reports (tests/browser.py), installed
# only when missing (apt-get, as root). Otherwise a message says how; the browser tests then skip,
# or fail where DISENTANGLE_REQUIRE_BROWSER is set (as .ci/run does).
browser:
	@command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	else \
	  echo "chromium is missing: install it with 'sudo apt-get install chromium' (Debian) to run the browser tests"; \
	fi

# Debian's SLURM packages (slurm-wlm, slurmdbd, munge, mariadb-server) for the cluster test
# (tests/workflow/test_slurm.py), installed only when missing (apt-get, as root); otherwise a
# message says how. The test starts a single-node SLURM (cluster/slurm/start.sh) and stops it
# afterwards, unless one was running before; it skips where SLURM cannot start, or fails where
# DISENTANGLE_REQUIRE_SLURM is set (as .ci/run does).
slurm:
	@cluster/slurm/install.sh || true

clean-results:
	rm -rf results/* logs/* .snakemake/
