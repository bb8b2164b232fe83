#!/usr/bin/env bash
# Stops what lab/up.sh started (the older buildkitd of lab/old-buildkitd.sh
# and the second one of lab/second-node.sh included), by pid file; caches
# and the buildx builders stay for the next run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"
# ours PIDFILE: the process is this lab's: its command line names a file
# under $DISTILL_LAB_DIR (its configuration), so a pid reused by another
# process since, or another lab's daemon, is never stopped.
ours() {
	tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -qF "$DISTILL_LAB_DIR/"
}
for svc in buildkitd-old buildkitd-2 buildkitd registry; do
	pidfile=$DISTILL_LAB_DIR/run/$svc.pid
	if pid_alive "$pidfile" && ! ours "$pidfile"; then
		log "pid $(cat "$pidfile") of $pidfile is not this lab's $svc: not stopped"
	elif pid_alive "$pidfile"; then
		log "stopping $svc"
		kill "$(cat "$pidfile")"
		for _ in $(seq 40); do pid_alive "$pidfile" || break; sleep 0.25; done
		pid_alive "$pidfile" && kill -9 "$(cat "$pidfile")"
	fi
	rm -f "$pidfile"
done
