#!/usr/bin/env bash
# Builds (cached) and starts, idempotently, the older buildkitd of the
# compatibility tests (lab/e2e/compat_test.go), next to the lab's own:
#   - buildkitd and buildctl $OLD_BUILDKIT_VERSION, built from the
#     github.com/moby/buildkit module with its own go.mod as the main
#     module like the lab's (build_tool in lib.sh), as
#     $DISTILL_LAB_DIR/bin/buildkitd-<version> and buildctl-<version>, with
#     the links buildkitd-old and buildctl-old to them;
#   - its own state ($DISTILL_LAB_DIR/buildkit-old), socket
#     (run/buildkitd-old.sock), pid file (run/buildkitd-old.pid),
#     configuration (run/buildkitd-old.toml: the lab's registry mirrors, the
#     OCI worker with runc) and log (logs/buildkitd-old.log).
# Run by lab/up.sh as its last step; lab/down.sh stops it.
# DISTILL_OLD_BUILDKIT_VERSION selects another release (see lab/README.md
# for the ones that build here).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

OLD_BUILDKIT_VERSION=${DISTILL_OLD_BUILDKIT_VERSION:-v0.7.0}
v=$OLD_BUILDKIT_VERSION
lab=$DISTILL_LAB_DIR
sock=$lab/run/buildkitd-old.sock
pidfile=$lab/run/buildkitd-old.pid
mkdir -p "$lab"/{bin,run,logs,buildkit-old}

build_tool -s "-$v" github.com/moby/buildkit "$v" buildkitd buildctl
ln -sfn "buildkitd-$v" "$lab/bin/buildkitd-old"
ln -sfn "buildctl-$v" "$lab/bin/buildctl-old"

# version_lt A B: release A is older than release B.
version_lt() { [ "$1" != "$2" ] && [ "$(printf '%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }

# The lab's configuration, on its own root and socket, with a smaller GC
# threshold: it only builds the compatibility tests' examples. Releases
# before v0.12 read gckeepstorage as a number of bytes only ("10GB" fails
# with "Can't convert 10GB(string) to int64").
keep='"10GB"'
version_lt "$v" v0.12.0 && keep=10737418240
buildkitd_toml "$lab/buildkit-old" "$sock" "$keep" >"$lab/run/buildkitd-old.toml.new"
restart=false
if ! cmp -s "$lab/run/buildkitd-old.toml.new" "$lab/run/buildkitd-old.toml"; then
	mv "$lab/run/buildkitd-old.toml.new" "$lab/run/buildkitd-old.toml"
	restart=true
else
	rm "$lab/run/buildkitd-old.toml.new"
fi
[ "$(cat "$lab/run/buildkitd-old.version" 2>/dev/null)" = "$v" ] || restart=true
if pid_alive "$pidfile" && [ "$restart" = true ]; then
	log "restarting the older buildkitd (version or configuration changed)"
	kill "$(cat "$pidfile")"
	for _ in $(seq 40); do pid_alive "$pidfile" || break; sleep 0.25; done
	pid_alive "$pidfile" && die "the older buildkitd (pid $(cat "$pidfile")) did not stop"
fi
# Another release's state is not reused (an older buildkitd may not read
# a newer one's metadata): a fresh state directory for a new version.
if [ "$(cat "$lab/run/buildkitd-old.version" 2>/dev/null)" != "$v" ] && ! pid_alive "$pidfile"; then
	if grep -q " $lab/buildkit-old/" /proc/self/mountinfo; then
		die "mounts left under $lab/buildkit-old (see /proc/self/mountinfo): unmount them first"
	fi
	rm -rf "$lab/buildkit-old"
	mkdir -p "$lab/buildkit-old"
fi
if ! pid_alive "$pidfile"; then
	log "starting buildkitd $v (compatibility tests) on unix://$sock"
	setsid "$lab/bin/buildkitd-$v" --config "$lab/run/buildkitd-old.toml" >"$lab/logs/buildkitd-old.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	echo "$v" >"$lab/run/buildkitd-old.version"
fi
for _ in $(seq 240); do
	"$lab/bin/buildctl-$v" --addr "unix://$sock" debug workers >/dev/null 2>&1 && break
	pid_alive "$pidfile" || {
		tail -n 5 "$lab/logs/buildkitd-old.log" >&2
		die "buildkitd $v exited (see $lab/logs/buildkitd-old.log)"
	}
	sleep 0.25
done
"$lab/bin/buildctl-$v" --addr "unix://$sock" debug workers >/dev/null 2>&1 ||
	die "buildkitd $v did not come up within 60s (see $lab/logs/buildkitd-old.log)"
log "buildkitd $v (compatibility tests) at unix://$sock"
