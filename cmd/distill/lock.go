package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/distill-build/distill/frontend/lock"
	"github.com/spf13/cobra"
)

func lockCmd() *cobra.Command {
	var f manifestFlags
	cmd := &cobra.Command{
		Use:   "lock [dir] [flags] [-- docker buildx build flags]",
		Short: "Pin the build's images and runtime packages in distill.lock (asks the builder)",
		Long: `Lock asks the builder to resolve every builder and runtime image the
manifest in dir (default the current directory) uses, for every target
platform, and writes the answer to distill.lock next to the manifest: each
image's digest, and the runtime packages' versions when the manifest has
runtime-packages:. Builds then use exactly those until the lock is written
again; commit it with the manifest.

Lock is the one command that needs a builder: it runs
docker buildx build --call=lock, so the builder's registry mirrors and
credentials apply. Flags after -- go to docker buildx build as they are
(--builder, --build-arg, --secret, ...).`,
		Example: `  distill lock
  distill lock services/api --platform linux/amd64,linux/arm64

  # On another builder
  distill lock -- --builder remote`,
		Args: func(cmd *cobra.Command, args []string) error {
			if n := cmd.ArgsLenAtDash(); n >= 0 {
				args = args[:n]
			}
			return maxDirs(cmd, args)
		},
		ValidArgsFunction: completeDir,
	}
	fileFlag(cmd, &f.file, "the manifest `file`, relative to the directory")
	platformFlag(cmd, &f.platforms, "target `platforms` to lock, comma-separated or repeated (default: the manifest's platforms:, else the builder's)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		var extra []string
		if n := cmd.ArgsLenAtDash(); n >= 0 {
			args, extra = args[:n], args[n:]
		}
		dir := "."
		if len(args) > 0 {
			dir = args[0]
		}
		return runLock(cmd.Context(), &f, dir, extra, cmd.OutOrStdout())
	}
	return cmd
}

// runLock writes distill.lock: the builder resolves every image the build
// of the manifest uses, for each target platform (docker buildx build
// --call=lock, so its registry mirrors and credentials apply), and the
// answer is written next to the manifest.
func runLock(ctx context.Context, f *manifestFlags, dir string, extra []string, out io.Writer) error {
	mf := filepath.Join(dir, f.file)
	if _, err := os.Stat(mf); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such manifest (write one with distill init, or name another with -f)", mf)
	} else if err != nil {
		return err
	}
	if _, err := f.targetPlatforms(); err != nil {
		return err
	}
	cmdArgs := []string{"buildx", "build", "--call=lock", "--progress=quiet", "-f", mf}
	if len(f.platforms) > 0 {
		cmdArgs = append(cmdArgs, "--platform", strings.Join(f.platforms, ","))
	}
	cmdArgs = append(append(cmdArgs, extra...), dir)
	cmd := exec.CommandContext(ctx, "docker", cmdArgs...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker %s: %w", strings.Join(cmdArgs, " "), err)
	}
	lf, err := lock.Parse("the builder's answer", stdout.Bytes())
	if err != nil {
		return err
	}
	dest := filepath.Join(filepath.Dir(mf), lock.Name(filepath.Base(f.file)))
	if err := os.WriteFile(dest, lf.Marshal(), 0o644); err != nil {
		return err
	}
	debs := 0
	for _, ps := range lf.Packages {
		debs += len(ps.Debs)
	}
	if debs > 0 {
		_, err = fmt.Fprintf(out, "wrote %s: %d images, %d runtime packages\n", dest, len(lf.Images), debs)
		return err
	}
	_, err = fmt.Fprintf(out, "wrote %s: %d images\n", dest, len(lf.Images))
	return err
}
