# docker.io/docker/dockerfile:1 for the benchmarks: the Dockerfile frontend
# as an image, what `# syntax=docker/dockerfile:1` makes BuildKit pull and
# start. The binary is built by lab/bench-images.sh from BuildKit's module
# at the lab's release, with the build tags and flags of BuildKit's own
# frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile (mainline channel);
# the labels are that image's.
FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"
ENTRYPOINT ["/bin/dockerfile-frontend"]
