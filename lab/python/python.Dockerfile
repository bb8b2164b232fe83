# Lab fixture: python:X.Y-slim-trixie, laid out as docker-library's image
# (CPython built from source into /usr/local, shared libpython with an
# $ORIGIN/../lib rpath, pip from ensurepip, tests and .pyc removed, the
# runtime libraries from Debian trixie). Built by lab/python-images.sh for
# linux/amd64 and linux/arm64; arm64 is cross-compiled with Debian's
# aarch64 toolchain instead of compiled under qemu. No debug information
# is generated (EXTRA_CFLAGS=-g0 after configure's -g): every binary is
# linked with --strip-all, which drops it, so it cost compile time only.
# Differences from the official image are listed in lab/README.md.
ARG PYTHON_VERSION=3.13.15

# The source: python.org is not reachable from the lab, but the Go module
# proxy serves CPython's git tree at each release tag.
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS source
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl unzip >/dev/null
ARG PYTHON_VERSION
RUN --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    set -eu; \
    curl -fsSL -o /cpython.zip "https://proxy.golang.org/github.com/python/cpython/@v/v${PYTHON_VERSION}+incompatible.zip"; \
    unzip -q /cpython.zip -d /x; \
    mv "/x/github.com/python/cpython@v${PYTHON_VERSION}+incompatible" /usr/src/python; \
    rm -rf /x /cpython.zip; \
    # Module zips carry no modes: scripts lose their executable bit.
    cd /usr/src/python; \
    grep -rlI '^#!' . | xargs chmod +x

# Build dependencies, as the official Dockerfile installs them (less Tk).
FROM --platform=$BUILDPLATFORM debian:trixie-slim AS build-native
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      dpkg-dev gcc libbz2-dev libc6-dev libffi-dev libgdbm-dev libgdbm-compat-dev \
      liblzma-dev libncurses-dev libreadline-dev libsqlite3-dev libssl-dev make \
      pkg-config uuid-dev zlib1g-dev >/dev/null
COPY --from=source /usr/src/python /usr/src/python
WORKDIR /usr/src/python
ARG PYTHON_VERSION
RUN set -eu; \
    gnuArch="$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)"; \
    ./configure --build="$gnuArch" --enable-loadable-sqlite-extensions \
      --enable-option-checking=fatal --enable-shared --with-ensurepip --disable-test-modules >/dev/null; \
    make -s -j "$(nproc)" EXTRA_CFLAGS=-g0 "LDFLAGS=-Wl,--strip-all" >/dev/null; \
    rm python; \
    make -s -j "$(nproc)" EXTRA_CFLAGS=-g0 "LDFLAGS=-Wl,--strip-all,-rpath='\$\$ORIGIN/../lib'" python >/dev/null; \
    make -s install COMPILEALL_OPTS="-j0 -l" >/dev/null; \
    find /usr/local -depth \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
      -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) -exec rm -rf '{}' +; \
    /usr/local/bin/python3 -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid, readline, decimal'

# arm64 from the amd64 build machine: Debian's cross toolchain and the
# arm64 -dev packages (multiarch), with the native interpreter of the same
# version as the build Python.
FROM build-native AS build-cross
RUN dpkg --add-architecture arm64 && apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      gcc-aarch64-linux-gnu libc6-dev:arm64 libbz2-dev:arm64 libffi-dev:arm64 libgdbm-dev:arm64 \
      libgdbm-compat-dev:arm64 liblzma-dev:arm64 libncurses-dev:arm64 libreadline-dev:arm64 \
      libsqlite3-dev:arm64 libssl-dev:arm64 uuid-dev:arm64 zlib1g-dev:arm64 >/dev/null
COPY --from=source /usr/src/python /usr/src/python-cross
WORKDIR /usr/src/python-cross
ARG PYTHON_VERSION
RUN set -eu; \
    export PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig; \
    ./configure --build=x86_64-linux-gnu --host=aarch64-linux-gnu \
      --with-build-python="/usr/local/bin/python${PYTHON_VERSION%.*}" \
      --enable-loadable-sqlite-extensions --enable-option-checking=fatal --enable-shared --with-ensurepip \
      --disable-test-modules CC=aarch64-linux-gnu-gcc READELF=aarch64-linux-gnu-readelf \
      ac_cv_file__dev_ptmx=yes ac_cv_file__dev_ptc=no ac_cv_buggy_getaddrinfo=no >/dev/null; \
    make -s -j "$(nproc)" EXTRA_CFLAGS=-g0 "LDFLAGS=-Wl,--strip-all" >/dev/null; \
    rm python; \
    make -s -j "$(nproc)" EXTRA_CFLAGS=-g0 "LDFLAGS=-Wl,--strip-all,-rpath='\$\$ORIGIN/../lib'" python >/dev/null; \
    make -s install DESTDIR=/out COMPILEALL_OPTS="-j0 -l" >/dev/null; \
    # ensurepip does not run when cross-compiling: install the bundled pip
    # wheel (pure Python) with the native interpreter of the same version.
    "/usr/local/bin/python${PYTHON_VERSION%.*}" -m pip install -q --no-compile --no-index --root /out --prefix /usr/local \
      --ignore-installed --disable-pip-version-check --root-user-action=ignore Lib/ensurepip/_bundled/pip-*.whl; \
    find /out/usr/local -depth \( \( -type d -a \( -name test -o -name tests -o -name idle_test \) \) \
      -o \( -type f -a \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) -exec rm -rf '{}' +

FROM scratch AS build-amd64
COPY --from=build-native /usr/local /usr/local
FROM scratch AS build-arm64
COPY --from=build-cross /out/usr/local /usr/local
FROM build-${TARGETARCH} AS build

FROM debian:trixie-slim AS slim
ENV PATH=/usr/local/bin:$PATH
# The libraries the interpreter and its extension modules link.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      ca-certificates netbase tzdata libbz2-1.0 libffi8 libgdbm6t64 libgdbm-compat4t64 liblzma5 \
      libncursesw6 libreadline8t64 libsqlite3-0 libssl3t64 libuuid1 zlib1g >/dev/null \
    && rm -rf /var/lib/apt/lists/*
ARG PYTHON_VERSION
ENV PYTHON_VERSION=${PYTHON_VERSION}
COPY --from=build /usr/local/ /usr/local/
RUN set -eu; \
    ldconfig; \
    cd /usr/local/bin; \
    for src in idle3 pip3 pydoc3 python3 python3-config; do [ -e "$src" ] && ln -sfT "$src" "${src%3}"; done; \
    python3 --version; pip --version >/dev/null
CMD ["python3"]

# 3.10 to 3.12 images also set LANG.
FROM slim AS slim-lang
ENV LANG=C.UTF-8

# The full image (python:<minor>-trixie), for the benchmarks only: the same
# interpreter on buildpack-deps:trixie (lab/bench/buildpack-deps.Dockerfile)
# with the packages the official full image adds. The official one builds
# CPython on that base; this one reuses the build above, which links the
# same Debian libraries (tkinter is left out: the build has no tk-dev).
FROM buildpack-deps:trixie AS full
ENV PATH=/usr/local/bin:$PATH
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		libbluetooth-dev \
		tk-dev \
		uuid-dev \
	; \
	apt-get dist-clean
ARG PYTHON_VERSION
ENV PYTHON_VERSION=${PYTHON_VERSION}
COPY --from=build /usr/local/ /usr/local/
RUN set -eu; \
    ldconfig; \
    cd /usr/local/bin; \
    for src in idle3 pip3 pydoc3 python3 python3-config; do [ -e "$src" ] && ln -sfT "$src" "${src%3}"; done; \
    python3 --version; pip --version >/dev/null
CMD ["python3"]
