# Lab fixtures of the Java images, built by lab/java-images.sh for
# linux/amd64 and linux/arm64 (lab/README.md lists the differences from
# the real images):
#   --target maven       maven:3.9-eclipse-temurin-<JAVA_MAJOR>: Debian's
#                        OpenJDK (jdk-headless carries jmods/) in
#                        /usr/lib/jvm, JAVA_HOME=/opt/java/openjdk linking
#                        to it, Maven in /usr/share/maven, on
#                        debian:trixie-slim
#   --target java-base   gcr.io/distroless/java-base-debian13:<VARIANT>:
#                        cc-debian13 of that variant + the libraries,
#                        fonts, C.utf8 locale and Java trust store of
#                        distroless' java_base
#   --target java        gcr.io/distroless/java<JAVA_MAJOR>-debian13:<VARIANT>
#                        (latest, nonroot): java-base + Debian's JRE
#   --target java-debug  the same for debug, debug-nonroot: the JRE and the
#                        jdk-headless tools (the real debug image has the JDK)
# The JRE, JDK and package layers are COPY --link: compressed once, and
# the same blobs in every image and variant that has them.
# Debian 13 has OpenJDK 21 and 25; 17 comes from Debian 12 (bookworm). All
# .debs are downloaded and unpacked on the build platform, files only (no
# maintainer scripts); the only RUNs under the target architecture (qemu
# for arm64) are the builder's dpkg -i and ldconfig.
ARG JAVA_MAJOR=21
# The JAVA_VERSION of the image, passed by lab/java-images.sh from the
# Debian package's version (the java-version target): jdk-21.0.13.1+2 in
# the builder as Temurin's release name, 21.0.13.1 in distroless.
ARG JAVA_VERSION=unknown
ARG MAVEN_VERSION=3.9.16
ARG MAVEN_SHA512=831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0cafb8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6
ARG VARIANT=latest

# deb_unpack DEST PACKAGE...: downloads each package for $TARGETARCH (or
# arch all) and unpacks its files into DEST/PACKAGE, top-level bin, sbin,
# lib* moved under /usr, with var/lib/dpkg/status.d/PACKAGE (the control
# file) and PACKAGE.md5sums as distroless writes them.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS apt
RUN cat >/usr/local/bin/deb_unpack <<'EOF' && chmod +x /usr/local/bin/deb_unpack
#!/bin/sh
set -eu
dest=$1
shift
mkdir -p /var/cache/debs "$dest"
chown _apt /var/cache/debs
cd /var/cache/debs
for p in "$@"; do
  if [ "$(apt-cache show --no-all-versions "$p" | sed -n 's/^Architecture: //p' | head -n 1)" = all ]; then
    apt-get download -qq "$p" >/dev/null
  else
    apt-get download -qq "$p:$TARGETARCH" >/dev/null
  fi
  deb=$(ls "${p}"_*.deb)
  d=$dest/$p
  mkdir -p "$d/var/lib/dpkg/status.d"
  dpkg-deb -x "$deb" "$d"
  dpkg-deb -f "$deb" >"$d/var/lib/dpkg/status.d/$p"
  dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./md5sums >"$d/var/lib/dpkg/status.d/$p.md5sums" 2>/dev/null ||
    rm -f "$d/var/lib/dpkg/status.d/$p.md5sums"
  for top in bin sbin lib lib32 lib64; do
    if [ -d "$d/$top" ] && [ ! -L "$d/$top" ]; then
      mkdir -p "$d/usr/$top"
      cp -a "$d/$top/." "$d/usr/$top/"
      rm -rf "${d:?}/$top"
    fi
  done
  rm "$deb"
done
EOF

# Debian's OpenJDK of the target architecture: jre-headless (the runtime)
# and jdk-headless (the tools and jmods/), each unpacked on its own.
FROM apt AS jdk-debs
ARG TARGETARCH
ARG JAVA_MAJOR
RUN set -eu; \
    if [ "$JAVA_MAJOR" = 17 ]; then \
      printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm bookworm-updates' \
        'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp' '' \
        'Types: deb' 'URIs: http://deb.debian.org/debian-security' 'Suites: bookworm-security' \
        'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp' \
        >/etc/apt/sources.list.d/bookworm.sources; \
    fi; \
    if [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then dpkg --add-architecture "$TARGETARCH"; fi; \
    apt-get update -qq; \
    deb_unpack /pkgs "openjdk-$JAVA_MAJOR-jre-headless" "openjdk-$JAVA_MAJOR-jdk-headless"; \
    jre=/pkgs/openjdk-$JAVA_MAJOR-jre-headless; \
    v=$(sed -n 's/^Version: //p' "$jre/var/lib/dpkg/status.d/openjdk-$JAVA_MAJOR-jre-headless"); \
    grep -qx "Version: $v" "/pkgs/openjdk-$JAVA_MAJOR-jdk-headless/var/lib/dpkg/status.d/openjdk-$JAVA_MAJOR-jdk-headless"; \
    echo "${v%-*}" >/pkgs/version; \
    home=/usr/lib/jvm/java-$JAVA_MAJOR-openjdk-$TARGETARCH; \
    test -x "$jre$home/bin/java"; \
    # Debian's JRE package carries jpackage, a JDK tool Temurin's JRE
    # (the real distroless images') does not have: moved to the JDK's.
    if [ -e "$jre$home/bin/jpackage" ]; then mv "$jre$home/bin/jpackage" "/pkgs/openjdk-$JAVA_MAJOR-jdk-headless$home/bin/"; fi; \
    test -f "/pkgs/openjdk-$JAVA_MAJOR-jdk-headless$home/jmods/java.base.jmod"; \
    echo "$home" >/pkgs/home

# The version for the script (one file per platform with a local output).
FROM scratch AS java-version
COPY --from=jdk-debs /pkgs/version /

# A Java trust store (JKS, password changeit) made by Debian's
# ca-certificates-java from Debian's CA certificates, as
# /etc/ssl/certs/java/cacerts is on Debian: its trigger runs here on the
# build platform, with a JRE installed for it (and the man directory its
# update-alternatives needs on a slim image). The contents do not depend
# on the architecture.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS cacerts
RUN set -eu; \
    apt-get update -qq; \
    mkdir -p /usr/share/man/man1; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ca-certificates-java openjdk-21-jre-headless >/dev/null; \
    test -s /etc/ssl/certs/java/cacerts; \
    mkdir -p /out/etc/ssl/certs/java; \
    cp /etc/ssl/certs/java/cacerts /out/etc/ssl/certs/java/cacerts; \
    chmod 0644 /out/etc/ssl/certs/java/cacerts

# --- maven:3.9-eclipse-temurin-<N> ------------------------------------------

# What the builder adds around Debian's JDK: /opt/java/openjdk linking to
# it (JAVA_HOME) and the loader configuration the official image writes.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS jdk-extras
COPY --from=jdk-debs /pkgs/home /pkgs/home
RUN set -eu; \
    home=$(cat /pkgs/home); \
    mkdir -p /out/opt/java /out/etc/ld.so.conf.d; \
    ln -s "$home" /out/opt/java/openjdk; \
    printf '%s\n' "$home/lib" "$home/lib/server" >/out/etc/ld.so.conf.d/docker-openjdk.conf

# Maven's binary distribution from Maven Central, checked against the
# pinned sha512 and the one Central lists; the settings file the official
# image keeps in ref/ for the entrypoint to copy; /usr/bin/mvn.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS maven-dist
ARG MAVEN_VERSION
ARG MAVEN_SHA512
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl >/dev/null
RUN --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    set -eu; \
    url=https://repo.maven.apache.org/maven2/org/apache/maven/apache-maven/$MAVEN_VERSION/apache-maven-$MAVEN_VERSION-bin.tar.gz; \
    curl -fsSL --retry 3 -o /tmp/maven.tgz "$url"; \
    central=$(curl -fsSL --retry 3 "$url.sha512" | cut -d' ' -f1); \
    got=$(sha512sum /tmp/maven.tgz | cut -d' ' -f1); \
    [ "$got" = "$MAVEN_SHA512" ] && [ "$got" = "$central" ] || \
      { echo "apache-maven-$MAVEN_VERSION-bin.tar.gz: sha512 $got; pinned $MAVEN_SHA512; Central $central" >&2; exit 1; }; \
    mkdir -p /maven/usr/share/maven/ref /maven/usr/bin; \
    tar -xzf /tmp/maven.tgz -C /maven/usr/share/maven --strip-components=1 --no-same-owner; \
    rm /tmp/maven.tgz; \
    ln -s /usr/share/maven/bin/mvn /maven/usr/bin/mvn; \
    printf '%s\n' '<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">' \
      '  <localRepository>/usr/share/maven/ref/repository</localRepository>' \
      '</settings>' >/maven/usr/share/maven/ref/settings-docker.xml

# What the official images install with apt (eclipse-temurin: curl, wget,
# gnupg, fontconfig, ca-certificates, p11-kit, binutils, tzdata, locales
# with en_US.UTF-8; maven: git, openssh-client), plus the libraries
# Debian's JDK links that Temurin bundles (libjpeg, lcms2, harfbuzz).
# apt resolves and downloads them here on the build platform against the
# target's debian:trixie-slim package database, so that under qemu (arm64)
# only dpkg runs.
FROM debian:trixie-slim AS slim
FROM apt AS builder-debs
ARG TARGETARCH
COPY --from=slim /var/lib/dpkg/status /target/status
RUN set -eu; \
    if [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then dpkg --add-architecture "$TARGETARCH"; fi; \
    apt-get update -qq; \
    mkdir -p /debs/partial; chown -R _apt /debs; \
    apt-get install -y -qq --download-only --no-install-recommends \
      -o Dir::State::status=/target/status -o APT::Architecture="$TARGETARCH" -o APT::Architectures::="$TARGETARCH" \
      -o Dir::Cache::archives=/debs \
      ca-certificates curl git openssh-client binutils \
      libjpeg62-turbo liblcms2-2 libfontconfig1 libharfbuzz0b >/dev/null; \
    rm -rf /debs/partial /debs/lock; \
    ls /debs | wc -l

# The packages installed with dpkg (the same set and order apt would
# configure them in), except that ca-certificates' update-ca-certificates
# is a no-op during the install: under qemu it takes minutes. Its result,
# /etc/ssl/certs and /etc/ca-certificates.conf, does not depend on the
# architecture and comes from the build platform (the cacerts stage).
FROM debian:trixie-slim AS maven-base
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=$JAVA_HOME/bin:$PATH
ENV LANG='C.UTF-8' LANGUAGE='en_US:en' LC_ALL='C.UTF-8'
RUN --mount=type=bind,from=builder-debs,source=/debs,target=/tmp/debs \
    set -eu; \
    dpkg-divert --local --rename --add /usr/sbin/update-ca-certificates >/dev/null; \
    ln -s /bin/true /usr/sbin/update-ca-certificates; \
    DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/debs/*.deb >/dev/null; \
    rm /usr/sbin/update-ca-certificates; \
    dpkg-divert --local --rename --remove /usr/sbin/update-ca-certificates >/dev/null
COPY --from=cacerts /etc/ssl/certs/ /etc/ssl/certs/
COPY --from=cacerts /etc/ca-certificates.conf /etc/ca-certificates.conf

# The JDK is the same two layers as in distroless' java<N>:debug (COPY
# --link: compressed once, shared): jre-headless, then jdk-headless.
FROM maven-base AS maven
ARG JAVA_MAJOR
ARG JAVA_VERSION
ENV JAVA_VERSION=${JAVA_VERSION}
COPY --link --from=jdk-debs /pkgs/openjdk-${JAVA_MAJOR}-jre-headless/ /
COPY --link --from=jdk-debs /pkgs/openjdk-${JAVA_MAJOR}-jdk-headless/ /
COPY --link --from=jdk-extras /out/ /
RUN ldconfig
ENV MAVEN_HOME=/usr/share/maven
COPY --link --from=maven-dist /maven/ /
COPY --link --chmod=0755 mvn-entrypoint.sh /usr/local/bin/mvn-entrypoint.sh
ENV MAVEN_CONFIG=/root/.m2
ENTRYPOINT ["/usr/local/bin/mvn-entrypoint.sh"]
CMD ["mvn"]

# --- distroless ---------------------------------------------------------------

# distroless' java_base packages (java/config.bzl) less those cc-debian13
# has (zlib1g, libstdc++6, libgcc-s1, gcc-14-base), plus harfbuzz and the
# libraries it links: Debian's JRE links libharfbuzz.so.0 where Temurin's
# bundles it. libc-bin contributes only its C.utf8 locale, as distroless'
# locale layer.
FROM apt AS base-debs
ARG TARGETARCH
RUN set -eu; \
    if [ "$TARGETARCH" != "$(dpkg --print-architecture)" ]; then dpkg --add-architecture "$TARGETARCH"; fi; \
    apt-get update -qq; \
    deb_unpack /pkgs libbz2-1.0 libbrotli1 libpng16-16t64 libfreetype6 fonts-dejavu-core fontconfig-config \
      libexpat1 libfontconfig1 libjpeg62-turbo liblcms2-2 libuuid1 libcrypt1 \
      libatomic1 libffi8 libpcre2-8-0 libselinux1 libblkid1 libmount1 libglib2.0-0t64 libgraphite2-3 libharfbuzz0b \
      libc-bin; \
    c=/pkgs/libc-bin; mkdir -p /pkgs/locale/usr/lib/locale /pkgs/locale/var/lib/dpkg/status.d; \
    cp -a "$c/usr/lib/locale/C.utf8" /pkgs/locale/usr/lib/locale/; \
    cp "$c/var/lib/dpkg/status.d/libc-bin" /pkgs/locale/var/lib/dpkg/status.d/; \
    grep ' usr/lib/locale/C.utf8/' "$c/var/lib/dpkg/status.d/libc-bin.md5sums" >/pkgs/locale/var/lib/dpkg/status.d/libc-bin.md5sums; \
    rm -rf "$c"

FROM gcr.io/distroless/cc-debian13:${VARIANT} AS java-base
COPY --link --from=base-debs /pkgs/libbz2-1.0/ /
COPY --link --from=base-debs /pkgs/libbrotli1/ /
COPY --link --from=base-debs /pkgs/libpng16-16t64/ /
COPY --link --from=base-debs /pkgs/libfreetype6/ /
COPY --link --from=base-debs /pkgs/fonts-dejavu-core/ /
COPY --link --from=base-debs /pkgs/fontconfig-config/ /
COPY --link --from=base-debs /pkgs/libexpat1/ /
COPY --link --from=base-debs /pkgs/libfontconfig1/ /
COPY --link --from=base-debs /pkgs/libjpeg62-turbo/ /
COPY --link --from=base-debs /pkgs/liblcms2-2/ /
COPY --link --from=base-debs /pkgs/libuuid1/ /
COPY --link --from=base-debs /pkgs/libcrypt1/ /
COPY --link --from=base-debs /pkgs/libatomic1/ /
COPY --link --from=base-debs /pkgs/libffi8/ /
COPY --link --from=base-debs /pkgs/libpcre2-8-0/ /
COPY --link --from=base-debs /pkgs/libselinux1/ /
COPY --link --from=base-debs /pkgs/libblkid1/ /
COPY --link --from=base-debs /pkgs/libmount1/ /
COPY --link --from=base-debs /pkgs/libglib2.0-0t64/ /
COPY --link --from=base-debs /pkgs/libgraphite2-3/ /
COPY --link --from=base-debs /pkgs/libharfbuzz0b/ /
COPY --link --from=base-debs /pkgs/locale/ /
COPY --link --from=cacerts /out/ /
ENV LANG=C.UTF-8

# The JRE as the image carries it: Debian's files as shipped (the
# documentation too, as distroless ships it), and /usr/bin/java.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS jre-links
COPY --from=jdk-debs /pkgs/home /pkgs/home
RUN mkdir -p /out/usr/bin && ln -s "$(cat /pkgs/home)/bin/java" /out/usr/bin/java

FROM gcr.io/distroless/java-base-debian13:${VARIANT} AS java
ARG JAVA_MAJOR
ARG JAVA_VERSION
COPY --link --from=jdk-debs /pkgs/openjdk-${JAVA_MAJOR}-jre-headless/ /
COPY --link --from=jre-links /out/ /
ENV JAVA_VERSION=${JAVA_VERSION}
ENTRYPOINT ["/usr/bin/java", "-jar"]

FROM gcr.io/distroless/java-base-debian13:${VARIANT} AS java-debug
ARG JAVA_MAJOR
ARG JAVA_VERSION
COPY --link --from=jdk-debs /pkgs/openjdk-${JAVA_MAJOR}-jre-headless/ /
COPY --link --from=jdk-debs /pkgs/openjdk-${JAVA_MAJOR}-jdk-headless/ /
COPY --link --from=jre-links /out/ /
ENV JAVA_VERSION=${JAVA_VERSION}
ENTRYPOINT ["/usr/bin/java", "-jar"]
