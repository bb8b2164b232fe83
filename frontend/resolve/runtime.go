package resolve

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
)

// runtimeImage is the target's runtime: the provider's, else the
// distroless image of the flavour the artifacts need or the manifest's
// base, with the tag that matches the user and the target.
func runtimeImage(m *manifest.Manifest, b providers.Build, user string, debug bool) (plan.Image, error) {
	tag := "latest"
	if user == "65532:65532" {
		tag = "nonroot"
	}
	if debug {
		// distroless's debug tags: debug (root) and debug-nonroot.
		tag = strings.TrimSuffix("debug-"+tag, "-latest")
	}
	noDebug := func(im plan.Image) (plan.Image, error) {
		if !debug {
			return im, nil
		}
		return plan.Image{}, providers.Fail(m, m.Base.Range, "build the debug target with a distroless base: static, base, cc, or the language's default",
			"the debug target needs a distroless base (its :debug variant has a shell); %s is not one", im.Ref)
	}
	if b.Runtime != nil {
		// The provider chose (and checked) the runtime, base included.
		im := *b.Runtime
		if strings.HasPrefix(im.Ref, providers.DistrolessRepo+"/") && !strings.ContainsAny(path.Base(im.Ref), ":@") {
			im.Ref += ":" + tag
			return im, nil
		}
		return noDebug(im)
	}
	im := plan.Image{Origin: providers.ImageOrigin(m, plan.RoleRuntime)}
	flavour := b.Flavour
	if m.Base.Set() {
		v := m.Base.Value
		if !slices.Contains(flavours, v) {
			if strings.ContainsAny(v, " \t") || v == "" {
				return plan.Image{}, providers.Fail(m, m.Base.Range, "use static, base, cc or an image reference", "invalid base %q", v)
			}
			im.Ref, im.Facts = v, plan.Facts{Debian: providers.DebianOf(v), Why: "base: in " + m.File}
			return noDebug(im)
		}
		if slices.Index(flavours, v) < slices.Index(flavours, b.Flavour) {
			hint := "use base: " + b.Flavour
			if b.FlavourHint != "" {
				hint += ", or " + b.FlavourHint
			}
			err := providers.Fail(m, m.Base.Range, hint,
				"base %q cannot run this app: it needs %s (%s)", v, b.Flavour, b.FlavourReason)
			if b.Needs != nil && b.Needs.Libc == plan.LibcGlibc && providers.DistrolessFacts(v, "").Libc == plan.LibcNone {
				err.(*manifest.Error).Rule = b.Needs.Rule
			}
			return plan.Image{}, err
		}
		flavour = v
	}
	im.Ref = fmt.Sprintf("%s/%s-%s:%s", providers.DistrolessRepo, flavour, providers.Debian, tag)
	im.Facts = providers.DistrolessFacts(flavour, b.FlavourReason)
	return im, nil
}

// flavours orders the distroless runtimes by what they provide.
var flavours = []string{providers.Static, providers.Base, providers.CC}
