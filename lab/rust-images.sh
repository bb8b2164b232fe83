#!/usr/bin/env bash
# Publishes the lab's Rust fixture to the lab registry, for linux/amd64 and
# linux/arm64 (lab/README.md, "Fixtures", lists the differences from the
# real image), from lab/rust/rust.Dockerfile:
#   docker.io/library/rust:{1.85.1,1.85,1,}-trixie (trixie alone for the last)
#     --target rust: debian:trixie-slim + Debian 13's rustc, cargo and
#     libstd-rust-dev with gcc, libc6-dev, make, pkgconf, ca-certificates,
#     curl, git; RUSTUP_HOME, CARGO_HOME and PATH as the official image,
#     cargo, rustc, rustdoc in /usr/local/cargo/bin; the other
#     architecture's standard library preinstalled
# Needs debian:trixie-slim (lab/python-images.sh slim). The image is built
# by the lab's buildkitd (cached in its state between runs) and skipped
# when all its tags are in the registry (FORCE=1 rebuilds).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

SUITE=trixie
# The upstream version of Debian trixie's rustc, cargo and libstd-rust-dev
# (1.85.1+dfsg1-1+deb13u1); the build stops when the package is another
# release.
RUST_VERSION=1.85.1
reg=$DISTILL_REGISTRY
mkdir -p "$DISTILL_LAB_DIR/logs"
started=$(date +%s)

publish_rust() {
	local minor=${RUST_VERSION%.*} major=${RUST_VERSION%%.*} tags=() names="" t
	tags=("$RUST_VERSION-$SUITE" "$minor-$SUITE" "$major-$SUITE" "$SUITE")
	if have library/rust "${tags[@]}"; then
		log "library/rust:$minor-$SUITE present"
		return 0
	fi
	for t in "${tags[@]}"; do names+="${names:+,}$reg/library/rust:$t"; done
	build "$here/rust" "rust-$RUST_VERSION" rust.Dockerfile "$names" \
		--opt target=rust --opt build-arg:RUST_VERSION="$RUST_VERSION"
}

publish_rust
log "Rust fixture ready in $reg ($(since "$started"))"
