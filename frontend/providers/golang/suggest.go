package golang

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
)

// goPortRE finds the port of a listen address in Go source: ":8080",
// "0.0.0.0:8080" or "[::]:8080" as a string literal; not an address with
// a host ("localhost:2019", caddy's loopback admin API, is unreachable
// from outside the container; "db:5432" is a client's).
var goPortRE = regexp.MustCompile(`"(?:0\.0\.0\.0|\[::\])?:(\d{2,5})"`)

// Suggest implements providers.Suggester: the port a listen address of
// the main package (or of cmd/*) names, tests left out (a test's address
// is a fixture's, not the app's).
func (Provider) Suggest(ctx context.Context, fsys providers.FS, dir string) (providers.Suggestion, error) {
	files, err := providers.SourceFiles(ctx, fsys, dir, ".go", []string{"cmd"}, 200)
	if err != nil {
		return providers.Suggestion{}, err
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, "_test.go") })
	port, why, err := providers.ScanPort(ctx, fsys, dir, files, goPortRE, providers.EnvPortRE)
	if err != nil {
		return providers.Suggestion{}, err
	}
	s := providers.Suggestion{Port: port, PortWhy: why}
	// The main package: the module's root, else the one cmd/<name>.
	mains, err := mainPackages(ctx, fsys, dir)
	if err != nil {
		return s, err
	}
	if len(mains) == 1 && mains[0] != "." {
		s.Main, s.MainWhy = mains[0], "the module's only main package"
	}
	return s, nil
}
