package frontend

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client/llb"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/apicaps"
)

// The frontend image runs on whatever buildkitd the user has: the syntax
// line pulls the newest distill onto old daemons too. Every definition it
// solves is checked first against the LLB capabilities the daemon reports
// (BuildOpts().LLBCaps), so a step that needs something the daemon lacks
// fails with the capability, the steps that need it and the BuildKit
// release that has it, instead of the gateway client's generic "requested
// feature ... is not supported by build server, please update BuildKit".

// capSince is the first BuildKit release whose LLB capability list
// (solver/pb/caps.go) has each capability, read from the release tags,
// for those added after v0.3.0 (the first release with capabilities). The
// lab's compatibility test (lab/e2e/compat_test.go) builds with the oldest
// buildkitd the lab can build.
var capSince = map[apicaps.CapID]string{
	"source.image.layerlimit":                  "v0.11.0",
	"source.image.checksum":                    "v0.25.0",
	"source.local.differ":                      "v0.9.0",
	"source.local.metadatatransfer":            "v0.21.0",
	"source.git.httpauth":                      "v0.8.0",
	"source.git.knownsshhosts":                 "v0.8.0",
	"source.git.mountsshsock":                  "v0.8.0",
	"source.git.subdir":                        "v0.9.0",
	"source.git.checksum":                      "v0.22.0",
	"source.git.skipsubmodules":                "v0.24.0",
	"source.git.signatureverify":               "v0.26.0",
	"source.git.mtime":                         "v0.29.0",
	"source.git.fetchbycommit":                 "v0.30.0",
	"source.git.bundle":                        "v0.30.0",
	"source.git.checkoutbundle":                "v0.30.0",
	"source.http.auth":                         "v0.21.0",
	"source.http.header":                       "v0.21.0",
	"source.http.signatureverify":              "v0.28.0",
	"source.imageblob":                         "v0.28.0",
	"source.ocilayout":                         "v0.11.0",
	"exec.meta.cgroup.parent":                  "v0.10.0",
	"exec.meta.network.proxy":                  "v0.31.0",
	"exec.meta.security":                       "v0.5.0",
	"exec.meta.security.devices.v1":            "v0.7.0",
	"exec.meta.ulimit":                         "v0.10.0",
	"exec.meta.cdi":                            "v0.20.0",
	"exec.meta.removemountstubs.recursive":     "v0.11.0",
	"exec.meta.linux.resources":                "v0.31.0",
	"exec.mount.bind.readwrite-nooutput":       "v0.6.1",
	"exec.mount.tmpfs.size":                    "v0.10.0",
	"exec.mount.cache.content":                 "v0.13.0",
	"exec.secretenv":                           "v0.10.0",
	"exec.validexitcode":                       "v0.17.0",
	"file.base":                                "v0.5.0",
	"file.rm.wildcard":                         "v0.7.0",
	"file.copy.includeexcludepatterns":         "v0.9.0",
	"file.copy.requiredpaths":                  "v0.26.0",
	"file.rm.nofollowsymlink":                  "v0.10.0",
	"file.copy.alwaysreplaceexistingdestpaths": "v0.14.0",
	"file.copy.modestring":                     "v0.17.0",
	"file.symlink.create":                      "v0.19.0",
	"cache.gha":                                "v0.9.0",
	"cache.s3":                                 "v0.11.0",
	"cache.azblob":                             "v0.11.0",
	"mergeop":                                  "v0.10.0",
	"diffop":                                   "v0.10.0",
	"passthroughop":                            "v0.31.0",
	"exporter.image.annotations":               "v0.11.0",
	"exporter.image.attestations":              "v0.11.0",
	"exporter.sourcedateepoch":                 "v0.11.0",
	"exporter.multiple":                        "v0.13.0",
	"exporter.session":                         "v0.21.0",
	"source.policy":                            "v0.11.0",
	"source.policy.session":                    "v0.26.0",
	"gc.freespacefilter":                       "v0.17.0",
	"history.filter":                           "v0.20.0",
}

// CapError is what a definition needs that the daemon does not have.
type CapError struct {
	// Missing is sorted by capability.
	Missing []MissingCap
}

// MissingCap is one LLB capability the daemon lacks or has disabled.
type MissingCap struct {
	ID apicaps.CapID
	// Name is BuildKit's readable name of the capability, if it has one.
	Name string
	// Since is the first BuildKit release with it ("" when not known).
	Since string
	// Disabled is the daemon's reason when it has the capability but
	// turned it off ("" when it does not have it).
	Disabled string
	// Steps are the names of the ops that need it.
	Steps []string
}

func (e *CapError) Error() string {
	parts := make([]string, 0, len(e.Missing)+1)
	for _, m := range e.Missing {
		s := "the LLB capability " + string(m.ID)
		if m.Name != "" {
			s += " (" + m.Name + ")"
		}
		switch {
		case m.Disabled != "":
			s += ", disabled on it: " + m.Disabled
		case m.Since != "":
			s += ", in BuildKit " + m.Since + " and later"
		}
		switch len(m.Steps) {
		case 0:
		case 1:
			s += ", for step " + strconv.Quote(m.Steps[0])
		default:
			s += ", for steps " + quoteSteps(m.Steps, 3)
		}
		parts = append(parts, s)
	}
	if v, ok := e.MinVersion(); ok {
		parts = append(parts, "upgrade BuildKit to "+v+" or newer (Docker Engine or Docker Desktop for docker build, the builder's buildkitd for buildx)")
	} else if slices.ContainsFunc(e.Missing, func(m MissingCap) bool { return m.Disabled == "" }) {
		parts = append(parts, "upgrade BuildKit (Docker Engine or Docker Desktop for docker build, the builder's buildkitd for buildx)")
	}
	return "this buildkitd lacks what the build needs: " + strings.Join(parts, "; ")
}

// MinVersion is the oldest BuildKit release with every missing
// capability; false when one of them is disabled or not known.
func (e *CapError) MinVersion() (string, bool) {
	v := ""
	for _, m := range e.Missing {
		if m.Since == "" || m.Disabled != "" {
			return "", false
		}
		if v == "" || releaseLess(v, m.Since) {
			v = m.Since
		}
	}
	return v, v != ""
}

// missingCap checks one capability against the daemon's set: nil when it
// is there and enabled. A zero set (no daemon to ask, as in tests)
// supports everything.
func missingCap(caps apicaps.CapSet, id apicaps.CapID) *MissingCap {
	if reflect.ValueOf(caps).IsZero() {
		return nil
	}
	err := caps.Supports(id)
	if err == nil {
		return nil
	}
	m := &MissingCap{ID: id, Since: capSince[id]}
	var ae *apicaps.CapError
	if errors.As(err, &ae) {
		if ae.Definition != nil {
			m.Name = ae.Definition.Name
		}
		if ae.State != nil {
			m.Disabled = cmp.Or(ae.State.DisabledReasonMsg, ae.State.DisabledReason, "no reason given")
		}
	}
	return m
}

// checkDefinition checks every capability the ops of def require (what
// the LLB client library recorded in their metadata) against the daemon's
// LLB capabilities (BuildOpts().LLBCaps): a *CapError naming the missing
// ones, the steps that need them and the release that has them all.
func checkDefinition(def *pb.Definition, caps apicaps.CapSet) error {
	if def == nil {
		return nil
	}
	missing := map[apicaps.CapID]*MissingCap{}
	for _, md := range def.Metadata {
		if md == nil {
			continue
		}
		for id, on := range md.Caps {
			if !on {
				continue
			}
			m, seen := missing[apicaps.CapID(id)]
			if !seen {
				if m = missingCap(caps, apicaps.CapID(id)); m == nil {
					continue
				}
				missing[apicaps.CapID(id)] = m
			}
			if name := md.Description["llb.customname"]; name != "" && !slices.Contains(m.Steps, name) {
				m.Steps = append(m.Steps, name)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	e := &CapError{}
	for _, m := range missing {
		slices.Sort(m.Steps)
		e.Missing = append(e.Missing, *m)
	}
	slices.SortFunc(e.Missing, func(a, b MissingCap) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return e
}

// withCapChecks wraps the gateway client so that every definition the
// frontend (or dockerui on its behalf) solves goes through
// checkDefinition first.
func withCapChecks(c gwclient.Client) gwclient.Client {
	if _, ok := c.(*capChecked); ok {
		return c
	}
	return &capChecked{Client: c}
}

type capChecked struct{ gwclient.Client }

func (c *capChecked) Solve(ctx context.Context, req gwclient.SolveRequest) (*gwclient.Result, error) {
	if err := checkDefinition(req.Definition, c.BuildOpts().LLBCaps); err != nil {
		return nil, err
	}
	return c.Client.Solve(ctx, req)
}

// CurrentFrontend passes on the gRPC client's method outside the Client
// interface (currentFrontend looks for it); nil without it.
func (c *capChecked) CurrentFrontend() (*llb.State, error) {
	if cf, ok := c.Client.(interface{ CurrentFrontend() (*llb.State, error) }); ok {
		return cf.CurrentFrontend()
	}
	return nil, nil
}

// releaseLess compares releases written vMAJOR.MINOR.PATCH.
func releaseLess(a, b string) bool {
	pa, pb := releaseParts(a), releaseParts(b)
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func releaseParts(v string) [3]int {
	var out [3]int
	for i, s := range strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3) {
		out[i], _ = strconv.Atoi(s)
	}
	return out
}

// quoteSteps quotes up to max names, then says how many more there are.
func quoteSteps(names []string, max int) string {
	q := make([]string, 0, max)
	for i, n := range names {
		if i == max {
			return strings.Join(q, ", ") + fmt.Sprintf(" and %d more", len(names)-max)
		}
		q = append(q, strconv.Quote(n))
	}
	return strings.Join(q, ", ")
}
