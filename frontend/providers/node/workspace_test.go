package node

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestWorkspacePatterns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data, member string
		want               bool
	}{
		{"pnpm-workspace.yaml", "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n", "apps/web", true},
		{"pnpm-workspace.yaml", "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n", "apps/legacy", false},
		{"package.json", `{"workspaces": ["packages/*"]}`, "packages/web", true},
		{"package.json", `{"workspaces": {"packages": ["packages/*"], "nohoist": ["**/x"]}}`, "packages/web", true},
		{"package.json", `{"name": "not-a-workspace"}`, "packages/web", false},
		{"package.json", `{"workspaces": ["packages/*"]}`, "tools/cli", false},
	} {
		if got := workspaceHas(tc.name, []byte(tc.data), tc.member); got != tc.want {
			t.Errorf("%s %s has %s = %v, want %v", tc.name, tc.data, tc.member, got, tc.want)
		}
	}
}

// TestWorkspaceClosure: the app runs with the packages its dependencies
// reach and builds with those its dev dependencies reach too, each after
// what it depends on; the install is filtered to them, and a Yarn
// workspace is refused.
func TestWorkspaceClosure(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	files := fstest.MapFS{
		"package.json":                 f(`{"name": "root", "private": true, "packageManager": "pnpm@10.34.9"}`),
		"pnpm-workspace.yaml":          f("packages:\n  - apps/*\n  - packages/*\n"),
		"pnpm-lock.yaml":               f("lockfileVersion: '9.0'\n"),
		"tsconfig.base.json":           f("{}"),
		"README.md":                    f("# docs\n"),
		"apps/web/package.json":        f(`{"name": "@x/web", "dependencies": {"@x/ui": "workspace:*", "qs": "^6"}, "devDependencies": {"@x/config": "workspace:*"}, "scripts": {"start": "node server.js"}}`),
		"apps/web/server.js":           f(""),
		"apps/other/package.json":      f(`{"name": "@x/other", "dependencies": {"@x/ui": "workspace:*"}}`),
		"packages/ui/package.json":     f(`{"name": "@x/ui", "dependencies": {"@x/core": "workspace:*"}, "scripts": {"build": "tsc"}}`),
		"packages/core/package.json":   f(`{"name": "@x/core"}`),
		"packages/config/package.json": f(`{"name": "@x/config"}`),
	}
	m, err := manifest.Parse("apps/web/distill.yaml", []byte("language: node\n"))
	if err != nil {
		t.Fatal(err)
	}
	m.Member, m.InRoot = "apps/web", "apps/web/distill.yaml"
	b := buildOf(t, m, files)
	var got []string
	for _, s := range b.Steps {
		switch {
		case s.Copy != nil:
			got = append(got, "copy "+strings.Join(s.Copy.Paths, " ")+" to "+s.Copy.Dest)
		case s.Run != nil && strings.Contains(s.Name, "pnpm") && s.Run.Dir != "/":
			got = append(got, s.Run.Dir+": "+strings.Join(s.Run.Args[4:], " "))
		}
	}
	want := []string{
		"copy apps/web/package.json package.json packages/config/package.json packages/core/package.json packages/ui/package.json pnpm-lock.yaml pnpm-workspace.yaml to /app",
		"/app: corepack pnpm install --frozen-lockfile --prod --filter @x/core --filter @x/ui --filter @x/web",
		"copy apps/web/package.json package.json packages/config/package.json packages/core/package.json packages/ui/package.json pnpm-lock.yaml pnpm-workspace.yaml to /src",
		"/src: corepack pnpm install --frozen-lockfile --filter @x/core --filter @x/ui --filter @x/config --filter @x/web",
		"copy tsconfig.base.json packages/core packages/ui packages/config apps/web to /src",
		"/src/packages/ui: corepack pnpm run build",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if b.WorkDir != "apps/web" {
		t.Errorf("WorkDir = %q, want apps/web", b.WorkDir)
	}

	// A manifest at the root, whose package has no app: the members are.
	root, err := manifest.Parse("distill.yaml", []byte("language: node\n"))
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	_, err = Provider{}.Prepare(context.Background(), providers.Request{Manifest: root, FS: contextfs.FS{FS: files}, Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if want := "the manifest is at the root of a workspace (pnpm-workspace.yaml, 5 packages: apps/other, apps/web, packages/config, packages/core, packages/ui)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a manifest at the root: %v, want %q", err, want)
	}

	// Yarn Berry focuses the workspaces; Yarn classic installs those
	// present, which are the ones copied.
	delete(files, "pnpm-lock.yaml")
	delete(files, "pnpm-workspace.yaml")
	for _, tc := range []struct{ pm, lock, prod string }{
		{"yarn@4.18.1", "__metadata:\n  version: 8\n", "corepack yarn workspaces focus --production @x/core @x/ui @x/web"},
		{"yarn@1.22.22", "# yarn lockfile v1\n", "yarn install --frozen-lockfile --production --non-interactive"},
	} {
		files["yarn.lock"] = f(tc.lock)
		files["package.json"] = f(`{"name": "root", "private": true, "packageManager": "` + tc.pm + `", "workspaces": ["apps/*", "packages/*"]}`)
		b := buildOf(t, m, files)
		found := false
		for _, s := range b.Steps {
			if s.Run != nil && strings.Contains(s.Name, "(production dependencies)") {
				found = true
				if got := strings.Join(s.Run.Args[4:], " "); got != tc.prod {
					t.Errorf("%s: production install %q, want %q", tc.pm, got, tc.prod)
				}
			}
		}
		if !found {
			t.Errorf("%s: no production install", tc.pm)
		}
	}
}

// buildOf plans the app of m in files for linux/amd64.
func buildOf(t *testing.T, m *manifest.Manifest, files fstest.MapFS) providers.Build {
	t.Helper()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	proj, err := Provider{}.Prepare(context.Background(), providers.Request{Manifest: m, FS: contextfs.FS{FS: files}, Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proj.Build(amd64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
