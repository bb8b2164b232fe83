# The lab's buildpack-deps:trixie-curl, -scm and trixie (the "full" images
# the official python and node images build on), for the benchmarks: the
# package lists of docker-library/buildpack-deps' debian/trixie Dockerfiles,
# installed the same way. The base differs (lab/README.md): the lab has
# debian:trixie-slim, not debian:trixie, so the path excludes slim sets are
# dropped first: the packages installed here keep their documentation as on
# debian:trixie, the few dozen base packages stay without theirs.
FROM debian:trixie-slim AS base
RUN rm -f /etc/dpkg/dpkg.cfg.d/docker

FROM base AS curl
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		ca-certificates \
		curl \
		gnupg \
		netbase \
		sq \
		wget \
	; \
	apt-get dist-clean

FROM curl AS scm
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		git \
		mercurial \
		openssh-client \
		subversion \
		\
		procps \
	; \
	apt-get dist-clean

FROM scm AS full
RUN set -eux; \
	apt-get update; \
	apt-get install -y --no-install-recommends \
		autoconf \
		automake \
		bzip2 \
		default-libmysqlclient-dev \
		dpkg-dev \
		file \
		g++ \
		gcc \
		imagemagick \
		libbz2-dev \
		libc6-dev \
		libcurl4-openssl-dev \
		libdb-dev \
		libevent-dev \
		libffi-dev \
		libgdbm-dev \
		libglib2.0-dev \
		libgmp-dev \
		libjpeg-dev \
		libkrb5-dev \
		liblzma-dev \
		libmagickcore-dev \
		libmagickwand-dev \
		libmaxminddb-dev \
		libncurses5-dev \
		libncursesw5-dev \
		libpng-dev \
		libpq-dev \
		libreadline-dev \
		libsqlite3-dev \
		libssl-dev \
		libtool \
		libwebp-dev \
		libxml2-dev \
		libxslt-dev \
		libyaml-dev \
		make \
		patch \
		unzip \
		xz-utils \
		zlib1g-dev \
	; \
	apt-get dist-clean
