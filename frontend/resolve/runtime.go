package resolve

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/frontend/providers"
	"github.com/distill-build/distill/llb/plan"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
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

// choose inserts, after the provider's step that builds the binaries, the
// helper step that picks the runtime from what they need: every
// distroless flavour is a candidate, mounted for the helper to look into.
// The target's runtime stays the provider's prediction until the build.
func choose(m *manifest.Manifest, t *plan.Target, b providers.Build, user string, debug bool, p ocispecs.Platform) {
	args := []string{providers.HelperBin, "choose", "--scan", b.Choose.Scan, "--arch", p.Architecture, "--out", providers.ChoiceFile}
	mounts := []plan.Mount{{From: plan.MountFrontend, Target: providers.HelperMount}}
	choice := &plan.Choice{After: b.Choose.After + 1, File: providers.ChoiceFile}
	for _, f := range flavours {
		im, _ := runtimeImage(&manifest.Manifest{File: m.File, Language: m.Language, Version: m.Version}, providers.Build{Flavour: f}, user, debug)
		im.Platform, im.Role = t.Runtime.Platform, plan.RoleRuntime
		im.Facts.Why = "a candidate the build chooses from by what " + b.Choose.Scan + " needs"
		target := path.Join(providers.CandidatesMount, f)
		mounts = append(mounts, plan.Mount{From: plan.MountImage, Target: target, Image: &im})
		args = append(args, "--candidate", f+"="+target)
		cand := plan.Candidate{Name: f, Mount: target}
		if f == providers.Static && b.Choose.Libraries != "" {
			cand.Without = []string{b.Choose.Libraries}
		}
		choice.Candidates = append(choice.Candidates, cand)
	}
	step := plan.Step{Name: "[distill] choose the runtime: the least distroless image with the libraries " + b.Choose.Scan + " needs",
		Origin: providers.Origin("language", m.Language.Range), Run: &plan.Run{Args: args, Dir: "/", Mounts: mounts}}
	t.Steps = slices.Insert(slices.Clone(t.Steps), b.Choose.After, step)
	t.Runtime.Facts.Why = "predicted (" + t.Runtime.Facts.Why + "); the build chooses by what " + b.Choose.Scan + " needs"
	t.Choice = choice
}

// flavours orders the distroless runtimes by what they provide.
var flavours = []string{providers.Static, providers.Base, providers.CC}
