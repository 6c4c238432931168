PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA_LIBS := build/apache-kafka/libs
GOVUK_FRONTEND := 5.14.0
GOVUK_ASSETS := build/govuk-frontend
AXE_CORE := 4.14.1
AXE := build/axe-core
SHELL := /bin/bash

.PHONY: install servers postgres-server kafka-jars chromium govuk-assets axe-core run kafka test lint bench drills clean asyncapi openapi

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# PostgreSQL's server binaries from Debian's package (the tests start a throwaway cluster of
# their own); skipped when they are there or when RJB_TEST_POSTGRES_HOST names a server.
postgres-server:
	@if [ -z "$$RJB_TEST_POSTGRES_HOST" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    && ! command -v initdb >/dev/null; then \
	  echo "installing Debian's postgresql (server binaries)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

# Apache Kafka's jars from Maven Central (deploy/kafka/pom.xml), reused when present.
kafka-jars: $(KAFKA_LIBS)/.complete

$(KAFKA_LIBS)/.complete: deploy/kafka/pom.xml
	rm -f $@
	$(BIN)/python -c "from adapters.apache_kafka import fetch_jars; print('apache-kafka jars in', fetch_jars())"

# Debian's chromium for the browser tests of the web pages (Playwright drives it; it never
# downloads a browser of its own).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium (browser tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# GOV.UK Frontend's compiled CSS, JS, fonts and images from the npm registry, pinned, into the
# git-ignored build/govuk-frontend (served at /assets by the web pages).
govuk-assets: $(GOVUK_ASSETS)/.v$(GOVUK_FRONTEND)

$(GOVUK_ASSETS)/.v$(GOVUK_FRONTEND):
	rm -rf $(GOVUK_ASSETS) build/govuk-frontend-npm && mkdir -p build/govuk-frontend-npm
	cd build/govuk-frontend-npm && npm pack -q govuk-frontend@$(GOVUK_FRONTEND) >/dev/null \
	  && tar xzf govuk-frontend-$(GOVUK_FRONTEND).tgz
	mkdir -p $(GOVUK_ASSETS)
	cp -r build/govuk-frontend-npm/package/dist/govuk/assets/. $(GOVUK_ASSETS)/
	cp build/govuk-frontend-npm/package/dist/govuk/govuk-frontend.min.css \
	  build/govuk-frontend-npm/package/dist/govuk/govuk-frontend.min.js $(GOVUK_ASSETS)/
	rm -rf build/govuk-frontend-npm && touch $@

# axe-core from the npm registry, pinned, into the git-ignored build/axe-core: the browser tests
# inject axe.min.js into each page and fail on serious or critical accessibility violations.
axe-core: $(AXE)/.v$(AXE_CORE)

$(AXE)/.v$(AXE_CORE):
	rm -rf $(AXE) build/axe-core-npm && mkdir -p build/axe-core-npm $(AXE)
	cd build/axe-core-npm && npm pack -q axe-core@$(AXE_CORE) >/dev/null \
	  && tar xzf axe-core-$(AXE_CORE).tgz
	cp build/axe-core-npm/package/axe.min.js build/axe-core-npm/package/LICENSE $(AXE)/
	rm -rf build/axe-core-npm && touch $@

servers: $(STAMP) postgres-server kafka-jars chromium govuk-assets axe-core

# Python alone is enough: without npm the web pages are served unstyled.
run: $(STAMP)
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory govuk-assets; \
	else echo "npm not found: the web pages are served without GOV.UK styles"; fi
	$(BIN)/rjb serve

# The broker the tests and production use, by hand, on 9092 (data kept in var/apache-kafka).
kafka: $(STAMP) kafka-jars
	$(BIN)/rjb broker --apache

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Each stage is timed; the suite starts its own PostgreSQL and Apache Kafka.
test:
	@SECONDS=0; $(MAKE) --no-print-directory install && echo "stage install: $${SECONDS}s"
	@SECONDS=0; $(MAKE) --no-print-directory postgres-server kafka-jars chromium govuk-assets axe-core && echo "stage servers: $${SECONDS}s"
	@SECONDS=0; $(MAKE) --no-print-directory lint && echo "stage lint: $${SECONDS}s"
	@SECONDS=0; $(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile --durations=20; status=$$?; \
	  echo "stage pytest: $${SECONDS}s"; exit $$status

bench: servers
	$(BIN)/python -m bench

# The reliability drills at full size on a throwaway PostgreSQL and Apache Kafka of their own
# (README "Reliability (drills)"); `make test` runs them small. DRILLS=fuzz or SEED=N to narrow.
drills: servers
	$(BIN)/python -m drills --size full $(if $(SEED),--seed $(SEED)) $(DRILLS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build

asyncapi: $(STAMP)
	$(BIN)/python -m services.kafka_runtime.asyncapi_app

openapi: $(STAMP)
	$(BIN)/python -m services.http.openapi
