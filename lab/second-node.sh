#!/usr/bin/env bash
# Starts, idempotently, a second buildkitd of the lab's release next to the
# lab's own, and a buildx builder with one remote-driver node per platform
# on the two daemons (the scale-out tests, lab/e2e/twonode_test.go):
#   - buildkitd with its own state ($DISTILL_LAB_DIR/buildkit-2), socket
#     (run/buildkitd-2.sock), pid file (run/buildkitd-2.pid), configuration
#     (run/buildkitd-2.toml: the lab's registry mirrors, the OCI worker with
#     runc) and log (logs/buildkitd-2.log);
#   - the builder $DISTILL_2NODE_BUILDER (default distill-lab-2node): the
#     lab's buildkitd pinned to linux/amd64, the second one to linux/arm64.
#     buildx sends each platform of a build to the node pinned to it.
# The lab's own builder, distill-lab, is left as it is. Needs the lab's
# binaries and registry (lab/up.sh, which runs this as its last step);
# lab/down.sh stops the daemon.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

lab=$DISTILL_LAB_DIR
name=${DISTILL_2NODE_BUILDER:-distill-lab-2node}
sock=$lab/run/buildkitd-2.sock
pidfile=$lab/run/buildkitd-2.pid
mkdir -p "$lab"/{run,logs,buildkit-2}
[ -x "$lab/bin/buildkitd" ] || die "$lab/bin/buildkitd is not built: run lab/up.sh first"

# The lab's configuration on its own root and socket; a smaller GC
# threshold, since it only builds for the scale-out tests.
buildkitd_toml "$lab/buildkit-2" "$sock" '"10GB"' >"$lab/run/buildkitd-2.toml.new"
if ! cmp -s "$lab/run/buildkitd-2.toml.new" "$lab/run/buildkitd-2.toml"; then
	mv "$lab/run/buildkitd-2.toml.new" "$lab/run/buildkitd-2.toml"
	if pid_alive "$pidfile"; then
		log "restarting the second buildkitd (configuration changed)"
		kill "$(cat "$pidfile")"
		for _ in $(seq 40); do pid_alive "$pidfile" || break; sleep 0.25; done
		pid_alive "$pidfile" && die "the second buildkitd (pid $(cat "$pidfile")) did not stop"
	fi
else
	rm "$lab/run/buildkitd-2.toml.new"
fi
if ! pid_alive "$pidfile"; then
	log "starting the second buildkitd on unix://$sock"
	setsid "$lab/bin/buildkitd" --config "$lab/run/buildkitd-2.toml" >"$lab/logs/buildkitd-2.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
fi
wait_for 60 "the second buildkitd (see $lab/logs/buildkitd-2.log)" buildctl --addr "unix://$sock" debug workers

# The builder: node <name>-amd64 on the lab's daemon, <name>-arm64 on the
# second. It is recreated when its nodes are not these (another lab
# directory, a builder of the same name made by hand).
node_line() { printf '%s %s %s\n' "$1" "unix://$2" "$3"; }
want=$(node_line "$name-amd64" "$lab/run/buildkitd.sock" linux/amd64
	node_line "$name-arm64" "$sock" linux/arm64)
# `docker buildx inspect` names the builder, then each node's Name,
# Endpoint and Platforms: the pinned platforms first, marked with "*".
have=$(docker buildx inspect "$name" 2>/dev/null | awk '
	/^Name:/ { if (builder++) n = $2; next }
	/^Endpoint:/ { e = $2 }
	/^Platforms:/ { p = $2; if (!sub(/\*,?$/, "", p)) p = "unpinned"; print n, e, p }' || true)
if [ "$have" != "$want" ]; then
	docker buildx rm "$name" >/dev/null 2>&1 || true
	log "creating the buildx builder $name (amd64: the lab's buildkitd, arm64: the second)"
	docker buildx create --name "$name" --node "$name-amd64" --driver remote \
		--platform linux/amd64 "unix://$lab/run/buildkitd.sock" >/dev/null
	docker buildx create --name "$name" --append --node "$name-arm64" \
		--platform linux/arm64 "unix://$sock" >/dev/null
fi
docker buildx inspect "$name" --bootstrap >/dev/null 2>&1 || die "the buildx builder $name does not answer"
log "builder $name: linux/amd64 on unix://$lab/run/buildkitd.sock, linux/arm64 on unix://$sock"
