// Command mkimage assembles the lab's fixture images from root filesystem
// trees and tarballs and pushes them, as an OCI image index with one
// manifest per platform, to a registry over the Registry HTTP API v2, or
// writes them to an OCI image layout directory. The lab has no docker
// engine and assumes no image tool: images, indexes, the push and the layout
// are go-containerregistry's; the layers are archived and compressed here.
//
//	mkimage [-registry host:port] [-cache dir] spec.json
//	mkimage -oci-layout dir spec.json
//
// spec.json describes one multi-platform image and the tags it gets:
//
//	{"repository": "distroless/static-debian13", "tags": ["nonroot"],
//	 "annotations": {"org.opencontainers.image.source": "…"},
//	 "platforms": [{"platform": "linux/arm64",
//	                "layers": ["rootfs/", "extra.tar",
//	                           {"path": "home/", "comment": "home dirs",
//	                            "overrides": {"home/nonroot": {"uid": 65532, "gid": 65532, "mode": "0700"}}}],
//	                "config": {"User": "65532", "WorkingDir": "/home/nonroot", "Env": ["PATH=…"]}}]}
//
// A directory layer is archived deterministically: entries in lexical
// order, ownership and modes from disk (or from overrides), hard links kept,
// device nodes and sockets left out, every mtime SOURCE_DATE_EPOCH (or 0).
// A .tar layer is taken as it is. Layers are gzip-compressed with a fixed
// header; with -cache, compressed layers are kept by diff ID and reused.
// The image config's "created" and history times are the same fixed time.
// The config object takes the fields of an image config (User, Env,
// Entrypoint, Cmd, WorkingDir, …); an unknown field is an error.
// Registries on loopback addresses are spoken to over plain HTTP, without
// authentication.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Spec is one image: a config and layers per platform, pushed under tags.
type Spec struct {
	Repository  string            `json:"repository"`
	Tags        []string          `json:"tags"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platforms   []PlatformSpec    `json:"platforms"`
}

// PlatformSpec is the image of one platform ("os/arch[/variant]").
type PlatformSpec struct {
	Platform string      `json:"platform"`
	Layers   []LayerSpec `json:"layers"`
	Config   ImageConfig `json:"config"`
}

// ImageConfig is the "config" object of an image config. In a spec, a field
// it does not have is an error rather than left out of the image.
type ImageConfig v1.Config

// UnmarshalJSON decodes the object, refusing unknown fields.
func (c *ImageConfig) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode((*v1.Config)(c))
}

// LayerSpec is a layer's source: a directory or a .tar file. In JSON it is
// either the path alone or an object.
type LayerSpec struct {
	Path      string              `json:"path"`
	Comment   string              `json:"comment,omitempty"`
	Overrides map[string]Override `json:"overrides,omitempty"`
}

// Override sets the owner or mode of one path (relative to the layer's
// directory) in the archive, whatever it is on disk.
type Override struct {
	UID  *int   `json:"uid,omitempty"`
	GID  *int   `json:"gid,omitempty"`
	Mode string `json:"mode,omitempty"` // octal permission bits, e.g. "1777"
}

// UnmarshalJSON accepts a bare path as well as an object.
func (l *LayerSpec) UnmarshalJSON(b []byte) error {
	var path string
	if err := json.Unmarshal(b, &path); err == nil {
		*l = LayerSpec{Path: path}
		return nil
	}
	type plain LayerSpec
	return json.Unmarshal(b, (*plain)(l))
}

func main() {
	registry := flag.String("registry", envOr("DISTILL_REGISTRY", "127.0.0.1:5000"), "registry `host:port` to push to")
	cache := flag.String("cache", "", "`dir` keeping compressed layers by diff ID between runs")
	layout := flag.String("oci-layout", "", "write an OCI image layout to `dir` instead of pushing")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: mkimage [-registry host:port | -oci-layout dir] [-cache dir] spec.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*registry, *layout, *cache, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(registry, layout, cache, specFile string) error {
	spec, err := readSpec(specFile)
	if err != nil {
		return err
	}
	epoch, err := sourceDateEpoch()
	if err != nil {
		return err
	}
	if cache == "" {
		tmp, err := os.MkdirTemp("", "mkimage-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cache = tmp
	}
	b := &Builder{Layers: &LayerCache{Dir: cache, Epoch: epoch}, Created: epoch}
	index, err := b.Index(spec)
	if err != nil {
		return err
	}
	where := registry + "/" + spec.Repository
	if layout != "" {
		where = layout
		err = writeLayout(layout, spec.Tags, index)
	} else {
		err = push(registry, spec.Repository, spec.Tags, index)
	}
	if err != nil {
		return err
	}
	digest, err := index.Digest()
	if err != nil {
		return err
	}
	for _, tag := range spec.Tags {
		fmt.Printf("%s:%s %s\n", where, tag, digest)
	}
	return nil
}

func readSpec(file string) (Spec, error) {
	var spec Spec
	data, err := os.ReadFile(file)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("reading %s: %w", file, err)
	}
	switch {
	case spec.Repository == "":
		return spec, fmt.Errorf("%s: no repository", file)
	case len(spec.Tags) == 0:
		return spec, fmt.Errorf("%s: no tags", file)
	case len(spec.Platforms) == 0:
		return spec, fmt.Errorf("%s: no platforms", file)
	}
	for _, ps := range spec.Platforms {
		if _, err := parsePlatform(ps.Platform); err != nil {
			return spec, fmt.Errorf("%s: %w", file, err)
		}
	}
	return spec, nil
}

// sourceDateEpoch is the fixed time of layer entries and configs:
// $SOURCE_DATE_EPOCH, or the Unix epoch.
func sourceDateEpoch() (time.Time, error) {
	v := os.Getenv("SOURCE_DATE_EPOCH")
	if v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
	}
	return time.Unix(secs, 0).UTC(), nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
