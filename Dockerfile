# The distill frontend image: one static binary on scratch, for every
# platform buildx asks for (cross-compiled from the build platform).
# Build steps that download modules take the CA bundle of a TLS-intercepting
# proxy as the optional build secret "ca-bundle".
ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-trixie AS build
WORKDIR /src
ENV GOTOOLCHAIN=local GOFLAGS=-buildvcs=false CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    go mod download
COPY . .
ARG TARGETOS TARGETARCH TARGETVARIANT
# VERSION is the release's (make release); the frontend reports it.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=secret,id=ca-bundle,target=/etc/ssl/certs/ca-certificates.crt \
    GOOS=$TARGETOS GOARCH=$TARGETARCH GOARM=${TARGETVARIANT#v} \
    go build -trimpath -ldflags="-s -w -X github.com/distill-build/distill/frontend/version.Version=${VERSION}" \
        -o /out/distill-frontend ./cmd/distill-frontend

FROM scratch
COPY --from=build /out/distill-frontend /bin/distill-frontend
ARG VERSION=dev
LABEL moby.buildkit.frontend.network.none="true" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/distill-build/distill" \
      moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts" \
      org.opencontainers.image.title="distill" \
      org.opencontainers.image.description="BuildKit frontend: small, shell-less, non-root images from a short YAML manifest"
ENTRYPOINT ["/bin/distill-frontend"]
