package providers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

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

// Emulated is the suffix of a step that runs under emulation for p.
func Emulated(p ocispecs.Platform, why string) string {
	return " (emulated: " + FormatPlatform(p) + ": " + why + ")"
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

// BuildPackages checks the manifest's build-packages and returns them.
func BuildPackages(m *manifest.Manifest) ([]string, error) {
	var pkgs []string
	for _, it := range m.BuildPackages.Items {
		if !debPkgRE.MatchString(it.Value) {
			return nil, &manifest.Error{File: m.File, Range: it.Range, Msg: fmt.Sprintf("%q is not a Debian package name", it.Value), Hint: "name a Debian package, e.g. libpq-dev"}
		}
		pkgs = append(pkgs, it.Value)
	}
	return pkgs, nil
}

// AptInstall installs Debian packages in a Debian builder.
func AptInstall(pkgs []string) plan.Run {
	return plan.Run{
		Args: append([]string{"sh", "-c", `apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" && rm -rf /var/lib/apt/lists/*`, "apt-get"}, pkgs...),
		Dir:  "/", Env: []string{"DEBIAN_FRONTEND=noninteractive"}, Network: true,
	}
}
