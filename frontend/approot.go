package frontend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/contextfs"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/resolve"
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	digest "github.com/opencontainers/go-digest"
)

// The app's root in the build context. Clients send the manifest's
// directory as its own local (buildx: `-f services/api/distill.yaml .`
// sends services/api and the base name), so where it sits in the context
// is found by its content: the files of the context with the manifest's
// name, and only those, are transferred and compared. The manifest's
// directory is the app's root unless `root:` moves it; paths in the
// manifest and the plan are relative to the root, and the build context
// is narrowed to it, so files elsewhere in the repository are neither
// sent nor able to invalidate a step.

// findLimit bounds the manifests compared.
const findLimit = 1000

// locateManifest is the manifest's directory in the build context: "."
// when the context has no file of its name and content (the manifest is
// outside the context, or read from stdin) or is remote.
func (r *request) locateManifest(ctx context.Context) (string, error) {
	if remoteContext(r.bc.BuildOpts().Opts["context"]) {
		// A git or HTTP context comes whole, and its manifest with it.
		return ".", nil
	}
	base := path.Base(r.src.Filename)
	st, err := r.bc.MainContext(ctx, llb.IncludePatterns([]string{base, "**/" + base}),
		llb.SharedKeyHint("distill-find-manifest"), llb.WithCustomName("[distill] find "+base+" in the build context"))
	if err != nil {
		return "", err
	}
	ref, err := solveContext(ctx, r.c, r.bc, *st)
	if err != nil {
		return "", err
	}
	var found []string
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := ref.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := path.Join(dir, e.Name())
			switch {
			case len(found) >= findLimit:
				return nil
			case e.IsDir():
				if err := walk(p); err != nil {
					return err
				}
			case e.Name() == base:
				data, err := ref.ReadFile(ctx, p)
				if err != nil {
					return err
				}
				if bytes.Equal(data, r.src.Data) {
					found = append(found, path.Dir(p))
				}
			}
		}
		return nil
	}
	if err := walk("."); err != nil {
		return "", fmt.Errorf("looking for %s in the build context: %w", base, err)
	}
	switch len(found) {
	case 0:
		return ".", nil
	case 1:
		return found[0], nil
	}
	// buildx names both directories relative to the git repository.
	opts := r.c.BuildOpts().Opts
	if c, ok := opts["vcs:localdir:context"]; ok {
		if d, ok := opts["vcs:localdir:dockerfile"]; ok {
			if rel, err := filepath.Rel(c, d); err == nil && slices.Contains(found, filepath.ToSlash(rel)) {
				return filepath.ToSlash(rel), nil
			}
		}
	}
	slices.Sort(found)
	return "", &manifest.Error{File: r.manifest.File, Range: manifest.Range{Start: manifest.Pos{Line: 1}, End: manifest.Pos{Line: 1}},
		Msg: fmt.Sprintf("the build context has %s with this content in %d directories (%s): distill finds the app's directory by its manifest's content",
			base, len(found), strings.Join(found, ", ")),
		Hint: "make each manifest differ (a comment naming its app), or build with the app's directory as the context"}
}

// appRoot is the app's root in the build context: the manifest's
// directory, moved by `root:`.
func (r *request) appRoot(dir string) (string, error) {
	m := r.manifest
	if !m.Root.Set() {
		return dir, nil
	}
	root := path.Join(dir, m.Root.Value)
	if path.IsAbs(m.Root.Value) || root == ".." || strings.HasPrefix(root, "../") {
		return "", &manifest.Error{File: m.File, Range: m.Root.Range,
			Msg:  fmt.Sprintf("root %q is outside the build context (the manifest is in %s)", m.Root.Value, dir),
			Hint: "name a directory relative to the manifest's, inside the context, e.g. root: ../.. for the repository root"}
	}
	return root, nil
}

// loadContext finds the app's root, names the manifest by its path in
// the context (errors, source maps) and records its path under the root
// (what the providers leave out of the app), and loads the context
// narrowed to the root. When the manifest's language finds a workspace
// above the manifest's directory, the workspace's directory is the root
// and the manifest's directory the member: only the member's files are
// loaded, the rest is read on demand, and the build's context is the
// files its plan reads (buildState).
func (r *request) loadContext(ctx context.Context, bctx *buildContext) error {
	dir, err := r.locateManifest(ctx)
	if err != nil {
		return err
	}
	inContext := path.Join(dir, path.Base(r.src.Filename))
	r.src.SourceMap.Filename, r.manifest.File = inContext, inContext
	lazy := &contextfs.Lazy{Load: r.loadPatterns}
	if bctx.root, err = r.appRoot(dir); err != nil {
		return err
	}
	if !r.manifest.Language.Set() {
		// No language: the files of the manifest's directory tell it.
		// When they tell none, or several, planning says so with the
		// manifest's other mistakes.
		var me *manifest.Error
		switch err := resolve.DetectLanguage(ctx, lazy.Under("."), r.manifest, dir); {
		case errors.As(err, &me):
		case err != nil:
			return err
		default:
			where := ""
			if dir != "." {
				where = " in " + dir
			}
			r.say(ctx, fmt.Sprintf("[distill] language: %s, from %s%s (the manifest names none)", r.manifest.Language.Value, r.manifest.Detected, where))
		}
	}
	if !remoteContext(r.bc.BuildOpts().Opts["context"]) {
		ws, err := resolve.WorkspaceRoot(ctx, lazy.Under("."), r.manifest, dir)
		if err != nil {
			return fmt.Errorf("looking for a workspace above %s: %w", dir, err)
		}
		if ws != "" {
			bctx.root, bctx.narrow = ws, true
		}
	}
	r.manifest.InRoot, _ = relPath(bctx.root, inContext)
	// Loaded now: the root, or only the member's directory in a
	// workspace (the build's context transfers the rest it needs into the
	// same local directory on the daemon).
	load := bctx.root
	if bctx.narrow {
		load = dir
	}
	var opts []llb.LocalOption
	if load != "." {
		opts = append(opts, llb.IncludePatterns([]string{load}), llb.SharedKeyHint("context:"+bctx.root))
	}
	if bctx.state, err = r.bc.MainContext(ctx, opts...); err != nil {
		return err
	}
	ref, err := solveContext(ctx, r.c, r.bc, *bctx.state)
	if err != nil {
		return err
	}
	if !bctx.narrow {
		bctx.fs = contextfs.Ref{Ref: ref.Ref, Dir: bctx.root}
		return nil
	}
	lazy.Tree(dir, ref.Ref)
	bctx.fs = lazy.Under(bctx.root)
	return nil
}

// say shows msg in the build's progress output: the name of a step that
// does nothing.
func (r *request) say(ctx context.Context, msg string) {
	// Each message its own op: the same op twice is one vertex, shown
	// once.
	st := llb.Scratch().File(llb.Mkdir("/distill-"+digest.FromString(msg).Encoded()[:12], 0o755), llb.WithCustomName(msg))
	def, err := st.Marshal(ctx, llb.WithCaps(r.c.BuildOpts().LLBCaps))
	if err != nil {
		return
	}
	// Evaluated: a result nothing reads would not run, nor show.
	_, _ = r.c.Solve(ctx, gwclient.SolveRequest{Definition: def.ToPB(), Evaluate: true})
}

func relPath(base, target string) (string, error) {
	rel, err := filepath.Rel(base, target)
	return filepath.ToSlash(rel), err
}

// loadPatterns solves the part of the main context the patterns select
// (the client's .dockerignore applies too), for reads on demand.
func (r *request) loadPatterns(ctx context.Context, include, exclude []string) (gwclient.Reference, error) {
	ignore, err := r.bc.DockerIgnorePatterns(ctx)
	if err != nil {
		return nil, err
	}
	key := digest.FromString(strings.Join(include, "\x00") + "\x01" + strings.Join(exclude, "\x00"))
	st, err := r.bc.MainContext(ctx, llb.IncludePatterns(include), llb.ExcludePatterns(append(slices.Clone(ignore), exclude...)),
		llb.SharedKeyHint("distill-read:"+key.Encoded()[:16]), llb.WithCustomName("[distill] read "+strings.Join(include, " ")+" in the build context"))
	if err != nil {
		return nil, err
	}
	ref, err := solveContext(ctx, r.c, r.bc, *st)
	return ref.Ref, err
}

// buildState is the context the build's steps copy from: the files the
// plan reads under the root when the app is a workspace's member (so an
// edit elsewhere transfers nothing and invalidates no step), else the
// root's (or the whole context's) as loaded.
func (r *request) buildState(ctx context.Context, p *plan.Plan) (llb.State, error) {
	bctx := &r.buildCtx
	if !bctx.narrow {
		return *bctx.state, nil
	}
	include := []string{bctx.root}
	if paths, whole := p.ContextPaths(); !whole {
		include = include[:0]
		for _, q := range paths {
			include = append(include, path.Join(bctx.root, q))
		}
	}
	st, err := r.bc.MainContext(ctx, llb.IncludePatterns(include), llb.SharedKeyHint("context:"+bctx.root))
	if err != nil {
		return llb.State{}, err
	}
	return *st, nil
}
