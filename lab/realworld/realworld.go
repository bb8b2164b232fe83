// Package realworld is the corpus of real applications distill builds
// (lab/realworld/<app>/app.yaml): where each comes from, pinned by
// version and SHA-256, the manifest distill needs, and what proves the
// image works. The e2e test (lab/e2e, `make realworld`) builds and runs
// every app; the bench (`make bench BENCH_SUITE=realworld`) measures them
// against the apps' own Dockerfiles.
package realworld

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/mod/module"
	"gopkg.in/yaml.v3"
)

// App is one app.yaml.
type App struct {
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
	// What the app is and what it exercises (a major-version module path,
	// cgo, a console script, a build step, native dependencies).
	What   string `yaml:"what"`
	Source Source `yaml:"source"`
	Prove  Proof  `yaml:"prove"`
	// Platform is the one built (default linux/amd64).
	Platform string `yaml:"platform"`
	// Verdict is "ok", or why distill cannot build the app (then the
	// build must fail with Error in its output).
	Verdict string `yaml:"verdict"`
	Error   string `yaml:"error"`
	// Dockerfile is the app's own Dockerfile, a path in its source; a
	// Dockerfile.upstream beside app.yaml, when there is one, is that file
	// adapted to the lab's base images (which it says how).
	Dockerfile string `yaml:"dockerfile"`
	// Findings are what the app found in distill, and their fixes.
	Findings []string `yaml:"findings"`

	// Dir is the directory of app.yaml.
	Dir string `yaml:"-"`
}

// Source is where an app comes from.
type Source struct {
	// Registry: go (the module proxy's zip), pypi (the release's sdist,
	// found in PyPI's JSON simple index, or URL: the sdist PyPI
	// lists), npm (the package tarball), crates (the .crate), url (any
	// archive at URL), or none (the app is only the files beside
	// app.yaml, e.g. a requirements.txt pinning a PyPI package).
	Registry string `yaml:"registry"`
	Name     string `yaml:"name"`
	Version  string `yaml:"version"`
	URL      string `yaml:"url"`
	// SHA256 is the downloaded file's.
	SHA256 string `yaml:"sha256"`
	// Dir is the app's directory in the archive, below its top directory
	// ("" for the top).
	Dir string `yaml:"dir"`
}

// Proof is what shows the image works: a command's output, or an HTTP
// answer of the running image.
type Proof struct {
	// Args replace the image's entrypoint and command for a run to
	// completion; Stdout must be in its output (stdout and stderr).
	Args   []string `yaml:"args"`
	Stdout string   `yaml:"stdout"`
	// Env is added to the image's for either run.
	Env []string `yaml:"env"`
	// HTTP: the image runs as built and answers on Port at Path with a
	// body holding Contains.
	HTTP *HTTP `yaml:"http"`
}

// HTTP is an expected answer.
type HTTP struct {
	Port     int    `yaml:"port"`
	Path     string `yaml:"path"`
	Contains string `yaml:"contains"`
}

// Load reads every app of the corpus in root (lab/realworld), in name
// order.
func Load(root string) ([]App, error) {
	files, err := filepath.Glob(filepath.Join(root, "*", "app.yaml"))
	if err != nil {
		return nil, err
	}
	var apps []App
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var app App
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&app); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		if app.Platform == "" {
			app.Platform = "linux/amd64"
		}
		app.Dir = filepath.Dir(f)
		apps = append(apps, app)
	}
	return apps, nil
}

// Context makes the app's build context in dest: its source, downloaded
// and checked, with the files beside app.yaml (the manifest, a lock the
// app ships none of) over it.
func (a App) Context(dest string) error {
	if a.Source.Registry != "none" {
		if err := a.Source.fetch(dest); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(a.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "app.yaml" || e.Name() == "Dockerfile.upstream" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(a.Dir, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dest, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// UpstreamDockerfile is the path of the app's own Dockerfile in a context
// Context made (the adapted copy when there is one), "" when it has none.
func (a App) UpstreamDockerfile(ctx string) (string, error) {
	if a.Dockerfile == "" {
		return "", nil
	}
	adapted := filepath.Join(a.Dir, "Dockerfile.upstream")
	if data, err := os.ReadFile(adapted); err == nil {
		dest := filepath.Join(ctx, "Dockerfile.upstream")
		return dest, os.WriteFile(dest, data, 0o644)
	}
	return filepath.Join(ctx, filepath.FromSlash(a.Dockerfile)), nil
}

// url is where the source is downloaded from.
func (s Source) url() (string, error) {
	if s.URL != "" {
		return s.URL, nil
	}
	switch s.Registry {
	case "go":
		esc, err := module.EscapePath(s.Name)
		if err != nil {
			return "", err
		}
		return "https://proxy.golang.org/" + esc + "/@v/" + s.Version + ".zip", nil
	case "npm":
		return "https://registry.npmjs.org/" + s.Name + "/-/" + path.Base(s.Name) + "-" + s.Version + ".tgz", nil
	case "crates":
		return "https://static.crates.io/crates/" + s.Name + "/" + s.Name + "-" + s.Version + ".crate", nil
	case "pypi":
		return PyPISdist(s.Name, s.Version, s.SHA256)
	}
	return "", fmt.Errorf("%s %s: no url, and registry %q has no known download URL", s.Name, s.Version, s.Registry)
}

// fetch downloads the source, checks its SHA-256 and unpacks its
// directory into dest.
func (s Source) fetch(dest string) error {
	url, err := s.url()
	if err != nil {
		return err
	}
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != s.SHA256 {
		return fmt.Errorf("%s: SHA-256 %s, app.yaml pins %s", url, got, s.SHA256)
	}
	files, err := unpack(url, data)
	if err != nil {
		return err
	}
	// The archive's top directory (module@version/, package/,
	// name-version/) goes, then only the app's directory stays.
	top := ""
	if s.Registry == "go" {
		top = s.Name + "@" + s.Version + "/"
	}
	prefix := strings.Trim(s.Dir, "/")
	n := 0
	for name, b := range files {
		var rel string
		var ok bool
		if top != "" {
			rel, ok = strings.CutPrefix(name, top)
		} else {
			_, rel, ok = strings.Cut(name, "/")
		}
		if ok && prefix != "" {
			rel, ok = strings.CutPrefix(rel, prefix+"/")
		}
		if !ok || rel == "" {
			continue
		}
		p := filepath.Join(dest, filepath.FromSlash(path.Clean("/"+rel)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b.data, b.mode); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%s: no file under %q", url, s.Dir)
	}
	return nil
}

type file struct {
	data []byte
	mode os.FileMode
}

// unpack reads a zip or a gzipped tar archive's regular files.
func unpack(name string, data []byte) (map[string]file, error) {
	files := map[string]file{}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		for _, f := range zr.File {
			if !f.Mode().IsRegular() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return nil, err
			}
			files[f.Name] = file{b, 0o644 | f.Mode()&0o111}
		}
		return files, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[h.Name] = file{b, 0o644 | os.FileMode(h.Mode)&0o111}
	}
}

// PyPISdist is the URL of the sdist of name version in PyPI's JSON simple
// index (PEP 691; the JSON API's per-version pages are not served by
// every mirror), the index's SHA-256 checked against pin.
func PyPISdist(name, version, pin string) (string, error) {
	norm := func(n string) string {
		return strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(n, "-"))
	}
	index := "https://pypi.org/simple/" + norm(name) + "/"
	req, err := http.NewRequest("GET", index, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/vnd.pypi.simple.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var page struct {
		Files []struct {
			Filename string            `json:"filename"`
			URL      string            `json:"url"`
			Hashes   map[string]string `json:"hashes"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s %v", index, resp.Status, err)
	}
	for _, f := range page.Files {
		n, ok := strings.CutSuffix(f.Filename, "-"+version+".tar.gz")
		if !ok || norm(n) != norm(name) {
			continue
		}
		if h := f.Hashes["sha256"]; h != pin {
			return "", fmt.Errorf("%s: the index gives SHA-256 %s, app.yaml pins %s", f.Filename, h, pin)
		}
		return f.URL, nil
	}
	return "", fmt.Errorf("%s: no sdist of %s %s", index, name, version)
}
