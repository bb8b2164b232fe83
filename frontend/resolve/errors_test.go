package resolve

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
)

// TestEveryError: a manifest with several mistakes, found by the decoder,
// by resolve and by the language's provider, reports every one of them
// in file order, whatever order they are found in; what follows from a
// mistake (a field that could not be read, a dependency file that is
// not there) is not reported besides it, and the same mistake on two
// platforms is reported once.
func TestEveryError(t *testing.T) {
	t.Parallel()
	f := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	goApp := fstest.MapFS{"go.mod": f("module example.com/x\n\ngo 1.26\n"), "main.go": f("package main\nfunc main() {}\n")}
	cgoApp := fstest.MapFS{"go.mod": goApp["go.mod"], "main.go": f("package main\n\n// int f(void) { return 1; }\nimport \"C\"\nfunc main() { C.f() }\n")}
	nodeApp := fstest.MapFS{"package.json": f(`{"name": "x", "main": "server.js"}`), "server.js": f("")}
	pyApp := fstest.MapFS{"requirements.txt": f("flask\n"), "main.py": f("")}
	for _, tc := range []struct {
		name     string
		fs       fstest.MapFS
		manifest string
		want     []string // "line:col: start of the message", in order
	}{
		{"provider, resolve, decoder", goApp,
			"language: go\nversion: latest\nuser: www-data\nexpose: [99999]\n",
			[]string{`2:10: invalid Go version "latest"`, `3:7: unknown user "www-data"`, `4:10: invalid port "99999"`}},
		{"found last, reported first", nodeApp,
			"language: node\ninclude: [static/]\nbase: static\nruntime-packages: [\"lib magic\"]\n",
			[]string{`2:11: include "static/" is not in the build context`, `3:7: base "static" has no Node.js runtime`, `4:20: "lib magic" is not a Debian package name`}},
		{"independent passes of a provider", pyApp,
			"language: python\ndependencies: setup.cfg\nversion: \"3.9\"\nbuild-packages: [gcc, \"libpq dev\"]\n",
			[]string{`2:15: "setup.cfg" is not a Python dependency file`, `3:10: Python 3.9 has no official slim trixie image`, `4:23: "libpq dev" is not a Debian package name`}},
		// cgo: maybe is no boolean; that node does not read cgo: is
		// about the same value: one error.
		{"unreadable field", nodeApp,
			"language: node\ncgo: maybe\nuser: www-data\n",
			[]string{`2:6: expected a boolean`, `3:7: unknown user "www-data"`}},
		// No provider without a language: the rest is checked still.
		{"unreadable language", goApp,
			"language: [go]\nuser: www-data\ninclude: [../etc]\n",
			[]string{`1:11: expected a string`, `2:7: unknown user "www-data"`, `3:11: include "../etc" is not a path inside the build context`}},
		// Without go.mod nothing of the module is checked, the version
		// the manifest names is.
		{"dependent passes stop", fstest.MapFS{"main.go": goApp["main.go"]},
			"language: go\nmain: ./cmd/api\nversion: latest\n",
			[]string{`1:11: no go.mod at the root of the build context`, `3:10: invalid Go version "latest"`}},
		// The base is checked against each platform's build: there is
		// none to check with a wrong platform.
		{"per-platform checks need the platforms", cgoApp,
			"language: go\nplatforms: [linux/amd64, linux/arm64, windows/amd64]\nbase: static\n",
			[]string{`2:39: platform "windows/amd64" is not supported`}},
		{"once for every platform", cgoApp,
			"language: go\nplatforms: [linux/amd64, linux/arm64]\nbase: static\nuser: www-data\n",
			[]string{`3:7: base "static" cannot run this app`, `4:7: unknown user "www-data"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := manifest.Parse("distill.yaml", []byte(tc.manifest))
			if m == nil {
				t.Fatal(err)
			}
			_, err = Resolve(context.Background(), m, contextfs.FS{FS: tc.fs}, Options{BuildPlatform: amd64})
			errs := manifest.Errors(err)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], "distill.yaml:"+w) {
					t.Errorf("error %d = %q\nwant distill.yaml:%s…", i+1, got[i], w)
				}
			}
		})
	}
}
