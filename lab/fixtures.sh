#!/usr/bin/env bash
# Publishes the lab's fixture images to the lab registry under the names
# buildkitd mirrors (docker.io/library/X -> $DISTILL_REGISTRY/library/X,
# gcr.io/distroless/X -> $DISTILL_REGISTRY/distroless/X), as OCI indexes for
# linux/amd64 and linux/arm64, laid out like the real images
# (lab/README.md, "Fixtures", says how, and lists every deviation):
#   gcr.io/distroless/{static,base,cc}-debian13:{latest,nonroot,debug,debug-nonroot}
#     from Debian trixie .debs, one layer per package as distroless has;
#   docker.io/library/golang:{1.26-trixie,1.26.8-trixie}: a Debian trixie
#     root filesystem (mmdebstrap; arm64 under qemu) plus the official Go
#     distribution, which the Go module proxy serves as golang.org/toolchain.
# Images are assembled by lab/cmd/mkimage and pushed over the registry API.
#
# Idempotent: a repository whose tags all exist is skipped (FORCE=1 pushes
# again). Downloads, root filesystems and compressed layers are cached in
# $DISTILL_LAB_DIR/fixtures; only one run at a time (a lock file).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

GO_VERSION=1.26.8
SUITE=trixie
ARCHES=(amd64 arm64)
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

cache=$DISTILL_LAB_DIR/fixtures
logs=$DISTILL_LAB_DIR/logs
reg=$DISTILL_REGISTRY
mkdir -p "$cache" "$logs"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}

exec 9>"$cache/.lock"
flock -n 9 || {
	log "another fixtures.sh holds $cache/.lock; waiting"
	flock 9
}

started=$(date +%s)

# --- tools ----------------------------------------------------------------
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
command -v unzip >/dev/null || need+=(unzip)
command -v curl >/dev/null || need+=(curl)
[ -f "$KEYRING" ] || need+=(debian-archive-keyring)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"; } \
		>>"$logs/apt.log" 2>&1 || die "apt-get install ${need[*]} failed (see $logs/apt.log)"
fi

curl -fsS -o /dev/null "http://$reg/v2/" || die "no registry answers at http://$reg/v2/"

mkimage=$cache/bin/mkimage
(cd "$here/.." && CGO_ENABLED=0 go build -trimpath -o "$mkimage" ./lab/cmd/mkimage) ||
	die "building lab/cmd/mkimage failed"

# push SPEC: assembles and pushes the image a spec file describes.
push() {
	"$mkimage" -registry "$reg" -cache "$cache/layers" "$1" >>"$logs/fixtures-push.log" ||
		die "pushing $1 failed"
}


# JSON helpers for the spec files.
jstr() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}
jlist() {
	local out="" x
	for x in "$@"; do out+="${out:+,}$(jstr "$x")"; done
	printf '[%s]' "$out"
}

# --- Debian trixie packages, through a private apt root -------------------
aptroot=$cache/apt
apt_opts=(-o Dir="$aptroot" -o Dir::State::status="$aptroot/var/lib/dpkg/status"
	-o APT::Architecture=amd64 -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
	-o Acquire::Retries=3 -o Debug::NoLocking=1)
apt_trixie() { apt-get -q "${apt_opts[@]}" "$@"; }
apt_ready=false
apt_setup() {
	$apt_ready && return 0
	mkdir -p "$aptroot"/etc/apt/{sources.list.d,preferences.d,apt.conf.d,trusted.gpg.d} \
		"$aptroot"/var/lib/apt/lists/partial "$aptroot"/var/cache/apt/archives/partial "$aptroot"/var/lib/dpkg
	touch "$aptroot/var/lib/dpkg/status"
	local opts="arch=amd64,arm64 signed-by=$KEYRING"
	cat >"$aptroot/etc/apt/sources.list" <<-SRC
		deb [$opts] $MIRROR $SUITE main
		deb [$opts] $MIRROR $SUITE-updates main
		deb [$opts] $SECURITY_MIRROR $SUITE-security main
	SRC
	# Package lists are refreshed at most once a day.
	if [ -z "$(find "$aptroot/var/lib/apt/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
		log "updating the Debian $SUITE package lists"
		apt_trixie update >>"$logs/apt-trixie.log" 2>&1 || die "apt-get update ($SUITE) failed (see $logs/apt-trixie.log)"
	fi
	apt_ready=true
}

# deb_file ARCH PKG: the newest downloaded .deb of PKG.
deb_file() {
	find "$cache/debs/$1" -maxdepth 1 -name "$2_*.deb" 2>/dev/null | sort -V | tail -1
}

# fetch_debs ARCH PKG...: downloads missing packages into $cache/debs/ARCH.
fetch_debs() {
	local arch=$1 p missing=() names=() indep
	shift
	mkdir -p "$cache/debs/$arch"
	for p in "$@"; do
		[ -n "$(deb_file "$arch" "$p")" ] || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	apt_setup
	# Architecture: all packages are asked for as PKG:all.
	indep=$(apt-cache "${apt_opts[@]}" show --no-all-versions "${missing[@]}" 2>>"$logs/apt-trixie.log" |
		awk '/^Package:/ {p = $2} /^Architecture: all$/ {print p}')
	for p in "${missing[@]}"; do
		if grep -qxF "$p" <<<"$indep"; then names+=("$p:all"); else names+=("$p:$arch"); fi
	done
	# Into a directory of its own, then moved: a run stopped midway
	# leaves no partial .deb under a package's name for the next to take
	# as downloaded (deb_file).
	local part=$cache/debs/$arch/.partial
	rm -rf "$part"
	mkdir -p "$part"
	(cd "$part" && apt_trixie download "${names[@]}") >>"$logs/apt-trixie.log" 2>&1 ||
		die "downloading ${names[*]} failed (see $logs/apt-trixie.log)"
	mv "$part"/*.deb "$cache/debs/$arch/"
	rmdir "$part"
}

# usr_merge DIR: moves top-level bin, sbin and lib* under usr/ (Debian 13 is
# merged-usr; the root links are in the distroless files layer).
usr_merge() {
	local d
	for d in bin sbin lib lib32 lib64 libx32; do
		if [ -d "$1/$d" ] && [ ! -L "$1/$d" ]; then
			mkdir -p "$1/usr/$d"
			cp -a "$1/$d/." "$1/usr/$d/"
			rm -rf "${1:?}/$d"
		fi
	done
}

# unpack_deb ARCH PKG DIR: one package as distroless lays it out: its files
# as shipped, plus /var/lib/dpkg/status.d/PKG (the control file) and
# PKG.md5sums.
unpack_deb() {
	local arch=$1 pkg=$2 dir=$3 deb
	deb=$(deb_file "$arch" "$pkg")
	[ -n "$deb" ] || die "no .deb of $pkg ($arch)"
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir"
	mkdir -p "$dir/var/lib/dpkg/status.d"
	dpkg-deb -I "$deb" control >"$dir/var/lib/dpkg/status.d/$pkg"
	dpkg-deb -I "$deb" md5sums >"$dir/var/lib/dpkg/status.d/$pkg.md5sums" 2>/dev/null ||
		rm -f "$dir/var/lib/dpkg/status.d/$pkg.md5sums"
	usr_merge "$dir"
}

# --- distroless -----------------------------------------------------------
STATIC_PKGS=(base-files netbase tzdata tzdata-legacy media-types)
BASE_PKGS=(libc6 libssl3t64 libzstd1 zlib1g)
CC_PKGS=(libgomp1 libstdc++6 libgcc-s1 gcc-14-base)
DISTROLESS_VARIANTS=(latest nonroot debug debug-nonroot)
DISTROLESS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# files_layer ARCH DIR: what distroless adds to the static packages: root
# links, passwd, group, home directories, /tmp, nsswitch.conf, os-release.
files_layer() {
	local arch=$1 dir=$2
	rm -rf "$dir"
	mkdir -p "$dir/etc" "$dir/usr/lib"
	ln -s usr/bin "$dir/bin"
	ln -s usr/sbin "$dir/sbin"
	ln -s usr/lib "$dir/lib"
	[ "$arch" = amd64 ] && ln -s usr/lib64 "$dir/lib64"
	cat >"$dir/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/sbin/nologin
		nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
		nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
	EOF
	cat >"$dir/etc/group" <<-'EOF'
		root:x:0:
		nobody:x:65534:
		tty:x:5:
		staff:x:50:
		nonroot:x:65532:
	EOF
	cat >"$dir/etc/nsswitch.conf" <<-'EOF'
		# /etc/nsswitch.conf of the distroless images (lab fixture)

		passwd:         compat
		group:          compat
		shadow:         compat
		gshadow:        files

		hosts:          files dns
		networks:       files

		protocols:      db files
		services:       db files
		ethers:         db files
		rpc:            db files

		netgroup:       nis
	EOF
	cat >"$dir/usr/lib/os-release" <<-'EOF'
		PRETTY_NAME="Distroless"
		NAME="Debian GNU/Linux"
		ID="debian"
		VERSION_ID="13"
		VERSION="Debian GNU/Linux 13 (trixie)"
		HOME_URL="https://github.com/GoogleContainerTools/distroless"
		SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
		BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
	EOF
	ln -s ../usr/lib/os-release "$dir/etc/os-release"
	install -d -m 1777 "$dir/tmp"
	install -d -m 0700 "$dir/root"
	install -d -m 0755 "$dir/home"
	install -d -m 0700 -o 65532 -g 65532 "$dir/home/nonroot"
}

# cacerts_layer ARCH DIR: /etc/ssl/certs/ca-certificates.crt concatenated
# from Debian's Mozilla set (never the host's bundle, which carries the
# intercepting proxy's CA), the package's copyright and status.d entries,
# modes as distroless has them.
cacerts_layer() {
	local arch=$1 dir=$2 deb tmp
	deb=$(deb_file "$arch" ca-certificates)
	tmp=$(mktemp -d)
	dpkg-deb -x "$deb" "$tmp"
	rm -rf "$dir"
	mkdir -p "$dir/etc/ssl/certs" "$dir/usr/share/doc/ca-certificates" "$dir/var/lib/dpkg/status.d"
	local crt
	for crt in $(cd "$tmp/usr/share/ca-certificates" && find mozilla -name '*.crt' | LC_ALL=C sort); do
		cat "$tmp/usr/share/ca-certificates/$crt"
	done >"$dir/etc/ssl/certs/ca-certificates.crt"
	cp "$tmp/usr/share/doc/ca-certificates/copyright" "$dir/usr/share/doc/ca-certificates/"
	chmod 0555 "$dir/etc/ssl/certs/ca-certificates.crt" "$dir/usr/share/doc/ca-certificates/copyright"
	dpkg-deb -I "$deb" control >"$dir/var/lib/dpkg/status.d/ca-certificates"
	dpkg-deb -I "$deb" md5sums >"$dir/var/lib/dpkg/status.d/ca-certificates.md5sums"
	rm -rf "$tmp"
}

# busybox_layer ARCH DIR APPLETS: Debian's static busybox at
# /busybox/busybox with a link to it for each applet.
busybox_layer() {
	local arch=$1 dir=$2 applets=$3 tmp bb a
	tmp=$(mktemp -d)
	dpkg-deb -x "$(deb_file "$arch" busybox-static)" "$tmp"
	bb=$(find "$tmp" -type f -name busybox -path '*bin/*' | head -1)
	[ -n "$bb" ] || die "no busybox in busybox-static ($arch)"
	rm -rf "$dir"
	install -d -m 0755 "$dir/busybox"
	install -m 0755 "$bb" "$dir/busybox/busybox"
	for a in $applets; do
		[ "$a" = busybox ] || ln -s /busybox/busybox "$dir/busybox/$a"
	done
	rm -rf "$tmp"
}

# distroless_spec FLAVOUR VARIANT: writes the spec of one tag of
# distroless/FLAVOUR-debian13 and prints its path. Layers are in the real
# images' order: static packages and files, busybox (debug), base
# packages, cc packages.
distroless_spec() {
	local flavour=$1 variant=$2 work=$cache/distroless
	local user=0 wd=/ path=$DISTROLESS_PATH entrypoint=""
	case $variant in *nonroot) user=65532 wd=/home/nonroot ;; esac
	case $variant in debug*) path+=:/busybox entrypoint=',"Entrypoint":["/busybox/sh"]' ;; esac
	local plats="" arch
	for arch in "${ARCHES[@]}"; do
		local layers=() p
		for p in "${STATIC_PKGS[@]}"; do layers+=("$work/$arch/pkg/$p"); done
		layers+=("$work/$arch/files" "$work/$arch/cacerts")
		case $variant in debug*) layers+=("$work/$arch/busybox") ;; esac
		case $flavour in base | cc) for p in "${BASE_PKGS[@]}"; do layers+=("$work/$arch/pkg/$p"); done ;; esac
		case $flavour in cc) for p in "${CC_PKGS[@]}"; do layers+=("$work/$arch/pkg/$p"); done ;; esac
		local env
		env=$(jlist "PATH=$path" "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt")
		plats+="${plats:+,}{\"platform\":\"linux/$arch\",\"layers\":$(jlist "${layers[@]}"),"
		plats+="\"config\":{\"User\":\"$user\",\"WorkingDir\":\"$wd\",\"Env\":$env$entrypoint}}"
	done
	local spec=$work/spec-$flavour-$variant.json
	printf '{"repository":"distroless/%s-debian13","tags":["%s"],%s"platforms":[%s]}\n' \
		"$flavour" "$variant" \
		'"annotations":{"org.opencontainers.image.source":"https://github.com/GoogleContainerTools/distroless"},' \
		"$plats" >"$spec"
	echo "$spec"
}

publish_distroless() {
	local t0 flavours=() f
	t0=$(date +%s)
	for f in static base cc; do
		if have "distroless/$f-debian13" "${DISTROLESS_VARIANTS[@]}"; then
			log "distroless/$f-debian13 present"
		else
			flavours+=("$f")
		fi
	done
	[ ${#flavours[@]} -gt 0 ] || return 0
	log "assembling distroless ${flavours[*]} (Debian $SUITE; ${ARCHES[*]})"
	local hostarch all=("${STATIC_PKGS[@]}" "${BASE_PKGS[@]}" "${CC_PKGS[@]}" ca-certificates busybox-static)
	hostarch=$(dpkg --print-architecture)
	local arch p work=$cache/distroless
	rm -rf "$work"
	for arch in "${ARCHES[@]}" "$hostarch"; do fetch_debs "$arch" "${all[@]}"; done
	log "  packages ready ($(since "$t0"))"
	# The applet list is the same for every architecture of one build: ask
	# the host's busybox.
	local bbtmp applets
	bbtmp=$(mktemp -d)
	dpkg-deb -x "$(deb_file "$hostarch" busybox-static)" "$bbtmp"
	applets=$("$(find "$bbtmp" -type f -name busybox -path '*bin/*' | head -1)" --list) || die "busybox --list failed"
	rm -rf "$bbtmp"
	for arch in "${ARCHES[@]}"; do
		for p in "${STATIC_PKGS[@]}" "${BASE_PKGS[@]}" "${CC_PKGS[@]}"; do
			unpack_deb "$arch" "$p" "$work/$arch/pkg/$p"
		done
		files_layer "$arch" "$work/$arch/files"
		cacerts_layer "$arch" "$work/$arch/cacerts"
		busybox_layer "$arch" "$work/$arch/busybox" "$applets"
	done
	log "  layers unpacked ($(since "$t0"))"
	local v
	for f in "${flavours[@]}"; do
		for v in "${DISTROLESS_VARIANTS[@]}"; do push "$(distroless_spec "$f" "$v")"; done
		log "  pushed distroless/$f-debian13:{${DISTROLESS_VARIANTS[*]}} ($(since "$t0"))"
	done
}

# --- golang ---------------------------------------------------------------
# buildpack-deps:trixie-curl and -scm (without mercurial and subversion)
# plus what golang:1.26-trixie installs; arm64 adds binutils-gold.
GOLANG_PKGS=(ca-certificates curl gnupg netbase sq wget git openssh-client procps g++ gcc libc6-dev make pkg-config)
ROOTFS_REV=1 # bump when the mmdebstrap options change

# debianize DIR: what the Docker debian image has over a plain minbase:
# deb822 sources with security and updates, and its apt/dpkg settings.
# Idempotent; applied to the cached root filesystem on every use.
debianize() {
	local dir=$1
	debian_sources "$dir" "$SUITE" "$MIRROR" "$SECURITY_MIRROR"
	# As in the Docker image: no apt caches kept, gzipped indexes, no
	# translations, suggests not kept by autoremove, no daemons started,
	# unsafe-io dpkg.
	cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<-'EOF'
		DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
		Dir::Cache::pkgcache "";
		Dir::Cache::srcpkgcache "";
	EOF
	echo 'Acquire::GzipIndexes "true";' >"$dir/etc/apt/apt.conf.d/docker-gzip-indexes"
	echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
	echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$dir/etc/apt/apt.conf.d/docker-autoremove-suggests"
	echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
	printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
	chmod 0755 "$dir/usr/sbin/policy-rc.d"
	# Nothing of this machine's (the runtime provides these), nor of
	# mmdebstrap's settings.
	rm -f "$dir/etc/resolv.conf" "$dir/etc/hostname" \
		"$dir/etc/apt/apt.conf.d/99mmdebstrap" "$dir/etc/dpkg/dpkg.cfg.d/99mmdebstrap"
	install -m 0644 /dev/null "$dir/etc/resolv.conf"
	rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
	# apt's download directories belong to _apt, whichever user mmdebstrap
	# could download as.
	local apt_uid
	apt_uid=$(awk -F: '$1 == "_apt" {print $3}' "$dir/etc/passwd")
	install -d -m 0700 -o "${apt_uid:-0}" -g 0 "$dir/var/lib/apt/lists/partial" "$dir/var/cache/apt/archives/partial"
}

# remove_tree DIR: removes a root filesystem left by an interrupted
# mmdebstrap, unmounting what it may still have mounted there first.
remove_tree() {
	[ -e "$1" ] || return 0
	local m
	awk -v d="$1/" 'index($2 "/", d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
		umount -l "$m" || die "cannot unmount $m"
	done
	rm -rf --one-file-system "$1"
}

# ensure_binfmt ARCH: foreign binaries of ARCH run through qemu.
ensure_binfmt() {
	local q
	case $1 in
	"$(dpkg --print-architecture)") return 0 ;;
	arm64) q=aarch64 ;;
	*) die "no qemu mapping for $1" ;;
	esac
	local bf=/proc/sys/fs/binfmt_misc
	[ -e "$bf/qemu-$q" ] && return 0
	[ -e "$bf/register" ] || mount -t binfmt_misc binfmt_misc "$bf" || die "cannot mount binfmt_misc"
	log "registering qemu-$q with binfmt_misc"
	grep -v '^#' "/usr/lib/binfmt.d/qemu-$q.conf" | grep . >"$bf/register" || die "registering qemu-$q failed"
}

# golang_rootfs ARCH: prints the cached Debian root filesystem's directory,
# made by mmdebstrap when missing (under qemu for a foreign ARCH, minutes).
# dpkg runs with force-unsafe-io, as in the Docker image (debianize): no
# fsync per unpacked file, which changes nothing in the tree (an
# interrupted run's tree is removed anyway); amd64 took 81 s instead of
# 90 s with it on the busy 2-core machine.
golang_rootfs() {
	local arch=$1 pkgs=("${GOLANG_PKGS[@]}") key out t0
	[ "$arch" = arm64 ] && pkgs+=(binutils-gold)
	key=$(echo "$SUITE ${pkgs[*]} $ROOTFS_REV" | sha256sum | cut -c1-12)
	out=$cache/golang-rootfs-$arch-$key
	if [ ! -d "$out" ]; then
		t0=$(date +%s)
		ensure_binfmt "$arch"
		log "mmdebstrap $SUITE rootfs for golang ($arch)"
		remove_tree "$out.tmp"
		(closefds mmdebstrap --variant=minbase --arch="$arch" --include="$(
			IFS=,
			echo "${pkgs[*]}"
		)" --format=directory --aptopt='Acquire::Retries "3"' \
			--dpkgopt=force-unsafe-io \
			"$SUITE" "$out.tmp" \
			"deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main" \
			) >"$logs/mmdebstrap-golang-$arch.log" 2>&1 ||
			die "mmdebstrap ($arch) failed (see $logs/mmdebstrap-golang-$arch.log)"
		mv "$out.tmp" "$out"
		log "  rootfs $arch done ($(since "$t0"))"
		local old
		for old in "$cache/golang-rootfs-$arch-"*; do
			[ "$old" = "$out" ] || remove_tree "$old"
		done
	fi
	debianize "$out"
	echo "$out"
}

# go_layer ARCH DIR: /usr/local/go from the official Go distribution, which
# the Go module proxy serves as the module golang.org/toolchain (the binary
# release less api/, doc/, misc/ and test/).
go_layer() {
	local arch=$1 dir=$2 mod zip tmp
	mod=golang.org/toolchain@v0.0.1-go$GO_VERSION.linux-$arch
	tmp=$(mktemp -d)
	zip=$(cd "$tmp" && GOFLAGS="" GOTOOLCHAIN=local go mod download -json "$mod" | sed -n 's/^\t"Zip": "\(.*\)",$/\1/p')
	[ -s "$zip" ] || die "could not download $mod"
	(cd "$tmp" && unzip -q "$zip")
	rm -rf "$dir"
	mkdir -p "$dir/usr/local"
	mv "$tmp/$mod" "$dir/usr/local/go"
	rm -rf "$tmp"
	chmod -R u+w,go-w "$dir/usr/local/go"
	# The module form renames every go.mod to _go.mod; the release has go.mod.
	find "$dir/usr/local/go" -name _go.mod -execdir mv _go.mod go.mod \;
	[ -x "$dir/usr/local/go/bin/go" ] || die "$mod has no executable bin/go"
}

GOLANG_TAGS=(1.26-trixie "$GO_VERSION-trixie")
# DISTILL_GOLANG_ARCHES: the golang image's platforms, both by default.
# `lab/up.sh demo` asks for the build platform's alone: the Go example
# builds there, and arm64's root filesystem (minutes under qemu) is only
# for builds that run on arm64 (cgo for arm64). A later run that wants
# more pushes the index again with them (the cached layers are reused).
read -r -a GOLANG_ARCHES <<<"${DISTILL_GOLANG_ARCHES:-${ARCHES[*]}}"

# golang_present: every tag is there, with every platform of GOLANG_ARCHES.
golang_present() {
	have library/golang "${GOLANG_TAGS[@]}" || return 1
	local index arch
	index=$(curl -fsS -H 'Accept: application/vnd.oci.image.index.v1+json' \
		"http://$reg/v2/library/golang/manifests/${GOLANG_TAGS[0]}") || return 1
	for arch in "${GOLANG_ARCHES[@]}"; do
		grep -qF "\"architecture\":\"$arch\"" <<<"$index" || return 1
	done
}

publish_golang() {
	local tags=("${GOLANG_TAGS[@]}")
	if golang_present; then
		log "library/golang present"
		return 0
	fi
	local t0 work=$cache/golang plats="" arch rootfs env
	t0=$(date +%s)
	rm -rf "$work"
	env=$(jlist "PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		"GOLANG_VERSION=$GO_VERSION" GOTOOLCHAIN=local GOPATH=/go)
	for arch in "${GOLANG_ARCHES[@]}"; do
		rootfs=$(golang_rootfs "$arch")
		go_layer "$arch" "$work/$arch/go"
		rm -rf "$work/$arch/gopath"
		install -d -m 1777 "$work/$arch/gopath/go" "$work/$arch/gopath/go/bin" "$work/$arch/gopath/go/src"
		plats+="${plats:+,}{\"platform\":\"linux/$arch\",\"layers\":["
		plats+="{\"path\":$(jstr "$rootfs"),\"comment\":\"debian $SUITE minbase + buildpack-deps + cgo packages\"},"
		plats+="{\"path\":$(jstr "$work/$arch/go"),\"comment\":\"go $GO_VERSION\"},"
		plats+="{\"path\":$(jstr "$work/$arch/gopath"),\"comment\":\"GOPATH\"}],"
		plats+="\"config\":{\"Env\":$env,\"Cmd\":[\"bash\"],\"WorkingDir\":\"/go\"}}"
	done
	printf '{"repository":"library/golang","tags":%s,"platforms":[%s]}\n' "$(jlist "${tags[@]}")" "$plats" >"$work/spec.json"
	log "  root filesystems and Go ready ($(since "$t0")); compressing and pushing"
	push "$work/spec.json"
	log "  pushed library/golang:{${tags[*]}} for ${GOLANG_ARCHES[*]} ($(since "$t0"))"
}

# The foreign root filesystems for golang (arm64: mmdebstrap under qemu,
# single-threaded, the longest step here) start first, in the background,
# while the distroless images and the native root filesystem are made;
# publish_golang then finds them all cached.
rootfs_pids=()
if ! golang_present; then
	for arch in "${GOLANG_ARCHES[@]}"; do
		[ "$arch" = "$(dpkg --print-architecture)" ] && continue
		golang_rootfs "$arch" >/dev/null &
		rootfs_pids+=($!)
	done
fi
publish_distroless
if [ ${#rootfs_pids[@]} -gt 0 ]; then
	golang_rootfs "$(dpkg --print-architecture)" >/dev/null
	for pid in "${rootfs_pids[@]}"; do
		wait "$pid" || die "the golang root filesystem failed (see $logs/mmdebstrap-golang-*.log)"
	done
fi
publish_golang
log "fixtures ready in $reg ($(since "$started"))"
