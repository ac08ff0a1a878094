# The course's commands. `make lab` and `make test` each do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NBVAL  := --nbval --nbval-current-env --nbval-cell-timeout=900 --nbval-sanitize-with tests/nbval_sanitize.cfg
# Two test processes (the machines have 2 cores); loadfile keeps each notebook's cells in one kernel.
XDIST  := -n 2 --dist loadfile
# Strict nbval runs twice: as the machine is, and under a second numerical configuration (other BLAS kernels,
# one thread; .ci/alt-numerics.env says which and why). A checked output must be the same under both.
ALT_NUMERICS := $(shell sed -e '/^[[:space:]]*\#/d' -e '/^[[:space:]]*$$/d' .ci/alt-numerics.env)
# Under test the notebooks write their figures here (COURSE_FIGURES), so that figures/ stays as committed.
TEST_FIGURES := $(CURDIR)/build/test-figures

# Slides: reveal.js decks that work offline. reveal.js, MathJax 2 (the version nbconvert's reveal template
# is written for), require.js and jQuery come from npm into build/ and are copied next to the decks.
# The source notebooks only: the generated editions in folders below notebooks/ are never executed by nbval.
NOTEBOOKS   ?= $(sort $(wildcard notebooks/[0-9]*.ipynb))
# The Vietnamese edition's decks go to slides/vi/, one folder down: their vendored files are ../_vendor/.
VI_NOTEBOOKS ?= $(sort $(wildcard notebooks/vi/[0-9]*.ipynb))
SLIDES_DIR  ?= slides
VENDOR      := build/slides-vendor
VENDOR_STAMP := $(VENDOR)/.installed
NPM_PACKAGES := reveal.js@4.6.0 mathjax@2.7.9 requirejs@2.3.7 jquery@3.7.1
CHROMIUM    := /usr/bin/chromium
# nbconvert options: the offline template (.ci/nbconvert/reveal_offline) and every script and style sheet
# taken from slides/_vendor/ (the white theme: the only light reveal.js theme with no Google Fonts import).
VENDOR_URLS = --SlidesExporter.reveal_url_prefix=$(1)_vendor/reveal.js \
	'--SlidesExporter.mathjax_url=$(1)_vendor/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe' \
	--SlidesExporter.require_js_url=$(1)_vendor/requirejs/require.js \
	--SlidesExporter.jquery_url=$(1)_vendor/jquery/dist/jquery.min.js
SLIDES_OPTS := --to slides --template reveal_offline --TemplateExporter.extra_template_basedirs=.ci/nbconvert \
	--SlidesExporter.reveal_theme=white $(call VENDOR_URLS,)
VI_SLIDES_OPTS := --to slides --template reveal_offline --TemplateExporter.extra_template_basedirs=.ci/nbconvert \
	--SlidesExporter.reveal_theme=white --SlidesExporter.language_code=vi $(call VENDOR_URLS,../)

.PHONY: setup lab test check unit notebooks notebooks-alt lint execute student vi release bench clean slides slides-lecture \
	slides-vendor slides-test gpu-check

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
	$(VENV)/bin/ruff check rnnlab tests notebooks .ci

unit: setup
	$(PY) -m pytest -q $(XDIST) tests

notebooks: setup
	rm -rf $(TEST_FIGURES)/as-is && mkdir -p $(TEST_FIGURES)/as-is
	COURSE_FIGURES=$(TEST_FIGURES)/as-is $(PY) -m pytest -q $(XDIST) $(NBVAL) --junitxml=build/nbval-as-is.xml $(NOTEBOOKS)

notebooks-alt: setup
	rm -rf $(TEST_FIGURES)/alt && mkdir -p $(TEST_FIGURES)/alt
	env $(ALT_NUMERICS) COURSE_FIGURES=$(TEST_FIGURES)/alt $(PY) -m pytest -q $(XDIST) $(NBVAL) $(NOTEBOOKS)

# The browser test runs after both kinds of deck are built (see slides-test below).
test: lint unit notebooks notebooks-alt slides-test

# The edit-test loop: lint, the unit tests without the slow ones (Colab emulation, broken-training runs),
# and strict nbval of the source notebooks that differ from main (committed or not).
CHANGED_NOTEBOOKS = $(shell { git diff --name-only main -- notebooks; git ls-files --others --exclude-standard \
	notebooks; } 2>/dev/null | grep -E '^notebooks/[0-9][^/]*\.ipynb$$' | sort -u)
check: lint
	$(PY) -m pytest -q $(XDIST) -m "not slow" tests
	$(if $(CHANGED_NOTEBOOKS),rm -rf $(TEST_FIGURES)/check && mkdir -p $(TEST_FIGURES)/check && \
		COURSE_FIGURES=$(TEST_FIGURES)/check $(PY) -m pytest -q $(XDIST) $(NBVAL) $(CHANGED_NOTEBOOKS),\
		@echo "no source notebook differs from main: nbval skipped")

# Re-execute one notebook in place (its own folder as working directory) and update its figures in figures/:
# make execute NB=notebooks/01_rnn.ipynb
execute: setup
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=900 $(NB)

# The student edition, generated from the instructor edition (solutions become stubs, outputs cleared):
# run after editing a source notebook; tests/test_student_edition.py fails while it is out of date.
student: setup
	$(PY) .ci/student_edition.py

# The Vietnamese edition, generated from the source notebooks and notebooks/i18n/vi/*.yml (translate with
# `python .ci/i18n.py export|apply|check NN`): run after editing a source notebook or a translation;
# tests/test_vietnamese_edition.py fails while it is out of date or a translation is stale or incomplete.
vi: setup
	$(PY) .ci/i18n.py generate

$(VENDOR_STAMP):
	npm install --prefix $(VENDOR) --no-save --no-package-lock --no-audit --no-fund $(NPM_PACKAGES)
	touch $(VENDOR_STAMP)

# Copy the vendored files next to the decks, so that slides/ is self-contained (zip it, present anywhere).
# Kept: reveal.js dist + plugins, MathJax without its unpacked sources and non-TeX fonts.
slides-vendor: $(VENDOR_STAMP)
	rm -rf $(SLIDES_DIR)/_vendor
	mkdir -p $(SLIDES_DIR)/_vendor/reveal.js $(SLIDES_DIR)/_vendor/mathjax/fonts/HTML-CSS $(SLIDES_DIR)/_vendor/jquery
	cp -r $(VENDOR)/node_modules/reveal.js/dist $(VENDOR)/node_modules/reveal.js/plugin $(SLIDES_DIR)/_vendor/reveal.js/
	cd $(VENDOR)/node_modules/mathjax && cp -r MathJax.js config extensions jax localization LICENSE $(abspath $(SLIDES_DIR))/_vendor/mathjax/
	cp -r $(VENDOR)/node_modules/mathjax/fonts/HTML-CSS/TeX $(SLIDES_DIR)/_vendor/mathjax/fonts/HTML-CSS/
	cp -r $(VENDOR)/node_modules/requirejs $(SLIDES_DIR)/_vendor/
	cp -r $(VENDOR)/node_modules/jquery/dist $(SLIDES_DIR)/_vendor/jquery/

# One deck per notebook, code included: slides/NN_topic.slides.html, and the Vietnamese slides/vi/NN_topic.slides.html.
slides: setup slides-vendor
	$(VENV)/bin/jupyter nbconvert $(SLIDES_OPTS) --output-dir $(SLIDES_DIR) $(NOTEBOOKS)
	$(if $(VI_NOTEBOOKS),$(VENV)/bin/jupyter nbconvert $(VI_SLIDES_OPTS) --output-dir $(SLIDES_DIR)/vi $(VI_NOTEBOOKS))

# Code-free decks for lectures (outputs, formulas and prose only): slides/NN_topic.lecture.slides.html
# (same folder as the full decks, so that relative links such as ../GLOSSARY.md keep working).
slides-lecture: setup slides-vendor
	$(VENV)/bin/jupyter nbconvert $(SLIDES_OPTS) --no-input --output '{notebook_name}.lecture' \
		--output-dir $(SLIDES_DIR) $(NOTEBOOKS)
	$(if $(VI_NOTEBOOKS),$(VENV)/bin/jupyter nbconvert $(VI_SLIDES_OPTS) --no-input --output '{notebook_name}.lecture' \
		--output-dir $(SLIDES_DIR)/vi $(VI_NOTEBOOKS))

# Debian's chromium for the browser test; installed only when missing (needs root or sudo and apt).
$(CHROMIUM):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium

# Every deck opened in headless Chromium: reveal.js ready, slide count, formulas typeset, speaker notes,
# no console errors, no request outside file://; saves slides/title_slide.png.
slides-test: setup slides slides-lecture $(CHROMIUM)
	REQUIRE_SLIDES=1 SLIDES_DIR=$(SLIDES_DIR) $(PY) -m pytest -q tests/test_slides.py
	REQUIRE_SLIDES=1 SLIDES_DIR=$(SLIDES_DIR)/vi SLIDES_NOTEBOOKS=notebooks/vi $(PY) -m pytest -q tests/test_slides.py

# Publish a version that Colab opens: make release VERSION=v1.2.0 [REPO=https://github.com/OWNER/REPO.git]
# (writes course.toml, the setup cells and every Colab badge, commits, tags; see .ci/release.py).
release: setup
	@test -n "$(VERSION)" || { echo "usage: make release VERSION=v1.2.0 [REPO=https://github.com/OWNER/REPO.git]"; exit 2; }
	$(PY) .ci/release.py $(VERSION) $(if $(REPO),--repo $(REPO))

# A quick live benchmark of this machine (under a minute on 2 cores); notebook 11 explains the method.
bench: setup
	$(PY) -m rnnlab.bench --quick --out build/bench-quick.csv

# One command for a GPU owner (README: "In Google Colab and on a GPU"). Stops at once, with the probe's
# reason, where no GPU is usable; otherwise: the GPU tests with skips turned into failures, compute-sanitizer
# (when installed), the benchmark recorded to data/benchmarks/<gpu-name>.csv, notebooks 10 and 11 re-executed.
# GPU_PRESET=full for a large GPU (adds the T=200, B=256, D=H=1024 shape); gpu_small is sized for a T4.
GPU_PRESET ?= gpu_small
gpu-check: setup
	$(PY) -m rnnlab.gpu_check probe
	REQUIRE_GPU=1 $(PY) -m pytest -q -m gpu -p no:cacheprovider tests
	$(PY) -m rnnlab.gpu_check sanitize
	$(PY) -m rnnlab.bench --preset $(GPU_PRESET) --no-progress
	$(MAKE) execute NB=notebooks/10_cupy_gpu_lstm.ipynb
	$(MAKE) execute NB=notebooks/11_speedup.ipynb

clean:
	rm -rf $(VENV) slides build/slides-vendor .pytest_cache .ruff_cache .hypothesis
