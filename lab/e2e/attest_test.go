package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/distill-build/distill/lab/e2e/imagetest"
)

const (
	predicateSPDX = "https://spdx.dev/Document"
	// BuildKit v0.33's default provenance (attest:provenance without
	// version=) is SLSA v1; v0.2 is only written on request.
	predicateSLSA1 = "https://slsa.dev/provenance/v1"
)

// spdxDoc is the part of an SPDX 2.3 JSON document the test reads.
type spdxDoc struct {
	Name         string `json:"name"`
	CreationInfo struct {
		Creators []string `json:"creators"`
	} `json:"creationInfo"`
	Packages []struct {
		Name         string `json:"name"`
		VersionInfo  string `json:"versionInfo"`
		ExternalRefs []struct {
			ReferenceType    string `json:"referenceType"`
			ReferenceLocator string `json:"referenceLocator"`
		} `json:"externalRefs"`
	} `json:"packages"`
	Files []struct {
		FileName string `json:"fileName"`
		Comment  string `json:"comment"`
	} `json:"files"`
}

// pkgKey is a package as "type/name@version" from its purl
// ("deb/libc6@2.41-12+deb13u5", "pypi/fastapi@0.115.6"), Python names
// normalised as PEP 503 does.
func pkgKey(typ, name, version string) string {
	if typ == "pypi" {
		name = pep503(name)
	}
	return typ + "/" + name + "@" + version
}

var pep503Sep = regexp.MustCompile(`[-_.]+`)

func pep503(name string) string { return strings.ToLower(pep503Sep.ReplaceAllString(name, "-")) }

// packages lists the document's packages that have a purl, by pkgKey.
func (d *spdxDoc) packages() map[string]bool {
	out := map[string]bool{}
	for _, p := range d.Packages {
		for _, r := range p.ExternalRefs {
			if r.ReferenceType != "purl" {
				continue
			}
			typ, _, ok := strings.Cut(strings.TrimPrefix(r.ReferenceLocator, "pkg:"), "/")
			if ok {
				out[pkgKey(typ, p.Name, p.VersionInfo)] = true
			}
		}
	}
	return out
}

// imagePackages is what SBOM scanners must find in the image: the
// Debian packages recorded in /var/lib/dpkg/status.d (distroless' and
// those distill adds) and the Python distributions (*.dist-info), by
// pkgKey.
func imagePackages(t *testing.T, img *imagetest.Image) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	statusD := regexp.MustCompile(`^(\./)?var/lib/dpkg/status\.d/[^/]+$`)
	distInfo := regexp.MustCompile(`(^|/)([^/]+)-([^/-]+)\.dist-info/`)
	field := func(ctrl []byte, name string) string {
		for _, line := range strings.Split(string(ctrl), "\n") {
			if v, ok := strings.CutPrefix(line, name+": "); ok {
				return strings.TrimSpace(v)
			}
		}
		return ""
	}
	for _, e := range img.Entries(t) {
		name := e.Header.Name
		if statusD.MatchString(name) && !strings.HasSuffix(name, ".md5sums") {
			out[pkgKey("deb", field(e.Data, "Package"), field(e.Data, "Version"))] = true
		}
		if m := distInfo.FindStringSubmatch(name); m != nil {
			out[pkgKey("pypi", m[2], m[3])] = true
		}
	}
	return out
}

// slsa1 is the part of a SLSA v1 provenance predicate, as BuildKit
// writes it, that the test reads.
type slsa1 struct {
	BuildDefinition struct {
		ExternalParameters struct {
			ConfigSource struct {
				Path string `json:"path"`
			} `json:"configSource"`
			Request struct {
				Secrets []struct {
					ID string `json:"id"`
				} `json:"secrets"`
			} `json:"request"`
		} `json:"externalParameters"`
		InternalParameters struct {
			BuildConfig struct {
				LLBDefinition []json.RawMessage `json:"llbDefinition"`
			} `json:"buildConfig"`
		} `json:"internalParameters"`
		ResolvedDependencies []struct {
			URI    string            `json:"uri"`
			Digest map[string]string `json:"digest"`
		} `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Metadata struct {
			BuildKit struct {
				Source struct {
					Locations map[string]struct {
						Locations []struct {
							SourceIndex int               `json:"sourceIndex"`
							Ranges      []json.RawMessage `json:"ranges"`
						} `json:"locations"`
					} `json:"locations"`
					Infos []struct {
						Filename string `json:"filename"`
						Language string `json:"language"`
						Data     []byte `json:"data"`
					} `json:"infos"`
				} `json:"source"`
			} `json:"buildkit_metadata"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// TestSBOM builds the FastAPI example with `--sbom=true
// --provenance=mode=max` and reads the attestation manifest BuildKit
// attaches to the image:
//   - the SBOM is BuildKit's scanner-extras convention: one SPDX document
//     per scan target, each its own in-toto statement (layer) of the same
//     attestation manifest: the runtime image (the core, named "sbom",
//     supplemented by BuildKit with the layer of every file) and the
//     builder stage (the extra "builder", document "sbom-builder", not
//     supplemented). Nothing inside a document marks it as an extra but
//     its name.
//   - the provenance (SLSA v1) has the manifest as its source, with its
//     text, the builder and runtime images as resolved dependencies, and
//     (mode=max) the LLB, which must not hold the CA bundle given as a
//     secret.
func TestSBOM(t *testing.T) {
	requireLab(t)
	dir := example("python-fastapi")
	out, r := buildx(t, dir, "--platform", "linux/amd64", "--sbom=true", "--provenance=mode=max")
	mustSucceed(t, r)
	img := imagetest.Load(t, out, "linux/amd64")
	atts := imagetest.Attestations(t, out, "linux/amd64")
	if len(atts) == 0 {
		t.Fatal("the image has no attestation manifest")
	}

	docs := map[string]*spdxDoc{}
	var order []string
	var prov []imagetest.Statement
	for _, s := range atts {
		switch s.PredicateType {
		case predicateSPDX:
			var d spdxDoc
			s.Decode(t, &d)
			if docs[d.Name] != nil {
				t.Errorf("two SPDX documents named %q", d.Name)
			}
			docs[d.Name] = &d
			order = append(order, d.Name)
		case predicateSLSA1:
			prov = append(prov, s)
		default:
			t.Errorf("unexpected attestation %s", s.PredicateType)
		}
	}
	// BuildKit puts the core first, then the extras.
	if strings.Join(order, ",") != "sbom,sbom-builder" {
		t.Fatalf("SPDX documents = %q, want the core \"sbom\" and the builder stage's \"sbom-builder\"", order)
	}
	core, builder := docs["sbom"], docs["sbom-builder"]
	t.Run("core", func(t *testing.T) { checkCoreSBOM(t, img, core) })
	t.Run("builder", func(t *testing.T) { checkBuilderSBOM(t, core, builder) })

	if len(prov) != 1 {
		t.Fatalf("%d provenance statements of type %s", len(prov), predicateSLSA1)
	}
	t.Run("provenance", func(t *testing.T) { checkProvenance(t, dir, prov[0]) })
}

// checkCoreSBOM: the core document is the runtime image's: every package
// the image records, each file placed in one of the image's layers.
func checkCoreSBOM(t *testing.T, img *imagetest.Image, doc *spdxDoc) {
	got := doc.packages()
	want := imagePackages(t, img)
	for _, k := range []string{"pypi/fastapi@", "pypi/uvicorn@", "pypi/pydantic@", "pypi/starlette@", "deb/libc6@", "deb/python3.13-minimal@", "deb/libssl3t64@"} {
		if !hasPrefix(want, k) {
			t.Errorf("the image has no %s… (the test's expectation is stale)", k)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("the core SBOM lacks %s, which the image records", k)
		}
	}
	// What only the builder has is not in the runtime's SBOM.
	for _, k := range []string{"pypi/pip@", "deb/bash@", "deb/apt@", "deb/dpkg@", "generic/python@"} {
		if hasPrefix(got, k) {
			t.Errorf("the core SBOM has %s…, which is the builder's", k)
		}
	}
	if !hasCreator(doc, "Tool: buildkit-") || !hasCreator(doc, "Tool: syft-") {
		t.Errorf("core creators = %q, want syft's and BuildKit's (which supplements the core)", doc.CreationInfo.Creators)
	}
	layers := map[string]bool{}
	for _, l := range img.Layers {
		sum := sha256.Sum256(l)
		layers["layerID: sha256:"+hex.EncodeToString(sum[:])] = true
	}
	placed := 0
	for _, f := range doc.Files {
		if strings.HasPrefix(f.Comment, "layerID: ") {
			if !layers[f.Comment] {
				t.Errorf("%s: %s is not a layer of the image", f.FileName, f.Comment)
			}
			placed++
		}
	}
	if placed == 0 || placed != len(doc.Files) {
		t.Errorf("%d of %d files in the core SBOM have their layer", placed, len(doc.Files))
	}
	t.Logf("core SBOM: %d packages with a purl (%d recorded in the image), %d files", len(got), len(want), len(doc.Files))
}

// checkBuilderSBOM: the extra is the builder stage, python:3.13-slim
// with the app's environment: its installer, shell, Debian tools and
// source-built CPython, none of which reach the runtime, and the app's
// dependencies it installed.
func checkBuilderSBOM(t *testing.T, core, doc *spdxDoc) {
	if doc == nil {
		t.Fatal(`no "sbom-builder" document: the builder stage is not scanned as an extra`)
	}
	got := doc.packages()
	for _, k := range []string{"pypi/pip@", "deb/bash@", "deb/apt@", "deb/dpkg@", "generic/python@3.13.", "pypi/fastapi@", "pypi/uvicorn@"} {
		if !hasPrefix(got, k) {
			t.Errorf("the builder's SBOM has no %s…", k)
		}
	}
	if hasCreator(doc, "Tool: buildkit-") {
		t.Errorf("the builder's SBOM was supplemented by BuildKit, which does so for the core only: %q", doc.CreationInfo.Creators)
	}
	for _, f := range doc.Files {
		if strings.HasPrefix(f.Comment, "layerID: ") {
			t.Errorf("builder SBOM file %s placed in a layer of the image: %s", f.FileName, f.Comment)
			break
		}
	}
	only := 0
	cp := core.packages()
	for k := range got {
		if !cp[k] {
			only++
		}
	}
	t.Logf("builder SBOM: %d packages with a purl, %d of them not in the runtime", len(got), only)
}

// checkProvenance: mode=max provenance carries the manifest as the build's
// source, the images the build is made from, the LLB, and no CA bundle.
func checkProvenance(t *testing.T, dir string, s imagetest.Statement) {
	var p slsa1
	s.Decode(t, &p)
	bd := p.BuildDefinition
	if got := bd.ExternalParameters.ConfigSource.Path; got != "distill.yaml" {
		t.Errorf("configSource.path = %q", got)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "distill.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src := p.RunDetails.Metadata.BuildKit.Source
	found := -1
	for i, info := range src.Infos {
		if info.Filename == "distill.yaml" {
			found = i
			if !bytes.Equal(info.Data, manifest) {
				t.Errorf("source info distill.yaml holds %q, not the manifest", info.Data)
			}
		}
	}
	if found < 0 {
		t.Fatalf("no source info for distill.yaml (infos: %d)", len(src.Infos))
	}
	mapped := 0
	for _, l := range src.Locations {
		for _, loc := range l.Locations {
			if loc.SourceIndex == found && len(loc.Ranges) > 0 {
				mapped++
			}
		}
	}
	if mapped == 0 {
		t.Error("no build step is located at a manifest line")
	}

	// Every image the build is made from, with its digest, and the same
	// digest the LLB pins.
	llb := bytes.Join(rawAll(bd.InternalParameters.BuildConfig.LLBDefinition), []byte("\n"))
	if len(bd.InternalParameters.BuildConfig.LLBDefinition) == 0 {
		t.Error("mode=max provenance without the LLB definition")
	}
	deps := map[string]string{}
	for _, d := range bd.ResolvedDependencies {
		u, _, _ := strings.Cut(d.URI, "?")
		deps[u] = d.Digest["sha256"]
	}
	for _, w := range []struct{ uri, ref string }{
		{"pkg:docker/python@3.13-slim-trixie", "docker.io/library/python:3.13-slim-trixie"},
		{"pkg:docker/gcr.io/distroless/python3-debian13@nonroot", "gcr.io/distroless/python3-debian13:nonroot"},
		{frontendPurl(), ""},
		{"pkg:docker/docker/buildkit-syft-scanner@stable-1", ""},
	} {
		dg, ok := deps[w.uri]
		switch {
		case !ok || dg == "":
			t.Errorf("resolved dependencies lack %s: %q", w.uri, deps)
		case w.ref != "" && !bytes.Contains(llb, []byte("docker-image://"+w.ref+"@sha256:"+dg)):
			t.Errorf("the LLB does not pin %s to the resolved sha256:%s", w.ref, dg)
		}
	}

	ids := []string{}
	for _, sec := range bd.ExternalParameters.Request.Secrets {
		ids = append(ids, sec.ID)
	}
	if !strings.Contains(" "+strings.Join(ids, " ")+" ", " ca-bundle ") {
		t.Errorf("request secrets = %q, want ca-bundle among them", ids)
	}
	checkNoCABundle(t, s.Raw, llb)
}

// checkNoCABundle: no certificate of the CA bundle given as the ca-bundle
// secret is in the provenance, as text or inside base64 strings of the
// LLB (file contents, for example).
func checkNoCABundle(t *testing.T, raw, llb []byte) {
	bundle, err := os.ReadFile(caBundle)
	if err != nil {
		t.Fatal(err)
	}
	hay := [][]byte{raw}
	for _, m := range regexp.MustCompile(`"([A-Za-z0-9+/]{40,}={0,2})"`).FindAllSubmatch(llb, -1) {
		if b, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
			hay = append(hay, b)
		}
	}
	var needles []string
	for _, block := range strings.Split(string(bundle), "-----BEGIN CERTIFICATE-----")[1:] {
		lines := strings.Fields(block)
		if len(lines) > 0 {
			needles = append(needles, lines[0]) // each certificate's first base64 line
		}
	}
	if len(needles) == 0 {
		t.Fatalf("%s holds no certificate", caBundle)
	}
	for _, h := range hay {
		if bytes.Contains(h, []byte("BEGIN CERTIFICATE")) {
			t.Error("the provenance holds a PEM certificate")
			return
		}
		for _, n := range needles {
			if bytes.Contains(h, []byte(n)) {
				t.Errorf("the provenance holds a certificate of %s (%s…)", caBundle, n[:16])
				return
			}
		}
	}
	t.Logf("provenance: %d certificates of the CA bundle looked for in %d bytes and %d base64 strings", len(needles), len(raw), len(hay)-1)
}

func rawAll(ms []json.RawMessage) [][]byte {
	out := make([][]byte, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func hasPrefix(set map[string]bool, prefix string) bool {
	for k := range set {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func hasCreator(d *spdxDoc, prefix string) bool {
	for _, c := range d.CreationInfo.Creators {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}
