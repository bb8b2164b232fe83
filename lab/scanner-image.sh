#!/usr/bin/env bash
# Publishes the lab's SBOM scanner to the lab registry under the name
# BuildKit uses by default for `--sbom=true` (attest:sbom without a
# generator): docker/buildkit-syft-scanner:stable-1 (and :latest), which
# buildkitd's docker.io mirror serves from
# $DISTILL_REGISTRY/docker/buildkit-syft-scanner. linux/amd64 only: the
# scanner runs on the build platform.
#
# The real image is built from the module github.com/docker/buildkit-syft-scanner,
# which the lab's Go module proxy refuses at every tag (403), so the binary
# is the lab's own implementation of BuildKit's SBOM generator protocol on
# the same syft release (lab/scanner/, its own Go module; lab/README.md,
# "SBOM scanner", lists the differences). It is built on the host
# (CGO_ENABLED=0, static) and put on an empty base by lab/scanner/Dockerfile
# in the lab's buildkitd.
#
# Idempotent: skipped when both tags are in the registry (FORCE=1 rebuilds).
# The binary lands in $DISTILL_LAB_DIR/fixtures/scanner; the Go build cache
# makes a rebuild with unchanged sources cost seconds (the first build
# takes about 6 minutes on the 2-core machine).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

repo=docker/buildkit-syft-scanner
tags=(stable-1 latest)
reg=$DISTILL_REGISTRY
out=$DISTILL_LAB_DIR/fixtures/scanner
logf=$DISTILL_LAB_DIR/logs/build-syft-scanner.log
mkdir -p "$out" "$DISTILL_LAB_DIR/logs"
started=$(date +%s)

if have "$repo" "${tags[@]}"; then
	log "$repo:${tags[0]} present"
	exit 0
fi

log "building syft-scanner (lab/scanner; minutes the first time)"
(cd "$here/scanner" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
	go build -trimpath -o "$out/syft-scanner" .) >"$logf" 2>&1 ||
	die "building syft-scanner failed (see $logf)"
log "  built syft-scanner ($(since "$started"))"
cp "$here/scanner/Dockerfile" "$out/Dockerfile"

names=""
for t in "${tags[@]}"; do names+="${names:+,}$reg/$repo:$t"; done
PLATFORMS=linux/amd64 build "$out" syft-scanner Dockerfile "$names"
log "SBOM scanner ready as docker.io/$repo:{$(IFS=,; echo "${tags[*]}")} ($(since "$started"))"
