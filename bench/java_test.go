package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEditLiteral: each edit changes the literal's text (so the compiled
// code), and a file without the literal is an error.
func TestEditLiteral(t *testing.T) {
	file := filepath.Join(t.TempDir(), "Application.java")
	src := "class A {\n    String hello() {\n        return \"hello from spring boot\";\n    }\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for n := range 2 {
		if err := editLiteral(file, springBoot.Literal, n); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		got := string(data)
		if got == src || strings.Count(got, "\n") != strings.Count(src, "\n") || !strings.Contains(got, `return "hello from spring boot, bench edit `) {
			t.Errorf("edit %d:\n%s", n, got)
		}
		src = got
	}
	if err := editLiteral(file, `"goodbye`, 0); err == nil {
		t.Error("no error for a literal the file lacks")
	}
}

func TestWithRuntime(t *testing.T) {
	dir := t.TempDir()
	manifest, file := filepath.Join(dir, "distill.yaml"), filepath.Join(dir, "distill.jlink.yaml")
	if err := os.WriteFile(manifest, []byte("# syntax=ghcr.io/distill-build/distill:1\nlanguage: java\nexpose: [8080]"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := withRuntime(manifest, file, "jlink"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(file)
	if want := "# syntax=ghcr.io/distill-build/distill:1\nlanguage: java\nexpose: [8080]\nruntime: jlink\n"; err != nil || string(data) != want {
		t.Errorf("got %q, %v; want %q", data, err, want)
	}
}

// TestJavaMarkdown: ratios against the hand-written Dockerfile, a small
// push in kB with a ratio that keeps its digits, and the altered layers
// named.
func TestJavaMarkdown(t *testing.T) {
	im := func(variant string, compressed, push int64, changed ...changedLayer) javaImage {
		return javaImage{seedImage: seedImage{Variant: variant, File: "f", imageStats: imageStats{Compressed: compressed}, Seconds: 10, Rebuild: 5}, PushBytes: push, ChangedLayers: changed}
	}
	rep := &javaReport{App: springBoot, Runs: 1, Images: []javaImage{
		im(baseline, 100e6, 19e6, changedLayer{Index: 40, Of: 42, Size: 19e6, CreatedBy: "COPY app.jar"}),
		im("distill", 90e6, 2760, changedLayer{Index: 43, Of: 44, Size: 2760, CreatedBy: "distill: add application"}),
	}}
	var b strings.Builder
	if err := javaMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| distill (`f`) | 90.0 MB (0.90×) |",
		"| 2.8 kB (0.00015×) |",
		"- distill: layer 44 of 44, 2.8 kB, `distill: add application`",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
	rep.Images = rep.Images[1:]
	if err := javaMarkdown(&b, rep); err == nil {
		t.Error("no error without the baseline")
	}
}
