# Somnia: `make run` starts everything on this machine, `make test` proves it. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CACHE      ?= $(HOME)/.cache/somnia
UV_VERSION := 0.13.9
BUF_VERSION := 1.75.0
UV         := $(CACHE)/uv-$(UV_VERSION)/bin/uv
BUF        := $(CACHE)/npm/node_modules/.bin/buf
# The trainer's own environment: torch, transformers and peft (gigabytes) stay out of .venv and images.
TRAINER_VENV := $(CACHE)/trainer-venv
export UV_PYTHON_DOWNLOADS := never
export UV_CACHE_DIR := $(CACHE)/uv-cache
export HF_HUB_OFFLINE := 1
export SOMNIA_CACHE := $(CACHE)
# Podman's settings for this kind of machine (deploy/containers/containers.conf); yours win if set.
export CONTAINERS_CONF ?= $(CURDIR)/deploy/containers/containers.conf
PYTEST_ARGS ?=

.PHONY: help setup run test test-fast lint proto proto-check asyncapi bench-compare speech-acts bench bench-safety bench-quality clean backends backends-install containers-install images trainer-setup trainer-test image-trainer

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(UV):
	python3.11 -m venv $(CACHE)/uv-$(UV_VERSION)
	$(CACHE)/uv-$(UV_VERSION)/bin/pip install --quiet uv==$(UV_VERSION)

$(BUF):
	mkdir -p $(CACHE)/npm
	npm install --silent --no-audit --no-fund --prefix $(CACHE)/npm @bufbuild/buf@$(BUF_VERSION)

setup: $(UV) ## install the locked workspace into .venv (idempotent)
	$(UV) sync --all-packages --locked

run: setup ## start Somnia: NATS + every service, embedded stores under ~/.local/share/somnia
	$(UV) run --no-sync somnia up

proto: $(UV) ## regenerate libs/proto from proto/
	$(UV) run --no-sync python scripts/gen_proto.py libs/proto/src

asyncapi: setup ## regenerate docs/asyncapi.yaml and the chart's NATS users from the event registry (libs/contracts)
	$(UV) run --no-sync python scripts/gen_asyncapi.py
	$(UV) run --no-sync somnia nats-config > charts/somnia/files/nats-authorization.conf

proto-check: setup $(BUF) ## fail when proto/ is not lint-clean or libs/proto is stale
	cd proto && $(BUF) lint
	$(UV) run --no-sync python scripts/gen_proto.py --check libs/proto/src
	$(UV) run --no-sync python scripts/gen_asyncapi.py --check
	$(UV) run --no-sync somnia nats-config | diff -q - charts/somnia/files/nats-authorization.conf >/dev/null \
		|| { echo "charts/somnia/files/nats-authorization.conf is stale: run \`make asyncapi\` and commit it" >&2; exit 1; }

lint: setup proto-check ## ruff, the architecture (import-linter), mypy, buf, hadolint, stale protos and AsyncAPI
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync lint-imports
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync hadolint services/Dockerfile deploy/images/*.Dockerfile
	$(UV) run --no-sync mypy $(filter-out libs/proto/src,$(wildcard libs/*/src)) services/*/src cli/src sdk/python/src integrations/*/src

trainer-setup: $(UV) ## the trainer's environment (torch, transformers, peft) in ~/.cache/somnia/trainer-venv
	UV_PROJECT_ENVIRONMENT=$(TRAINER_VENV) $(UV) sync --locked --package somnia-trainer --extra torch --group test

trainer-test: trainer-setup ## the real LoRA training loop on a tiny random causal LM, on CPU, in the trainer's environment
	cd services/trainer && $(TRAINER_VENV)/bin/pytest --confcutdir=. $(PYTEST_ARGS)

backends-install: setup ## build Weaviate and fetch Neo4j (pinned) into ~/.cache/somnia; minutes once, then instant
	$(UV) run --no-sync somnia-backends install

backends: setup ## run NATS, Weaviate and Neo4j on loopback (data in a temp dir) until Ctrl-C
	$(UV) run --no-sync somnia-backends up

containers-install: ## podman, runc and mmdebstrap from Debian's packages, when missing (root or sudo)
	scripts/install-containers.sh

images: setup backends-install containers-install ## build every image here (Debian bases by mmdebstrap, no registry); sizes to benchmarks/results/images.json
	$(UV) run --no-sync somnia-backends images --results benchmarks/results/images.json

image-trainer: setup containers-install ## the trainer's image (torch, peft: several GB, not part of make test) and a training run in it
	$(UV) run --no-sync somnia-backends trainer-image --results benchmarks/results/trainer_image.json

test: lint backends-install containers-install trainer-setup ## everything: lint, unit, component, integration and e2e on real NATS, Weaviate, Neo4j, and the system as containers
	$(UV) run --no-sync somnia-backends images
	SOMNIA_REQUIRE_BACKENDS=1 $(UV) run --no-sync pytest $(PYTEST_ARGS)
	@echo "the store contract suites again, on the same servers from their images through testcontainers:"
	$(UV) run --no-sync somnia-backends docker-api -- env SOMNIA_BACKENDS=containers SOMNIA_REQUIRE_BACKENDS=1 \
		$(UV) run --no-sync pytest libs/memory_store libs/graph_store libs/backends $(PYTEST_ARGS)
	@echo "the trainer's real LoRA loop, in its own environment:"
	cd services/trainer && $(TRAINER_VENV)/bin/pytest --confcutdir=. $(PYTEST_ARGS)

test-fast: setup ## unit and component tests only
	$(UV) run --no-sync pytest -m "not integration and not e2e" $(PYTEST_ARGS)

bench: setup backends-install ## ingest, latency, recall, warm pack and memory; recall at 1M memories (fixture cached); a 5-minute load test; writes benchmarks/results/
	$(UV) run --no-sync python benchmarks/skeleton_bench.py
	$(UV) run --no-sync python benchmarks/warm_scale_bench.py
	$(UV) run --no-sync python benchmarks/backends_bench.py
	$(UV) run --no-sync python benchmarks/scale_bench.py
	$(UV) run --no-sync python benchmarks/load_bench.py

bench-safety: setup backends-install ## what auth and TLS cost, chaos runs (kill -9 during a 10,000-turn ingest; embedded, then Weaviate + Neo4j) and tenant isolation on LoCoMo; writes benchmarks/results/
	$(UV) run --no-sync python benchmarks/security_bench.py
	$(UV) run --no-sync python benchmarks/chaos_bench.py
	$(UV) run --no-sync python benchmarks/chaos_bench.py --backends --rate 60
	$(UV) run --no-sync python benchmarks/tenant_isolation_bench.py

bench-quality: setup backends-install ## quality on ../shared/bench/locomo (not in the repo) and generated histories: recall (embedded, and Weaviate + Neo4j), warm cache, dreams, changing facts, negative knowledge, growth, promotion to weights
	$(UV) run --no-sync python benchmarks/locomo_bench.py
	$(UV) run --no-sync python benchmarks/backend_parity_bench.py
	$(UV) run --no-sync python benchmarks/warm_cache_bench.py
	$(UV) run --no-sync python benchmarks/agent_histories.py
	$(UV) run --no-sync python benchmarks/warm_cache_bench.py --name agents-dev --data benchmarks/results/agent_histories_dev.json
	$(UV) run --no-sync python benchmarks/warm_cache_bench.py --name agents-heldout --data benchmarks/results/agent_histories_heldout.json
	$(UV) run --no-sync python benchmarks/dream_bench.py
	$(UV) run --no-sync python benchmarks/changing_facts_bench.py
	$(UV) run --no-sync python benchmarks/negative_knowledge_bench.py
	$(UV) run --no-sync python benchmarks/growth_bench.py
	$(MAKE) trainer-setup
	$(UV) run --no-sync python benchmarks/parametric_bench.py

bench-compare: setup ## LoCoMo and changing-facts quality on BASE (default HEAD) and on this tree, side by side
	$(UV) run --no-sync python benchmarks/compare_revisions.py --base $(or $(BASE),HEAD)

speech-acts: setup ## retrain the graph service's speech-act reader after editing services/graph/tools/speech_acts_corpus.json
	HF_HUB_OFFLINE=1 $(UV) run --no-sync python services/graph/tools/train_speech_acts.py

clean: ## remove the virtualenv (caches under ~/.cache/somnia are kept)
	rm -rf .venv
