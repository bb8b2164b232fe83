package golang

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestDebianCross(t *testing.T) {
	t.Parallel()
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		target ocispecs.Platform
		build  ocispecs.Platform
		cxx    bool
		want   string // packages and env, or "" for none
	}{
		{ocispecs.Platform{OS: "linux", Architecture: "arm64"}, amd64, false, "gcc-aarch64-linux-gnu libc6-dev-arm64-cross CC=aarch64-linux-gnu-gcc"},
		{ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, amd64, true, "gcc-arm-linux-gnueabihf libc6-dev-armhf-cross g++-arm-linux-gnueabihf CC=arm-linux-gnueabihf-gcc CXX=arm-linux-gnueabihf-g++"},
		{amd64, ocispecs.Platform{OS: "linux", Architecture: "arm64"}, false, "gcc-x86-64-linux-gnu libc6-dev-amd64-cross CC=x86_64-linux-gnu-gcc"},
		{ocispecs.Platform{OS: "linux", Architecture: "arm", Variant: "v5"}, amd64, false, ""},
		{ocispecs.Platform{OS: "linux", Architecture: "arm64"}, ocispecs.Platform{OS: "linux", Architecture: "s390x"}, false, ""},
	} {
		c := providers.DebianCross(tc.target, tc.build, tc.cxx)
		got := ""
		if c != nil {
			got = strings.Join(append(c.Packages, c.Env...), " ")
		}
		if got != tc.want {
			t.Errorf("DebianCross(%v on %v) = %q, want %q", tc.target, tc.build, got, tc.want)
		}
	}
}

// TestEmulatedBuildStep: with cgo and no Debian cross compiler from the
// build platform, only the go build step runs in the target's builder,
// sharing the sources and the output directory; the module download stays
// on the build platform.
func TestEmulatedBuildStep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for f, c := range map[string]string{
		"go.mod":  "module example.com/app\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() {}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, err := manifest.Parse("distill.yaml", []byte("language: go\ncgo: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	s390x := ocispecs.Platform{OS: "linux", Architecture: "s390x"}
	builds, _, err := providers.Plan(context.Background(), Provider{}, providers.Request{
		Manifest: m, FS: contextfs.Dir(dir),
		Platforms: []ocispecs.Platform{{OS: "linux", Architecture: "arm64"}}, BuildPlatform: s390x,
	})
	if err != nil {
		t.Fatal(err)
	}
	b := builds[0]
	if b.Builder.Platform != "linux/s390x" {
		t.Errorf("builder platform = %s, want the build platform", b.Builder.Platform)
	}
	var emulated []string
	for _, s := range b.Steps {
		if s.Run != nil && s.Run.Emulated != nil {
			emulated = append(emulated, s.Name+" on "+s.Run.Emulated.Builder.Platform+" sharing "+strings.Join(s.Run.Emulated.Dirs, ","))
		}
	}
	// The build, and the look for the libraries it links: the target's.
	want := []string{
		"[go] go build . (emulated: linux/arm64: no Debian cross compiler for it on linux/s390x) on linux/arm64 sharing /src,/out",
		"[go] carry the shared libraries the binary needs (emulated: linux/arm64: no Debian cross compiler for it on linux/s390x) on linux/arm64 sharing /out",
	}
	if strings.Join(emulated, "\n") != strings.Join(want, "\n") {
		t.Errorf("emulated steps = %q, want %q", emulated, want)
	}
}
