package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/distill-build/distill/frontend/version"
	"github.com/distill-build/distill/llb/plan"
)

var commands = []string{"init", "plan", "check", "lock", "schema", "version", "completion"}

// TestHelp: every way of asking for help succeeds and prints it; the
// root's names what distill is and every command, each command's its
// examples and every flag.
func TestHelp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, args := range [][]string{nil, {"--help"}, {"-h"}, {"help"}} {
		var out bytes.Buffer
		if err := run(ctx, args, &out); err != nil {
			t.Fatalf("distill %v: %v", args, err)
		}
		for _, want := range append([]string{"BuildKit frontend", "docker buildx build -f distill.yaml .", "Examples:"}, commands...) {
			if !strings.Contains(out.String(), want) {
				t.Errorf("distill %v: no %q in\n%s", args, want, out.String())
			}
		}
	}
	for _, name := range commands {
		cmd, _, err := newRoot().Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{name, "--help"}, {"help", name}} {
			var out bytes.Buffer
			if err := run(ctx, args, &out); err != nil {
				t.Fatalf("distill %v: %v", args, err)
			}
			help := out.String()
			if !strings.Contains(help, "Examples:") || !strings.Contains(help, "distill "+name) || !strings.Contains(help, "--help") {
				t.Errorf("distill %v: no examples or usage in\n%s", args, help)
			}
			for _, f := range []string{"file", "platform", "build-platform", "force", "format"} {
				if cmd.Flags().Lookup(f) != nil && !strings.Contains(help, "--"+f) {
					t.Errorf("distill %v: --%s not documented in\n%s", args, f, help)
				}
			}
		}
	}
}

// TestFlagAfterDir: flags are read after the directory too.
func TestFlagAfterDir(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"plan", "../../examples/go-hello", "--platform", "linux/arm64", "-f", "distill.yaml"}, &out); err != nil {
		t.Fatal(err)
	}
	var p plan.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Targets) != 1 || p.Targets[0].Platform != "linux/arm64" {
		t.Errorf("targets = %+v, want linux/arm64 alone", p.Targets)
	}
}

// TestUsageErrors: a command line distill does not understand fails with
// exit code 2, said once with "distill: " and where to read the usage.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--bogus", "../../examples/go-hello"}, "distill: unknown flag: --bogus\nRun 'distill plan --help' for usage.\n"},
		{[]string{"plan", "a", "b"}, "distill: plan takes one directory at most, got 2: a b\nRun 'distill plan --help' for usage.\n"},
		{[]string{"plna"}, "distill: unknown command \"plna\" (did you mean plan?)\nRun 'distill --help' for usage.\n"},
		{[]string{"plan", "--format", "yaml"}, "distill: invalid value \"yaml\" for --format: want json or pretty\nRun 'distill plan --help' for usage.\n"},
		{[]string{"init", "--force=maybe"}, "distill: invalid value \"maybe\" for --force: want true or false\nRun 'distill init --help' for usage.\n"},
		{[]string{"help", "nosuch"}, "distill: no help for \"nosuch\": not a command of distill\nRun 'distill --help' for usage.\n"},
		{[]string{"completion"}, "distill: completion takes one shell: bash, zsh or fish\nRun 'distill completion --help' for usage.\n"},
		{[]string{"schema", "x"}, "distill: schema takes no arguments, got x\nRun 'distill schema --help' for usage.\n"},
		{[]string{"lock", "a", "b", "--", "--builder", "x"}, "distill: lock takes one directory at most, got 2: a b\nRun 'distill lock --help' for usage.\n"},
	} {
		var out, stderr bytes.Buffer
		code := report(&stderr, run(context.Background(), tc.args, &out))
		if code != 2 || stderr.String() != tc.want {
			t.Errorf("distill %v: exit %d, stderr:\n%s\nwant exit 2 and:\n%s", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestReport: a failed command exits 1, each of its lines said once with
// "distill: " (the manifest's three mistakes: the missing go.mod that
// language: go needs, then the decoder's two).
func TestReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "distill.yaml"), []byte("language: go\nfoo: 1\nuser: [1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := report(&stderr, run(context.Background(), []string{"plan", dir}, &bytes.Buffer{}))
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 1 || len(lines) != 3 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "distill: "+filepath.Join(dir, "distill.yaml")+":") || strings.Count(l, "distill: ") != 1 {
			t.Errorf("line %q", l)
		}
	}
	stderr.Reset()
	if code := report(&stderr, errors.New("distill: twice")); code != 1 || stderr.String() != "distill: twice\n" {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

// TestPathsFromWorkingDir: check and the manifest's errors name the
// manifest by its path from where distill runs.
func TestPathsFromWorkingDir(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("app", 0o755); err != nil {
		t.Fatal(err)
	}
	for f, data := range map[string]string{"app/distill.yaml": "language: go\n", "app/go.mod": "module example.com/app\n\ngo 1.26\n", "app/main.go": "package main\n\nfunc main() {}\n"} {
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"check", "app"}, &out)
	if !errors.Is(err, errFindings) || !strings.HasPrefix(out.String(), "app/distill.yaml:1: UnpinnedImage: ") {
		t.Errorf("err = %v, output:\n%s", err, out.String())
	}
	if err := os.Remove("app/distill.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("app/api.yaml", []byte("language: go\nuser: bogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"plan", "-f", "api.yaml", "./app/"}, &bytes.Buffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "app/api.yaml:2:7: unknown user") {
		t.Errorf("err = %v", err)
	}
	out.Reset()
	err = run(context.Background(), []string{"check", "app", "--file=api.yaml"}, &out)
	if err == nil || !strings.HasPrefix(err.Error(), "app/api.yaml:2:7: unknown user") {
		t.Errorf("err = %v", err)
	}
	err = run(context.Background(), []string{"plan", "app"}, &bytes.Buffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "app/distill.yaml: no such manifest") {
		t.Errorf("err = %v", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	want := "distill " + version.String() + " (frontend image " + version.Image() + ")\n"
	for _, args := range [][]string{{"version"}, {"--version"}, {"-v"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err != nil || out.String() != want {
			t.Errorf("distill %v: %v, %q, want %q", args, err, out.String(), want)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version", "--format", "json"}, &out); err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v["version"] != version.String() || v["frontend"] != version.Image() || v["go"] != runtime.Version() || v["os"] != runtime.GOOS || v["arch"] != runtime.GOARCH || len(v) != 5 {
		t.Errorf("version JSON = %v", v)
	}
}

// TestCompletion: the scripts of the three shells, and what they ask
// distill for: the values of --format and --platform, directories for
// the directory argument.
func TestCompletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for shell, want := range map[string]string{"bash": "complete -o default -F __start_distill distill", "zsh": "#compdef distill", "fish": "complete -c distill"} {
		var out bytes.Buffer
		if err := run(ctx, []string{"completion", shell}, &out); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("completion %s: %v, no %q in the script", shell, err, want)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "--format", ""}, "json\npretty\n:4\n"},
		{[]string{"version", "--format", ""}, "text\njson\n:4\n"},
		{[]string{"plan", "--platform", ""}, "linux/amd64\nlinux/arm64\n:4\n"},
		{[]string{"lock", "--platform", "linux/arm64,"}, "linux/arm64,linux/amd64\n:4\n"},
		{[]string{"check", "--build-platform", "linux/a"}, "linux/amd64\nlinux/arm64\n:4\n"},
		// Directories only (ShellCompDirectiveFilterDirs), one.
		{[]string{"plan", ""}, ":16\n"},
		{[]string{"plan", "x", ""}, ":4\n"},
		// -f: the manifests in the directory given.
		{[]string{"plan", "../../examples/go-hello", "-f", "dis"}, "distill.yaml\n:4\n"},
	} {
		// What the shell reads is on the standard output, cobra's
		// debugging on the error output.
		var out, stderr bytes.Buffer
		root := newRoot()
		root.SetArgs(append([]string{"__complete"}, tc.args...))
		root.SetOut(&out)
		root.SetErr(&stderr)
		if err := root.ExecuteContext(ctx); err != nil {
			t.Fatal(err)
		}
		if got := out.String(); got != tc.want {
			t.Errorf("complete %q = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestLockPassthrough: lock runs docker buildx build --call=lock with the
// flags after -- and writes what it answers next to the manifest (a
// docker that answers an empty lock stands in for the builder).
func TestLockPassthrough(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in docker is a shell script")
	}
	bin, dir := t.TempDir(), t.TempDir()
	argsFile := filepath.Join(bin, "args")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + argsFile + "\necho '{\"version\": 1, \"images\": []}'\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte("language: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"lock", dir, "-f", "api.yaml", "--platform", "linux/arm64", "--", "--builder", "remote"}, &out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(dir, "api.yaml")
	want := strings.Join([]string{"buildx", "build", "--call=lock", "--progress=quiet", "-f", mf, "--platform", "linux/arm64", "--builder", "remote", dir}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("docker args:\n%s\nwant:\n%s", got, want)
	}
	lf := filepath.Join(dir, "api.lock")
	if _, err := os.Stat(lf); err != nil || out.String() != "wrote "+lf+": 0 images\n" {
		t.Errorf("%v, output %q", err, out.String())
	}
}

// TestExamplesCheck: `distill check` has no finding on any example (each
// says in its check directive what it leaves unpinned on purpose), the
// apps in a workspace or a repository's directory checked from the
// example's root as their README comments say to build them.
func TestExamplesCheck(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../examples/*/distill.yaml")
	if err != nil {
		t.Fatal(err)
	}
	deeper, err := filepath.Glob("../../examples/*/*/*/distill.yaml")
	if err != nil || len(files) == 0 || len(deeper) == 0 {
		t.Fatal("no examples", err)
	}
	for _, f := range append(files, deeper...) {
		rel, _ := filepath.Rel("../../examples", f)
		example, manifest, _ := strings.Cut(filepath.ToSlash(rel), "/")
		var out bytes.Buffer
		err := run(context.Background(), []string{"check", "-f", manifest, filepath.Join("../../examples", example)}, &out)
		if err != nil || strings.TrimSpace(out.String()) != "no findings" {
			t.Errorf("distill check %s: %v\n%s", rel, err, out.String())
		}
	}
}
