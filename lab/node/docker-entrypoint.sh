#!/bin/sh
# The lab's node fixture entrypoint (lab/node/node.Dockerfile), behaving as
# the official image's: the arguments are run as a command, unless they are
# meant for node (an option such as -e or --version, a script file, anything
# that is not a command on PATH), in which case node runs them.
set -e
case ${1-} in
-*) set -- node "$@" ;;
*)
	if [ -z "$(command -v "${1-}")" ] || { [ -f "${1-}" ] && [ ! -x "$1" ]; }; then
		set -- node "$@"
	fi
	;;
esac
exec "$@"
