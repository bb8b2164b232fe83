package frontend

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/providers/golang"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/compile"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestOutline: --call=outline lists the secrets the FastAPI example's
// steps may use and its cache mounts, each pointing at the manifest line
// that causes it, and the manifest as the source those lines are in.
func TestOutline(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "examples", "python-fastapi")
	data, err := os.ReadFile(filepath.Join(dir, manifest.DefaultFilename))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	p, err := resolve.Resolve(context.Background(), m, contextfs.Dir(dir), resolve.Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(p, m, data, compile.DefaultCASecret, "ns-", map[string]string{"SOURCE_DATE_EPOCH": "0"})
	var names []string
	for _, s := range o.Secrets {
		names = append(names, s.Name)
		if s.Location == nil || s.Location.Ranges[0].Start.Line < 1 || s.Required {
			t.Errorf("secret %s: location %v, required %v", s.Name, s.Location, s.Required)
		}
	}
	if got := strings.Join(names, ","); got != "ca-bundle,netrc,pip-extra-index-url,pip-index-url" {
		t.Errorf("secrets = %s", got)
	}
	if len(o.Cache) != 1 || o.Cache[0].ID != "ns-distill-pip" {
		t.Errorf("cache mounts = %+v, want ns-distill-pip", o.Cache)
	}
	if len(o.Sources) != 1 || string(o.Sources[0]) != string(data) {
		t.Error("the manifest is not the outline's source")
	}
	if len(o.Args) != 2 || o.Args[0].Name != "SOURCE_DATE_EPOCH" || o.Args[0].Value != "0" || o.Args[1].Name != "DISTILL_LOCK" {
		t.Errorf("args = %+v", o.Args)
	}
	// buildx prints it with BuildKit's own printer.
	if err := outline.PrintOutline(mustJSON(t, o), &strings.Builder{}); err != nil {
		t.Error(err)
	}
}

// TestOutlineArgs: declared args are listed at their lines with the
// client's value, the proxy args given too; the Go module download
// offers the netrc secret and the SSH agent; every step sees the args.
func TestOutlineArgs(t *testing.T) {
	data := []byte("language: go\nmain: ./cmd/server\nargs:\n  GOPRIVATE: example.com/private\n  GOFLAGS: -tags=netgo\n")
	m, err := manifest.Parse(manifest.DefaultFilename, data)
	if err != nil {
		t.Fatal(err)
	}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	given := map[string]string{"GOFLAGS": "-tags=osusergo", "HTTPS_PROXY": "http://proxy:3128", "UNUSED": "x"}
	p, err := resolve.Resolve(context.Background(), m, contextfs.Dir(filepath.Join("..", "examples", "go-server")), resolve.Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64, BuildArgs: given})
	if err != nil {
		t.Fatal(err)
	}
	o := outlineOf(p, m, data, compile.DefaultCASecret, "", given)
	var args []string
	for _, a := range o.Args {
		args = append(args, a.Name+"="+a.Value)
	}
	if got := strings.Join(args, " "); got != "GOPRIVATE=example.com/private GOFLAGS=-tags=osusergo SOURCE_DATE_EPOCH= DISTILL_LOCK=true HTTPS_PROXY=http://proxy:3128" {
		t.Errorf("args = %s", got)
	}
	if o.Args[0].Location == nil || o.Args[0].Location.Ranges[0].Start.Line != 4 {
		t.Errorf("GOPRIVATE location = %v", o.Args[0].Location)
	}
	if len(o.SSH) != 1 || o.SSH[0].Name != "default" || o.SSH[0].Required {
		t.Errorf("ssh = %+v", o.SSH)
	}
	if !slices.ContainsFunc(o.Secrets, func(s outline.Secret) bool { return s.Name == "netrc" }) {
		t.Errorf("secrets = %+v, want netrc", o.Secrets)
	}
	for _, s := range p.Targets[0].Steps {
		// Steps of the go toolchain; the helpers that look at what it
		// built (the runtime's choice, the libraries) run no go.
		if s.Run == nil || (s.Run.Args[0] == providers.HelperBin && s.Run.Args[1] != "go-build") {
			continue
		}
		if !slices.Contains(s.Run.Env, "GOPRIVATE=example.com/private") || !slices.Contains(s.Run.Env, "GOFLAGS=-buildvcs=false -tags=osusergo") {
			t.Errorf("step %s env = %v (GOFLAGS adds to the provider's)", s.Name, s.Run.Env)
		}
		if got := slices.Contains(s.Run.Env, "HTTPS_PROXY=http://proxy:3128"); got != s.Run.Network {
			t.Errorf("step %s (network %v): proxy env %v", s.Name, s.Run.Network, got)
		}
	}
	if got := resolve.UnusedArgs(m, given); !slices.Equal(got, []string{"UNUSED"}) {
		t.Errorf("unused = %v", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	dt, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestLintResults: findings become warnings at their manifest lines, an
// error that is a rule's finding is a warning too, any other planning
// error is the build error; either makes the status non-zero.
func TestLintResults(t *testing.T) {
	src := llb.NewSourceMap(nil, "distill.yaml", "yaml", []byte("language: go\nbase: static\n"))
	res := lintResults(src, []check.Finding{{Rule: check.UnpinnedImage, Msg: "m", Hint: "h", Range: manifest.Range{Start: manifest.Pos{Line: 1, Column: 1}, End: manifest.Pos{Line: 1, Column: 13}}}},
		&manifest.Error{File: "distill.yaml", Range: manifest.Range{Start: manifest.Pos{Line: 2, Column: 7}}, Msg: "cgo", Hint: "use base", Rule: golang.CgoOnStaticBase.Name})
	if len(res.Warnings) != 2 || res.Error != nil {
		t.Fatalf("results = %+v", res)
	}
	if w := res.Warnings[1]; w.RuleName != "CgoOnStaticBase" || w.Location.Ranges[0].Start.Line != 2 || w.Detail != "cgo (use base)" {
		t.Errorf("warning = %+v", w)
	}
	res = lintResults(src, nil, &manifest.Error{File: "distill.yaml", Range: manifest.Range{Start: manifest.Pos{Line: 1, Column: 11}}, Msg: "unsupported language"})
	if res.Error == nil || res.Error.Message != "unsupported language" || res.Error.Location.Ranges[0].Start.Line != 1 {
		t.Fatalf("error = %+v", res.Error)
	}
	r, err := res.ToResult(nil)
	if err != nil || string(r.Metadata["result.statuscode"]) != "1" {
		t.Fatalf("status = %s, %v", r.Metadata["result.statuscode"], err)
	}
}
