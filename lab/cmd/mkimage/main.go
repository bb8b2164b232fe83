// Command mkimage assembles the lab's fixture images from root filesystem
// trees and tarballs, and pushes them to a registry over the Registry HTTP
// API v2 as an OCI image index. Standard library only: the lab has no
// docker engine, and no image tool is assumed.
//
//	mkimage -registry 127.0.0.1:5000 spec.json
//
// spec.json:
//
//	{"repository": "distroless/static-debian13", "tags": ["nonroot"],
//	 "platforms": [{"platform": "linux/arm64", "layers": ["dir/", "x.tar"],
//	                "config": {"User": "65532", ...}}]}
//
// A directory layer is archived deterministically (sorted, ownership and
// modes from disk, fixed mtimes); a .tar layer is compressed as it is.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Spec is one image: the same config shape per platform, several tags.
type Spec struct {
	Repository string         `json:"repository"`
	Tags       []string       `json:"tags"`
	Platforms  []PlatformSpec `json:"platforms"`
}

// PlatformSpec is the image of one platform.
type PlatformSpec struct {
	Platform string          `json:"platform"`
	Layers   []string        `json:"layers"`
	Config   json.RawMessage `json:"config"`
}

func main() {
	registry := flag.String("registry", envOr("DISTILL_REGISTRY", "127.0.0.1:5000"), "registry host:port (plain HTTP)")
	cache := flag.String("cache", "", "directory caching compressed layers (by source path and mtime)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mkimage [-registry host:port] [-cache dir] spec.json")
		os.Exit(2)
	}
	if err := run(*registry, *cache, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(registry, cache, specFile string) error {
	data, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	var spec Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("reading %s: %w", specFile, err)
	}
	r := &Registry{Host: registry, Repo: spec.Repository}
	var manifests []Descriptor
	for _, ps := range spec.Platforms {
		desc, err := buildPlatform(r, cache, ps)
		if err != nil {
			return fmt.Errorf("%s %s: %w", spec.Repository, ps.Platform, err)
		}
		manifests = append(manifests, desc)
	}
	index, err := json.Marshal(Index{SchemaVersion: 2, MediaType: MediaTypeIndex, Manifests: manifests})
	if err != nil {
		return err
	}
	for _, tag := range spec.Tags {
		if err := r.PutManifest(tag, MediaTypeIndex, index); err != nil {
			return err
		}
		fmt.Printf("pushed %s/%s:%s (%s)\n", registry, spec.Repository, tag, strings.Join(platformsOf(spec), ", "))
	}
	return nil
}

func platformsOf(s Spec) []string {
	var out []string
	for _, p := range s.Platforms {
		out = append(out, p.Platform)
	}
	return out
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
