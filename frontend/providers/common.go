package providers

import (
	"context"
	"errors"
	"fmt"
	"github.com/containerd/platforms"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distill-build/distill/frontend/check"
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// The Debian release every default builder and runtime is built from.
const (
	// Suite is its code name, in builder tags (golang:1.26-trixie).
	Suite = "trixie"
	// DebianRelease is its number ("13"), and Debian the distroless
	// images' suffix (static-debian13).
	DebianRelease = "13"
	Debian        = "debian" + DebianRelease
	// DistrolessRepo is where the distroless runtimes are published.
	DistrolessRepo = "gcr.io/distroless"
)

// Where things are in the builder and the image.
const (
	// AppDir is where the app's files live in the image, and its working
	// directory.
	AppDir = "/app"
	// Sysroot is where a step collects files for the runtime's root (the
	// shared libraries the artifacts need and the runtime lacks).
	Sysroot = "/out/sysroot"
	// HelperMount is where a step sees the frontend's own image, and
	// HelperBin the binary whose helper subcommands it runs.
	HelperMount = "/.distill"
	HelperBin   = HelperMount + "/bin/distill-frontend"
	// RuntimeMount is where a step sees the target's runtime image.
	RuntimeMount = "/.distill-runtime"
	// CandidatesMount is where the step that chooses the runtime sees
	// each candidate (CandidatesMount/<flavour>), and ChoiceFile where it
	// writes the one it chose.
	CandidatesMount = "/.distill-candidates"
	ChoiceFile      = "/out/.distill-runtime-choice"
)

// HelperMounts mount the frontend's image and the runtime into a step that
// runs a helper subcommand comparing the build with the runtime.
func HelperMounts() []plan.Mount {
	return []plan.Mount{
		{From: plan.MountFrontend, Target: HelperMount},
		{From: plan.MountRuntime, Target: RuntimeMount},
	}
}

// suites maps Debian code names to release numbers.
var suites = map[string]string{"buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14"}

var (
	suiteInRef  = regexp.MustCompile(`\b(buster|bullseye|bookworm|trixie|forky)\b`)
	debianInRef = regexp.MustCompile(`-debian([0-9]+)\b`)
)

// DebianOf is the Debian release an image reference the manifest names
// says it is built from (a suite in its tag, or distroless's -debianN),
// "" when it says none: providers use it for the facts of images the user
// chose, as the official images name their release.
func DebianOf(ref string) string {
	if m := debianInRef.FindStringSubmatch(ref); m != nil {
		return m[1]
	}
	if m := suiteInRef.FindStringSubmatch(ref); m != nil {
		return suites[m[1]]
	}
	return ""
}

// DistrolessFacts are the facts of the distroless image of a flavour.
func DistrolessFacts(flavour, why string) plan.Facts {
	libc := plan.LibcGlibc
	if flavour == Static {
		libc = plan.LibcNone
	}
	return plan.Facts{Debian: DebianRelease, Libc: libc, Why: why}
}

// ImageOrigin is the manifest field that chose an image of a role when
// the provider has no better one: builder or base when written, else
// version, else language.
func ImageOrigin(m *manifest.Manifest, role string) plan.Origin {
	switch {
	case role == plan.RoleBuilder && m.Builder.Set():
		return Origin("builder", m.Builder.Range)
	case role == plan.RoleRuntime && m.Base.Set():
		return Origin("base", m.Base.Range)
	case m.Version.Set():
		return Origin("version", m.Version.Range)
	}
	return Origin("language", m.Language.Range)
}

// Fail is an error at a manifest range, with a hint on how to fix it.
func Fail(m *manifest.Manifest, r manifest.Range, hint, format string, args ...any) error {
	return &manifest.Error{File: m.File, Range: r, Msg: fmt.Sprintf(format, args...), Hint: hint}
}

// Mismatch is a builder or base that does not match the app's version or
// Debian release: an error, which `--call=check` reports as its rule.
func Mismatch(m *manifest.Manifest, r manifest.Range, hint, format string, args ...any) error {
	return &manifest.Error{File: m.File, Range: r, Msg: fmt.Sprintf(format, args...), Hint: hint, Rule: check.VersionMismatch.Name}
}

// ReadFile reads a context file; ok is false when it does not exist.
func ReadFile(ctx context.Context, fsys FS, name string) (data []byte, ok bool, err error) {
	data, err = fsys.ReadFile(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, true, nil
}

// NotInContext is the error of a file the project needs that the build
// context lacks: it says so in words (not the file system's) and is
// fs.ErrNotExist.
type NotInContext string

func (n NotInContext) Error() string { return string(n) + " is not in the build context" }

// Is makes NotInContext fs.ErrNotExist.
func (NotInContext) Is(target error) bool { return target == fs.ErrNotExist }

// Emulated is the suffix of a step that runs under emulation for p.
func Emulated(p ocispecs.Platform, why string) string {
	return " (emulated: " + platforms.Format(p) + ": " + why + ")"
}

// InTarget is step s run by builder, the target platform's under
// emulation, on the build's directories dirs, after setup steps there (a
// compiler, the tool the step runs): the plan's per-step emulation. The
// names of s and of the setup steps end in emulated (an Emulated suffix)
// instead of native, the suffix they had as native steps.
func InTarget(s plan.Step, builder plan.Image, emulated, native string, setup []plan.Step, dirs ...string) plan.Step {
	setup = slices.Clone(setup)
	for i := range setup {
		r := *setup[i].Run
		setup[i].Name, setup[i].Run = strings.TrimSuffix(setup[i].Name, native)+emulated, &r
	}
	r := *s.Run
	r.Emulated = &plan.Emulated{Builder: builder, Setup: setup, Dirs: dirs}
	s.Name, s.Run = strings.TrimSuffix(s.Name, native)+emulated, &r
	return s
}

// DependenciesOrigin is the manifest field dependency steps point at:
// `dependencies` when written, else `language`.
func DependenciesOrigin(m *manifest.Manifest) plan.Origin {
	if m.Dependencies.Set() {
		return Origin("dependencies", m.Dependencies.Range)
	}
	return Origin("language", m.Language.Range)
}

var debPkgRE = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?(=[A-Za-z0-9.+~:-]+)?$`)

// BuildPackages checks the manifest's build-packages and returns them;
// the error names every one that is no package name.
func BuildPackages(m *manifest.Manifest) ([]string, error) {
	return DebianPackages(m, m.BuildPackages, debPkgRE, "name a Debian package, e.g. libpq-dev")
}

// DebianPackages checks a manifest list of Debian packages against re
// and returns them, or an error at each item that does not match, with
// hint.
func DebianPackages(m *manifest.Manifest, list manifest.Strings, re *regexp.Regexp, hint string) ([]string, error) {
	var pkgs []string
	var errs manifest.Errs
	for _, it := range list.Items {
		if !re.MatchString(it.Value) {
			errs.Add(Fail(m, it.Range, hint, "%q is not a Debian package name", it.Value))
			continue
		}
		pkgs = append(pkgs, it.Value)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return pkgs, nil
}

// BuilderPackages are the Debian packages a target's build installs in
// the build platform's builder: the C cross toolchain when cross is set,
// and the manifest's build packages, the -dev ones for the target's
// architecture then (foreign is that architecture, to add to dpkg).
func BuilderPackages(cross *CrossToolchain, buildPkgs []string) (pkgs []string, foreign string) {
	if cross != nil {
		pkgs = slices.Clone(cross.Packages)
	}
	for _, p := range buildPkgs {
		name, version, pinned := strings.Cut(p, "=")
		if cross != nil && !strings.Contains(name, ":") && strings.HasSuffix(name, "-dev") {
			name, foreign = name+":"+cross.Arch, cross.Arch
		}
		if pinned {
			name += "=" + version
		}
		pkgs = append(pkgs, name)
	}
	return pkgs, foreign
}

// AptInstallForeign is AptInstall adding a foreign architecture first
// when one is named.
func AptInstallForeign(foreign string, pkgs []string) *plan.Run {
	r := AptInstall(pkgs)
	if foreign != "" {
		r.Args[2] = "dpkg --add-architecture " + foreign + " && " + r.Args[2]
	}
	return &r
}

// AptInstall installs Debian packages in a Debian builder.
func AptInstall(pkgs []string) plan.Run {
	return plan.Run{
		Args: append([]string{"sh", "-c", `apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && rm -rf /var/lib/apt/lists/*`, "apt-get"}, pkgs...),
		Dir:  "/", Env: []string{"DEBIAN_FRONTEND=noninteractive"}, Network: true,
	}
}

// Origin makes a plan origin from a manifest field.
func Origin(field string, r manifest.Range) plan.Origin {
	return plan.Origin{Field: field, Line: r.Start.Line, EndLine: r.End.Line}
}

// SamePlatform reports whether two normalized platforms are the same.
func SamePlatform(a, b ocispecs.Platform) bool {
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// Command is the manifest's entrypoint, when it is written: an empty one
// (or one that could not be read) is an error at its range, which the
// manifest reports already (Manifest.Err keeps that one).
func Command(m *manifest.Manifest) ([]string, error) {
	argv := m.Entrypoint.Values()
	if len(argv) == 0 {
		return nil, Fail(m, m.Entrypoint.Range, "name the command", "entrypoint: is empty")
	}
	return argv, nil
}

// ScriptArg is the script an interpreter named first in the manifest's
// entrypoint runs, as a context file (the app directory is the context;
// a workspace member's, Manifest.Path), or nil when the second item is
// no relative file name (an option, an absolute path, a module).
func ScriptArg(m *manifest.Manifest) *plan.ContextFile {
	if len(m.Entrypoint.Items) < 2 {
		return nil
	}
	it := m.Entrypoint.Items[1]
	v := it.Value
	if strings.HasPrefix(v, "-") || path.IsAbs(v) || !strings.Contains(path.Base(v), ".") {
		return nil
	}
	return &plan.ContextFile{Path: m.Path(path.Clean(v)), Origin: Origin("entrypoint", it.Range)}
}

// foreignRelease matches the distribution an image reference names when
// it is not the runtimes' Debian release: an older Debian suite or
// distroless release, or Alpine.
var foreignRelease = regexp.MustCompile(`\b(bookworm|bullseye|buster|alpine[0-9.]*|debian1[0-2])\b`)

// ForeignRelease is the distribution an image reference the manifest
// names says it is built on, when that is not the Debian release of the
// builders and runtimes ("bookworm", "alpine3.22", "debian12"), else "".
func ForeignRelease(ref string) string {
	return foreignRelease.FindString(ref)
}

// Versions lists version numbers for messages and field docs: "25, 21
// or 17".
func Versions(vs []int) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(v)
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
