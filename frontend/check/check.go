// Package check holds distill's lint rules, answered by `--call=check`:
// what builds but is fragile, unsafe or wrong at run time, each at the
// manifest lines that cause it. The rules here are language-neutral: they
// read the plan's typed facts (what each image is, what the artifacts
// need of the runtime), never image tags or step text. Rules that need a
// language's view (a dependency file without a lock) are reported by the
// providers, which may add rules of their own; rules that need the images
// (pins, drift, what a base contains) ask the Images the frontend gives.
package check

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
)

// Rule is one lint rule.
type Rule struct {
	Name        string
	Description string
}

// URL is the rule's documentation.
func (r Rule) URL() string {
	return "https://github.com/distill-build/distill/blob/main/docs/checks.md#" + strings.ToLower(r.Name)
}

// The rules, in the order docs/checks.md lists them.
var (
	UnpinnedImage           = Rule{"UnpinnedImage", "Builder and runtime images should be pinned by digest (distill.lock)"}
	UnpinnedPackages        = Rule{"UnpinnedPackages", "Runtime packages should be pinned to versions and hashes (distill.lock)"}
	LockDrift               = Rule{"LockDrift", "distill.lock should match the images its tags name and the packages the archive has today"}
	InlineCredentials       = Rule{"InlineCredentials", "Credentials should be build secrets, not values written in env"}
	EntrypointNotFound      = Rule{"EntrypointNotFound", "The entrypoint should name a file the image has"}
	VersionMismatch         = Rule{"VersionMismatch", "Builder and runtime should carry the same language version and Debian release"}
	DependenciesWithoutLock = Rule{"DependenciesWithoutLock", "Dependencies should be installed from a lock file"}
)

// Rules lists every rule.
var Rules = []Rule{UnpinnedImage, UnpinnedPackages, LockDrift, InlineCredentials, EntrypointNotFound, VersionMismatch, DependenciesWithoutLock}

// Finding is one rule's finding at a manifest range.
type Finding struct {
	Rule  Rule
	Msg   string
	Hint  string
	Range manifest.Range
}

// Detail is the finding's text: what is wrong and how to fix it.
func (f Finding) Detail() string {
	if f.Hint == "" {
		return f.Msg
	}
	return f.Msg + " (" + f.Hint + ")"
}

// Images is what the checks ask of the images a plan names.
type Images interface {
	// Exists reports whether the image ref, for platform, has a file (or
	// directory) at p, links followed inside the image.
	Exists(ctx context.Context, ref, platform, p string) (bool, error)
}

// Input is what the checks read.
type Input struct {
	Manifest *manifest.Manifest
	Plan     *plan.Plan
	// Provider holds the findings the language provider made.
	Provider []Finding
	// Context reports whether a file is in the build context.
	Context func(ctx context.Context, name string) (bool, error)
	// Images may be nil: the checks that need them are skipped.
	Images Images
	// Locked reports whether distill.lock pins ref for platform.
	Locked func(ref, platform string) bool
	// Drift is what the lock check found (LockDrift findings).
	Drift []Finding
	// Rules are every rule known, the languages' included, to report the
	// rule a plan names (Needs.Rule).
	Rules []Rule
}

// rule is the rule of that name, or one with just the name.
func (in Input) rule(name string) Rule {
	for _, r := range in.Rules {
		if r.Name == name {
			return r
		}
	}
	return Rule{Name: name}
}

// Run runs every rule and returns the findings, ordered by line and
// without duplicates (a finding for every platform is one finding).
func Run(ctx context.Context, in Input) ([]Finding, error) {
	out := slices.Clone(in.Provider)
	out = append(out, in.Drift...)
	out = append(out, unpinned(in)...)
	out = append(out, credentials(in.Manifest)...)
	out = append(out, versionMismatch(in)...)
	f, err := runtimeChecks(ctx, in)
	if err != nil {
		return nil, err
	}
	out = append(out, f...)
	return dedupe(out), nil
}

// Skip drops the findings of the rules named in skip ("all": every rule),
// as the check directive asks.
func Skip(fs []Finding, skip []string) []Finding {
	if slices.Contains(skip, "all") {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(fs), func(f Finding) bool { return slices.Contains(skip, f.Rule.Name) })
}

func dedupe(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !slices.ContainsFunc(out, func(g Finding) bool { return g.Rule == f.Rule && g.Msg == f.Msg && g.Range == f.Range }) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Range.Start.Line - b.Range.Start.Line })
	return out
}

// OriginRange is the manifest range of a plan origin (lines only).
func OriginRange(o plan.Origin) manifest.Range {
	if o.Line == 0 {
		return manifest.Range{}
	}
	return manifest.Range{Start: manifest.Pos{Line: o.Line}, End: manifest.Pos{Line: max(o.EndLine, o.Line)}}
}

func unpinned(in Input) []Finding {
	var out []Finding
	for _, t := range in.Plan.Targets {
		// One finding per role: the runtime candidates a build chooses
		// from are reported with the runtime.
		byRole := map[string][]*plan.Image{}
		var roles []string
		for _, u := range t.Images() {
			im := u.Image
			if im.Digest != "" || strings.Contains(im.Ref, "@") || (in.Locked != nil && in.Locked(im.Ref, im.Platform)) {
				continue
			}
			if _, ok := byRole[u.Role]; !ok {
				roles = append(roles, u.Role)
			}
			if !slices.ContainsFunc(byRole[u.Role], func(o *plan.Image) bool { return o.Ref == im.Ref }) {
				byRole[u.Role] = append(byRole[u.Role], im)
			}
		}
		for _, role := range roles {
			ims := byRole[role]
			refs := make([]string, len(ims))
			for i, im := range ims {
				refs[i] = im.Ref
			}
			msg, hint := fmt.Sprintf("the %s %s is named by tag: a rebuild may get another image", role, refs[0]), "run `distill lock` to pin it by digest in distill.lock"
			if len(refs) > 1 {
				msg = fmt.Sprintf("the %s images %s are named by tag: a rebuild may get other images", role, strings.Join(refs, ", "))
				hint = "run `distill lock` to pin them by digest in distill.lock"
			}
			out = append(out, Finding{Rule: UnpinnedImage, Range: OriginRange(ims[0].Origin), Msg: msg, Hint: hint})
		}
		for _, l := range t.Locks {
			if !l.Pinned {
				out = append(out, Finding{Rule: UnpinnedPackages, Range: OriginRange(l.Origin),
					Msg:  "the runtime packages are installed at whatever version the archive has when the step runs",
					Hint: "run `distill lock` to pin their versions and hashes in distill.lock"})
			}
		}
	}
	return out
}

var (
	secretName = regexp.MustCompile(`(?i)(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)($|_)`)
	// userinfo in a URL: scheme://user:password@host.
	urlPassword = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]+:[^/@\s]+@`)
)

// credentials finds secrets written as image environment values: they
// are in the image config, readable by anyone who pulls it.
func credentials(m *manifest.Manifest) []Finding {
	var out []Finding
	for _, v := range m.Env.Vars {
		name, val := v.Name.Value, v.Value.Value
		switch {
		case val == "":
		case urlPassword.MatchString(val):
			out = append(out, Finding{Rule: InlineCredentials, Range: v.Value.Range,
				Msg:  fmt.Sprintf("env %s holds a URL with a password: it is stored in the image config", name),
				Hint: "pass it at run time, or for the build as a secret (--secret id=…)"})
		case secretName.MatchString(name) && !strings.HasPrefix(val, "/") && !strings.Contains(val, "${"):
			out = append(out, Finding{Rule: InlineCredentials, Range: v.Value.Range,
				Msg:  fmt.Sprintf("env %s looks like a credential written in the manifest: it is stored in the image config", name),
				Hint: "pass it at run time (docker run -e, a mounted file), or for the build as a secret (--secret id=…)"})
		}
	}
	return out
}

// versionMismatch compares what the plan knows of builder and runtime:
// the Debian release (glibc and the shared libraries carried over) and
// the toolchain version the runtime runs, when both are known.
func versionMismatch(in Input) []Finding {
	var out []Finding
	for _, t := range in.Plan.Targets {
		b, r := t.Builder, t.Runtime
		// Reported on the side the manifest names, else the runtime's.
		at := OriginRange(r.Origin)
		if b.Origin.Field == "builder" {
			at = OriginRange(b.Origin)
		}
		if b.Facts.Debian != "" && r.Facts.Debian != "" && b.Facts.Debian != r.Facts.Debian {
			out = append(out, Finding{Rule: VersionMismatch, Range: at,
				Msg:  fmt.Sprintf("the builder %s is Debian %s but the runtime %s is Debian %s: what is built links a different glibc", b.Ref, b.Facts.Debian, r.Ref, r.Facts.Debian),
				Hint: "use a builder and a base of the same Debian release"})
		}
		if b.Facts.Toolchain != "" && b.Facts.Toolchain == r.Facts.Toolchain && b.Facts.Version != "" && r.Facts.Version != "" && b.Facts.Version != r.Facts.Version {
			out = append(out, Finding{Rule: VersionMismatch, Range: at,
				Msg: fmt.Sprintf("the builder %s has %s %s but the runtime %s runs %s %s: what is built for one may not run on the other",
					b.Ref, b.Facts.Toolchain, b.Facts.Version, r.Ref, r.Facts.Toolchain, r.Facts.Version),
				Hint: "use the same version for both (or drop builder:/base: and let version: choose both)"})
		}
	}
	return out
}

// libcPaths are where a glibc base has its C library.
var libcPaths = map[string][]string{
	"amd64":   {"/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"},
	"arm64":   {"/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6"},
	"arm":     {"/lib/arm-linux-gnueabihf/libc.so.6", "/usr/lib/arm-linux-gnueabihf/libc.so.6"},
	"386":     {"/lib/i386-linux-gnu/libc.so.6", "/usr/lib/i386-linux-gnu/libc.so.6"},
	"ppc64le": {"/lib/powerpc64le-linux-gnu/libc.so.6", "/usr/lib/powerpc64le-linux-gnu/libc.so.6"},
	"s390x":   {"/lib/s390x-linux-gnu/libc.so.6", "/usr/lib/s390x-linux-gnu/libc.so.6"},
	"riscv64": {"/lib/riscv64-linux-gnu/libc.so.6", "/usr/lib/riscv64-linux-gnu/libc.so.6"},
}

// runtimeChecks look into the runtime image: artifacts that need a C
// library on a base without one, an entrypoint that names nothing.
func runtimeChecks(ctx context.Context, in Input) ([]Finding, error) {
	m, p := in.Manifest, in.Plan
	var out []Finding
	for _, t := range p.Targets {
		exists := func(f string) (bool, error) {
			for _, a := range t.Artifacts {
				// A tree copied onto the root (carried libraries) is
				// known only once built.
				if a.Dest == "/" {
					continue
				}
				if a.Dest == f || strings.HasPrefix(f, strings.TrimSuffix(a.Dest, "/")+"/") {
					return true, nil
				}
			}
			if in.Images == nil {
				return true, nil
			}
			return in.Images.Exists(ctx, pinned(t.Runtime), t.Platform, f)
		}
		if n := t.Needs; n != nil && n.Libc == plan.LibcGlibc && m.Base.Set() && t.Runtime.Facts.Libc != plan.LibcGlibc {
			arch := strings.Split(t.Platform, "/")[1]
			found := false
			for _, f := range libcPaths[arch] {
				ok, err := exists(f)
				if err != nil {
					return nil, err
				}
				found = found || ok
			}
			if !found {
				out = append(out, Finding{Rule: in.rule(n.Rule), Range: m.Base.Range,
					Msg:  fmt.Sprintf("%s, but the base %s has no C library (libc.so.6) for %s: it will not start", n.Why, t.Runtime.Ref, t.Platform),
					Hint: "use base: base (or cc), or build the app without C"})
			}
		}
		f, err := entrypointCheck(ctx, in, t, exists)
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	return out, nil
}

// pinned is the image's reference with the digest the lock pins it to.
func pinned(im plan.Image) string {
	if im.Digest != "" && !strings.Contains(im.Ref, "@") {
		return im.Ref + "@" + im.Digest
	}
	return im.Ref
}

// entrypointCheck finds an entrypoint program that is neither an
// artifact nor in the runtime image, and an interpreter's script that is
// not in the build context.
func entrypointCheck(ctx context.Context, in Input, t plan.Target, exists func(string) (bool, error)) ([]Finding, error) {
	m := in.Manifest
	if !m.Entrypoint.Set() || len(m.Entrypoint.Items) == 0 {
		return nil, nil
	}
	argv := t.Config.Entrypoint
	if len(argv) == 0 {
		return nil, nil
	}
	item := m.Entrypoint.Items[0]
	prog := argv[0]
	if t.Config.PrependBaseEntrypoint {
		// argv is the arguments of the base's interpreter.
	} else if !path.IsAbs(prog) {
		found, known, err := lookPath(prog, t, exists)
		if err != nil {
			return nil, err
		}
		if !found && known {
			return []Finding{{Rule: EntrypointNotFound, Range: item.Range,
				Msg:  fmt.Sprintf("%q is in no directory of the image's PATH (%s)", prog, pathOf(t)),
				Hint: "name the program by its absolute path in the image, or one that the dependencies install"}}, nil
		}
	} else if ok, err := exists(prog); err != nil {
		return nil, err
	} else if !ok {
		return []Finding{{Rule: EntrypointNotFound, Range: item.Range,
			Msg:  fmt.Sprintf("%s is not in the image", prog),
			Hint: "name a file of the image (the app is in /app)"}}, nil
	}
	// The script an interpreter runs, when the provider says it comes
	// from the context unchanged.
	if s := t.Script; s != nil && in.Context != nil {
		ok, err := in.Context(ctx, s.Path)
		if err != nil {
			return nil, err
		}
		if !ok {
			return []Finding{{Rule: EntrypointNotFound, Range: OriginRange(s.Origin),
				Msg:  fmt.Sprintf("%s is not in the build context, so not in /app", s.Path),
				Hint: "check the path (relative to the context) and that .dockerignore does not exclude it"}}, nil
		}
	}
	return nil, nil
}

// pathOf is the image's PATH, the runtime base's where the plan's env
// expands it (distroless: /usr/local/sbin:…:/bin).
func pathOf(t plan.Target) string {
	p := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range t.Config.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			p = strings.ReplaceAll(v, "${PATH}", p)
		}
	}
	return p
}

// lookPath looks a program up in the image's PATH. known is false when a
// PATH directory is filled by the build (a venv's bin): only the build
// knows its programs.
func lookPath(prog string, t plan.Target, exists func(string) (bool, error)) (found, known bool, err error) {
	if strings.Contains(prog, "/") {
		ok, err := exists(path.Join("/app", prog))
		return ok, true, err
	}
	known = true
	for _, dir := range strings.Split(pathOf(t), ":") {
		if dir == "" {
			continue
		}
		for _, a := range t.Artifacts {
			if a.From == plan.FromBuilder && (a.Dest == dir || strings.HasPrefix(dir, strings.TrimSuffix(a.Dest, "/")+"/")) {
				known = false
			}
		}
		ok, err := exists(path.Join(dir, prog))
		if err != nil || ok {
			return ok, true, err
		}
	}
	return false, known, nil
}
