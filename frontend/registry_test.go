package frontend

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/compile"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// toy is a language written inside the test: one package's worth of
// provider, registered without any other file knowing it.
type toy struct{}

var toyRule = check.Rule{Name: "ToyScriptUnsigned", Description: "Toy scripts should be signed"}

func (toy) Language() string { return "toy" }

func (toy) Ecosystem() providers.Ecosystem {
	return providers.Ecosystem{
		Fields:  map[string]string{"version": "a toy release, e.g. \"1\"", "main": "the toy script to run"},
		Rules:   []check.Rule{toyRule},
		CAEnv:   []string{"TOY_CA_FILE"},
		Helpers: map[string]providers.Helper{"toy-seal": func([]string, io.Writer, io.Writer) int { return 0 }},
	}
}

func (toy) Prepare(ctx context.Context, req providers.Request) (*providers.Project, error) {
	m := req.Manifest
	script := "main.toy"
	if m.Main.Set() {
		script = m.Main.Value
	}
	data, ok, err := providers.ReadFile(ctx, req.FS, script)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, providers.Fail(m, m.Main.Range, "name a .toy file of the context", "%s is not in the build context", script)
	}
	var findings []check.Finding
	if !strings.HasPrefix(string(data), "#signed") {
		findings = append(findings, check.Finding{Rule: toyRule, Range: m.Main.Range, Msg: script + " is not signed", Hint: "sign it with toy-seal"})
	}
	builder := plan.Image{Ref: "example.com/toy:1-" + providers.Suite,
		Facts: plan.Facts{Toolchain: "Toy", Version: "1", Debian: providers.DebianRelease, Libc: plan.LibcGlibc, Why: "the toy builder"}}
	return &providers.Project{Findings: findings, Build: func(p ocispecs.Platform) (providers.Build, error) {
		b := builder
		b.Platform = platforms.Format(req.BuildPlatform)
		origin := providers.Origin("main", m.Main.Range)
		return providers.Build{
			Builder: b, Flavour: providers.Static, FlavourReason: "toy programs are static",
			Steps: []plan.Step{
				{Name: "[toy] copy " + script, Origin: origin, Copy: &plan.Copy{Paths: []string{script}, Dest: "/src"}},
				{Name: "[toy] fetch and seal", Origin: origin, Run: &plan.Run{
					Args: []string{"toyc", "-o", "/out/app", "/src/" + script}, Dir: "/src", Network: true,
					Secrets: []plan.Secret{{ID: "toy-token", Env: "TOY_TOKEN"}},
					Caches:  []plan.Cache{{ID: "toy", Target: "/root/.toy", Sharing: "shared"}},
				}},
			},
			Artifacts:  []plan.Artifact{{From: plan.FromBuilder, Src: "/out/app", Dest: "/app/app", Origin: origin}},
			Entrypoint: []string{"/app/app"},
			Name:       "app",
		}, nil
	}}, nil
}

// TestToyLanguage: a language registered from inside a test gets a plan,
// its own check findings, an outline entry, a value in the schema's enum
// and a place in the unsupported-language hint, with no other file
// changed: the registry line is the only place distill names languages.
func TestToyLanguage(t *testing.T) {
	defer resolve.Register(toy{})()
	ctx := context.Background()
	src := []byte("language: toy\nmain: app.toy\n")
	m, err := manifest.Parse(manifest.DefaultFilename, src)
	if err != nil {
		t.Fatal(err)
	}
	fsys := contextfs.FS{FS: fstest.MapFS{"app.toy": &fstest.MapFile{Data: []byte("print 1\n")}}}
	amd64 := ocispecs.Platform{OS: "linux", Architecture: "amd64"}
	p, findings, err := resolve.Checked(ctx, m, fsys, resolve.Options{Platforms: []ocispecs.Platform{amd64}, BuildPlatform: amd64})
	if err != nil {
		t.Fatal(err)
	}

	// The plan: the toy's builder with its facts, the static runtime, the
	// toy's CA variable, and it compiles.
	tg := p.Targets[0]
	if p.Language != "toy" || tg.Builder.Facts.Toolchain != "Toy" || tg.Runtime.Ref != "gcr.io/distroless/static-debian13:nonroot" ||
		tg.Runtime.Facts.Libc != plan.LibcNone || !slices.Contains(tg.CAEnv, "TOY_CA_FILE") {
		t.Errorf("plan: %+v", tg)
	}
	if _, err := compile.Target(ctx, tg, compile.Options{Context: llb.Local("context")}); err != nil {
		t.Errorf("compiling the toy plan: %v", err)
	}

	// Check: the toy's own rule, at the manifest line, known to the
	// directive and the lint results.
	got, err := check.Run(ctx, check.Input{Manifest: m, Plan: p, Provider: findings, Rules: resolve.Rules(),
		Locked: func(string, string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Rule != toyRule || got[0].Range.Start.Line != 2 {
		t.Errorf("findings = %+v, want %s at line 2", got, toyRule.Name)
	}
	res := lintResults(&llb.SourceMap{Filename: m.File, Data: src}, got, nil)
	if len(res.Warnings) != 1 || res.Warnings[0].RuleName != toyRule.Name || res.Warnings[0].Description != toyRule.Description {
		t.Errorf("lint warnings = %+v", res.Warnings)
	}
	dm, err := manifest.Parse(manifest.DefaultFilename, []byte("# check=skip="+toyRule.Name+"\nlanguage: toy\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkConfig(dm, nil); err != nil {
		t.Errorf("the check directive does not know the toy's rule: %v", err)
	}

	// Outline: the toy step's secret and cache, at the manifest line.
	o := outlineOf(p, m, src, compile.DefaultCASecret, "", nil)
	i := slices.IndexFunc(o.Secrets, func(s outline.Secret) bool { return s.Name == "toy-token" })
	if i < 0 || o.Secrets[i].Location == nil || o.Secrets[i].Location.Ranges[0].Start.Line != 2 {
		t.Errorf("outline secrets = %+v", o.Secrets)
	}
	if !slices.ContainsFunc(o.Cache, func(c outline.CacheMount) bool { return c.ID == "distill-toy" }) {
		t.Errorf("outline caches = %+v", o.Cache)
	}

	// The schema's enum, the languages' field docs, the helpers.
	data, err := manifest.Schema(resolve.Languages(), resolve.FieldDocs())
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties map[string]struct {
			Enum        []string `json:"enum"`
			Description string   `json:"description"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(schema.Properties["language"].Enum, "toy") || !strings.Contains(schema.Properties["main"].Description, "toy: the toy script to run") {
		t.Errorf("schema: language %+v, main %q", schema.Properties["language"], schema.Properties["main"].Description)
	}
	if _, ok := resolve.Helpers()["toy-seal"]; !ok {
		t.Error("the toy's helper subcommand is not dispatched")
	}

	// The unsupported-language hint lists it; a field it does not read is
	// refused at its line.
	for _, tc := range []struct{ manifest, want string }{
		{"language: cobol\n", "toy"},
		{"language: toy\nmain: app.toy\ncgo: true\n", "cgo: is not read for language toy"},
	} {
		bad, err := manifest.Parse(manifest.DefaultFilename, []byte(tc.manifest))
		if err != nil {
			t.Fatal(err)
		}
		_, err = resolve.Resolve(ctx, bad, fsys, resolve.Options{BuildPlatform: amd64})
		if errs := manifest.Errors(err); len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.want) {
			t.Errorf("%q: err = %v, want one error with %q", tc.manifest, err, tc.want)
		}
	}
}
