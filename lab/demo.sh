#!/usr/bin/env bash
# The main job on a fresh machine (after lab/up.sh): build examples/go-hello
# with distill through `docker buildx build`, unpack the image, run it with
# runc and ask it over HTTP. This is the end-to-end test of that example,
# run verbosely so its log shows the build, the image and the answer.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
cd "$here/.."
DISTILL_E2E=1 go test -count=1 -v -run '^TestGoHelloBuildx$' ./lab/e2e/ 2>&1 | grep -v '^=== RUN' | sed 's/^ *//'
