package e2e

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

// contextSent is what the plain progress says the build context's
// transfer sent ("831B", "32.01MB"): the vertex that loads it.
func contextSent(out string) string {
	id, sent := "", ""
	re := regexp.MustCompile(`^#(\d+) (.*)$`)
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[2] == "[internal] load build context":
			id = m[1]
		case m[1] == id && strings.HasPrefix(m[2], "transferring context: "):
			sent = strings.Fields(strings.TrimPrefix(m[2], "transferring context: "))[0]
		}
	}
	return sent
}

// stepsRun are the build's steps (distill's and the providers', not
// BuildKit's internal vertices, the search for the manifest, which reads
// the client every time, or the frontend's report of its peak memory,
// new in every build) that ran instead of coming from the cache.
func stepsRun(out string) []string {
	names, cached, done := map[string]string{}, map[string]bool{}, map[string]bool{}
	var order []string
	re := regexp.MustCompile(`^#(\d+) (.*)$`)
	for _, line := range strings.Split(out, "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch {
		case m[2] == "CACHED":
			cached[m[1]] = true
		case strings.HasPrefix(m[2], "DONE"):
			done[m[1]] = true
		case strings.HasPrefix(m[2], "[") && !strings.HasPrefix(m[2], "[internal]") && !strings.Contains(m[2], " in the build context") &&
			!strings.HasPrefix(m[2], "[distill] frontend: peak memory "):
			if _, ok := names[m[1]]; !ok {
				names[m[1]] = m[2]
				order = append(order, m[1])
			}
		}
	}
	var ran []string
	for _, id := range order {
		if done[id] && !cached[id] {
			ran = append(ran, names[id])
		}
	}
	return ran
}

// TestMonorepo builds two apps of one repository from its root, each
// with its manifest in its own directory (the app's root): only that
// directory is sent, the images run, and after edits elsewhere in the
// repository (the other app, docs, a large unrelated directory) a rebuild
// sends nothing new and runs no step. The same API built from a manifest
// at the root (the whole repository as its root) is the baseline the
// transfer and the rebuild are measured against.
func TestMonorepo(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("monorepo"))
	// A large directory no app needs (build outputs, datasets, assets).
	big := make([]byte, 32<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "data.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}

	api, r := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	sent := contextSent(r.out)
	if !regexp.MustCompile(`^[0-9.]+k?B$`).MatchString(sent) {
		t.Errorf("the API's context sent %q: more than its directory", sent)
	}
	img := imagetest.Load(t, api, "linux/amd64")
	checkDistroless(t, img)
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/", 30*time.Second); strings.TrimSpace(body) != "hello from services/api" {
		t.Errorf("GET / = %q", body)
	}

	worker, r := buildxFile(t, dir, "services/worker/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	wimg := imagetest.Load(t, worker, "linux/amd64")
	runPrints(t, wimg, "worker done ✅")

	// Edits everywhere but services/api.
	for f, content := range map[string]string{
		"services/worker/worker.py": "print('changed')\n",
		"docs/architecture.md":      "# changed\n",
		"assets/new.txt":            "new file\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, again := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, again)
	if ran := stepsRun(again.out); len(ran) > 0 {
		t.Errorf("an edit outside services/api re-ran %q:\n%s", ran, tail(again.out, 60))
	}

	// The baseline: the same API from a manifest at the repository root.
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\ndependencies: services/api/go.mod\nexpose: [8080]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, full := buildxFile(t, dir, "api.yaml", "--platform", "linux/amd64")
	mustSucceed(t, full)
	if err := os.WriteFile(filepath.Join(dir, "docs", "architecture.md"), []byte("# changed again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, fullAgain := buildxFile(t, dir, "api.yaml", "--platform", "linux/amd64")
	mustSucceed(t, fullAgain)
	if ran := stepsRun(fullAgain.out); len(ran) == 0 {
		t.Errorf("the baseline re-ran nothing after an edit in docs/: the comparison is moot")
	}
	t.Logf("context sent: app's root %s, repository root %s; rebuild after an unrelated edit: %s (no step), repository root %s (%d steps: %s)",
		sent, contextSent(full.out), again.dur.Round(time.Millisecond), fullAgain.dur.Round(time.Millisecond), len(stepsRun(fullAgain.out)), strings.Join(stepsRun(fullAgain.out), "; "))
}

// TestAppRoot: root: moves the app's root from the manifest's directory
// (here to the repository root, whose go.mod the app then needs), one
// outside the context is refused at its line, and a manifest found twice
// with the same content is an error naming both directories.
func TestAppRoot(t *testing.T) {
	requireLab(t)
	dir := copyDir(t, example("monorepo"))
	mf := filepath.Join(dir, "services", "api", "distill.yaml")
	if err := os.WriteFile(mf, []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nroot: ../..\ndependencies: services/api/go.mod\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, r := buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	mustSucceed(t, r)
	if sent := contextSent(r.out); sent == "" {
		t.Errorf("no context transfer in the output")
	}
	img := imagetest.Load(t, out, "linux/amd64")
	if body := img.Run(t, imagetest.RunOpts{}).HTTPGet(t, 8080, "/", 30*time.Second); strings.TrimSpace(body) != "hello from services/api" {
		t.Errorf("GET / = %q", body)
	}

	if err := os.WriteFile(mf, []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: go\nroot: ../../..\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, r = buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	for _, w := range []string{`root "../../.." is outside the build context`, "services/api/distill.yaml:3"} {
		if r.err == nil || !strings.Contains(r.out, w) {
			t.Errorf("root outside the context: output lacks %q:\n%s", w, tail(r.out, 20))
		}
	}

	data, err := os.ReadFile(filepath.Join(example("monorepo"), "services", "api", "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{mf, filepath.Join(dir, "services", "worker", "distill.yaml")} {
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, r = buildxFile(t, dir, "services/api/distill.yaml", "--platform", "linux/amd64")
	if w := "with this content in 2 directories (services/api, services/worker)"; r.err == nil || !strings.Contains(r.out, w) {
		t.Errorf("identical manifests: output lacks %q:\n%s", w, tail(r.out, 20))
	}
}
