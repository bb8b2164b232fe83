# distill — see README.md. `make demo` sets everything up and builds and
# runs the Go example; `make test` runs unit tests, starts the lab and runs
# the end-to-end tests.
SHELL := /bin/bash
GO ?= go
PKGS := ./...
# Unit tests: everything but the end-to-end package, which needs the lab.
UNIT_PKGS = $(shell $(GO) list ./... | grep -v '/lab/e2e$$')

.PHONY: all build unit fuzz schema lab-up lab-down e2e test demo bench release realworld clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/ ./cmd/...

unit:
	$(GO) vet $(PKGS)
	$(GO) test -short -count=1 $(UNIT_PKGS)

# Short fuzzing runs of the manifest parser and of the Rust provider's
# Cargo.toml reading; longer with FUZZTIME=10m.
FUZZTIME ?= 20s
fuzz:
	$(GO) test ./frontend/manifest -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./frontend/providers/rust -run '^$$' -fuzz FuzzCargo -fuzztime $(FUZZTIME)

schema:
	$(GO) run ./cmd/distill schema > frontend/manifest/distill.schema.json

# LAB_PARTS: what lab-up brings up (lab/up.sh: demo go python node java
# rust sbom old-buildkitd); empty for all of them.
LAB_PARTS ?=
lab-up:
	lab/up.sh $(LAB_PARTS)

lab-down:
	lab/down.sh

e2e:
	source lab/env.sh && DISTILL_E2E=1 $(GO) test -count=1 -timeout 50m -v ./lab/e2e/

test: unit lab-up e2e

# The corpus of real applications (lab/realworld): each downloaded from its
# registry, built with distill in the lab and run. Not part of `make test`
# (it compiles for a long while); results in bench/results/realworld-e2e.json
# (the bench suite realworld writes realworld.json).
realworld: lab-up
	source lab/env.sh && DISTILL_E2E=1 DISTILL_REALWORLD=1 DISTILL_REALWORLD_RESULTS=$(CURDIR)/bench/results/realworld-e2e.json \
		$(GO) test -count=1 -timeout 120m -v -run 'TestRealworld' ./lab/e2e/

# Only the lab's part the Go example needs (golang for amd64 alone, no
# other language's fixtures, no SBOM scanner, no older buildkitd);
# `make lab-up` adds the rest.
demo:
	lab/up.sh demo
	lab/demo.sh

# Benchmarks (not tests), in the lab; they empty buildkitd's cache. The seed
# articles' comparisons (full, slim, hand-written distroless and distill
# images of each seed app; the frontend's own cost) and multi-platform
# builds against single-platform and hand-written QEMU builds, and the
# Spring Boot app against its hand-written Dockerfile (java), and the axum
# server against its hand-written two-stage Dockerfile and cargo-chef's,
# amd64 and amd64+arm64 under QEMU (rust; the QEMU builds take up to
# half an hour each). Writes bench/results/ and docs/benchmarks.md
# (+ .png). The runtime packages' examples against slim images with apt
# (packages), and the corpus of real apps against their own Dockerfiles
# (realworld). A dozen builds at once on one buildkitd against one by one,
# and the frontend's peak memory per build (load). BENCH_RUNS=3 for
# medians of three; BENCH_SUITE=seeds, multiplatform, java, rust,
# packages, realworld or load for one of them.
BENCH_RUNS ?= 1
BENCH_SUITE ?= all
bench: lab-up
	lab/bench-images.sh
	source lab/env.sh && $(GO) run ./bench -runs $(BENCH_RUNS) -suite $(BENCH_SUITE)

# A release (.ci/release, docs/releases.md): the multi-arch frontend image
# pushed to $(REGISTRY)/distill as X.Y.Z, X.Y, X and latest, and the CLI
# for linux and darwin × amd64 and arm64 in dist/ with checksums.
#   make release VERSION=1.2.3 [REGISTRY=ghcr.io/distill-build] [BUILDER=…]
release:
	VERSION=$(VERSION) .ci/release

clean:
	rm -rf bin dist
