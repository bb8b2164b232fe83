#!/usr/bin/env bash
# Publishes the lab's Python fixtures to the lab registry, for linux/amd64
# and linux/arm64 (lab/README.md, "Fixtures", lists the differences from
# the real images):
#   docker.io/library/debian:trixie-slim   mmdebstrap minbase (+ the Docker
#     image's apt/dpkg settings); the base of the two below
#   docker.io/library/python:{3.13,3.12}[.patch]-slim-trixie
#     lab/python/python.Dockerfile: CPython from source into /usr/local
#   gcr.io/distroless/python3-debian13:{latest,nonroot,debug,debug-nonroot}
#     lab/python/distroless-python3.Dockerfile: cc-debian13 + Debian's
#     python3.13 packages
# The images are built by the lab's buildkitd (cached in its state between
# runs) and skipped when all their tags are in the registry (FORCE=1
# rebuilds).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

SUITE=trixie
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
ARCHES=(amd64 arm64)
# CPython releases: the official images' (lab/README.md), or the next patch where the Go module proxy refuses that tag (3.13.14).
PYTHONS=(3.13.15 3.12.13)
reg=$DISTILL_REGISTRY
cache=$DISTILL_LAB_DIR/fixtures
logs=$DISTILL_LAB_DIR/logs
mkdir -p "$cache" "$logs"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
started=$(date +%s)


# --- debian:trixie-slim -----------------------------------------------------
# slim_rootfs ARCH: a minbase root filesystem as the Docker image has it:
# deb822 sources, no apt lists or caches, docs and locales excluded from
# later installs.
slim_rootfs() {
	local arch=$1 out=$cache/debian-slim-$arch
	if [ ! -d "$out" ]; then
		log "mmdebstrap $SUITE minbase ($arch)"
		rm -rf "$out.tmp"
		(closefds mmdebstrap --variant=minbase --arch="$arch" --format=directory \
			--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
			--dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
			--dpkgopt='path-exclude=/usr/share/info/*' --aptopt='Acquire::Retries "3"' \
			--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/etc/resolv.conf "$1"/etc/hostname' \
			"$SUITE" "$out.tmp" \
			"deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main" \
			) >"$logs/mmdebstrap-slim-$arch.log" 2>&1 || die "mmdebstrap ($arch) failed (see $logs/mmdebstrap-slim-$arch.log)"
		# What the Docker image configures: deb822 sources, apt settings.
		debian_sources "$out.tmp" "$SUITE" "$MIRROR" "$SECURITY_MIRROR"
		printf '%s\n' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/doc/*' \
			'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/locale/*' \
			'path-exclude /usr/share/info/*' >"$out.tmp/etc/dpkg/dpkg.cfg.d/docker"
		echo 'Acquire::Languages "none";' >"$out.tmp/etc/apt/apt.conf.d/docker-no-languages"
		echo 'Acquire::GzipIndexes "true";' >"$out.tmp/etc/apt/apt.conf.d/docker-gzip-indexes"
		rm -f "$out.tmp/etc/apt/apt.conf.d/99mmdebstrap" "$out.tmp/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
		install -m 0644 /dev/null "$out.tmp/etc/resolv.conf"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

publish_debian_slim() {
	if have library/debian trixie-slim; then
		log "library/debian:trixie-slim present"
		return 0
	fi
	local t0 plats="" arch rootfs
	t0=$(date +%s)
	for arch in "${ARCHES[@]}"; do
		rootfs=$(slim_rootfs "$arch")
		plats+="${plats:+,}{\"platform\":\"linux/$arch\",\"layers\":[{\"path\":\"$rootfs\",\"comment\":\"debian $SUITE minbase\"}],"
		plats+="\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"bash\"]}}"
	done
	printf '{"repository":"library/debian","tags":["trixie-slim","13-slim"],"platforms":[%s]}\n' "$plats" >"$cache/debian-slim.json"
	"$cache/bin/mkimage" -registry "$reg" -cache "$cache/layers" "$cache/debian-slim.json" >>"$logs/fixtures-push.log" ||
		die "pushing debian:trixie-slim failed"
	log "  pushed library/debian:trixie-slim ($(since "$t0"))"
}

publish_python() {
	local v minor names target
	for v in "${PYTHONS[@]}"; do
		minor=${v%.*}
		if have library/python "$minor-slim-$SUITE" "$v-slim-$SUITE"; then
			log "library/python:$minor-slim-$SUITE present"
			continue
		fi
		names="$reg/library/python:$minor-slim-$SUITE,$reg/library/python:$v-slim-$SUITE"
		target=slim
		case $minor in 3.10 | 3.11 | 3.12) target=slim-lang ;; esac
		build "$here/python" "python-$v" python.Dockerfile "$names" --opt target="$target" --opt build-arg:PYTHON_VERSION="$v"
	done
}

publish_distroless_python() {
	local variant
	for variant in latest nonroot debug debug-nonroot; do
		if have distroless/python3-debian13 "$variant"; then
			log "distroless/python3-debian13:$variant present"
			continue
		fi
		build "$here/python" "distroless-python3-$variant" distroless-python3.Dockerfile \
			"$reg/distroless/python3-debian13:$variant" --opt build-arg:VARIANT="$variant"
	done
}

[ -x "$cache/bin/mkimage" ] || (cd "$here/.." && CGO_ENABLED=0 go build -trimpath -o "$cache/bin/mkimage" ./lab/cmd/mkimage) ||
	die "building lab/cmd/mkimage failed"
publish_debian_slim
# `python-images.sh slim`: only debian:trixie-slim, which the Node.js and
# Java fixtures start from (lab/up.sh builds them while CPython compiles).
if [ "${1:-}" = slim ]; then
	exit 0
fi
publish_distroless_python
publish_python
log "Python fixtures ready in $reg ($(since "$started"))"
