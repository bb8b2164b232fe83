# Shared helpers of the lab scripts (sourced).
log() { printf 'lab: %s\n' "$*" >&2; }
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}

# pid_alive FILE: the pid recorded in FILE is a running process.
pid_alive() {
	[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds.
wait_for() {
	local secs=$1 what=$2
	shift 2
	for _ in $(seq "$((secs * 4))"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.25
	done
	die "$what did not come up within ${secs}s"
}
