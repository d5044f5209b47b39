# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

LOCKS  := requirements/runtime.txt requirements/dev.txt requirements/portable.in

.PHONY: run test lint typecheck format translations messages bench lock image-test clean

run: $(STAMP) translations
	$(BIN)/cardsapp dev

test: $(STAMP) translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Compiled catalogues are build output, not kept in git.
translations: $(STAMP)
	@if ls cardsapp/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -f -d cardsapp/translations; fi

# After changing user-facing strings: refresh the catalogues, then translate the new entries.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --add-location=file --sort-output \
		--no-wrap -o cardsapp/translations/messages.pot .
	$(BIN)/pybabel update -i cardsapp/translations/messages.pot -d cardsapp/translations \
		--no-fuzzy-matching --no-wrap

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Exact versions with hashes from the lock, then the project itself. A lock older than
# pyproject.toml (someone added a dependency and did not run `make lock`) does not break the
# install: `pip check` finds what is missing and pip resolves it from pyproject's ranges.
$(STAMP): pyproject.toml $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check >/dev/null || { \
		echo "requirements/dev.txt is behind pyproject.toml (run make lock); resolving the rest"; \
		$(BIN)/python -m pip install --quiet -e '.[dev]'; }
	touch $(STAMP)

# Bring the locks in line with pyproject.toml: packages added there are locked, the other pins
# stay (`make lock UPGRADE=1` moves every pin to the newest release in its range). Resolved
# against PyPI only: this machine's pip configuration may add local indexes the image
# cannot reach.
PIP_COMPILE := env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links $(if $(UPGRADE),--upgrade)
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) --output-file requirements/runtime.txt pyproject.toml requirements/portable.in
	$(PIP_COMPILE) --extra dev --output-file requirements/dev.txt pyproject.toml requirements/portable.in

# Build the production image and boot compose.yaml with podman (as root; a few minutes).
image-test:
	.ci/image_test.sh

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
