package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
)

// lockCmd writes distill.lock: the builder resolves every image the build
// of the manifest uses, for each target platform (docker buildx build
// --call=lock, so its registry mirrors and credentials apply), and the
// answer is written next to the manifest.
func lockCmd(ctx context.Context, args []string, out io.Writer) error {
	var extra []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, extra = args[:i], args[i+1:]
	}
	fl := flag.NewFlagSet("lock", flag.ContinueOnError)
	file := fl.String("f", manifest.DefaultFilename, "manifest file, relative to the context dir")
	plat := fl.String("platform", "", "target platforms to lock, comma-separated (default: the manifest's, else the builder's)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := "."
	if fl.NArg() > 0 {
		dir = fl.Arg(0)
	}
	mf := filepath.Join(dir, *file)
	if _, err := os.Stat(mf); err != nil {
		return err
	}
	cmdArgs := []string{"buildx", "build", "--call=lock", "--progress=quiet", "-f", mf}
	if *plat != "" {
		cmdArgs = append(cmdArgs, "--platform", *plat)
	}
	cmdArgs = append(append(cmdArgs, extra...), dir)
	cmd := exec.CommandContext(ctx, "docker", cmdArgs...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %v: %w", cmdArgs, err)
	}
	f, err := lock.Parse("the builder's answer", stdout.Bytes())
	if err != nil {
		return err
	}
	dest := filepath.Join(filepath.Dir(mf), lock.Name(filepath.Base(*file)))
	if err := os.WriteFile(dest, f.Marshal(), 0o644); err != nil {
		return err
	}
	debs := 0
	for _, ps := range f.Packages {
		debs += len(ps.Debs)
	}
	if debs > 0 {
		_, err = fmt.Fprintf(out, "wrote %s: %d images, %d runtime packages\n", dest, len(f.Images), debs)
		return err
	}
	_, err = fmt.Fprintf(out, "wrote %s: %d images\n", dest, len(f.Images))
	return err
}
