// Package version is distill's own version, shared by the frontend image
// and the CLI: a release sets it with the linker
// (-X github.com/distill-build/distill/frontend/version.Version=1.2.3);
// `go install …@v1.2.3` gets it from the module's build information.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is the release's semantic version without its "v", or "dev".
var Version = "dev"

// Repository is the frontend image releases publish (its tags: X.Y.Z,
// X.Y, X and latest).
const Repository = "ghcr.io/distill-build/distill"

// String is the version: the linker's, else the module's as `go install`
// built it, else "dev".
func String() string {
	if Version != "dev" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return strings.TrimPrefix(v, "v")
		}
	}
	return Version
}

// Image is the frontend image of this version (for a development build,
// the major version's tag the examples' syntax lines name).
func Image() string {
	v := String()
	if v == "dev" {
		return Repository + ":1"
	}
	return Repository + ":" + v
}
