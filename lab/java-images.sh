#!/usr/bin/env bash
# Publishes the lab's Java fixtures to the lab registry, for linux/amd64
# and linux/arm64 (lab/README.md, "Fixtures", lists the differences from
# the real images), all from lab/java/java.Dockerfile:
#   docker.io/library/maven:3.9[.patch]-eclipse-temurin-{21,25,17}
#     --target maven: debian:trixie-slim + Debian's OpenJDK (jdk-headless,
#     jmods included) with JAVA_HOME=/opt/java/openjdk, Maven in
#     /usr/share/maven
#   gcr.io/distroless/java-base-debian13:{latest,nonroot,debug,debug-nonroot}
#     --target java-base: cc-debian13 + distroless' java_base packages
#   gcr.io/distroless/java{21,25,17}-debian13:{latest,nonroot,debug,debug-nonroot}
#     --target java / java-debug: java-base + Debian's JRE (debug: + the
#     jdk-headless tools), Entrypoint java -jar
# OpenJDK 17 is Debian 12's (Debian 13 has no openjdk-17).
# Needs debian:trixie-slim and cc-debian13 (lab/fixtures.sh,
# lab/python-images.sh). The images are built by the lab's buildkitd
# (cached in its state between runs) and skipped when all their tags are in
# the registry (FORCE=1 rebuilds).
set -euo pipefail
umask 022
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lab/env.sh
source "$here/env.sh"
# shellcheck source=lab/lib.sh
source "$here/lib.sh"

# Java releases (Debian's openjdk-N packages) and the Maven release of the
# official maven:3.9 images, with the sha512 they pin.
JAVAS=(21 25 17)
MAVEN_VERSION=3.9.16
MAVEN_SHA512=831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0cafb8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6
reg=$DISTILL_REGISTRY
dir=$here/java
mkdir -p "$DISTILL_LAB_DIR/logs"
started=$(date +%s)

# java_version N: sets versions[N] to the upstream version of Debian's
# openjdk-N packages (21.0.13.1+2), the same for both platforms, read from
# the java-version target (the download stage the images build on, so it
# is cached for them).
declare -A versions
java_version() {
	[ -n "${versions[$1]:-}" ] && return 0
	local out logf=$DISTILL_LAB_DIR/logs/fixture-java$1-version.log a b
	out=$(mktemp -d)
	buildctl build --frontend dockerfile.v0 \
		--local context="$dir" --local dockerfile="$dir" --opt filename=java.Dockerfile \
		--opt target=java-version --opt platform=linux/amd64,linux/arm64 \
		--opt build-arg:JAVA_MAJOR="$1" --output type=local,dest="$out" >"$logf" 2>&1 ||
		die "reading the openjdk-$1 version failed (see $logf)"
	a=$(cat "$out/linux_amd64/version")
	b=$(cat "$out/linux_arm64/version")
	rm -rf "$out"
	[ "$a" = "$b" ] || die "openjdk-$1 is $a for amd64 but $b for arm64"
	versions[$1]=$a
}

# distroless_version 21.0.13.1+2: distroless' JAVA_VERSION (java/jre_ver.bzl):
# major.minor.patch, plus the fourth number when it is not 0.
distroless_version() {
	local a b c d
	IFS=. read -r a b c d <<<"${1%%+*}"
	if [ -n "$d" ] && [ "$d" != 0 ]; then echo "$a.$b.$c.$d"; else echo "$a.$b.$c"; fi
}

publish_maven() {
	local n v mv=${MAVEN_VERSION%.*}
	for n in "${JAVAS[@]}"; do
		if have library/maven "$mv-eclipse-temurin-$n" "$MAVEN_VERSION-eclipse-temurin-$n"; then
			log "library/maven:$mv-eclipse-temurin-$n present"
			continue
		fi
		java_version "$n"
		v=${versions[$n]}
		build "$dir" "maven-java$n" java.Dockerfile \
			"$reg/library/maven:$mv-eclipse-temurin-$n,$reg/library/maven:$MAVEN_VERSION-eclipse-temurin-$n" \
			--opt target=maven --opt build-arg:JAVA_MAJOR="$n" --opt build-arg:JAVA_VERSION="jdk-$v" \
			--opt build-arg:MAVEN_VERSION="$MAVEN_VERSION" --opt build-arg:MAVEN_SHA512="$MAVEN_SHA512"
	done
}

VARIANTS=(latest nonroot debug debug-nonroot)

publish_java_base() {
	local variant repo=distroless/java-base-debian13
	for variant in "${VARIANTS[@]}"; do
		if have "$repo" "$variant"; then
			log "$repo:$variant present"
			continue
		fi
		BUILD_OUTPUT_ATTRS=annotation-manifest.org.opencontainers.image.source=https://github.com/GoogleContainerTools/distroless \
			build "$dir" "java-base-$variant" java.Dockerfile "$reg/$repo:$variant" \
			--opt target=java-base --opt build-arg:VARIANT="$variant"
	done
}

publish_distroless_java() {
	local n dv variant repo target
	for n in "${JAVAS[@]}"; do
		repo=distroless/java$n-debian13
		for variant in "${VARIANTS[@]}"; do
			if have "$repo" "$variant"; then
				log "$repo:$variant present"
				continue
			fi
			java_version "$n"
			dv=$(distroless_version "${versions[$n]}")
			target=java
			case $variant in debug*) target=java-debug ;; esac
			# The manifest annotations distroless sets.
			BUILD_OUTPUT_ATTRS="annotation-manifest.org.opencontainers.image.source=https://github.com/GoogleContainerTools/distroless,annotation-manifest.com.google.distroless.java.version=$dv" \
				build "$dir" "distroless-java$n-$variant" java.Dockerfile "$reg/$repo:$variant" \
				--opt target="$target" --opt build-arg:VARIANT="$variant" \
				--opt build-arg:JAVA_MAJOR="$n" --opt build-arg:JAVA_VERSION="$dv"
		done
	done
}

publish_java_base
publish_distroless_java
publish_maven
log "Java fixtures ready in $reg ($(since "$started"))"
