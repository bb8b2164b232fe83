#!/usr/bin/env bash
# Starts the build lab (idempotent; binaries, registry data and fixtures are
# cached in $DISTILL_LAB_DIR between runs):
#   - runc, qemu-user-static (binfmt for arm64), Debian's docker-registry on
#     127.0.0.1:5000, from Debian packages;
#   - buildkitd + buildctl v0.33.1 and buildx v0.36.0, built from their own
#     Go modules;
#   - buildkitd mirroring docker.io, gcr.io, cgr.dev and ghcr.io to the
#     registry, and a buildx builder "distill-lab" (remote driver) on it;
#   - the fixture images (lab/fixtures.sh, lab/python-images.sh,
#     lab/node-images.sh, lab/java-images.sh, lab/rust-images.sh), the SBOM
#     scanner BuildKit runs for --sbom (lab/scanner-image.sh) and the
#     frontend image (lab/publish-frontend.sh);
#   - an older buildkitd on its own socket for the compatibility tests
#     (lab/old-buildkitd.sh);
#   - a second buildkitd of the same release and a buildx builder
#     "distill-lab-2node" with one node per platform on the two daemons,
#     for the scale-out tests (lab/second-node.sh).
# lab/down.sh stops what this started. One run at a time: a second waits
# for the first (a lock), then finds everything up. A run stopped midway
# continues where it stopped: every step checks what is there, and writes
# its outputs under a temporary name, renamed when complete.
# DISTILL_LAB_SKIP_PUBLISH=1 leaves the published frontend image as it is
# (tests of this script from a tree other than the one the lab serves).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

BUILDKIT_VERSION=v0.33.1
BUILDX_VERSION=v0.36.0
# What to bring up: `lab/up.sh [PART...]`, every part by default. The
# registry, buildkitd, the builder, the distroless and golang fixtures and
# the frontend image are always there (every language's builds need them,
# and the frontend is built FROM golang). The part demo is just that, with
# golang for the build platform alone (DISTILL_GOLANG_ARCHES in
# lab/fixtures.sh): what `make demo` (the Go example for linux/amd64)
# needs. Every other part has golang for amd64 and arm64, which is all go
# adds; python, node, java and rust add their fixtures, sbom the SBOM
# scanner (--sbom=true), old-buildkitd the older buildkitd of the
# compatibility tests. A later run with more parts (or none: all) adds
# what is missing (lab/README.md, "Parts").
ALL_PARTS=(demo go python node java rust sbom old-buildkitd)
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=("${ALL_PARTS[@]}")
for p in "${parts[@]}"; do
	case " ${ALL_PARTS[*]} " in
	*" $p "*) ;;
	*) die "unknown part $p (parts: ${ALL_PARTS[*]})" ;;
	esac
done
# want PART: PART was asked for.
want() { case " ${parts[*]} " in *" $1 "*) return 0 ;; esac; return 1; }
lab=$DISTILL_LAB_DIR
mkdir -p "$lab"/{bin,run,logs,registry,buildkit}
started=$(date +%s)

# One lab-up at a time: two at once would both start a registry and a
# buildkitd and overwrite each other's pid files and fixtures. The lock is
# fd 8; the daemons started below are given it closed (8>&-), or they
# would hold it for as long as they run.
lockf=$lab/run/lab-up.lock
exec 8>"$lockf"
if ! flock -n 8; then
	log "another lab-up is running (it holds $lockf): waiting for it to finish"
	flock 8
	log "the other lab-up has finished; checking what is up"
fi

# 1. Debian packages.
need=()
command -v runc >/dev/null || need+=(runc)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v curl >/dev/null || need+=(curl)
command -v nsenter >/dev/null || need+=(util-linux)
# sshd: the e2e test of Go modules over git+ssh runs its own.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	apt-get update -qq >"$lab/logs/apt.log" 2>&1 || die "apt-get update failed (see $lab/logs/apt.log)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >>"$lab/logs/apt.log" 2>&1 ||
		die "apt-get install ${need[*]} failed (see $lab/logs/apt.log)"
fi

# 2. buildkitd, buildctl and buildx, each built with its own go.mod as the
# main module (build_tool in lib.sh). In the background, waited for before
# buildkitd starts (5.): compiling them takes the two cores for minutes
# from empty Go caches, while lab/fixtures.sh (started after the registry,
# 4.) mostly waits on downloads and runs single-threaded under qemu.
(
	build_tool github.com/moby/buildkit "$BUILDKIT_VERSION" buildkitd buildctl
	build_tool github.com/docker/buildx "$BUILDX_VERSION" buildx
) >"$lab/logs/tools-up.log" 2>&1 &
tools_pid=$!
# The docker CLI looks for plugins under $DOCKER_CONFIG when it is set.
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
mkdir -p "$plugins"
ln -sf "$lab/bin/buildx" "$plugins/docker-buildx"

# 3. binfmt_misc: qemu for arm64 (and arm), with the F flag from Debian's
# configs so the interpreter works inside containers.
binfmt=/proc/sys/fs/binfmt_misc
new_binfmt=false
if [ ! -e "$binfmt/register" ]; then
	mount -t binfmt_misc binfmt_misc "$binfmt" || die "cannot mount binfmt_misc"
fi
for arch in aarch64 arm; do
	conf=/usr/lib/binfmt.d/qemu-$arch.conf
	[ -e "$binfmt/qemu-$arch" ] && continue
	[ -f "$conf" ] || die "$conf missing (qemu-user-static)"
	log "registering qemu-$arch with binfmt_misc"
	grep -v '^#' "$conf" | grep . >"$binfmt/register" || die "registering $conf failed"
	new_binfmt=true
done

# 4. The registry.
if ! curl -fs -o /dev/null "http://$DISTILL_REGISTRY/v2/"; then
	cat >"$lab/run/registry.yml.new" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $lab/registry
  delete:
    enabled: true
http:
  addr: $DISTILL_REGISTRY
YAML
	mv "$lab/run/registry.yml.new" "$lab/run/registry.yml"
	log "starting the registry on $DISTILL_REGISTRY"
	setsid docker-registry serve "$lab/run/registry.yml" >"$lab/logs/registry.log" 2>&1 </dev/null 8>&- &
	echo $! >"$lab/run/registry.pid"
	wait_for 20 "the registry" curl -fsS -o /dev/null "http://$DISTILL_REGISTRY/v2/"
fi
# The distroless and golang fixtures need only the registry (mkimage pushes
# them): assembled while the tools compile.
golang_arches="amd64 arm64"
[ "${parts[*]}" = demo ] && golang_arches=$(dpkg --print-architecture)
DISTILL_GOLANG_ARCHES=$golang_arches "$here/fixtures.sh" >"$lab/logs/fixtures-up.log" 2>&1 &
fixtures_pid=$!
wait_bg "buildkitd, buildctl and buildx" "$tools_pid" "$lab/logs/tools-up.log"

# 5. buildkitd.
buildkitd_toml "$lab/buildkit" "$lab/run/buildkitd.sock" >"$lab/run/buildkitd.toml.new"
restart=$new_binfmt
if ! cmp -s "$lab/run/buildkitd.toml.new" "$lab/run/buildkitd.toml"; then
	mv "$lab/run/buildkitd.toml.new" "$lab/run/buildkitd.toml"
	restart=true
else
	rm "$lab/run/buildkitd.toml.new"
fi
if pid_alive "$lab/run/buildkitd.pid" && [ "$restart" = true ]; then
	log "restarting buildkitd (configuration or binfmt changed)"
	kill "$(cat "$lab/run/buildkitd.pid")"
	for _ in $(seq 40); do pid_alive "$lab/run/buildkitd.pid" || break; sleep 0.25; done
fi
if ! pid_alive "$lab/run/buildkitd.pid"; then
	log "starting buildkitd"
	setsid "$lab/bin/buildkitd" --config "$lab/run/buildkitd.toml" >"$lab/logs/buildkitd.log" 2>&1 </dev/null 8>&- &
	echo $! >"$lab/run/buildkitd.pid"
fi
wait_for 60 "buildkitd" buildctl debug workers
workers=$(buildctl debug workers --format '{{range .}}{{range .Platforms}}{{.OS}}/{{.Architecture}}{{.Variant}} {{end}}{{end}}')
case " $workers " in
*" linux/arm64 "*) ;;
*) die "buildkitd does not list linux/arm64 (platforms: $workers); is binfmt registered?" ;;
esac

# 6. The buildx builder (remote driver): docker buildx build --builder
# distill-lab, and plain docker build with BUILDX_BUILDER=distill-lab
# ($BUILDX_BUILDER, from lab/env.sh). A builder of that name pointing at
# another buildkitd (another lab's, under the same ~/.docker) is left alone:
# builds would go to the wrong lab.
endpoint=unix://$lab/run/buildkitd.sock
if ! docker buildx inspect "$BUILDX_BUILDER" >/dev/null 2>&1; then
	docker buildx create --name "$BUILDX_BUILDER" --driver remote "$endpoint" >/dev/null
fi
have_endpoint=$(docker buildx inspect "$BUILDX_BUILDER" 2>/dev/null | sed -n 's/^Endpoint: *//p' | head -n 1)
[ "$have_endpoint" = "$endpoint" ] ||
	die "the buildx builder $BUILDX_BUILDER points at $have_endpoint, not at this lab's $endpoint: remove it (docker buildx rm $BUILDX_BUILDER) or set BUILDX_BUILDER to another name"
docker buildx inspect "$BUILDX_BUILDER" --bootstrap >/dev/null 2>&1 || die "the buildx builder $BUILDX_BUILDER does not answer"

# 7. Fixture images, the SBOM scanner and the frontend image. The scanner
# and the older buildkitd of the compatibility tests (8.) are Go compiled
# on the host: they run in the background while buildkitd builds the
# fixtures (much of which is single-threaded under qemu, or waits on
# downloads), each logging to its own file, and are waited for below.
if want sbom; then
	"$here/scanner-image.sh" >"$lab/logs/scanner-image.log" 2>&1 &
	scanner_pid=$!
fi
if want old-buildkitd; then
	"$here/old-buildkitd.sh" >"$lab/logs/old-buildkitd-up.log" 2>&1 8>&- &
	old_pid=$!
fi
# publish [PLATFORMS]: the frontend image (lab/publish-frontend.sh), unless
# DISTILL_LAB_SKIP_PUBLISH=1.
publish() {
	if [ "${DISTILL_LAB_SKIP_PUBLISH:-0}" = 1 ]; then
		log "DISTILL_LAB_SKIP_PUBLISH=1: the frontend image is left as it is"
	elif [ $# -gt 0 ]; then
		DISTILL_FRONTEND_PLATFORMS=$1 "$here/publish-frontend.sh"
	else
		"$here/publish-frontend.sh"
	fi
}
wait_bg "the distroless and golang fixtures" "$fixtures_pid" "$lab/logs/fixtures-up.log"
# The frontend first: with the fixtures above it is all a Go build needs.
# For the lab's own platform only, the platform buildkitd runs it on: each
# platform is a full compile of the frontend (minutes on two cores from an
# empty cache). Both, as released, at the end when every part is asked for.
publish linux/$(dpkg --print-architecture)
# debian:trixie-slim first; then CPython compiles for minutes in the
# background while the Node.js, Java and Rust fixtures, which start from
# it, are built.
if want python || want node || want java || want rust; then
	"$here/python-images.sh" slim
fi
if want python; then
	"$here/python-images.sh" >"$lab/logs/python-images.log" 2>&1 &
	python_pid=$!
fi
if want node; then "$here/node-images.sh"; fi
if want java; then "$here/java-images.sh"; fi
if want rust; then "$here/rust-images.sh"; fi
if want python; then wait_bg "the Python fixtures" "$python_pid" "$lab/logs/python-images.log"; fi
if want sbom; then wait_bg "the SBOM scanner" "$scanner_pid" "$lab/logs/scanner-image.log"; fi

# 8. The older buildkitd of the compatibility tests, on its own socket.
if want old-buildkitd; then wait_bg "the older buildkitd" "$old_pid" "$lab/logs/old-buildkitd-up.log"; fi

# 9. The frontend image for linux/amd64 and linux/arm64, as released, when
# every part is asked for (the amd64 build is cached from 7.).
all=true
for p in "${ALL_PARTS[@]}"; do [ "$p" = demo ] || want "$p" || all=false; done
if [ "$all" = true ]; then publish; fi

# 10. The second buildkitd and the two-node builder (under a second: a
# daemon start, no build).
"$here/second-node.sh" 8>&-

log "up in $(($(date +%s) - started))s (${parts[*]}): buildkitd ($workers) at $BUILDKIT_HOST, registry $DISTILL_REGISTRY, builders $BUILDX_BUILDER and distill-lab-2node"
log "use it with: source lab/env.sh"
