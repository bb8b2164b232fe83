package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/scaffold"
	"github.com/spf13/cobra"
)

func initCmd() *cobra.Command {
	var (
		force    bool
		file     string
		language string
	)
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Write distill.yaml for the app in a directory, from what its files tell",
		Long: `Init writes distill.yaml for the app in dir (default the current directory)
from what its files tell: the language, the entrypoint, the port it
listens on, the build packages its dependencies need. What the plan of that
manifest decides (the command, the runtime image) is written as comments,
and the choices init cannot make as commented-out lines (platforms:,
runtime-packages:, include:).

An app in a workspace of its language (go.work, pnpm/npm/Yarn workspaces,
uv workspaces, found up to the repository's root or the working directory)
is written as the workspace's member, with the command that builds it from
the workspace's root.

Init never replaces a manifest unless --force says to.`,
		Example: `  # The app in the current directory
  distill init
  docker buildx build -f distill.yaml -t myapp .

  # An app in a subdirectory: init prints the command that builds it
  distill init services/api

  # Write it again after the app changed
  distill init --force`,
		Args:              maxDirs,
		ValidArgsFunction: completeDir,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			return runInit(cmd.Context(), dir, file, language, force, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing manifest")
	cmd.Flags().StringVar(&language, "language", "", "the app's `language`, when its directory tells several (an sdist shipping a package.json)")
	fileFlag(cmd, &file, "the manifest `file` to write, relative to the directory")
	return cmd
}

// runInit writes the manifest file for the app in dir from what its files
// tell (frontend/scaffold), never over an existing one unless force.
func runInit(ctx context.Context, dir, file, language string, force bool, out io.Writer) error {
	if err := isDir(dir); err != nil {
		return err
	}
	target := filepath.Join(dir, file)
	if _, err := os.Stat(target); err == nil && !force {
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
	data, root, err := scaffold.Manifest(ctx, contextfs.Dir(top), filepath.ToSlash(rel), language, platforms.DefaultSpec())
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
