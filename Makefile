# Set-up and the two entry points of README.md: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared/resources
CORES  ?= 8

.PHONY: run test lint resources clean-results

run: $(VENV)/.installed resources
	$(BIN)/snakemake --profile profiles/local --cores $(CORES)

test: $(VENV)/.installed resources
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

clean-results:
	rm -rf results/* logs/* .snakemake/
