package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distill-build/distill/llb/plan"
)

func TestPlanCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"plan", "--platform", "linux/amd64,linux/arm64", "../../examples/go-server"}, &out); err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("plan output is not JSON: %v", err)
	}
	if len(p.Targets) != 2 || p.Targets[1].Platform != "linux/arm64" || p.Targets[1].Builder.Platform != "linux/amd64" {
		t.Errorf("targets = %+v", p.Targets)
	}
}

func TestPlanCommandError(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"plan", "-f", "missing.yaml", "../../examples/go-hello"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("err = %v", err)
	}
}

func TestSchemaCommand(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"schema"}, &out); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(out.Bytes()) {
		t.Error("schema is not JSON")
	}
}

// TestCheckCommand: distill check prints each finding at its line and
// fails; the check directive skips rules; a lock pins the images (the runtimes a Go build chooses from too).
func TestCheckCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/hello\n\ngo 1.26\n")
	write("main.go", "package main\n\nfunc main() {}\n")
	write("distill.yaml", "# check=skip=UnpinnedImage\nlanguage: go\nenv:\n  DB_PASSWORD: hunter2\n")
	var out bytes.Buffer
	err := run(context.Background(), []string{"check", dir}, &out)
	// The manifest is named as the command line named its directory.
	if !errors.Is(err, errFindings) || !strings.HasPrefix(out.String(), filepath.Join(dir, "distill.yaml")+":4:16: InlineCredentials: env DB_PASSWORD") || strings.Contains(out.String(), "UnpinnedImage") {
		t.Errorf("err = %v, output:\n%s", err, out.String())
	}
	write("distill.yaml", "language: go\n")
	out.Reset()
	if err := run(context.Background(), []string{"check", dir}, &out); !errors.Is(err, errFindings) || strings.Count(out.String(), "UnpinnedImage") != 2 {
		t.Errorf("unlocked: err = %v, output:\n%s", err, out.String())
	}
	const d = "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	write("distill.lock", `{"version": 1, "images": [
  {"ref": "docker.io/library/golang:1.26-trixie", "digest": "`+d+`", "platforms": {"linux/amd64": "`+d+`"}},
  {"ref": "gcr.io/distroless/static-debian13:nonroot", "digest": "`+d+`", "platforms": {"linux/amd64": "`+d+`"}},
  {"ref": "gcr.io/distroless/base-debian13:nonroot", "digest": "`+d+`", "platforms": {"linux/amd64": "`+d+`"}},
  {"ref": "gcr.io/distroless/cc-debian13:nonroot", "digest": "`+d+`", "platforms": {"linux/amd64": "`+d+`"}}]}`)
	out.Reset()
	if err := run(context.Background(), []string{"check", "--platform", "linux/amd64", dir}, &out); err != nil || out.String() != "no findings\n" {
		t.Errorf("locked: err = %v, output:\n%s", err, out.String())
	}
}

// TestPlanCommandEveryMistake: `distill plan` of a manifest with three
// mistakes (the provider's, resolve's, the decoder's) names each, in
// file order, with its file:line:col.
func TestPlanCommandEveryMistake(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, text := range map[string]string{
		"go.mod":       "module example.com/x\n\ngo 1.26\n",
		"main.go":      "package main\nfunc main() {}\n",
		"distill.yaml": "language: go\nversion: latest\nuser: www-data\nexpose: [99999]\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := run(context.Background(), []string{"plan", dir}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{`distill.yaml:2:10: invalid Go version "latest"`, `distill.yaml:3:7: unknown user "www-data"`, `distill.yaml:4:10: invalid port "99999"`}
	if len(lines) != len(want) {
		t.Fatalf("error =\n%v\nwant %d lines", err, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], filepath.Join(dir, w)) {
			t.Errorf("line %d = %q, want %q…", i+1, lines[i], filepath.Join(dir, w))
		}
	}
}
