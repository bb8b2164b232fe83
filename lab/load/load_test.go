package load

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadMetadata reads buildx's metadata file: the digest, the peak
// memory when the frontend reported it (0 when not), and an error without
// a digest or with a peak that is no number.
func TestReadMetadata(t *testing.T) {
	for _, tc := range []struct {
		name, json, digest string
		peak               int64
		fails              bool
	}{
		{"both", `{"containerimage.digest": "sha256:ab", "frontend.distill.peak-memory": "25325568"}`, "sha256:ab", 25325568, false},
		{"an older frontend", `{"containerimage.digest": "sha256:ab"}`, "sha256:ab", 0, false},
		{"no digest", `{"frontend.distill.peak-memory": "1"}`, "", 0, true},
		{"no number", `{"containerimage.digest": "sha256:ab", "frontend.distill.peak-memory": "25 MB"}`, "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m.json")
			if err := os.WriteFile(file, []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			digest, peak, err := readMetadata(file)
			if (err != nil) != tc.fails || digest != tc.digest || peak != tc.peak {
				t.Errorf("got %q, %d, %v", digest, peak, err)
			}
		})
	}
}

// TestDozen: twelve builds, each name once, each example's manifest
// naming its language, and every language of the examples among them.
func TestDozen(t *testing.T) {
	repo := filepath.Join("..", "..")
	names, langs := map[string]bool{}, map[string]bool{}
	for _, b := range Dozen {
		if names[b.Name] {
			t.Errorf("%s twice", b.Name)
		}
		names[b.Name] = true
		lang, err := Language(repo, b)
		if err != nil || lang == "" {
			t.Errorf("%s: language %q, %v", b.Example, lang, err)
		}
		langs[lang] = true
	}
	if len(Dozen) != 12 {
		t.Errorf("%d builds", len(Dozen))
	}
	manifests, err := filepath.Glob(filepath.Join(repo, "examples", "*", "distill.yaml"))
	if err != nil || len(manifests) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, m := range manifests {
		lang, err := Language(repo, Build{Example: filepath.Base(filepath.Dir(m))})
		if err != nil {
			t.Fatal(err)
		}
		// A manifest without language: leaves it to detection.
		if lang != "" && !langs[lang] {
			t.Errorf("no build of the dozen is in %s, as examples/%s is", lang, filepath.Base(filepath.Dir(m)))
			langs[lang] = true // said once
		}
	}
}
