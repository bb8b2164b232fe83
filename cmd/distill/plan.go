package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	"github.com/spf13/cobra"
)

func planCmd() *cobra.Command {
	var f manifestFlags
	cmd := &cobra.Command{
		Use:   "plan [dir]",
		Short: "Print the build plan of a manifest, without a daemon",
		Long: `Plan prints what the frontend would build from the manifest in dir (the
build context, default the current directory): for each target platform,
the builder and runtime images and why they were chosen, the build steps,
the files added to the runtime image and the image's config. The images are
pinned as distill.lock pins them, as the frontend does.

The output is JSON by default (the plan's format, for scripts and diffs);
--format pretty prints a summary to read.`,
		Example: `  # The plan of the manifest in the current directory, as JSON
  distill plan

  # A readable summary of the arm64 build of an app in a subdirectory
  distill plan services/api --platform linux/arm64 --format pretty

  # Both platforms, from a manifest that is not named distill.yaml
  distill plan -f deploy/distill.yaml --platform linux/amd64,linux/arm64

  # The runtime image of each platform, with jq
  distill plan | jq -r '.targets[] | .platform + " " + .runtime.ref'`,
		Args:              maxDirs,
		ValidArgsFunction: completeDir,
	}
	f.add(cmd, true)
	format := formatFlag(cmd, "output `format`: json (the plan, for scripts) or pretty (a summary to read)", "json", "pretty")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		l, err := loadPlan(cmd.Context(), &f, args)
		if err != nil {
			return err
		}
		if format.value == "pretty" {
			return writePretty(cmd.OutOrStdout(), l.path, l.plan)
		}
		js, err := l.plan.JSON()
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", js)
		return err
	}
	return cmd
}

// errFindings makes `distill check` exit 1 after printing its findings.
var errFindings = errors.New("check found problems")

// findings is the error of a check that found n problems.
type findings int

func (n findings) Error() string {
	if n == 1 {
		return "check found 1 problem"
	}
	return fmt.Sprintf("check found %d problems", int(n))
}

func (findings) Is(target error) bool { return target == errFindings }

func checkCmd() *cobra.Command {
	var f manifestFlags
	cmd := &cobra.Command{
		Use:   "check [dir]",
		Short: "Run the checks on a manifest that need no daemon",
		Long: `Check runs distill's check rules on the manifest in dir (default the
current directory) and prints each finding at its line of the manifest
(file:line:column: rule: what is wrong (how to fix it)). It exits 1 when it
finds anything, 0 and "no findings" otherwise.

These are the rules that need no daemon (docs/checks.md lists them all):
unpinned images, credentials in env, cgo on a static base, builder and
runtime versions, dependencies without a lock file. The manifest's
"# check=skip=Rule" directive skips rules. The lookups inside the images
and the lock's drift need the builder:
docker buildx build --call=check -f distill.yaml . runs every rule.`,
		Example: `  distill check
  distill check services/api --platform linux/amd64,linux/arm64

  # Every rule, the image lookups included, through the builder
  docker buildx build --call=check -f distill.yaml .`,
		Args:              maxDirs,
		ValidArgsFunction: completeDir,
	}
	f.add(cmd, true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runCheck(cmd.Context(), &f, args, cmd.OutOrStdout())
	}
	return cmd
}

// runCheck runs the check rules that need no daemon: the image lookups
// (a base's libc, the entrypoint in the runtime image) and the drift of
// the lock are `docker buildx build --call=check`'s.
func runCheck(ctx context.Context, f *manifestFlags, args []string, out io.Writer) error {
	pl, err := loadPlan(ctx, f, args)
	if err != nil {
		// A problem that is a check rule's is a finding, the others fail.
		errs, n := []error{}, 0
		for _, e := range manifest.Errors(err) {
			if e.Rule == "" {
				errs = append(errs, e)
				continue
			}
			r := *e
			r.Msg = e.Rule + ": " + e.Msg
			fmt.Fprintln(out, r.Error())
			n++
		}
		if n == 0 || len(errs) > 0 {
			return err
		}
		return findings(n)
	}
	fsys := contextfs.Dir(pl.root)
	found, err := check.Run(ctx, check.Input{
		Manifest: pl.manifest, Plan: pl.plan, Provider: pl.findings, Locked: pl.lock.Pins, Rules: resolve.Rules(),
		Context: func(ctx context.Context, name string) (bool, error) { return providers.Exists(ctx, fsys, name) },
	})
	if err != nil {
		return err
	}
	found = check.Skip(found, pl.manifest.Check.Skip)
	for _, f := range found {
		fmt.Fprintf(out, "%s: %s: %s\n", position(pl.path, f.Range.Start), f.Rule.Name, f.Detail())
	}
	if len(found) > 0 {
		return findings(len(found))
	}
	_, err = fmt.Fprintln(out, "no findings")
	return err
}

// position is file:line:column, or file:line when the column is unknown.
func position(file string, p manifest.Pos) string {
	if p.Column > 0 {
		return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d", file, p.Line)
}

type loaded struct {
	dir string
	// path is the manifest's path as the user named it: the directory
	// given joined with -f, relative to where distill runs unless the
	// directory was absolute.
	path     string
	manifest *manifest.Manifest
	plan     *plan.Plan
	findings []check.Finding
	lock     *lock.File
	// root is the app's root directory (the manifest's, or its root:).
	root string
}

// loadPlan reads the manifest of the context dir named by args and plans
// it, with the images pinned as the frontend pins them (distill.lock).
// Its errors name the manifest by its path from the working directory.
func loadPlan(ctx context.Context, f *manifestFlags, args []string) (*loaded, error) {
	l := &loaded{dir: "."}
	if len(args) > 0 {
		l.dir = args[0]
	}
	l.path = filepath.Join(l.dir, f.file)
	err := l.load(ctx, f)
	// The manifest's errors name it as the frontend has it (its path in
	// the build context): name it as the user did.
	for _, e := range manifest.Errors(err) {
		if e.File == f.file {
			e.File = l.path
		}
	}
	if err != nil {
		return nil, err
	}
	return l, nil
}

func (l *loaded) load(ctx context.Context, f *manifestFlags) error {
	file := f.file
	if err := isDir(l.dir); err != nil {
		return err
	}
	data, err := os.ReadFile(l.path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such manifest (write one with distill init, or name another with -f)", l.path)
	} else if err != nil {
		return err
	}
	// A manifest with mistakes is planned still, for the rest of them:
	// the error is every one (Manifest.Err).
	if l.manifest, err = manifest.Parse(file, data); l.manifest == nil {
		return err
	}
	bp, err := parsePlatform("--build-platform", f.buildPlatform)
	if err != nil {
		return err
	}
	opts := resolve.Options{BuildPlatform: bp}
	if opts.Platforms, err = f.targetPlatforms(); err != nil {
		return err
	}
	// The app's root is the manifest's directory, or its root: (as the
	// frontend has it).
	root := filepath.Dir(file)
	if l.manifest.Root.Set() {
		root = filepath.Join(root, filepath.FromSlash(l.manifest.Root.Value))
	} else {
		// A workspace above the manifest's directory is the root, and the
		// app its member.
		if err := resolve.DetectLanguage(ctx, contextfs.Dir(l.dir), l.manifest, filepath.ToSlash(root)); err != nil {
			return l.manifest.Err(err)
		}
		ws, err := resolve.WorkspaceRoot(ctx, contextfs.Dir(l.dir), l.manifest, filepath.ToSlash(root))
		if err != nil {
			return l.manifest.Err(err)
		}
		if ws != "" {
			root = filepath.FromSlash(ws)
		}
	}
	if rel, err := filepath.Rel(root, file); err == nil {
		l.manifest.InRoot = filepath.ToSlash(rel)
	}
	l.root = filepath.Join(l.dir, root)
	lf := filepath.Join(l.dir, filepath.Dir(file), lock.Name(filepath.Base(file)))
	if data, err := os.ReadFile(lf); err == nil {
		if l.lock, err = lock.Parse(lf, data); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	opts.Lock = l.lock
	if l.plan, l.findings, err = resolve.Checked(ctx, l.manifest, contextfs.Dir(l.root), opts); err != nil {
		return err
	}
	if l.lock != nil {
		l.lock.Apply(l.plan)
	}
	return nil
}
