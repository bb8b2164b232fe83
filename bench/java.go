package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// javaApp is the Java suite's app and the code change its rebuilds make:
// text inserted into a string literal the app returns (Literal, its
// opening), so that the compiled class changes; a comment appended, as
// touchSource edits, leaves javac's output as it was.
type javaApp struct {
	Title   string `json:"title"`
	Example string `json:"example"`
	Source  string `json:"source"`
	Literal string `json:"literal"`
}

var springBoot = javaApp{"Spring Boot", "java-spring-boot", "src/main/java/example/boot/Application.java", `"hello from spring boot`}

// The variants of the Java suite: the hand-written Dockerfile (the
// baseline), distill with the example's manifest, and distill with the
// manifest plus a runtime: line, written next to it as File.
var javaVariants = []struct{ Name, File, Runtime string }{
	{baseline, "Dockerfile.seed", ""},
	{"distill", "distill.yaml", ""},
	{"distill, runtime: jlink", "distill.jlink.yaml", "jlink"},
}

type javaImage struct {
	seedImage
	// PushBytes is what pushing the rebuilt image uploads where the cold
	// build's is: the compressed layers whose digests the cold build's
	// image lacks, listed in ChangedLayers.
	PushBytes     int64          `json:"pushBytes"`
	ChangedLayers []changedLayer `json:"changedLayers"`
}

type javaReport struct {
	Date    string      `json:"date"`
	Machine string      `json:"machine"`
	Runs    int         `json:"runs"`
	App     javaApp     `json:"app"`
	Images  []javaImage `json:"images"`
}

// runJava builds every Java variant, reads the images and what a code
// change makes a push upload.
func runJava(o options) (javaReport, error) {
	app := springBoot
	rep := javaReport{Date: o.date, Machine: machine(), Runs: o.runs, App: app}
	dir, err := copyExample(filepath.Join("examples", app.Example))
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(filepath.Dir(dir))
	for i, v := range javaVariants {
		if v.Runtime != "" {
			if err := withRuntime(filepath.Join(dir, "distill.yaml"), filepath.Join(dir, v.File), v.Runtime); err != nil {
				return rep, err
			}
		}
		img := javaImage{seedImage: seedImage{Variant: v.Name, File: v.File}}
		edit := func(run int) error { return editLiteral(filepath.Join(dir, app.Source), app.Literal, 100*i+run) }
		if err := measurePush(o, dir, edit, &img); err != nil {
			return rep, fmt.Errorf("%s, %s: %w", app.Example, v.Name, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %s, %s: %s compressed, %d packages, %.1f s cold, %.1f s rebuild, %s pushed for a code change (%d layers)\n",
			app.Example, v.Name, mb(img.Compressed), img.Packages, img.Seconds, img.Rebuild, size(img.PushBytes), len(img.ChangedLayers))
		rep.Images = append(rep.Images, img)
	}
	return rep, nil
}

// measurePush builds img.File in dir as measure does, edit making the code
// change, and reads into img the times, the cold image and the layers the
// change altered (what a push of the rebuilt image uploads).
func measurePush(o options, dir string, edit func(run int) error, img *javaImage) error {
	var err error
	img.Seconds, img.Rebuild, err = measure(o, dir, img.File, edit, func(cold, rebuilt string) error {
		st, err := analyzeImage(cold)
		if err != nil {
			return err
		}
		img.imageStats = *st
		img.ChangedLayers, err = changedLayers(cold, rebuilt)
		for _, l := range img.ChangedLayers {
			img.PushBytes += l.Size
		}
		return err
	})
	return err
}

// changedMarkdown lists the layers a variant's code change altered.
func changedMarkdown(b *strings.Builder, variant string, layers []changedLayer) {
	if len(layers) == 0 {
		fmt.Fprintf(b, "- %s: none\n", variant)
	}
	for _, l := range layers {
		fmt.Fprintf(b, "- %s: layer %d of %d, %s, `%s`\n", variant, l.Index+1, l.Of, size(l.Size), l.CreatedBy)
	}
}

// withRuntime writes manifest with a runtime: line added as file.
func withRuntime(manifest, file, runtime string) error {
	data, err := os.ReadFile(manifest)
	if err != nil {
		return err
	}
	s := strings.TrimRight(string(data), "\n") + "\nruntime: " + runtime + "\n"
	return os.WriteFile(file, []byte(s), 0o644)
}

// editLiteral makes a one-line code change: text inserted after the first
// occurrence of literal (a string literal's opening) in file.
func editLiteral(file, literal string, n int) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s := string(data)
	if !strings.Contains(s, literal) {
		return fmt.Errorf("%s: no %s to edit", file, literal)
	}
	s = strings.Replace(s, literal, fmt.Sprintf("%s, bench edit %d %d", literal, n, time.Now().UnixNano()), 1)
	return os.WriteFile(file, []byte(s), 0o644)
}

func javaMarkdown(b *strings.Builder, rep *javaReport) error {
	var h *javaImage
	for i := range rep.Images {
		if rep.Images[i].Variant == baseline {
			h = &rep.Images[i]
		}
	}
	if h == nil {
		return fmt.Errorf("java.json: results lack the baseline image")
	}
	fmt.Fprintf(b, "## Java: %s (`examples/%s`)\n\n", rep.App.Title, rep.App.Example)
	fmt.Fprintf(b, "Run on %s, %s; %d build(s) per variant, median times. The hand-written Dockerfile (`Dockerfile.seed`: Maven, the executable jar onto `gcr.io/distroless/java21-debian13:nonroot`; the baseline), distill with the example's manifest (Spring Boot's layers on distroless java21) and distill with `runtime: jlink` added (a runtime linked of the modules jdeps finds, on distroless java-base), all for linux/amd64. Cold builds start from an empty BuildKit cache (`buildctl prune --all`); the rebuild follows after a one-line code change: text added to the greeting `%s` returns. *Push* is what pushing the rebuilt image uploads where the cold build's image already is: the compressed layers whose digests that image lacks. *Packages* are Debian's here (the app's jars are not counted). Ratios are against the hand-written Dockerfile.\n\n", rep.Date, rep.Machine, rep.Runs, filepath.Base(rep.App.Source))
	fmt.Fprintf(b, "| variant | size (compressed) | layers | packages | cold build | rebuild | push after a code change |\n|---|---|---|---|---|---|---|\n")
	for _, im := range rep.Images {
		fmt.Fprintf(b, "| %s (`%s`) | %s (%s) | %d | %d (%s) | %.1f s (%s) | %.1f s (%s) | %s (%s) |\n",
			im.Variant, im.File, mb(im.Compressed), ratio(float64(im.Compressed), float64(h.Compressed)), im.Layers,
			im.Packages, ratio(float64(im.Packages), float64(h.Packages)),
			im.Seconds, ratio(im.Seconds, h.Seconds), im.Rebuild, ratio(im.Rebuild, h.Rebuild),
			size(im.PushBytes), ratio(float64(im.PushBytes), float64(h.PushBytes)))
	}
	fmt.Fprintf(b, "\nThe layers the code change altered:\n\n")
	for _, im := range rep.Images {
		changedMarkdown(b, im.Variant, im.ChangedLayers)
	}
	b.WriteString("\n")
	return nil
}
