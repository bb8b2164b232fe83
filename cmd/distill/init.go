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
	data, err := scaffold.Manifest(ctx, contextfs.Dir(dir), platforms.DefaultSpec())
	if err != nil {
		return err
	}
	if err := os.WriteFile(target, data, 0o644); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "wrote %s; build it with: docker buildx build -f %s %s\n", target, target, dir)
	return err
}
