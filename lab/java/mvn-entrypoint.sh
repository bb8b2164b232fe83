#!/bin/sh
# The lab's entrypoint of maven:*-eclipse-temurin-* (lab/java/java.Dockerfile),
# with the behaviour of the official image's mvn-entrypoint.sh: seed
# $MAVEN_CONFIG (~/.m2) from /usr/share/maven/ref without replacing what
# is there (a ref file with a FILE.override next to it does replace), log
# what was copied to $MAVEN_CONFIG/copy_reference_file.log, then run the
# arguments with MAVEN_CONFIG unset (mvnw would pass it on as arguments).
set -eu

ref=/usr/share/maven/ref
dest=${MAVEN_CONFIG:-/root/.m2}
logf=$dest/copy_reference_file.log

seed() {
	cd "$ref"
	if [ -z "$(ls -A "$dest/repository" 2>/dev/null)" ]; then
		echo "--- all of $ref into $dest, $(date)" >>"$logf"
		cp -Rv . "$dest" >>"$logf"
		return
	fi
	echo "--- missing files of $ref into $dest, $(date)" >>"$logf"
	find . -type f ! -name '*.override' | while read -r f; do
		if [ ! -e "$dest/$f" ] || [ -e "$f.override" ]; then
			mkdir -p "$dest/$(dirname "$f")"
			cp -v "$f" "$dest/$f" >>"$logf"
		fi
	done
}

if mkdir -p "$dest/repository" 2>/dev/null && touch "$logf" 2>/dev/null; then
	here=$(pwd)
	seed
	echo >>"$logf"
	cd "$here"
else
	echo "mvn-entrypoint.sh: cannot write $logf (volume permissions?); carrying on" >&2
fi
unset MAVEN_CONFIG
exec "$@"
