# The course's commands. `make lab` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=900 --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test unit notebooks lint execute clean

setup: $(STAMP)

# Re-install whenever requirements.txt or pyproject.toml change.
$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	# d2l pins numpy==1.23.5 and friends, which fail on Python >= 3.12: install it without them.
	$(PY) -m pip install -q --no-deps d2l==1.0.3
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

lint: setup
	$(VENV)/bin/ruff check rnnlab tests notebooks

unit: setup
	$(PY) -m pytest -q tests

notebooks: setup
	$(PY) -m pytest -q $(NBVAL) notebooks

test: lint unit notebooks

# Re-execute one notebook in place (its own folder as working directory): make execute NB=notebooks/01_rnn.ipynb
execute: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 $(NB)

clean:
	rm -rf $(VENV) slides .pytest_cache .ruff_cache .hypothesis
