#!/usr/bin/env bash
# Builds the frontend image from the repo's Dockerfile inside the lab's
# buildkitd, for linux/amd64 and linux/arm64, and pushes it to the lab
# registry under its public name: buildkitd mirrors ghcr.io to the lab
# registry, so `# syntax=ghcr.io/distill-build/distill:1` in examples/
# resolves to this build. Runs on every `make lab-up`: the build cache makes
# an unchanged tree cost seconds. DISTILL_FRONTEND_PLATFORMS narrows the
# platforms (lab/up.sh publishes linux/amd64 alone first, see there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"

image=${DISTILL_IMAGE:-distill-build/distill}
tags=${DISTILL_IMAGE_TAGS:-"1 latest"}
ca=${DISTILL_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

names=""
for t in $tags; do
	names+="${names:+,}${DISTILL_REGISTRY}/${image}:${t}"
done

echo "lab: building the frontend image ($names)"
start=$(date +%s)
buildctl build \
	--frontend dockerfile.v0 \
	--local context="$repo" \
	--local dockerfile="$repo" \
	--opt platform="${DISTILL_FRONTEND_PLATFORMS:-linux/amd64,linux/arm64}" \
	--secret id=ca-bundle,src="$ca" \
	--output "type=image,\"name=$names\",push=true,registry.insecure=true" \
	--progress "${DISTILL_PROGRESS:-plain}" 2>"$DISTILL_LAB_DIR/logs/publish-frontend.log" || {
	tail -n 40 "$DISTILL_LAB_DIR/logs/publish-frontend.log" >&2
	echo "lab: building the frontend image failed (log: $DISTILL_LAB_DIR/logs/publish-frontend.log)" >&2
	exit 1
}
echo "lab: frontend image published in $(($(date +%s) - start))s as ghcr.io/${image}:{${tags// /,}}"
