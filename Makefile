# Entry points for people and CI. Everything runs inside the virtual environment $(VENV),
# installed from constraints.txt (the one place where versions are pinned).
VENV ?= .venv
PYTHON ?= python3
CORES ?= 2
BIN := $(VENV)/bin

.PHONY: setup demo simulated report test lint pytest lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable ".[workflow,genomics,motifs,test]"
	touch $@

# The embedded default: simulate, train, attribute, score, tables, figures, report.
demo: setup
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --cores 1 --report results/report.html

# The second embedded default: the genomic path (download -> labels -> arrays -> training)
# on a simulated genome served by a local stand-in for the ENCODE portal (config/simulated.yaml).
SIMGENOME ?= resources/simgenome
PORTAL_PORT ?= 8765
simulated: setup
	# (Re)simulated when missing, or made before the simulator wrote its ENA run (the
	# manifest's last section; the same simulator made the junk alignments). Files downloaded
	# from an older simulation (the simGRCh38 assembly and the simK562 external files) are
	# removed with it, so that nothing old is mixed with the new portal's files.
	grep -qs '^ena:' $(SIMGENOME)/manifest.yaml || { \
		rm -rf resources/simGRCh38 resources/external/*simK562*; \
		$(BIN)/python -m attrprior.sim.simgenome --out $(SIMGENOME) --seed 0 --site-spacing 8000 \
			--overwrite; }
	rm -f $(SIMGENOME)/portal.url
	$(BIN)/python -m attrprior.sim.portal --root $(SIMGENOME)/portal --port $(PORTAL_PORT) \
		--port-file $(SIMGENOME)/portal.url & portal=$$!; \
	trap 'kill $$portal' EXIT; \
	for i in $$(seq 100); do test -f $(SIMGENOME)/portal.url && break; sleep 0.1; done; \
	$(BIN)/snakemake --cores $(CORES) --configfile config/simulated.yaml

report: setup
	$(BIN)/snakemake --cores 1 --report results/report.html

test: lint pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint --cores 1

pytest: setup
	$(BIN)/python -m pytest -q

# Refresh constraints.txt from the current environment (then update envs/*.yaml to match).
lock: setup
	$(BIN)/python -m pip freeze --exclude-editable | sed 's/+cpu$$//' > constraints.new
	{ head -n 2 constraints.txt; cat constraints.new; } > constraints.txt.tmp && rm constraints.new
	mv constraints.txt.tmp constraints.txt

clean:
	rm -rf results logs .snakemake resources
