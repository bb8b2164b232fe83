// Command distill is the distill CLI: `distill plan [dir]` prints the build
// plan of a manifest without a daemon; `distill schema` prints the
// manifest's JSON Schema.
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
	"strings"

	"github.com/containerd/platforms"
	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
)

const usage = `usage:
  distill init [--force] [dir]
  distill plan [-f distill.yaml] [--platform linux/amd64,linux/arm64] [dir]
  distill check [-f distill.yaml] [--platform …] [dir]
  distill lock [-f distill.yaml] [--platform linux/amd64,linux/arm64] [dir] [-- docker buildx build flags]
  distill schema
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "distill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	switch args[0] {
	case "init":
		return initCmd(ctx, args[1:], out)
	case "plan":
		return planCmd(ctx, args[1:], out)
	case "lock":
		return lockCmd(ctx, args[1:], out)
	case "check":
		return checkCmd(ctx, args[1:], out)
	case "schema":
		s, err := manifest.Schema(resolve.Languages(), resolve.FieldDocs())
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", s)
		return err
	case "-h", "--help", "help":
		_, err := io.WriteString(out, usage)
		return err
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func planCmd(ctx context.Context, args []string, out io.Writer) error {
	pl, err := loadPlan(ctx, "plan", args)
	if err != nil {
		return err
	}
	js, err := pl.plan.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", js)
	return err
}

// errFindings makes `distill check` exit 1 after printing its findings.
var errFindings = errors.New("check found problems")

// checkCmd runs the check rules that need no daemon: the image lookups
// (a base's libc, the entrypoint in the runtime image) and the drift of
// the lock are `docker buildx build --call=check`'s.
func checkCmd(ctx context.Context, args []string, out io.Writer) error {
	pl, err := loadPlan(ctx, "check", args)
	if err != nil {
		for _, e := range manifest.Errors(err) {
			if e.Rule != "" {
				fmt.Fprintf(out, "%s: %s\n", e.Rule, e)
			}
		}
		return err
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
		fmt.Fprintf(out, "%s:%d:%d: %s: %s\n", pl.manifest.File, f.Range.Start.Line, f.Range.Start.Column, f.Rule.Name, f.Detail())
	}
	if len(found) > 0 {
		return errFindings
	}
	_, err = fmt.Fprintln(out, "no findings")
	return err
}

type loaded struct {
	dir      string
	manifest *manifest.Manifest
	plan     *plan.Plan
	findings []check.Finding
	lock     *lock.File
	// root is the app's root directory (the manifest's, or its root:).
	root string
}

// loadPlan reads the manifest of the context dir named by args and plans
// it, with the images pinned as the frontend pins them (distill.lock).
func loadPlan(ctx context.Context, name string, args []string) (*loaded, error) {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	file := fl.String("f", manifest.DefaultFilename, "manifest file, relative to the context dir")
	plat := fl.String("platform", "", "target platforms, comma-separated (default: the manifest's, else this machine's)")
	buildPlat := fl.String("build-platform", "linux/amd64", "platform build steps run on")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	l := &loaded{dir: "."}
	if fl.NArg() > 0 {
		l.dir = fl.Arg(0)
	}
	data, err := os.ReadFile(filepath.Join(l.dir, *file))
	if err != nil {
		return nil, err
	}
	if l.manifest, err = manifest.Parse(*file, data); err != nil {
		return nil, err
	}
	bp, err := platforms.Parse(*buildPlat)
	if err != nil {
		return nil, err
	}
	opts := resolve.Options{BuildPlatform: bp}
	if *plat != "" {
		for _, s := range strings.Split(*plat, ",") {
			p, err := platforms.Parse(s)
			if err != nil {
				return nil, err
			}
			opts.Platforms = append(opts.Platforms, p)
		}
	}
	// The app's root is the manifest's directory, or its root: (as the
	// frontend has it).
	root := filepath.Dir(*file)
	if l.manifest.Root.Set() {
		root = filepath.Join(root, filepath.FromSlash(l.manifest.Root.Value))
	} else {
		// A workspace above the manifest's directory is the root, and the
		// app its member.
		if err := resolve.DetectLanguage(ctx, contextfs.Dir(l.dir), l.manifest, filepath.ToSlash(root)); err != nil {
			return nil, err
		}
		ws, err := resolve.WorkspaceRoot(ctx, contextfs.Dir(l.dir), l.manifest, filepath.ToSlash(root))
		if err != nil {
			return nil, err
		}
		if ws != "" {
			root = filepath.FromSlash(ws)
		}
	}
	if rel, err := filepath.Rel(root, *file); err == nil {
		l.manifest.InRoot = filepath.ToSlash(rel)
	}
	l.root = filepath.Join(l.dir, root)
	lf := filepath.Join(l.dir, filepath.Dir(*file), lock.Name(filepath.Base(*file)))
	if data, err := os.ReadFile(lf); err == nil {
		if l.lock, err = lock.Parse(lf, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	opts.Lock = l.lock
	if l.plan, l.findings, err = resolve.Checked(ctx, l.manifest, contextfs.Dir(l.root), opts); err != nil {
		return nil, err
	}
	if l.lock != nil {
		l.lock.Apply(l.plan)
	}
	return l, nil
}
