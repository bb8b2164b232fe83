package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/scaffold"
)

// initCmd writes distill.yaml for the app in dir from what its files
// tell (frontend/scaffold), never over an existing one unless --force.
func initCmd(ctx context.Context, args []string, out io.Writer) error {
	fl := flag.NewFlagSet("init", flag.ContinueOnError)
	force := fl.Bool("force", false, "replace an existing distill.yaml")
	file := fl.String("f", manifest.DefaultFilename, "the manifest to write, relative to dir")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := "."
	if fl.NArg() > 0 {
		dir = fl.Arg(0)
	}
	target := filepath.Join(dir, *file)
	if _, err := os.Stat(target); err == nil && !*force {
		return fmt.Errorf("%s exists: distill init never replaces a manifest (pass --force to)", target)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// The repository the app is in: a workspace above it makes it a
	// member.
	top := repository(dir)
	rel, err := filepath.Rel(top, dir)
	if err != nil {
		return err
	}
	data, root, err := scaffold.Manifest(ctx, contextfs.Dir(top), filepath.ToSlash(rel), platforms.DefaultSpec())
	if err != nil {
		return err
	}
	if err := os.WriteFile(target, data, 0o644); err != nil {
		return err
	}
	context := filepath.Join(top, filepath.FromSlash(root))
	_, err = fmt.Fprintf(out, "wrote %s; build it with: docker buildx build -f %s %s\n", target, target, context)
	return err
}

// repository is the directory of the repository dir is in (the nearest
// with .git), else the working directory when dir is in it, else dir:
// where init looks for a workspace above the app.
func repository(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return relative(d)
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) || rel == "." {
			return "."
		}
	}
	return dir
}

// relative is p relative to the working directory when it is below it.
func relative(p string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p); err == nil && (filepath.IsLocal(rel) || rel == ".") {
			return rel
		}
	}
	return p
}
