# Shared helpers of the lab scripts (sourced).
# The directory of the lab scripts.
lab_scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { printf 'lab: %s\n' "$*" >&2; }
die() {
	printf 'lab: error: %s\n' "$*" >&2
	exit 1
}

# pid_alive FILE: the pid recorded in FILE is a running process.
pid_alive() {
	[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# closefds COMMAND...: runs COMMAND (exec: call it in a subshell) with no
# file descriptor open but 0, 1 and 2. mmdebstrap hands apt a pipe on the
# lowest free descriptor and names it in a /bin/sh command (cat >&N), where
# dash reads one digit only: with descriptors the caller left open (the
# lab's lock, a terminal's or a CI runner's) that pipe can be 10 or more,
# and the download fails with "Bad fd number".
closefds() {
	local fd
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		[ "$fd" -gt 2 ] && { eval "exec $fd>&-"; } 2>/dev/null
	done
	exec "$@"
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

# wait_bg NAME PID LOG: waits for a step run in the background with its
# output in LOG; prints its `lab:` lines (what it did, with times), or the
# end of LOG and stops when it failed.
wait_bg() {
	if ! wait "$2"; then
		tail -n 40 "$3" >&2
		die "$1 failed (see $3)"
	fi
	grep '^lab: ' "$3" >&2 || true
}

# have REPO TAG...: every tag is in the lab registry (never, with FORCE=1).
have() {
	[ "${FORCE:-0}" = 1 ] && return 1
	local repo=$1 tag
	shift
	for tag in "$@"; do
		curl -fsS -o /dev/null -I \
			-H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' \
			"http://$DISTILL_REGISTRY/v2/$repo/manifests/$tag" 2>/dev/null || return 1
	done
}

# debian_sources DIR SUITE MIRROR SECURITY_MIRROR: the Docker debian
# image's deb822 sources in the root filesystem DIR.
debian_sources() {
	local dir=$1 suite=$2 mirror=$3 security=$4
	rm -f "$dir/etc/apt/sources.list"
	cat >"$dir/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $mirror
		Suites: $suite $suite-updates
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp

		Types: deb
		URIs: $security
		Suites: $suite-security
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp
	EOF
}

# since EPOCH-SECONDS: the time elapsed since then, as "42s".
since() { echo "$(($(date +%s) - $1))s"; }

# build DIR NAME DOCKERFILE OUTPUT-NAMES BUILDCTL-OPTS...: builds the
# fixture NAME from DIR/DOCKERFILE (DIR is also the build context) with the
# lab's buildkitd for $PLATFORMS (default linux/amd64,linux/arm64), with
# the CA bundle as the ca-bundle secret, and pushes it under OUTPUT-NAMES
# (comma-separated). $BUILD_OUTPUT_ATTRS adds image exporter attributes
# (comma-separated, e.g. annotations). Log: $DISTILL_LAB_DIR/logs/fixture-NAME.log.
build() {
	local dir=$1 what=$2 file=$3 names=$4 t0
	local logf=$DISTILL_LAB_DIR/logs/fixture-$what.log
	shift 4
	t0=$(date +%s)
	log "building $what"
	buildctl build --frontend dockerfile.v0 \
		--local context="$dir" --local dockerfile="$dir" \
		--opt filename="$file" --opt platform="${PLATFORMS:-linux/amd64,linux/arm64}" \
		--secret id=ca-bundle,src="${DISTILL_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" "$@" \
		--output "type=image,\"name=$names\",push=true,registry.insecure=true${BUILD_OUTPUT_ATTRS:+,$BUILD_OUTPUT_ATTRS}" \
		--progress plain >"$logf" 2>&1 || {
		tail -n 30 "$logf" >&2
		die "building $what failed (see $logf)"
	}
	log "  pushed $what ($(since "$t0"))"
}

# module_dir MODULE VERSION: the directory of MODULE@VERSION's source in
# the Go module cache, downloaded through the module proxy if missing.
module_dir() {
	local dir
	dir=$(cd "$lab_scripts" && GOFLAGS=-mod=mod go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || die "could not download $1@$2"
	echo "$dir"
}

# build_tool [-s SUFFIX] MODULE VERSION BINARY...: builds each BINARY from
# ./cmd/BINARY of MODULE@VERSION with the module's own go.mod as the main
# module (as a dependency of another module they resolve versions the
# module proxy here does not serve) into $DISTILL_LAB_DIR/bin/BINARY, or
# BINARY-SUFFIX with -s; binaries already built at VERSION are kept. The
# module's go.mod and go.sum are used as they are (-mod=mod: the module
# zips of older releases keep only vendor/modules.txt of their vendor
# directory); the module's version package, when it has one, reports
# VERSION. Log: $DISTILL_LAB_DIR/logs/build-<module's last element>[SUFFIX].log.
build_tool() {
	local suffix=""
	if [ "$1" = -s ]; then
		suffix=$2
		shift 2
	fi
	local mod=$1 version=$2 bin=$DISTILL_LAB_DIR/bin
	shift 2
	local missing=() b
	for b in "$@"; do
		[ -x "$bin/$b$suffix" ] && [ "$(cat "$bin/.$b$suffix.version" 2>/dev/null)" = "$version" ] || missing+=("$b")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local logf=$DISTILL_LAB_DIR/logs/build-$(basename "$mod")$suffix.log t0 dir tmp
	t0=$(date +%s)
	log "building ${missing[*]} $version from $mod (a few minutes)"
	dir=$(module_dir "$mod" "$version") || exit 1
	local pkgs=()
	for b in "${missing[@]}"; do pkgs+=("./cmd/$b"); done
	mkdir -p "$bin"
	tmp=$(mktemp -d "$bin/.build.XXXXXX")
	# The release's version where the module has a version package
	# (BuildKit and buildx set it the same way in their own builds).
	local ldflags=""
	[ -f "$dir/version/version.go" ] && ldflags="-X $mod/version.Version=$version"
	(cd "$dir" && GOFLAGS="-buildvcs=false -mod=mod" CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$tmp/" "${pkgs[@]}") >"$logf" 2>&1 || {
		rm -rf "$tmp"
		die "building $mod $version failed (see $logf)"
	}
	for b in "${missing[@]}"; do
		mv -f "$tmp/$b" "$bin/$b$suffix"
		echo "$version" >"$bin/.$b$suffix.version"
	done
	rmdir "$tmp"
	log "  built ${missing[*]} $version ($(since "$t0"))"
}

# buildkitd_toml ROOT SOCKET [GCKEEPSTORAGE]: a buildkitd configuration
# (state in ROOT, gRPC on the unix socket SOCKET, the OCI worker with runc,
# GC above GCKEEPSTORAGE, a TOML value, default "20GB") mirroring
# docker.io, gcr.io, cgr.dev and ghcr.io to the lab registry.
buildkitd_toml() {
	local keep=${3:-'"20GB"'}
	cat <<-TOML
		root = "$1"
		[grpc]
		  address = ["unix://$2"]
		[worker.oci]
		  enabled = true
		  gc = true
		  gckeepstorage = $keep
		[worker.containerd]
		  enabled = false
		[registry."docker.io"]
		  mirrors = ["$DISTILL_REGISTRY"]
		[registry."gcr.io"]
		  mirrors = ["$DISTILL_REGISTRY"]
		[registry."cgr.dev"]
		  mirrors = ["$DISTILL_REGISTRY"]
		[registry."ghcr.io"]
		  mirrors = ["$DISTILL_REGISTRY"]
		[registry."$DISTILL_REGISTRY"]
		  http = true
		  insecure = true
	TOML
}
