package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Registry pushes to one repository of a registry over the Registry HTTP
// API v2, without authentication; plain HTTP for loopback hosts.
type Registry struct {
	Host   string // host:port
	Repo   string
	Client *http.Client // nil: one with a generous timeout
}

var defaultClient = &http.Client{Timeout: 15 * time.Minute}

func (r *Registry) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return defaultClient
}

func (r *Registry) url(path string) string {
	scheme := "https"
	if isLoopback(r.Host) {
		scheme = "http"
	}
	return fmt.Sprintf("%s://%s/v2/%s/%s", scheme, r.Host, r.Repo, path)
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

// HasBlob asks whether the repository has the blob (HEAD).
func (r *Registry) HasBlob(digest string) (bool, error) {
	resp, err := r.client().Head(r.url("blobs/" + digest))
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("HEAD blob %s: %s", digest, resp.Status)
}

// PutBlob uploads a blob monolithically: POST to open an upload, then one
// PUT of the whole content with its digest.
func (r *Registry) PutBlob(digest string, size int64, open opener) error {
	resp, err := r.client().Post(r.url("blobs/uploads/"), "", nil)
	if err != nil {
		return err
	}
	if err := expect(resp, http.StatusAccepted); err != nil {
		return fmt.Errorf("starting upload of %s: %w", digest, err)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return fmt.Errorf("upload location: %w", err)
	}
	base, err := url.Parse(r.url(""))
	if err != nil {
		return err
	}
	loc = base.ResolveReference(loc)
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()

	body, err := open()
	if err != nil {
		return err
	}
	defer body.Close()
	req, err := http.NewRequest(http.MethodPut, loc.String(), body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = r.client().Do(req)
	if err != nil {
		return fmt.Errorf("uploading %s: %w", digest, err)
	}
	if err := expect(resp, http.StatusCreated); err != nil {
		return fmt.Errorf("uploading %s: %w", digest, err)
	}
	return nil
}

// PutManifest stores a manifest or an index under a tag or its digest.
func (r *Registry) PutManifest(ref, mediaType string, body []byte) error {
	req, err := http.NewRequest(http.MethodPut, r.url("manifests/"+ref), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := r.client().Do(req)
	if err != nil {
		return fmt.Errorf("putting manifest %s: %w", ref, err)
	}
	if err := expect(resp, http.StatusCreated); err != nil {
		return fmt.Errorf("putting manifest %s: %w", ref, err)
	}
	return nil
}

// expect closes resp and fails unless it has the status, quoting the
// registry's error body.
func expect(resp *http.Response, status int) error {
	defer resp.Body.Close()
	if resp.StatusCode == status {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
}
