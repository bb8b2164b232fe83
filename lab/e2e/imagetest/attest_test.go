package imagetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
)

// ociWriter builds a small OCI archive in memory, as BuildKit's oci
// exporter lays one out.
type ociWriter struct{ files map[string][]byte }

// add stores a blob and returns its descriptor.
func (w *ociWriter) add(t *testing.T, mediaType string, v any) descriptor {
	t.Helper()
	b, ok := v.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256(b)
	d := "sha256:" + hex.EncodeToString(sum[:])
	w.files["blobs/sha256/"+hex.EncodeToString(sum[:])] = b
	return descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
}

func (w *ociWriter) write(t *testing.T) string {
	t.Helper()
	return writeArchive(t, w.files)
}

const (
	ociIndex    = "application/vnd.oci.image.index.v1+json"
	ociManifest = "application/vnd.oci.image.manifest.v1+json"
	spdxType    = "https://spdx.dev/Document"
	slsaType    = "https://slsa.dev/provenance/v1"
)

// attestedArchive is an index of an amd64 image with an attestation
// manifest (an SBOM whose layer is annotated annotatedAs, and a
// provenance) and an arm64 image without one, nested as buildx's
// -o type=oci writes it.
func attestedArchive(t *testing.T, annotatedAs string) string {
	t.Helper()
	w := &ociWriter{files: map[string][]byte{}}
	image := func(arch string) descriptor {
		cfg := w.add(t, "application/vnd.oci.image.config.v1+json", map[string]any{"os": "linux", "architecture": arch})
		layer := w.add(t, "application/vnd.oci.image.layer.v1.tar+gzip", []byte("layer-"+arch))
		m := w.add(t, ociManifest, map[string]any{"schemaVersion": 2, "config": cfg, "layers": []descriptor{layer}})
		return m
	}
	amd64, arm64 := image("amd64"), image("arm64")
	statement := func(predicateType string, predicate any) descriptor {
		d := w.add(t, "application/vnd.in-toto+json", map[string]any{
			"_type": "https://in-toto.io/Statement/v1", "predicateType": predicateType, "predicate": predicate,
		})
		d.Annotations = map[string]string{"in-toto.io/predicate-type": predicateType}
		return d
	}
	sbom := statement(spdxType, map[string]any{"name": "sbom"})
	sbom.Annotations["in-toto.io/predicate-type"] = annotatedAs
	prov := statement(slsaType, map[string]any{"buildDefinition": map[string]any{"buildType": "x"}})
	empty := w.add(t, "application/vnd.oci.empty.v1+json", []byte("{}"))
	att := w.add(t, ociManifest, map[string]any{"schemaVersion": 2, "config": empty, "layers": []descriptor{sbom, prov}})
	att.Annotations = map[string]string{
		"vnd.docker.reference.type":   "attestation-manifest",
		"vnd.docker.reference.digest": amd64.Digest,
	}
	inner := w.add(t, ociIndex, map[string]any{"schemaVersion": 2, "manifests": []descriptor{amd64, arm64, att}})
	top, err := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []descriptor{inner}})
	if err != nil {
		t.Fatal(err)
	}
	w.files["index.json"] = top
	w.files["oci-layout"] = []byte(`{"imageLayoutVersion":"1.0.0"}`)
	return w.write(t)
}

func TestAttestations(t *testing.T) {
	t.Parallel()
	archive := attestedArchive(t, spdxType)
	atts := Attestations(t, archive, "linux/amd64")
	if len(atts) != 2 || atts[0].PredicateType != spdxType || atts[1].PredicateType != slsaType {
		t.Fatalf("attestations of linux/amd64 = %+v", atts)
	}
	var doc struct{ Name string }
	atts[0].Decode(t, &doc)
	if doc.Name != "sbom" || len(atts[0].Raw) == 0 {
		t.Errorf("SBOM predicate = %+v, raw %d bytes", doc, len(atts[0].Raw))
	}
	if atts := Attestations(t, archive, "linux/arm64"); atts != nil {
		t.Errorf("linux/arm64 has no attestation manifest, got %+v", atts)
	}
	// Load still skips the attestation manifest.
	if img := Load(t, archive, "linux/arm64"); img.Config.Architecture != "arm64" || len(img.Layers) != 1 {
		t.Errorf("Load(linux/arm64) = %+v", img.Config)
	}
}

// recorder is a testing.TB that records errors instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestAttestationsAnnotationMismatch(t *testing.T) {
	t.Parallel()
	archive := attestedArchive(t, slsaType)
	r := &recorder{TB: t}
	if atts := Attestations(r, archive, "linux/amd64"); len(atts) != 2 {
		t.Fatalf("got %d attestations", len(atts))
	}
	if len(r.errs) != 1 {
		t.Errorf("errors = %q, want one about the predicate-type annotation", r.errs)
	}
}
