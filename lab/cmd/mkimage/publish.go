package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/match"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// push sends the index, its images and their blobs to repo on the registry
// at host ("host:port") and tags it with each tag. Blobs the registry has
// are not sent again. No authentication; plain HTTP for loopback hosts.
func push(host, repo string, tags []string, index v1.ImageIndex) error {
	var opts []name.Option
	if isLoopback(host) {
		opts = append(opts, name.Insecure)
	}
	todo := map[name.Reference]remote.Taggable{}
	for _, tag := range tags {
		ref, err := name.NewTag(host+"/"+repo+":"+tag, opts...)
		if err != nil {
			return err
		}
		todo[ref] = index
	}
	if err := remote.MultiWrite(todo, remote.WithAuth(authn.Anonymous)); err != nil {
		return fmt.Errorf("pushing %s/%s: %w", host, repo, err)
	}
	return nil
}

func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// writeLayout writes the index, its images and their blobs to the OCI
// layout in dir and lists it in index.json under each tag (the
// org.opencontainers.image.ref.name annotation). Writing into an existing
// layout adds to it; a tag written again replaces its old entry.
func writeLayout(dir string, tags []string, index v1.ImageIndex) error {
	p, err := layout.FromPath(dir)
	if errors.Is(err, fs.ErrNotExist) {
		p, err = layout.Write(dir, empty.Index)
	}
	if err != nil {
		return err
	}
	for _, tag := range tags {
		ref := map[string]string{ocispec.AnnotationRefName: tag}
		if err := p.ReplaceIndex(index, match.Annotation(ocispec.AnnotationRefName, tag), layout.WithAnnotations(ref)); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}
