package rust

import (
	"bytes"
	"context"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	toml "github.com/pelletier/go-toml/v2"
)

// rustPortRE finds a listen address in Rust source: "0.0.0.0:8080".
var rustPortRE = regexp.MustCompile(`"[\w.-]*:(\d{2,5})"`)

// Suggest implements providers.Suggester: the port src/main.rs listens
// on (an address literal, or PORT's default).
func (Provider) Suggest(ctx context.Context, fsys providers.FS, dir string) (providers.Suggestion, error) {
	port, why, err := providers.ScanPort(ctx, fsys, dir, []string{"src/main.rs"}, rustPortRE, providers.EnvPortRE)
	s := providers.Suggestion{Port: port, PortWhy: why}
	if err != nil {
		return s, err
	}
	lock, _, err := providers.ReadFile(ctx, fsys, path.Join(dir, "Cargo.lock"))
	if err != nil {
		return s, err
	}
	manifest, _, err := providers.ReadFile(ctx, fsys, path.Join(dir, "Cargo.toml"))
	s.SuggestBuildPackages(nativeCrates, func(name string) bool {
		bundles := bundlingFeature[name]
		return bytes.Contains(lock, []byte(`name = "`+name+`"`)) && (bundles == "" || !defaultBuildAsks(manifest, bundles))
	})
	return s, err
}

// defaultBuildAsks reports whether a build with the default features
// asks a dependency for feature (vendored, bundled): a dependency that is
// not optional, or one the default features turn on, lists it, or a
// default feature names it (openssl-sys/vendored). A feature of an
// optional dependency nothing turns on does not count: simple-http-server
// lists openssl with ["vendored"] for its only-openssl feature, while its
// default build links the system OpenSSL through native-tls.
func defaultBuildAsks(cargoToml []byte, feature string) bool {
	var c struct {
		Features     map[string][]string `toml:"features"`
		Dependencies map[string]any      `toml:"dependencies"`
		Target       map[string]struct {
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"target"`
	}
	if toml.Unmarshal(cargoToml, &c) != nil {
		return bytes.Contains(cargoToml, []byte(`"`+feature+`"`))
	}
	on, asked := map[string]bool{}, false
	var weak []string // x?/feature: asked only if x is on anyway
	var enable func(name string)
	enable = func(name string) {
		if on[name] {
			return
		}
		on[name] = true
		for _, v := range c.Features[name] {
			dep, sub, ok := strings.Cut(strings.TrimPrefix(v, "dep:"), "/")
			if d, isWeak := strings.CutSuffix(dep, "?"); isWeak {
				if sub == feature {
					weak = append(weak, d)
				}
				continue
			}
			asked = asked || ok && sub == feature
			enable(dep)
		}
	}
	enable("default")
	for _, d := range weak {
		asked = asked || on[d]
	}
	deps := []map[string]any{c.Dependencies}
	for _, t := range c.Target {
		deps = append(deps, t.Dependencies)
	}
	for _, ds := range deps {
		for name, d := range ds {
			t, ok := d.(map[string]any)
			if !ok {
				continue
			}
			features, _ := t["features"].([]any)
			optional, _ := t["optional"].(bool)
			if slices.Contains(features, any(feature)) && (!optional || on[name]) {
				asked = true
			}
		}
	}
	return asked
}

// nativeCrates are -sys crates that link a system library found with
// pkg-config, unless a feature of theirs builds it from their own
// sources (bundlingFeature, looked for in Cargo.toml's features).
var nativeCrates = []providers.NativeDep{
	{Name: "libsqlite3-sys", Packages: []string{"libsqlite3-dev"}},
	{Name: "pq-sys", Packages: []string{"libpq-dev"}},
	{Name: "mysqlclient-sys", Packages: []string{"default-libmysqlclient-dev"}},
	{Name: "openssl-sys", Packages: []string{"libssl-dev"}},
}

var bundlingFeature = map[string]string{"libsqlite3-sys": "bundled", "pq-sys": "bundled", "openssl-sys": "vendored"}
