# Lab fixture: gcr.io/distroless/python3-debian13:<variant>, assembled as
# distroless does: the cc-debian13 image of the same variant plus Debian
# trixie's python3.13 packages, one layer per package with its
# /var/lib/dpkg/status.d entry, the python3/python links, and an
# ld.so.cache generated for the target architecture. Built by
# lab/python-images.sh; differences are listed in lab/README.md.
ARG VARIANT=latest

# Debian's packages for the target architecture, unpacked one directory
# each, merged-/usr like the image.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS debs
ARG TARGETARCH
ARG PACKAGES="python3.13-minimal libpython3.13-minimal libpython3.13-stdlib python3.13-venv libbz2-1.0 libcrypt1 libdb5.3t64 libexpat1 libffi8 liblzma5 libncursesw6 libtinfo6 libreadline8t64 readline-common libsqlite3-0 libuuid1 libnsl2 libtirpc3t64 libtirpc-common libgssapi-krb5-2 libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libcom-err2 libc-bin"
RUN set -eu; \
    if [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then dpkg --add-architecture "$TARGETARCH"; fi; \
    apt-get update -qq; \
    mkdir -p /debs /pkgs; cd /debs; \
    for p in $PACKAGES; do \
      arch=$(apt-cache show --no-all-versions "$p" | sed -n 's/^Architecture: //p' | head -1); \
      if [ "$arch" = all ]; then apt-get download -qq "$p" >/dev/null; else apt-get download -qq "$p:$TARGETARCH" >/dev/null; fi; \
      deb=$(ls "${p}"_*.deb); \
      d=/pkgs/$p; mkdir -p "$d/var/lib/dpkg/status.d"; \
      dpkg-deb -x "$deb" "$d"; \
      dpkg-deb -f "$deb" >"$d/var/lib/dpkg/status.d/$p"; \
      dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums >"$d/var/lib/dpkg/status.d/$p.md5sums" 2>/dev/null || rm -f "$d/var/lib/dpkg/status.d/$p.md5sums"; \
      for top in bin sbin lib lib64; do \
        if [ -d "$d/$top" ] && [ ! -L "$d/$top" ]; then mkdir -p "$d/usr/$top"; cp -a "$d/$top/." "$d/usr/$top/"; rm -rf "${d:?}/$top"; fi; \
      done; \
    done; \
    # Nothing that needs a shell or writes state: no maintainer scripts ran.
    mkdir -p /pkgs/links/usr/bin; \
    ln -s python3.13 /pkgs/links/usr/bin/python3; \
    ln -s python3.13 /pkgs/links/usr/bin/python

# The loader cache, generated under the target architecture (ldconfig of
# the target's libc-bin, through qemu for arm64).
FROM gcr.io/distroless/cc-debian13:latest AS cc
FROM debian:trixie-slim AS ldcache
COPY --from=cc / /rootfs/
COPY --from=debs /pkgs/ /tmp/pkgs/
RUN set -eu; for d in /tmp/pkgs/*; do cp -a "$d/." /rootfs/; done; \
    mkdir -p /rootfs/etc; ldconfig -r /rootfs; mkdir -p /out/etc; cp /rootfs/etc/ld.so.cache /out/etc/

FROM gcr.io/distroless/cc-debian13:${VARIANT}
COPY --from=debs /pkgs/libbz2-1.0/ /
COPY --from=debs /pkgs/libcrypt1/ /
COPY --from=debs /pkgs/libdb5.3t64/ /
COPY --from=debs /pkgs/libexpat1/ /
COPY --from=debs /pkgs/libffi8/ /
COPY --from=debs /pkgs/liblzma5/ /
COPY --from=debs /pkgs/libtinfo6/ /
COPY --from=debs /pkgs/libncursesw6/ /
COPY --from=debs /pkgs/readline-common/ /
COPY --from=debs /pkgs/libreadline8t64/ /
COPY --from=debs /pkgs/libsqlite3-0/ /
COPY --from=debs /pkgs/libuuid1/ /
COPY --from=debs /pkgs/libcom-err2/ /
COPY --from=debs /pkgs/libkeyutils1/ /
COPY --from=debs /pkgs/libkrb5support0/ /
COPY --from=debs /pkgs/libk5crypto3/ /
COPY --from=debs /pkgs/libkrb5-3/ /
COPY --from=debs /pkgs/libgssapi-krb5-2/ /
COPY --from=debs /pkgs/libtirpc-common/ /
COPY --from=debs /pkgs/libtirpc3t64/ /
COPY --from=debs /pkgs/libnsl2/ /
COPY --from=debs /pkgs/libc-bin/ /
COPY --from=debs /pkgs/libpython3.13-minimal/ /
COPY --from=debs /pkgs/python3.13-minimal/ /
COPY --from=debs /pkgs/libpython3.13-stdlib/ /
COPY --from=debs /pkgs/python3.13-venv/ /
COPY --from=debs /pkgs/links/ /
COPY --from=ldcache /out/ /
ENV LANG=C.UTF-8
ENTRYPOINT ["/usr/bin/python3.13"]
