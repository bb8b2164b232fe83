#!/usr/bin/env bash
# Publishes the fixtures only the benchmarks need (make bench), for
# linux/amd64, to the lab registry (lab/README.md, "Fixtures", lists the
# differences from the real images):
#   docker.io/library/buildpack-deps:trixie{-curl,-scm,}
#     lab/bench/buildpack-deps.Dockerfile, on debian:trixie-slim
#   docker.io/library/python:3.13-trixie, python:3.13
#     lab/python/python.Dockerfile --target full
#   docker.io/library/node:24-trixie, node:24
#     lab/node/node.Dockerfile --target full
#   docker.io/docker/dockerfile:1
#     lab/bench/dockerfile-frontend.Dockerfile: the Dockerfile frontend of
#     the lab's BuildKit release, built from its module
# Needs the lab's fixtures (make lab-up). Skipped when all their tags are in
# the registry (FORCE=1 rebuilds).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

PYTHON_VERSION=3.13.15 # one of lab/python-images.sh's
NODE_VERSION=24.22.3   # one of lab/node-images.sh's
YARN_VERSION=1.22.22
reg=$DISTILL_REGISTRY
export PLATFORMS=linux/amd64
mkdir -p "$DISTILL_LAB_DIR/logs"
started=$(date +%s)

for t in trixie-curl:curl trixie-scm:scm trixie:full; do
	tag=${t%%:*}
	if have library/buildpack-deps "$tag"; then
		log "library/buildpack-deps:$tag present"
		continue
	fi
	build "$here/bench" "buildpack-deps-$tag" buildpack-deps.Dockerfile "$reg/library/buildpack-deps:$tag" --opt target="${t#*:}"
done

minor=${PYTHON_VERSION%.*}
if have library/python "$minor-trixie" "$minor"; then
	log "library/python:$minor-trixie present"
else
	build "$here/python" "python-$PYTHON_VERSION-full" python.Dockerfile \
		"$reg/library/python:$minor-trixie,$reg/library/python:$minor" \
		--opt target=full --opt build-arg:PYTHON_VERSION="$PYTHON_VERSION"
fi

major=${NODE_VERSION%%.*}
if have library/node "$major-trixie" "$major"; then
	log "library/node:$major-trixie present"
else
	build "$here/node" "node-$NODE_VERSION-full" node.Dockerfile \
		"$reg/library/node:$major-trixie,$reg/library/node:$major" \
		--opt target=full --opt build-arg:NODE_VERSION="$NODE_VERSION" --opt build-arg:YARN_VERSION="$YARN_VERSION"
fi
if have docker/dockerfile 1; then
	log "docker/dockerfile:1 present"
else
	version=$(cat "$DISTILL_LAB_DIR/bin/.buildkitd.version")
	dir=$(module_dir github.com/moby/buildkit "$version") || exit 1
	ctx=$(mktemp -d)
	cp "$here/bench/dockerfile-frontend.Dockerfile" "$ctx/"
	log "building the Dockerfile frontend of BuildKit $version"
	(cd "$dir" && GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0 go build -trimpath -ldflags "-d" \
		-tags "$(cat frontend/dockerfile/release/mainline/tags) netgo static_build osusergo" \
		-o "$ctx/dockerfile-frontend" ./frontend/dockerfile/cmd/dockerfile-frontend) >"$DISTILL_LAB_DIR/logs/build-dockerfile-frontend.log" 2>&1 ||
		die "building the Dockerfile frontend failed (see $DISTILL_LAB_DIR/logs/build-dockerfile-frontend.log)"
	build "$ctx" dockerfile-frontend dockerfile-frontend.Dockerfile "$reg/docker/dockerfile:1"
	rm -rf "$ctx"
fi
log "benchmark fixtures ready in $reg ($(since "$started"))"
