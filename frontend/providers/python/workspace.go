package python

import (
	"context"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/decode"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	"github.com/pelletier/go-toml/v2"
)

// A uv workspace: pyproject.toml at the app's root declares
// [tool.uv.workspace], and its members are locked together in the root's
// uv.lock. The app is the member the manifest's directory is (or the
// root's own project, for a manifest at the root). uv installs from the
// lock only what that member needs (uv sync --package), the workspace's
// members among it built and installed non-editable, so the environment
// points at no source. The build copies the root's pyproject.toml and
// uv.lock, then the sources of the members uv builds for the app (the
// lock's dependencies of the app, transitively), and the member's own
// directory as the app (/app), so an edit to another member reaches no
// step.
//
// uv sync --frozen installs the lock as it is, without checking it
// against the members' pyproject.toml files (that check is --locked):
// the other members' files are not needed, nor a virtual member's. Nor
// is .python-version: the environment is created with the Python picked
// here, and with --package uv reads only the root's .python-version,
// which it would let override a member's (recreating the environment).

// workspace is how the frontend recognizes a uv workspace above the app.
// Its Reach finds the app's path dependencies beside it (pathdeps.go).
var workspace = &providers.Workspace{Files: []string{"pyproject.toml"}, Has: uvHas, Reach: reach}

// uvWorkspaceDecl is pyproject.toml's [tool.uv.workspace].
type uvWorkspaceDecl struct {
	Members []string `toml:"members"`
	Exclude []string `toml:"exclude"`
}

// uvHas reports whether pyproject.toml declares a uv workspace with
// member (a directory relative to it) among its members.
func uvHas(_ string, data []byte, member string) bool {
	p, err := parsePyproject(data)
	if err != nil {
		return false
	}
	w := p.workspace()
	return w != nil && providers.MatchMember(member, w.Members, w.Exclude)
}

// uvWorkspace is the workspace the app is a member of.
type uvWorkspace struct {
	// member is the app's directory under the root, "." for the root's
	// own project; pkg its package name.
	member, pkg string
	// members are the workspace's members' directories by package name,
	// from the lock.
	members map[string]string
	// built are the local sources uv builds for the app (the packages of
	// the closure that are not virtual), sorted.
	built []string
	// rootPython and lockPython are the requires-python of the root's
	// project and of uv.lock.
	rootPython, lockPython string
}

// Files of the workspace's root that the dependencies' install reads.
var workspaceFiles = []string{"pyproject.toml", "uv.lock"}

// readWorkspace recognizes an app in a uv workspace: a member the
// frontend found the workspace above (Manifest.Member), or a manifest at
// the root of one. It reads the lock and the member's pyproject.toml and
// finds what uv builds for the app, and reports whether the app is a
// member; the dependency manager is then uv.
func (pl *planner) readWorkspace(ctx context.Context) (bool, error) {
	m := pl.m
	member := path.Clean(cmpOr(m.Member, "."))
	if member == "." && m.Dependencies.Set() && path.Clean(m.Dependencies.Value) != "uv.lock" {
		return false, nil // a dependency file of the manifest's choosing
	}
	if pf, ok := pl.req.FS.(providers.Prefetcher); ok {
		if err := pf.Prefetch(ctx, []string{"pyproject.toml", "uv.lock", ".python-version"}); err != nil {
			return false, err
		}
	}
	data, ok, err := pl.read(ctx, "pyproject.toml")
	if err != nil || !ok {
		return false, err
	}
	root, err := parsePyproject(data)
	if err != nil || root.workspace() == nil {
		// (A member's workspace parsed when the frontend found it.)
		return false, nil
	}
	decl := root.workspace()
	if member != "." && !providers.MatchMember(member, decl.Members, decl.Exclude) {
		// The root is the one holding the app's path dependencies
		// (reach), with a workspace the app is not a member of.
		return false, nil
	}
	if m.Dependencies.Set() && path.Clean(m.Path(m.Dependencies.Value)) != "uv.lock" {
		return false, providers.Fail(m, m.Dependencies.Range, "leave dependencies: out: the workspace's uv.lock installs the member",
			"%s is a member of the uv workspace declared in pyproject.toml at the app's root: its dependencies are the workspace's uv.lock, not %s", member, m.Dependencies.Value)
	}
	lockData, hasLock, err := pl.read(ctx, "uv.lock")
	if err != nil {
		return false, err
	}
	var lock *uvLock
	if hasLock {
		if err := lockFiles[managerUV].Verify(m, pl.depsRange, "uv.lock", lockData); err != nil {
			return false, err
		}
		if lock, err = parseUVLock(lockData); err != nil {
			return false, providers.Fail(m, pl.depsRange, "fix uv.lock (`uv lock` rewrites it)", "uv.lock: %v", err)
		}
	}
	if member == "." && (root.Project == nil || root.Project.Name == "") {
		return false, rootNotApp(pl, decl, lock)
	}
	if !hasLock {
		if member == "." {
			return false, nil // the root's project, installed as one without a lock
		}
		return false, providers.Fail(m, pl.depsRange, "run `uv lock` at the workspace's root and add uv.lock to the build context",
			"the uv workspace %s is a member of has no uv.lock: versions are not pinned", member)
	}
	pl.kind, pl.file, pl.dir = managerUV, "uv.lock", member
	if member != "." {
		if ok, err := providers.Exists(ctx, pl.req.FS, path.Join(member, "pyproject.toml")); err != nil {
			return false, err
		} else if !ok {
			return false, providers.Fail(m, m.Language.Range, "give the member a pyproject.toml (uv init), or leave its directory out of the workspace's members",
				"%s is a member of the uv workspace (members = %s) but has no pyproject.toml", member, strings.Join(decl.Members, ", "))
		}
	}
	if err := pl.readPyproject(ctx); err != nil {
		return false, err
	}
	pp := path.Join(member, "pyproject.toml")
	if pl.name == "" || pl.pyproject.Project == nil {
		return false, providers.Fail(m, m.Language.Range, "name the member's project in "+pp+" ([project] name = ...)", "%s has no [project] name: uv knows a member by its name", pp)
	}
	ws := &uvWorkspace{member: member, pkg: pl.name, members: lock.members(), rootPython: root.requiresPython(), lockPython: lock.RequiresPython}
	app := lock.find(pl.name)
	if app == nil {
		return false, providers.Fail(m, pl.depsRange, "run `uv lock` at the workspace's root", "uv.lock has no package %q (the name in %s): the lock is older than the member", pl.name, pp)
	}
	if dir, _ := app.Source.local(); dir != member {
		return false, providers.Fail(m, pl.depsRange, "run `uv lock` at the workspace's root", "uv.lock has package %q at %q, but the manifest's member is %s", pl.name, dir, member)
	}
	for _, p := range lock.closure(app) {
		dir, built := p.Source.local()
		if !built {
			continue
		}
		if path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
			return false, providers.Fail(m, pl.depsRange, "keep the packages the app installs from source inside the workspace", "uv.lock installs %s from %s, outside the build context", p.Name, dir)
		}
		ws.built = append(ws.built, dir)
	}
	slices.Sort(ws.built)
	ws.built = slices.Compact(ws.built)
	if pf, ok := pl.req.FS.(providers.Prefetcher); ok {
		if err := pf.Prefetch(ctx, ws.built); err != nil {
			return false, err
		}
	}
	for _, dir := range ws.built {
		if ok, err := providers.Exists(ctx, pl.req.FS, dir); err != nil {
			return false, err
		} else if !ok {
			return false, providers.Fail(m, pl.depsRange, "check the path and that .dockerignore does not exclude it",
				"uv.lock installs %s from source, which is not in the build context", dir)
		}
	}
	pl.ws = ws
	return true, nil
}

// rootNotApp is the error of a manifest at the root of a workspace whose
// root is not a project: which member is the app is not known.
func rootNotApp(pl *planner, decl *uvWorkspaceDecl, lock *uvLock) error {
	m := pl.m
	what := "members = " + strings.Join(decl.Members, ", ")
	example := "apps/api"
	if lock != nil {
		if dirs := slices.Sorted(maps.Values(lock.members())); len(dirs) > 0 {
			what = fmt.Sprintf("%d members: %s", len(dirs), strings.Join(dirs, ", "))
			example = dirs[0]
		}
	}
	return providers.Fail(m, m.Language.Range,
		fmt.Sprintf("put the manifest in the app's member directory and build from the root: docker buildx build -f %s .", path.Join(example, "distill.yaml")),
		"pyproject.toml declares a uv workspace without a project of its own (%s): which member is the app is not known", what)
}

// requiresPython is the Python the app's member asks for (its own
// requires-python, else the root project's) within the lock's, and
// where it comes from.
func (ws *uvWorkspace) requiresPython(member *pyproject) (constraint, from string) {
	var parts, files []string
	if rp := member.requiresPython(); rp != "" {
		parts, files = append(parts, rp), append(files, path.Join(ws.member, "pyproject.toml"))
	} else if ws.rootPython != "" && ws.member != "." {
		parts, files = append(parts, ws.rootPython), append(files, "pyproject.toml")
	}
	if ws.lockPython != "" {
		parts, files = append(parts, ws.lockPython), append(files, "uv.lock")
	}
	return strings.Join(parts, ", "), strings.Join(files, " with ")
}

// otherMembers are the directories of the workspace's members but the
// app's.
func (ws *uvWorkspace) otherMembers() []string {
	var out []string
	for _, d := range ws.members {
		if d != ws.member && d != "." {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// workspaceSteps install the app's part of the workspace's lock: the
// packages from indexes first, with the root's pyproject.toml and
// uv.lock alone (so only they invalidate it), then the workspace's
// members it needs, built from their sources once those are there. The
// app's own directory comes after the environment is complete
// (installer.finish).
func (in *installer) workspaceSteps(t lockTool) ([]plan.Step, bool) {
	pl, ws := in.pl, in.pl.ws
	sync := []string{t.deps[0], "sync", "--frozen", "--no-dev", "--package", ws.pkg, "--no-editable"}
	// --no-install-local: the members, and any other package installed
	// from a path, whose sources are not there yet.
	t.deps, t.project = append(slices.Clone(sync), "--no-install-local"), sync
	// uv runs at the workspace's root in /src, into the environment.
	t.dir, t.dirs = srcDir, []string{providers.AppDir, srcDir}
	steps, deps := in.toolDeps(t)
	steps = append(steps,
		plan.Step{Name: "[python] copy the workspace's " + strings.Join(workspaceFiles, ", "), Origin: in.depsOrigin,
			Copy: &plan.Copy{Paths: slices.Clone(workspaceFiles), Dest: srcDir}},
		deps)
	if len(ws.built) == 0 {
		return steps, false
	}
	manifest := path.Base(pl.m.AppPath())
	return append(steps,
		plan.Step{Name: "[python] copy the workspace members uv builds: " + strings.Join(ws.built, " "), Origin: in.langOrigin,
			Copy: &plan.Copy{Paths: slices.Clone(ws.built), Dest: srcDir,
				Exclude: []string{"**/.venv", "**/__pycache__", "**/*.pyc", manifest, manifest + ".dockerignore"}}},
		in.toolProject(t)), false
}

// uvLock is the part of uv.lock distill reads.
type uvLock struct {
	RequiresPython string `toml:"requires-python"`
	Manifest       struct {
		Members []string `toml:"members"`
	} `toml:"manifest"`
	Packages []uvLockPackage `toml:"package"`
}

type uvLockPackage struct {
	Name         string                 `toml:"name"`
	Source       uvLockSource           `toml:"source"`
	Dependencies []uvLockDep            `toml:"dependencies"`
	Optional     map[string][]uvLockDep `toml:"optional-dependencies"`
}

// uvLockSource is where a locked package comes from; the local ones are
// paths relative to the workspace's root.
type uvLockSource struct {
	Virtual   string `toml:"virtual"`
	Editable  string `toml:"editable"`
	Directory string `toml:"directory"`
	Path      string `toml:"path"`
}

// local is the path of a local package ("" for one from an index, git or
// a URL), and whether uv builds or unpacks it from there (a virtual
// project is not installed).
func (s uvLockSource) local() (string, bool) {
	switch {
	case s.Virtual != "":
		return path.Clean(s.Virtual), false
	case s.Editable != "":
		return path.Clean(s.Editable), true
	case s.Directory != "":
		return path.Clean(s.Directory), true
	case s.Path != "":
		return path.Clean(s.Path), true
	}
	return "", false
}

type uvLockDep struct {
	Name  string   `toml:"name"`
	Extra []string `toml:"extra"`
}

func parseUVLock(data []byte) (*uvLock, error) {
	var l uvLock
	if err := toml.Unmarshal(data, &l); err != nil {
		return nil, decode.Explain(err, data)
	}
	return &l, nil
}

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// normalizeName is a package name as uv.lock writes it (PEP 503).
func normalizeName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// find is the locked package of the name, if any.
func (l *uvLock) find(name string) *uvLockPackage {
	for i := range l.Packages {
		if normalizeName(l.Packages[i].Name) == normalizeName(name) {
			return &l.Packages[i]
		}
	}
	return nil
}

// members maps the workspace's members (the lock's [manifest] members)
// to their directories.
func (l *uvLock) members() map[string]string {
	out := map[string]string{}
	for _, name := range l.Manifest.Members {
		if p := l.find(name); p != nil {
			if dir, _ := p.Source.local(); dir != "" {
				out[normalizeName(name)] = dir
			}
		}
	}
	return out
}

// closure are the locked packages the app installs: the app, and what
// its dependencies bring (with the extras they ask for), transitively.
// Markers are not evaluated: a package for another platform is in too.
func (l *uvLock) closure(app *uvLockPackage) []*uvLockPackage {
	byName := map[string][]*uvLockPackage{}
	for i := range l.Packages {
		p := &l.Packages[i]
		byName[normalizeName(p.Name)] = append(byName[normalizeName(p.Name)], p)
	}
	type want struct {
		name   string
		extras []string
	}
	seen := map[string]bool{}
	queue := []want{{name: normalizeName(app.Name)}}
	var out []*uvLockPackage
	for len(queue) > 0 {
		w := queue[0]
		queue = queue[1:]
		// Every package of the name (the lock forks one by markers).
		first := !seen[w.name]
		seen[w.name] = true
		var extras []string
		for _, e := range w.extras {
			if key := w.name + "[" + e + "]"; !seen[key] {
				seen[key] = true
				extras = append(extras, e)
			}
		}
		for _, p := range byName[w.name] {
			var deps []uvLockDep
			if first {
				out = append(out, p)
				deps = append(deps, p.Dependencies...)
			}
			for _, e := range extras {
				deps = append(deps, p.Optional[e]...)
			}
			for _, d := range deps {
				queue = append(queue, want{name: normalizeName(d.Name), extras: d.Extra})
			}
		}
	}
	return out
}
