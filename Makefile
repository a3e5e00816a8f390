# scalebridge: the two commands a fresh machine needs are `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= examples/quickstart.yaml

.PHONY: all deps deps-test build release image run test check lint format clean bench bench-check bench-thresholds bench-instructions compare compare-fleet fuzz

all: build

deps:
	@dev/install-deps.sh

deps-test:
	@dev/install-deps.sh --test

build: deps
	$(SWIFT) build --product scalebridge

## The binary as it ships (packaging/build-release.sh): .build-release/release/scalebridge
release: deps
	packaging/build-release.sh

## The runtime image without a Docker engine: debootstrap, umoci, crun (packaging/build-image.sh).
image: deps
	dev/install-deps.sh --release
	packaging/build-image.sh

## Runs the quickstart: scrapes the pages in examples/, prints the signals. No cloud, no network.
run: build
	.build/debug/scalebridge once --config $(CONFIG)

## Runs every test, including the oracle tests against a real Prometheus (installed if missing).
test: deps-test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

BENCH = SCALEBRIDGE_BENCHMARKS=1 $(SWIFT) package --scratch-path .build-bench --disable-sandbox

## Benchmarks (release build, a few minutes; docs/performance.md).
bench:
	$(BENCH) benchmark

## Fails when a benchmark regresses beyond the committed thresholds (Benchmarks/Thresholds), or
## a workload's instruction count under callgrind rises more than 5 % (Benchmarks/instructions.json).
bench-check: bench-instructions
	$(BENCH) benchmark thresholds check --path "$(CURDIR)/Benchmarks/Thresholds"

## Instructions per iteration under callgrind, for machines without hardware counters (~1 min).
bench-instructions:
	python3 bench/instructions.py

## Rewrites the committed thresholds and instruction counts from a fresh run (after an intended change).
bench-thresholds:
	$(BENCH) --allow-writing-to-package-directory benchmark thresholds update --path "$(CURDIR)/Benchmarks/Thresholds"
	python3 bench/instructions.py --update

## Coverage-guided fuzzing (libFuzzer + address sanitizer), FUZZ_SECONDS per target (dev/fuzz.sh).
FUZZ_SECONDS ?= 60
fuzz: deps
	dev/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

## Side-by-side figures against Python prometheus_client/boto3 and promtool (bench/compare.sh).
compare:
	bash bench/compare.sh

## A whole fleet next to Prometheus: CPU per tick and billed memory (bench/fleet.sh; needs root).
compare-fleet:
	bash bench/fleet.sh

check: build
	.build/debug/scalebridge check --config $(CONFIG)

lint:
	$(SWIFT) format lint --recursive Sources Tests Package.swift

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift

clean:
	rm -rf .build
