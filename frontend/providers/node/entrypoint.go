package node

import (
	"context"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/providers"
	"github.com/moby/patternmatcher"
)

var (
	jsFileRE = regexp.MustCompile(`\.(js|mjs|cjs|ts|mts|cts)$`)
	// Node options that take the next argument as their value.
	valueFlags = []string{"-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--env-file", "--title", "--input-type"}
	startRE    = regexp.MustCompile(`^node(?:js)?((?: +[^ ;&|<>$` + "`" + `'"\\]+)+)$`)
)

// entrypoint maps the manifest's command onto the runtime: "node" is the
// runtime's node binary (its entrypoint), a script file runs with it, and a
// bare name is a package's executable in node_modules/.bin.
func (pl *planner) entrypoint(ctx context.Context) error {
	m := pl.m
	var argv []string
	switch {
	case m.Entrypoint.Set():
		var err error
		if argv, err = providers.Command(m); err != nil {
			return err
		}
	case pl.startScript() != nil:
		argv = pl.startScript()
	default:
		// The package's command before its main: a package with a bin
		// is run as npx runs it, and its main is then most often the
		// entry point of its library (mountebank's src/mountebank.js
		// exports a function and exits at once).
		main := pl.pkg.binFile()
		if main == "" {
			main = pl.pkg.Main
		}
		if main == "" {
			for _, f := range []string{"index.js", "server.js", "app.js", "main.js"} {
				if ok, err := providers.Exists(ctx, pl.req.FS, m.Path(f)); err != nil {
					return err
				} else if ok {
					main = f
					break
				}
			}
		}
		if main == "" && m.Member == "" {
			// A manifest at a workspace's root: the members are the apps.
			if err := pl.rootOfWorkspace(ctx); err != nil {
				return err
			}
		}
		if main == "" {
			return providers.Fail(pl.m, m.Language.Range, `add entrypoint: ["node", "server.js"] (or a start script "node <file>", "bin" or "main" in package.json)`,
				"no entrypoint: package.json has no start script running node, no bin and no main, and the context has no index.js, server.js, app.js or main.js")
		}
		argv = []string{"node", main}
	}
	a0 := argv[0]
	switch {
	case a0 == "node" || a0 == "nodejs":
		pl.prepend, argv = true, argv[1:]
		if m.Entrypoint.Set() && len(pl.build) == 0 {
			// The script reaches the image from the context unchanged.
			pl.script = providers.ScriptArg(m)
		}
	case jsFileRE.MatchString(a0) && !path.IsAbs(a0):
		pl.prepend = true
	case !strings.Contains(a0, "/"):
		// A package's executable: node runs the file the .bin link points to.
		pl.prepend = true
		bin := path.Join("node_modules", ".bin", a0)
		if m.Member != "" && pl.tool.manager == pnpm {
			// pnpm links a member's executables in its own node_modules.
			bin = path.Join(m.Member, bin)
		}
		argv[0] = path.Join(providers.AppDir, bin)
		pl.check = bin
	}
	if pl.prepend && pl.check == "" {
		pl.check = scriptOf(argv)
	}
	pl.command = argv
	return pl.checkNeeded(ctx)
}

// checkNeeded leaves the check that the entrypoint's file is in the image
// (a step of its own, run on every build, rebuilds included) to the
// files the plan cannot see: a script the build or the install makes, one
// of a workspace's members. A script the context holds, outside what the
// copy of the sources leaves out, is known to reach the image.
func (pl *planner) checkNeeded(ctx context.Context) error {
	if pl.check == "" || pl.m.Member != "" || pl.ws != nil || pl.built() {
		return nil
	}
	file := pl.m.Path(pl.check)
	pm, err := patternmatcher.New(pl.sourcesExclude())
	if err != nil {
		return err
	}
	if excluded, err := pm.MatchesOrParentMatches(file); err != nil || excluded {
		return err
	}
	pl.checkSeen, err = providers.Exists(ctx, pl.req.FS, file)
	return err
}

// startScript is package.json's start script when it only runs node on a
// file, as argv.
func (pl *planner) startScript() []string {
	s := strings.TrimSpace(pl.pkg.Scripts["start"])
	if !startRE.MatchString(s) {
		return nil
	}
	argv := strings.Fields(s)
	if scriptOf(argv[1:]) == "" {
		return nil
	}
	return argv
}

// scriptOf is the script a node command line runs, relative to the app
// directory ("" for none, e.g. node -e).
func scriptOf(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-e" || a == "--eval" || a == "-p" || a == "--print" || a == "-":
			return ""
		case slices.Contains(valueFlags, a):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			p := path.Clean(a)
			if path.IsAbs(p) {
				rel, ok := strings.CutPrefix(p, providers.AppDir+"/")
				if !ok {
					return ""
				}
				p = rel
			}
			return p
		}
	}
	return ""
}
