package node

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestRangeAllowsMajor(t *testing.T) {
	t.Parallel()
	checkRanges(t, Majors, []rangeCase{
		{">=22", []int{22, 24, 26}},
		{">=18 <23", []int{22}},
		{"^20 || ^22", []int{22}},
		{"22.x || 24.x", []int{22, 24}},
		{"20 - 24", []int{22, 24}},
		{"~24.2.0", []int{24}},
		{"*", []int{22, 24, 26}},
		{">= 22.5.0", []int{22, 24, 26}},
		{"<22.5", []int{22}},
		{">24", []int{26}},
		{"=24.1.0", []int{24}},
		{"^18.0.0", nil},
	})
	if _, err := parseRange(">= twenty"); err == nil {
		t.Error("no error for a malformed range")
	}
}

// TestRangeNpmSemantics checks ranges against majors 16 to 28; the
// wanted majors are what npm's semver.intersects(range, "M.x") says.
func TestRangeNpmSemantics(t *testing.T) {
	t.Parallel()
	all := []int{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28}
	checkRanges(t, all, []rangeCase{
		{">=18 <21 || 22.x", []int{18, 19, 20, 22}},
		{"^20.1", []int{20}},
		{"~18", []int{18}},
		{"~>22", []int{22}},
		{"20 - 22", []int{20, 21, 22}},
		{"22.4 - 24", []int{22, 23, 24}},
		{"24.1.2 - 26", []int{24, 25, 26}},
		{"*", all},
		{"x", all},
		{"", all},
		{">22", []int{23, 24, 25, 26, 27, 28}},
		{">22.4", []int{22, 23, 24, 25, 26, 27, 28}},
		{">24.99.99", []int{24, 25, 26, 27, 28}},
		{"<=22.4", []int{16, 17, 18, 19, 20, 21, 22}},
		{"<22.0.0", []int{16, 17, 18, 19, 20, 21}},
		{"<24.0.0-0", []int{16, 17, 18, 19, 20, 21, 22, 23}},
		{"^24.0.0-rc.1", []int{24}},
		{">=22 <22.1", []int{22}},
		{">=24.0.0 <24.0.1", []int{24}},
		{"~22.3.x", []int{22}},
		{"v22", []int{22}},
		{"22 || 24", []int{22, 24}},
	})
	for _, bad := range []string{"lts/*", "lts/iron", "node", ">= twenty", "22.x.x.x"} {
		if _, err := parseRange(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

type rangeCase struct {
	rng   string
	allow []int
}

// checkRanges checks which of majors each range allows.
func checkRanges(t *testing.T, majors []int, cases []rangeCase) {
	t.Helper()
	for _, tc := range cases {
		rs, err := parseRange(tc.rng)
		if err != nil {
			t.Errorf("%q: %v", tc.rng, err)
			continue
		}
		var got []int
		for _, m := range majors {
			if rs.allowsMajor(m) {
				got = append(got, m)
			}
		}
		if !equalSets(got, tc.allow) {
			t.Errorf("%q allows %v, want %v", tc.rng, got, tc.allow)
		}
	}
}

func equalSets(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

func TestWithoutInstallScripts(t *testing.T) {
	t.Parallel()
	in := `{"name":"a","scripts":{"prepare":"husky","build":"tsc","postinstall":"node x.js"},"dependencies":{"x":"1"}}`
	out, changed, err := withoutInstallScripts([]byte(in))
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	s := string(out)
	if strings.Contains(s, "husky") || strings.Contains(s, "postinstall") || !strings.Contains(s, `"build": "tsc"`) || !strings.Contains(s, `"x": "1"`) {
		t.Errorf("got %s", s)
	}
	if _, changed, _ := withoutInstallScripts([]byte(`{"scripts":{"start":"node ."}}`)); changed {
		t.Error("changed a package.json without install scripts")
	}
}

func TestNpmLockNeedsBuild(t *testing.T) {
	t.Parallel()
	lock := `{"lockfileVersion":3,"packages":{"":{},"node_modules/libpq":{"hasInstallScript":true},
	"node_modules/a/node_modules/@s/b":{"hasInstallScript":true},"node_modules/fsevents":{"hasInstallScript":true,"dev":true}}}`
	got := npmLockNeedsBuild([]byte(lock))
	if strings.Join(got, ",") != "@s/b,libpq" {
		t.Errorf("got %v", got)
	}
}

func planFiles(t *testing.T, files map[string]string) ([]providers.Build, error) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Parse("distill.yaml", []byte(files["distill.yaml"]))
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	builds, _, err := providers.Plan(context.Background(), Provider{}, providers.Request{
		Manifest: m, FS: contextfs.Dir(dir), Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64,
	})
	return builds, err
}

func TestPlanChoices(t *testing.T) {
	t.Parallel()
	pkg := func(extra string) string { return `{"name":"@acme/app","main":"server.js"` + extra + `}` }
	for _, tc := range []struct {
		name  string
		files map[string]string
		// want are substrings of the step names, builder, runtime and
		// command, joined by newlines.
		want []string
		err  string
	}{
		{"npm lock", map[string]string{"package.json": pkg(""), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`},
			[]string{"npm ci --omit=dev", "node:24-trixie-slim", "nodejs24-debian13", "cmd server.js"}, ""},
		{"engines pick 22", map[string]string{"package.json": pkg(`,"engines":{"node":"^22.4"}`), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`},
			[]string{"node:22-trixie-slim", "nodejs22-debian13"}, ""},
		{"engines allow default", map[string]string{"package.json": pkg(`,"engines":{"node":">=20"}`), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`},
			[]string{"node:24-trixie-slim"}, ""},
		{".nvmrc", map[string]string{"package.json": pkg(""), ".nvmrc": "v26.1.0\n"},
			[]string{"node:26-trixie-slim", "npm install --omit=dev --no-package-lock"}, ""},
		{"pnpm from lockfileVersion", map[string]string{"package.json": pkg(""), "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
			[]string{"corepack pnpm@10.34.9 install --frozen-lockfile --prod"}, ""},
		{"berry lock", map[string]string{"package.json": pkg(""), "yarn.lock": "__metadata:\n  version: 8\n"},
			[]string{"corepack yarn@4.18.1 workspaces focus --all --production"}, ""},
		{"classic lock", map[string]string{"package.json": pkg(""), "yarn.lock": "# yarn lockfile v1\n"},
			[]string{"yarn@1.22.22 (the builder's", "yarn install --frozen-lockfile --production"}, ""},
		{"build script", map[string]string{"package.json": pkg(`,"scripts":{"build":"tsc","prepare":"husky"}`), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`},
			[]string{"without the project's install scripts", "npm ci (all dependencies, for the build)", "npm run build"}, ""},
		{"start script", map[string]string{"package.json": `{"scripts":{"start":"node --enable-source-maps dist/index.js"}}`},
			[]string{"cmd --enable-source-maps dist/index.js", "check that the entrypoint's dist/index.js"}, ""},
		{"package bin", map[string]string{"distill.yaml": "language: node\nentrypoint: [next, start]\n", "package.json": pkg("")},
			[]string{"cmd /app/node_modules/.bin/next start", "check that the entrypoint's node_modules/.bin/next"}, ""},
		{"bin before main", map[string]string{"package.json": `{"name":"mountebank","main":"./src/mountebank.js","bin":{"mb":"./bin/mb"}}`},
			[]string{"cmd ./bin/mb", "check that the entrypoint's bin/mb"}, ""},
		{"bin file", map[string]string{"package.json": `{"name":"@acme/tool","main":"lib/index.js","bin":"cli.js"}`},
			[]string{"cmd cli.js"}, ""},
		{"bin named as the package", map[string]string{"package.json": `{"name":"@acme/tool","main":"lib/index.js","bin":{"tool":"bin/tool.js","tool-admin":"bin/admin.js"}}`},
			[]string{"cmd bin/tool.js"}, ""},
		{"several bins, none the package's: main", map[string]string{"package.json": `{"name":"kit","main":"server.js","bin":{"a":"a.js","b":"b.js"}}`},
			[]string{"cmd server.js"}, ""},
		{"bin of another type: main", map[string]string{"package.json": `{"name":"kit","main":"server.js","bin":42}`},
			[]string{"cmd server.js"}, ""},
		{"start script before bin", map[string]string{"package.json": `{"name":"kit","bin":"cli.js","scripts":{"start":"node server.js"}}`},
			[]string{"cmd server.js"}, ""},
		{"two locks", map[string]string{"package.json": pkg(""), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`, "yarn.lock": ""},
			nil, "several lock files: yarn.lock, package-lock.json"},
		{"packageManager picks the lock", map[string]string{"package.json": pkg(`,"packageManager":"pnpm@9.15.9"`), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
			[]string{"corepack pnpm install --frozen-lockfile --prod"}, ""},
		{"packageManager against the lock", map[string]string{"package.json": pkg(`,"packageManager":"pnpm@9.15.9"`), "package-lock.json": `{"lockfileVersion":3,"packages":{}}`},
			nil, "package.json asks for pnpm@9.15.9, but the lock file is package-lock.json"},
		{"old berry", map[string]string{"package.json": pkg(`,"packageManager":"yarn@3.8.7"`), "yarn.lock": "__metadata:\n  version: 6\n"},
			nil, "Yarn 3.8.7 cannot install production dependencies"},
		{"engines none supported", map[string]string{"package.json": pkg(`,"engines":{"node":"^18"}`)},
			nil, `engines.node "^18" allows no Node.js release`},
		{"version unsupported", map[string]string{"distill.yaml": "language: node\nversion: \"20\"\n", "package.json": pkg("")},
			nil, "distill.yaml:2:10: Node.js 20 has no distroless runtime"},
		{"base static", map[string]string{"distill.yaml": "language: node\nbase: static\n", "package.json": pkg("")},
			nil, `base "static" has no Node.js runtime`},
		{"no package.json", map[string]string{"server.js": ""}, nil, "the build context has no package.json"},
		{"no entrypoint", map[string]string{"package.json": `{}`}, nil, "no entrypoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, ok := tc.files["distill.yaml"]; !ok {
				tc.files["distill.yaml"] = "language: node\n"
			}
			builds, err := planFiles(t, tc.files)
			if tc.err != "" {
				var me *manifest.Error
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &me) {
					t.Fatalf("err = %v, want a manifest error containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b := builds[0]
			var lines []string
			for _, s := range b.Steps {
				lines = append(lines, s.Name)
			}
			lines = append(lines, b.Builder.Ref, b.Runtime.Ref, "cmd "+strings.Join(b.Command, " "))
			all := strings.Join(lines, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("plan lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

// TestCrossInstall: another platform's dependencies are installed from the
// build platform unless install scripts must run for it; emulated steps
// say why.
func TestCrossInstall(t *testing.T) {
	t.Parallel()
	arm64 := ocispecs.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"npm, JavaScript only", map[string]string{"package.json": `{"main":"a.js"}`, "package-lock.json": `{"lockfileVersion":3,"packages":{"node_modules/x":{}}}`},
			"npm ci --omit=dev (production dependencies) (for linux/arm64, from linux/amd64)"},
		{"npm, an install script", map[string]string{"package.json": `{"main":"a.js"}`, "package-lock.json": `{"lockfileVersion":3,"packages":{"node_modules/x":{"hasInstallScript":true}}}`},
			"(emulated: linux/arm64: install scripts must run for it: x)"},
		{"pnpm 10", map[string]string{"package.json": `{"main":"a.js"}`, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
			"install --frozen-lockfile --prod --cpu=arm64 --os=linux --libc=glibc (production dependencies) (for linux/arm64"},
		{"pnpm 10 with builds", map[string]string{"package.json": `{"main":"a.js","pnpm":{"onlyBuiltDependencies":["sharp"]}}`, "pnpm-lock.yaml": "lockfileVersion: '9.0'\n"},
			"(emulated: linux/arm64: install scripts must run for it: sharp)"},
		{"yarn", map[string]string{"package.json": `{"main":"a.js"}`, "yarn.lock": ""},
			"(emulated: linux/arm64: Yarn installs for the platform it runs on)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.files["distill.yaml"] = "language: node\n"
			dir := t.TempDir()
			for k, v := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			m, err := manifest.Parse("distill.yaml", []byte(tc.files["distill.yaml"]))
			if err != nil {
				t.Fatal(err)
			}
			amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
			builds, _, err := providers.Plan(context.Background(), Provider{}, providers.Request{
				Manifest: m, FS: contextfs.Dir(dir), Platforms: []ocispecs.Platform{arm64}, BuildPlatform: amd64,
			})
			if err != nil {
				t.Fatal(err)
			}
			b := builds[0]
			var names []string
			for _, s := range b.Steps {
				names = append(names, s.Name)
			}
			all := strings.Join(names, "\n")
			if !strings.Contains(all, tc.want) {
				t.Errorf("steps lack %q:\n%s", tc.want, all)
			}
			// Only the production install is emulated, in the target's
			// builder; every other step runs in the build platform's.
			if b.Builder.Platform != "linux/amd64" {
				t.Errorf("builder platform = %s, want linux/amd64", b.Builder.Platform)
			}
			for _, s := range b.Steps {
				e := s.Run != nil && s.Run.Emulated != nil
				if e != strings.Contains(s.Name, "emulated") {
					t.Errorf("step %q: emulated %v", s.Name, e)
				}
				if e && (s.Run.Emulated.Builder.Platform != "linux/arm64" || !strings.Contains(s.Name, "production dependencies") && !strings.Contains(s.Name, "shared libraries")) {
					t.Errorf("step %q emulated on %s", s.Name, s.Run.Emulated.Builder.Platform)
				}
			}
		})
	}
}

func TestNpmLockPrebuilt(t *testing.T) {
	t.Parallel()
	lock := `{"packages":{"":{},"node_modules/fsevents":{"os":["darwin"],"optional":true},
	"node_modules/@img/sharp-linux-x64":{"os":["linux"],"cpu":["x64"]},"node_modules/tsgo":{"cpu":["x64"],"dev":true},"node_modules/x":{}}}`
	if got := strings.Join(npmLockPrebuilt([]byte(lock)), ","); got != "node_modules/@img/sharp-linux-x64" {
		t.Errorf("got %q", got)
	}
}

// TestEntrypointCheckOnlyUnseen: the step that checks the entrypoint's
// file is in the image runs only when the plan cannot see the file in
// what the sources' copy brings.
func TestEntrypointCheckOnlyUnseen(t *testing.T) {
	t.Parallel()
	pkg := `{"name":"app","main":"server.js"}`
	for _, tc := range []struct {
		name  string
		files map[string]string
		check bool
	}{
		{"in the context", map[string]string{"package.json": pkg, "server.js": "1"}, false},
		{"not in the context", map[string]string{"package.json": pkg}, true},
		{"a package's executable", map[string]string{"distill.yaml": "language: node\nentrypoint: [next, start]\n", "package.json": pkg, "next": "1"}, true},
		{"left out of the copy", map[string]string{"distill.yaml": "language: node\nentrypoint: [node, distill.yaml]\n", "package.json": pkg}, true},
		{"made by the build", map[string]string{"package.json": `{"main":"server.js","scripts":{"build":"tsc"}}`, "server.js": "1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.files["distill.yaml"] == "" {
				tc.files["distill.yaml"] = "language: node\n"
			}
			builds, err := planFiles(t, tc.files)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range builds[0].Steps {
				found = found || strings.HasPrefix(s.Name, "[node] check that the entrypoint's")
			}
			if found != tc.check {
				t.Errorf("check step %v, want %v", found, tc.check)
			}
		})
	}
}
