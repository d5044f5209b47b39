# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck format translations messages bench clean

run: $(STAMP) translations
	$(BIN)/cardsapp dev

test: $(STAMP) translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
