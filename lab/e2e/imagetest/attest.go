package imagetest

import (
	"encoding/json"
	"testing"
)

// Statement is one in-toto statement of an image's attestation manifest
// (SBOM, provenance).
type Statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	Predicate json.RawMessage `json:"predicate"`
	// Raw is the statement as the archive stores it (the layer blob).
	Raw []byte `json:"-"`
}

// Decode unmarshals the predicate into v.
func (s Statement) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(s.Predicate, v); err != nil {
		t.Fatalf("%s predicate: %v", s.PredicateType, err)
	}
}

// Attestations returns the in-toto statements BuildKit attached to the
// image of platform in an OCI archive: the layers, in order, of the
// manifest annotated vnd.docker.reference.type=attestation-manifest whose
// vnd.docker.reference.digest is that image's manifest, each checked to
// carry its predicate type as the in-toto.io/predicate-type annotation.
// nil when the image has no attestation manifest.
func Attestations(t testing.TB, archive, platform string) []Statement {
	t.Helper()
	a := openArchive(t, archive)
	img := a.findImage(t, platform)
	var out []Statement
	found := false
	var walk func(descs []descriptor)
	walk = func(descs []descriptor) {
		for _, d := range descs {
			switch {
			case isIndex(d):
				var sub index
				if err := json.Unmarshal(a.blob(t, d.Digest), &sub); err != nil {
					t.Fatal(err)
				}
				walk(sub.Manifests)
			case d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" &&
				d.Annotations["vnd.docker.reference.digest"] == img.desc.Digest:
				if found {
					t.Errorf("%s: more than one attestation manifest for %s", a.name, img.desc.Digest)
				}
				found = true
				var m index
				if err := json.Unmarshal(a.blob(t, d.Digest), &m); err != nil {
					t.Fatal(err)
				}
				for _, l := range m.Layers {
					raw := a.blob(t, l.Digest)
					s := Statement{Raw: raw}
					if err := json.Unmarshal(raw, &s); err != nil {
						t.Fatalf("%s: attestation %s: %v", a.name, l.Digest, err)
					}
					if got := l.Annotations["in-toto.io/predicate-type"]; got != s.PredicateType {
						t.Errorf("%s: attestation %s annotated as %q, its predicate type is %q", a.name, l.Digest, got, s.PredicateType)
					}
					out = append(out, s)
				}
			}
		}
	}
	walk(a.index(t).Manifests)
	return out
}
