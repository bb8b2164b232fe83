#!/usr/bin/env bash
# Publishes the lab's fixture images to the lab registry, under the names
# buildkitd mirrors (docker.io/library/X -> $DISTILL_REGISTRY/library/X,
# gcr.io/distroless/X -> $DISTILL_REGISTRY/distroless/X), for linux/amd64
# and linux/arm64, reproducing the real images' layout
# (see lab/README.md, "Fixtures", for how and every deviation):
#   gcr.io/distroless/{static,base,cc}-debian13:{latest,nonroot,debug,debug-nonroot}
#     assembled from Debian trixie .debs;
#   docker.io/library/golang:1.26-trixie (and 1.26.8-trixie): a Debian
#     trixie rootfs (mmdebstrap) plus the official Go distribution, which
#     the Go module proxy serves as golang.org/toolchain.
# Idempotent: an image whose tags all exist is skipped (FORCE=1 rebuilds);
# downloads and rootfs tarballs are cached in $DISTILL_LAB_DIR/fixtures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

GO_VERSION=1.26.8
ARCHES=(amd64 arm64)
cache=$DISTILL_LAB_DIR/fixtures
mkdir -p "$cache"
reg=$DISTILL_REGISTRY

mkimage=$cache/mkimage
(cd "$here" && go build -o "$mkimage" ./cmd/mkimage) || die "building mkimage failed"

# have REPO TAG...: every tag exists in the registry.
have() {
	local repo=$1
	shift
	[ "${FORCE:-}" = 1 ] && return 1
	for tag in "$@"; do
		curl -fs -o /dev/null -H 'Accept: application/vnd.oci.image.index.v1+json' \
			"http://$reg/v2/$repo/manifests/$tag" || return 1
	done
}

# --- Debian trixie packages, through a private apt root -------------------
aptroot=$cache/apt
apt_trixie() {
	apt-get -q -o Dir="$aptroot" -o Dir::State::status="$aptroot/var/lib/dpkg/status" \
		-o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		-o Debug::NoLocking=1 "$@"
}
apt_ready=false
apt_setup() {
	$apt_ready && return 0
	mkdir -p "$aptroot"/etc/apt/{sources.list.d,preferences.d,apt.conf.d,trusted.gpg.d} \
		"$aptroot"/var/lib/apt/lists/partial "$aptroot"/var/cache/apt/archives/partial "$aptroot"/var/lib/dpkg
	touch "$aptroot/var/lib/dpkg/status"
	local opts="arch=amd64,arm64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
	cat >"$aptroot/etc/apt/sources.list" <<SRC
deb [$opts] http://deb.debian.org/debian trixie main
deb [$opts] http://deb.debian.org/debian trixie-updates main
deb [$opts] http://deb.debian.org/debian-security trixie-security main
SRC
	# Refresh the package lists at most once a day.
	if [ -z "$(find "$aptroot/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
		log "updating Debian trixie package lists"
		apt_trixie update >"$DISTILL_LAB_DIR/logs/apt-trixie.log" 2>&1 || die "apt-get update (trixie) failed: see $DISTILL_LAB_DIR/logs/apt-trixie.log"
	fi
	apt_ready=true
}

# fetch_debs ARCH PKG...: downloads the packages into $cache/debs/ARCH.
fetch_debs() {
	local arch=$1
	shift
	apt_setup
	mkdir -p "$cache/debs/$arch"
	local p
	for p in "$@"; do
		[ -n "$(deb_file "$arch" "$p")" ] && continue
		# Architecture: all packages have no :arch candidate.
		(cd "$cache/debs/$arch" && { apt_trixie download "$p:$arch" || apt_trixie download "$p"; } \
			>>"$DISTILL_LAB_DIR/logs/apt-trixie.log" 2>&1) ||
			die "downloading $p ($arch) failed: see $DISTILL_LAB_DIR/logs/apt-trixie.log"
	done
}

# deb_file ARCH PKG: the newest downloaded .deb of PKG.
deb_file() {
	ls -1 "$cache/debs/$1/$2"_*.deb 2>/dev/null | sort -V | tail -1
}

# extract_debs ARCH DIR PKG...: unpacks the packages into DIR like the
# distroless build does: files, plus /var/lib/dpkg/status.d/<pkg> (control)
# and <pkg>.md5sums, without docs; top-level bin/lib/sbin moved under usr/
# (Debian 13 is usr-merged).
extract_debs() {
	local arch=$1 dir=$2
	shift 2
	fetch_debs "$arch" "$@"
	mkdir -p "$dir/var/lib/dpkg/status.d"
	local tmp
	for p in "$@"; do
		local deb
		deb=$(deb_file "$arch" "$p")
		[ -n "$deb" ] || die "no .deb for $p ($arch)"
		dpkg-deb -x "$deb" "$dir"
		dpkg-deb -f "$deb" >"$dir/var/lib/dpkg/status.d/$p"
		tmp=$(mktemp -d)
		dpkg-deb -e "$deb" "$tmp"
		[ -f "$tmp/md5sums" ] && cp "$tmp/md5sums" "$dir/var/lib/dpkg/status.d/$p.md5sums"
		rm -rf "$tmp"
	done
	for d in bin sbin lib lib64; do
		if [ -d "$dir/$d" ] && [ ! -L "$dir/$d" ]; then
			mkdir -p "$dir/usr/$d"
			cp -a "$dir/$d/." "$dir/usr/$d/"
			rm -rf "${dir:?}/$d"
		fi
	done
	rm -rf "$dir"/usr/share/{doc,man,info,lintian,locale}
}

multiarch() { case $1 in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; esac; }

# --- distroless -----------------------------------------------------------
STATIC_PKGS=(base-files netbase tzdata tzdata-legacy media-types)
BASE_PKGS=(libc6 libssl3t64 libzstd1 zlib1g)
CC_PKGS=(libgomp1 libstdc++6 libgcc-s1 gcc-14-base)

static_layer() { # ARCH DIR
	local arch=$1 dir=$2
	extract_debs "$arch" "$dir" "${STATIC_PKGS[@]}"
	# The CA bundle, built from Debian's Mozilla set (not the host's: the
	# proxy's CA must come through the build secret).
	local tmp
	tmp=$(mktemp -d)
	fetch_debs "$arch" ca-certificates
	dpkg-deb -x "$(deb_file "$arch" ca-certificates)" "$tmp"
	mkdir -p "$dir/etc/ssl/certs"
	cat "$tmp"/usr/share/ca-certificates/mozilla/*.crt >"$dir/etc/ssl/certs/ca-certificates.crt"
	rm -rf "$tmp"
	# Usr-merge links.
	ln -sfn usr/bin "$dir/bin"
	ln -sfn usr/sbin "$dir/sbin"
	ln -sfn usr/lib "$dir/lib"
	[ "$arch" = amd64 ] && ln -sfn usr/lib64 "$dir/lib64" && mkdir -p "$dir/usr/lib64"
	mkdir -p "$dir"/usr/{bin,sbin,lib} "$dir/etc"
	cat >"$dir/etc/passwd" <<P
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
P
	cat >"$dir/etc/group" <<G
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
G
	cat >"$dir/etc/nsswitch.conf" <<N
passwd:         compat
group:          compat
shadow:         compat
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
N
	rm -f "$dir/etc/os-release" "$dir/usr/lib/os-release"
	cat >"$dir/usr/lib/os-release" <<O
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="13"
VERSION="Debian GNU/Linux 13 (trixie)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
O
	ln -sfn ../usr/lib/os-release "$dir/etc/os-release"
	install -d -m 1777 "$dir/tmp"
	install -d -m 0700 "$dir/root"
	install -d -m 0755 "$dir/home"
	install -d -m 0700 -o 65532 -g 65532 "$dir/home/nonroot"
	chmod 0755 "$dir"
}

debug_layer() { # ARCH DIR: a static busybox with its applets in /busybox
	local arch=$1 dir=$2 tmp
	tmp=$(mktemp -d)
	fetch_debs "$arch" busybox-static
	dpkg-deb -x "$(deb_file "$arch" busybox-static)" "$tmp"
	mkdir -p "$dir/busybox"
	local bb
	bb=$(find "$tmp" -type f -path '*bin/busybox' | head -1)
	[ -x "$bb" ] || die "no busybox binary in busybox-static ($arch)"
	install -m 0755 "$bb" "$dir/busybox/busybox"
	# The applet list is the same for every architecture of one build;
	# read it from this machine's architecture.
	local host_bb=$bb
	if [ "$arch" != amd64 ]; then
		host_bb=$cache/debug-amd64/busybox
	fi
	local applets
	applets=$("$host_bb" --list) || die "busybox --list failed"
	for applet in $applets; do
		[ "$applet" = busybox ] || ln -sfn busybox "$dir/busybox/$applet"
	done
	rm -rf "$tmp"
}

publish_distroless() {
	if have distroless/static-debian13 latest nonroot debug debug-nonroot &&
		have distroless/base-debian13 latest nonroot debug debug-nonroot &&
		have distroless/cc-debian13 latest nonroot debug debug-nonroot; then
		log "distroless fixtures present"
		return 0
	fi
	log "assembling distroless static/base/cc-debian13 (amd64, arm64)"
	local work=$cache/distroless
	rm -rf "$work" "$cache/debug-amd64"
	for arch in "${ARCHES[@]}"; do
		static_layer "$arch" "$work/$arch/static"
		extract_debs "$arch" "$work/$arch/base" "${BASE_PKGS[@]}"
		extract_debs "$arch" "$work/$arch/cc" "${CC_PKGS[@]}"
	done
	for arch in "${ARCHES[@]}"; do
		if [ "$arch" = amd64 ]; then
			debug_layer amd64 "$work/amd64/debug"
			mkdir -p "$cache/debug-amd64" && cp "$work/amd64/debug/busybox/busybox" "$cache/debug-amd64/"
		else
			debug_layer "$arch" "$work/$arch/debug"
		fi
	done
	local env_path='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
	local env_debug='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox"'
	local env_ssl='"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"'
	for flavour in static base cc; do
		local layers=(static)
		[ "$flavour" != static ] && layers+=(base)
		[ "$flavour" = cc ] && layers+=(cc)
		for variant in latest nonroot debug debug-nonroot; do
			local user=0 wd=/ env="$env_path,$env_ssl" ep=null extra=()
			case $variant in nonroot | debug-nonroot) user=65532 wd=/home/nonroot ;; esac
			case $variant in debug*) env="$env_debug,$env_ssl" ep='["/busybox/sh"]' extra=(debug) ;; esac
			local plats=""
			for arch in "${ARCHES[@]}"; do
				local ls=""
				for l in "${layers[@]}" "${extra[@]}"; do ls+="${ls:+,}\"$work/$arch/$l\""; done
				plats+="${plats:+,}{\"platform\":\"linux/$arch\",\"layers\":[$ls],\"config\":{\"User\":\"$user\",\"WorkingDir\":\"$wd\",\"Env\":[$env],\"Entrypoint\":$ep}}"
			done
			echo "{\"repository\":\"distroless/$flavour-debian13\",\"tags\":[\"$variant\"],\"platforms\":[$plats]}" >"$work/$flavour-$variant.json"
			"$mkimage" -registry "$reg" -cache "$cache/layers" "$work/$flavour-$variant.json" >/dev/null ||
				die "pushing distroless/$flavour-debian13:$variant failed"
		done
	done
	log "distroless fixtures published"
}

# --- golang ---------------------------------------------------------------
GOLANG_PKGS=ca-certificates,netbase,tzdata,curl,wget,gnupg,git,openssh-client,procps,gcc,g++,libc6-dev,make,pkg-config,xz-utils,bzip2,unzip

golang_rootfs() { # ARCH: prints the path of the cached rootfs directory
	local arch=$1
	local key
	key=$(echo "$GOLANG_PKGS" | sha256sum | cut -c1-12)
	local out=$cache/golang-rootfs-$arch-$key
	if [ ! -d "$out" ]; then
		rm -rf "$out.tmp"
		log "mmdebstrap trixie rootfs for golang ($arch; under qemu for foreign arches, minutes)"
		mmdebstrap --variant=minbase --arch="$arch" --include="$GOLANG_PKGS" \
			--format=directory --aptopt='Acquire::Retries "3"' \
			trixie "$out.tmp" http://deb.debian.org/debian \
			>"$DISTILL_LAB_DIR/logs/mmdebstrap-$arch.log" 2>&1 ||
			die "mmdebstrap $arch failed: see $DISTILL_LAB_DIR/logs/mmdebstrap-$arch.log"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

go_layer() { # ARCH DIR: /usr/local/go from the official distribution
	local arch=$1 dir=$2
	local zip
	zip=$(cd "$here" && GOFLAGS=-mod=mod go mod download -json "golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch" |
		sed -n 's/^\t"Zip": "\(.*\)",$/\1/p')
	[ -s "$zip" ] || die "could not download the Go $GO_VERSION distribution for $arch"
	local tmp
	tmp=$(mktemp -d)
	(cd "$tmp" && unzip -q "$zip")
	mkdir -p "$dir/usr/local"
	mv "$tmp/golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch" "$dir/usr/local/go"
	rm -rf "$tmp"
	chmod -R u+w,go-w "$dir/usr/local/go"
	chmod 0755 "$dir/usr/local/go/bin/"* "$dir/usr/local/go/pkg/tool/"*/*
	install -d -m 1777 "$dir/go" "$dir/go/bin" "$dir/go/src"
}

publish_golang() {
	if have library/golang 1.26-trixie "$GO_VERSION-trixie"; then
		log "golang fixture present"
		return 0
	fi
	local work=$cache/golang
	rm -rf "$work"
	local plats=""
	for arch in "${ARCHES[@]}"; do
		local rootfs
		rootfs=$(golang_rootfs "$arch")
		go_layer "$arch" "$work/$arch/go"
		plats+="${plats:+,}{\"platform\":\"linux/$arch\",\"layers\":[\"$rootfs\",\"$work/$arch/go\"],\"config\":{\"Env\":[\"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"GOLANG_VERSION=$GO_VERSION\",\"GOTOOLCHAIN=local\",\"GOPATH=/go\"],\"WorkingDir\":\"/go\",\"Cmd\":[\"bash\"]}}"
	done
	echo "{\"repository\":\"library/golang\",\"tags\":[\"1.26-trixie\",\"$GO_VERSION-trixie\"],\"platforms\":[$plats]}" >"$work/golang.json"
	log "pushing golang:1.26-trixie"
	"$mkimage" -registry "$reg" -cache "$cache/layers" "$work/golang.json" >/dev/null || die "pushing golang failed"
	log "golang fixture published"
}

publish_distroless
publish_golang
