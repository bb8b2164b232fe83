package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distill-build/distill/lab/e2e/imagetest"
	"github.com/distill-build/distill/lab/realworld"
	"golang.org/x/mod/module"
	"gopkg.in/yaml.v3"
)

// The corpus of real applications (lab/realworld/<app>/app.yaml): each
// is downloaded from its registry at test time, pinned by version and
// SHA-256, built with the manifest beside its app.yaml through buildx,
// and run. `make realworld` runs it (DISTILL_REALWORLD=1); it is not part
// of `make test` (the corpus compiles for half an hour and more).

// realApp is one app.yaml.
type realApp struct {
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
	// What the app is and what it exercises (a major-version module path,
	// cgo, a console script, a build step, native dependencies).
	What   string    `yaml:"what"`
	Source realSrc   `yaml:"source"`
	Prove  realProof `yaml:"prove"`
	// Platform is the one built (default linux/amd64).
	Platform string `yaml:"platform"`
	// Verdict is "ok", or why distill cannot build the app (then the
	// runner checks the build fails with Error in its output).
	Verdict string `yaml:"verdict"`
	Error   string `yaml:"error"`
	// Dockerfile is the app's own Dockerfile, as published in its
	// source (a path in the archive), adapted copy beside app.yaml
	// (Dockerfile.upstream) when the lab forced changes: the bench
	// compares sizes and times with it.
	Dockerfile string `yaml:"dockerfile"`
	// Findings are what the app found in distill (realworld.App's): the
	// runner only reads them.
	Findings []string `yaml:"findings"`
}

// realSrc is where the app comes from.
type realSrc struct {
	// Registry: go (the module proxy's zip), pypi (the release's sdist,
	// found in the index's JSON listing), npm (the package tarball),
	// crates (the .crate), or none (the app is only the files beside
	// app.yaml, e.g. a requirements.txt pinning a PyPI package with its
	// hash, or a pom.xml depending on an app published on Maven Central).
	Registry string `yaml:"registry"`
	Name     string `yaml:"name"`
	Version  string `yaml:"version"`
	// URL overrides the registry's download URL.
	URL string `yaml:"url"`
	// SHA256 is the downloaded file's.
	SHA256 string `yaml:"sha256"`
	// Dir is the app's directory in the archive, after its top directory
	// ("" for the top).
	Dir string `yaml:"dir"`
}

// realProof is what shows the image works: a command's output, or an
// HTTP answer of the running image.
type realProof struct {
	// Args replace the image's entrypoint and command for a run to
	// completion; Stdout must be in its output (stdout and stderr).
	Args   []string `yaml:"args"`
	Stdout string   `yaml:"stdout"`
	// HTTP: the image runs as built (with Env) and answers on Port at
	// Path with a body holding Contains.
	Env  []string  `yaml:"env"`
	HTTP *realHTTP `yaml:"http"`
}

type realHTTP struct {
	Port     int    `yaml:"port"`
	Path     string `yaml:"path"`
	Contains string `yaml:"contains"`
}

// realResult is one app's figures, for bench/results/realworld.json.
type realResult struct {
	Name      string  `json:"name"`
	Language  string  `json:"language"`
	Version   string  `json:"version"`
	Verdict   string  `json:"verdict"`
	Seconds   float64 `json:"seconds"`
	SizeBytes int64   `json:"sizeBytes"`
}

func TestRealworld(t *testing.T) {
	if os.Getenv("DISTILL_REALWORLD") == "" {
		t.Skip("the corpus of real apps runs with DISTILL_REALWORLD=1 (make realworld)")
	}
	requireLab(t)
	dirs, err := filepath.Glob("../realworld/*/app.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatal("no apps in lab/realworld", err)
	}
	var results []realResult
	for _, f := range dirs {
		dir := filepath.Dir(f)
		var app realApp
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&app); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if r, ok := buildRealApp(t, dir, app); ok {
				results = append(results, r)
			}
		})
	}
	if out := os.Getenv("DISTILL_REALWORLD_RESULTS"); out != "" {
		js, _ := json.MarshalIndent(results, "", "  ")
		if err := os.WriteFile(out, append(js, '\n'), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// buildRealApp downloads, builds and proves one app.
func buildRealApp(t *testing.T, dir string, app realApp) (realResult, bool) {
	ctx := t.TempDir()
	if app.Source.Registry != "none" {
		fetchSource(t, app.Source, ctx)
	}
	// Our files (the manifest, a lock the app ships none of) over the
	// app's.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "app.yaml" || e.Name() == "Dockerfile.upstream" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctx, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	platform := app.Platform
	if platform == "" {
		platform = "linux/amd64"
	}
	start := time.Now()
	out, r := buildx(t, ctx, "--platform", platform)
	secs := time.Since(start).Seconds()
	t.Logf("%s: build %.0f s", app.Name, secs)
	res := realResult{Name: app.Name, Language: app.Language, Version: app.Source.Version, Verdict: app.Verdict, Seconds: secs}
	if app.Verdict != "ok" {
		if r.err == nil || !strings.Contains(r.out, app.Error) {
			t.Errorf("%s (%s): the build should fail with %q: err %v\n%s", app.Name, app.Verdict, app.Error, r.err, tail(r.out, 30))
		}
		return res, true
	}
	mustSucceed(t, r)
	if st, err := os.Stat(out); err == nil {
		res.SizeBytes = st.Size()
		t.Logf("%s: image archive %.1f MB", app.Name, float64(st.Size())/1e6)
	}
	img := imagetest.Load(t, out, platform)
	checkDistroless(t, img)
	switch p := app.Prove; {
	case p.HTTP != nil:
		body := img.Run(t, imagetest.RunOpts{Env: p.Env}).HTTPGet(t, p.HTTP.Port, p.HTTP.Path, 90*time.Second)
		if !strings.Contains(body, p.HTTP.Contains) {
			t.Errorf("%s: GET %s = %q, want %q in it", app.Name, p.HTTP.Path, tail(body, 10), p.HTTP.Contains)
		}
	case len(p.Args) > 0:
		stdout, stderr, code := img.RunToCompletion(t, imagetest.RunOpts{Args: p.Args, Env: p.Env}, 90*time.Second)
		if code != 0 || !strings.Contains(stdout+stderr, p.Stdout) {
			t.Errorf("%s: %v: exit %d, output %q, want %q in it", app.Name, p.Args, code, tail(stdout+stderr, 10), p.Stdout)
		}
	default:
		t.Errorf("%s: app.yaml proves nothing (prove: args or http)", app.Name)
	}
	return res, true
}

// fetchSource downloads the app's archive, checks its SHA-256 and
// unpacks its directory into dest.
func fetchSource(t *testing.T, s realSrc, dest string) {
	t.Helper()
	url := s.URL
	if url == "" {
		switch s.Registry {
		case "go":
			esc, err := module.EscapePath(s.Name)
			if err != nil {
				t.Fatal(err)
			}
			url = "https://proxy.golang.org/" + esc + "/@v/" + s.Version + ".zip"
		case "npm":
			base := s.Name
			if i := strings.LastIndex(base, "/"); i >= 0 {
				base = base[i+1:]
			}
			url = "https://registry.npmjs.org/" + s.Name + "/-/" + base + "-" + s.Version + ".tgz"
		case "crates":
			url = "https://static.crates.io/crates/" + s.Name + "/" + s.Name + "-" + s.Version + ".crate"
		case "pypi":
			var err error
			if url, err = realworld.PyPISdist(s.Name, s.Version, s.SHA256); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("source %s %s: no url and no known registry %q", s.Name, s.Version, s.Registry)
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
		t.Fatalf("%s: SHA-256 %s, app.yaml pins %s", url, got, s.SHA256)
	}
	files := map[string][]byte{}
	if strings.HasSuffix(url, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name] = b
		}
	} else {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag != tar.TypeReg {
				continue
			}
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = b
		}
	}
	// Strip the archive's top directory (module@version/, package/,
	// name-version/), then keep the app's directory.
	prefix := strings.Trim(s.Dir, "/")
	n := 0
	for name, b := range files {
		var rel string
		var ok bool
		if s.Registry == "go" {
			rel, ok = strings.CutPrefix(name, s.Name+"@"+s.Version+"/")
		} else {
			_, rel, ok = strings.Cut(name, "/")
		}
		if !ok {
			continue
		}
		if prefix != "" {
			if rel, ok = strings.CutPrefix(rel, prefix+"/"); !ok {
				continue
			}
		}
		p := filepath.Join(dest, filepath.FromSlash(path.Clean(rel)))
		if !strings.HasPrefix(p, dest+string(filepath.Separator)) {
			t.Fatalf("%s: %s leaves the archive", url, name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatalf("%s: nothing under %q", url, s.Dir)
	}
	t.Logf("%s %s: %d files", s.Name, s.Version, n)
}
