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
	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/lock"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
)

const usage = `usage:
  distill plan [-f distill.yaml] [--platform linux/amd64,linux/arm64] [dir]
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
	case "plan":
		return planCmd(ctx, args[1:], out)
	case "lock":
		return lockCmd(ctx, args[1:], out)
	case "schema":
		s, err := manifest.Schema(resolve.Languages())
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
	fl := flag.NewFlagSet("plan", flag.ContinueOnError)
	file := fl.String("f", manifest.DefaultFilename, "manifest file, relative to the context dir")
	plat := fl.String("platform", "", "target platforms, comma-separated (default: the manifest's, else this machine's)")
	buildPlat := fl.String("build-platform", "linux/amd64", "platform build steps run on")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := "."
	if fl.NArg() > 0 {
		dir = fl.Arg(0)
	}
	data, err := os.ReadFile(filepath.Join(dir, *file))
	if err != nil {
		return err
	}
	m, err := manifest.Parse(*file, data)
	if err != nil {
		return err
	}
	bp, err := platforms.Parse(*buildPlat)
	if err != nil {
		return err
	}
	opts := resolve.Options{BuildPlatform: bp}
	if *plat != "" {
		for _, s := range strings.Split(*plat, ",") {
			p, err := platforms.Parse(s)
			if err != nil {
				return err
			}
			opts.Platforms = append(opts.Platforms, p)
		}
	}
	p, err := resolve.Resolve(ctx, m, contextfs.Dir(dir), opts)
	if err != nil {
		return err
	}
	// The images pinned as the frontend pins them.
	lf := filepath.Join(dir, filepath.Dir(*file), lock.Name(filepath.Base(*file)))
	if data, err := os.ReadFile(lf); err == nil {
		l, err := lock.Parse(lf, data)
		if err != nil {
			return err
		}
		l.Apply(p)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	js, err := p.JSON()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", js)
	return err
}
