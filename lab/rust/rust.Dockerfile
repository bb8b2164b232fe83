# Lab fixture of the Rust builder, built by lab/rust-images.sh for
# linux/amd64 and linux/arm64 (lab/README.md lists the differences from
# the real image):
#   --target rust   rust:<RUST_VERSION>-trixie (and 1.N-trixie, 1-trixie,
#                   trixie), laid out as rust-lang/docker-rust's image:
#                   RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo
#                   (both writable by all), /usr/local/cargo/bin first on
#                   PATH with cargo, rustc and rustdoc, RUST_VERSION; on
#                   debian:trixie-slim with what buildpack-deps:trixie gives
#                   a Rust build (gcc, libc6-dev, make, pkgconf,
#                   ca-certificates, curl, git)
# static.rust-lang.org is not reachable from the lab, so the toolchain is
# Debian 13's (rustc, cargo, libstd-rust-dev in /usr; the cargo/bin entries
# link to /usr/bin), and the standard library of the other architecture
# (what `rustup target add` would download) is preinstalled from Debian's
# libstd-rust-dev of that architecture, files only, under
# /usr/lib/rustlib/<triple>/lib, where `rustc --print target-libdir
# --target <triple>` points. No cross C linker (gcc-<triple>): builds
# install it with apt, as they must on the real image.
# The packages are resolved and downloaded on the build platform against
# the target's debian:trixie-slim package database; the only RUNs under the
# target architecture (qemu for arm64) are dpkg -i and the final check.
ARG RUST_VERSION=1.85.1

FROM debian:trixie-slim AS slim

# The target's packages (/debs) and the other architecture's standard
# library (/cross), all for Debian's rustc of RUST_VERSION (the build
# stops when trixie's rustc is another release).
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS debs
ARG TARGETARCH
ARG RUST_VERSION
COPY --from=slim /var/lib/dpkg/status /target/status
RUN set -eu; \
    case "$TARGETARCH" in \
      amd64) other=arm64 otherTriple=aarch64-unknown-linux-gnu ;; \
      arm64) other=amd64 otherTriple=x86_64-unknown-linux-gnu ;; \
      *) echo "unsupported architecture $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    native=$(dpkg --print-architecture); \
    for a in "$TARGETARCH" "$other"; do [ "$a" = "$native" ] || dpkg --add-architecture "$a"; done; \
    apt-get update -qq; \
    mkdir -p /debs/partial /tmp/cross; chown -R _apt /debs /tmp/cross; \
    apt-get install -y -qq --download-only --no-install-recommends \
      -o Dir::State::status=/target/status -o APT::Architecture="$TARGETARCH" -o APT::Architectures::="$TARGETARCH" \
      -o Dir::Cache::archives=/debs \
      gcc libc6-dev make pkgconf ca-certificates curl git \
      rustc cargo libstd-rust-dev >/dev/null; \
    rm -rf /debs/partial /debs/lock; \
    v=$(dpkg-deb -f /debs/rustc_*.deb Version); \
    [ "${v%%+*}" = "$RUST_VERSION" ] || { echo "Debian's rustc is $v, not $RUST_VERSION: change RUST_VERSION in lab/rust-images.sh" >&2; exit 1; }; \
    for p in cargo libstd-rust-dev; do \
      [ "$(dpkg-deb -f /debs/${p}_*.deb Version)" = "$v" ] || { echo "$p is not at rustc's version $v" >&2; exit 1; }; \
    done; \
    echo "rustc $v, $(ls /debs | wc -l) packages"; \
    # The other architecture's standard library, the same Debian version:
    # only its rlibs (libstd-rust-dev is Multi-Arch: same, but installed
    # with apt it would pull that architecture's libstd-rust-1.85 and
    # libllvm19, and leave a foreign architecture in the dpkg database).
    cd /tmp/cross; \
    apt-get download -qq "libstd-rust-dev:$other=$v" >/dev/null; \
    dpkg-deb -x "libstd-rust-dev_$(echo "$v" | sed 's/:/%3a/')_$other.deb" x; \
    mkdir -p /cross/usr/lib/rustlib; \
    mv "x/usr/lib/rustlib/$otherTriple" /cross/usr/lib/rustlib/; \
    ls /cross/usr/lib/rustlib/"$otherTriple"/lib/libstd-*.rlib; \
    cd /; rm -rf /tmp/cross

# Debian's CA certificates as ca-certificates' update-ca-certificates
# writes them (/etc/ssl/certs, /etc/ca-certificates.conf), made on the
# build platform: under qemu it takes minutes. The result does not depend
# on the architecture.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS cacerts
RUN set -eu; \
    apt-get update -qq; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null; \
    mkdir -p /out/etc/ssl; \
    cp -a /etc/ssl/certs /out/etc/ssl/; \
    cp /etc/ca-certificates.conf /out/etc/

# $CARGO_HOME and $RUSTUP_HOME as the official image leaves them (chmod -R
# a+w: builds running as any user write the registry caches there), with
# the tools of the minimal profile in cargo/bin, linking to Debian's.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS cargo-home
RUN set -eu; \
    mkdir -p /out/usr/local/cargo/bin /out/usr/local/rustup; \
    for t in cargo rustc rustdoc; do ln -s "/usr/bin/$t" "/out/usr/local/cargo/bin/$t"; done; \
    chmod -R a+w /out/usr/local/cargo /out/usr/local/rustup

# The packages installed with dpkg (the set apt resolved above), with
# update-ca-certificates a no-op during the install; its result comes from
# the cacerts stage. No apt lists in the image (builds run apt-get update).
FROM debian:trixie-slim AS rust
LABEL org.opencontainers.image.source=https://github.com/rust-lang/docker-rust
ARG RUST_VERSION
ENV RUSTUP_HOME=/usr/local/rustup \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:$PATH \
    RUST_VERSION=${RUST_VERSION}
RUN --mount=type=bind,from=debs,source=/debs,target=/tmp/debs \
    set -eu; \
    dpkg-divert --local --rename --add /usr/sbin/update-ca-certificates >/dev/null; \
    ln -s /bin/true /usr/sbin/update-ca-certificates; \
    DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/debs/*.deb >/dev/null; \
    rm /usr/sbin/update-ca-certificates; \
    dpkg-divert --local --rename --remove /usr/sbin/update-ca-certificates >/dev/null
COPY --from=cacerts /out/ /
COPY --link --from=debs /cross/ /
COPY --link --from=cargo-home /out/ /
# As the official image ends: the tools answer (rustup aside), and the
# other architecture's standard library is where rustc looks for it.
RUN set -eu; \
    cargo --version; \
    rustc --version; \
    rustdoc --version; \
    case "$(dpkg --print-architecture)" in \
      amd64) other=aarch64-unknown-linux-gnu ;; \
      arm64) other=x86_64-unknown-linux-gnu ;; \
    esac; \
    ls "$(rustc --print target-libdir --target "$other")"/libstd-*.rlib
