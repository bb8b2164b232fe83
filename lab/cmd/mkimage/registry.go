package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"
)

// Registry pushes to one repository of a plain-HTTP registry.
type Registry struct {
	Host string
	Repo string
}

var client = &http.Client{Timeout: 10 * time.Minute}

func (r *Registry) url(path string) string {
	return fmt.Sprintf("http://%s/v2/%s/%s", r.Host, r.Repo, path)
}

// PushBlobFile uploads a file unless the registry has the blob.
func (r *Registry) PushBlobFile(digest, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return r.PushBlob(digest, f, fi.Size())
}

// PushBlob uploads a blob monolithically unless the registry has it.
func (r *Registry) PushBlob(digest string, body io.Reader, size int64) error {
	resp, err := client.Head(r.url("blobs/" + digest))
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	resp, err = client.Post(r.url("blobs/uploads/"), "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("starting upload of %s: %s", digest, resp.Status)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	base, _ := url.Parse(r.url(""))
	loc = base.ResolveReference(loc)
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodPut, loc.String(), body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("uploading %s: %s: %s", digest, resp.Status, b)
	}
	return nil
}

// PutManifest stores a manifest or index under a tag or digest.
func (r *Registry) PutManifest(ref, mediaType string, body []byte) error {
	req, err := http.NewRequest(http.MethodPut, r.url("manifests/"+ref), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("putting manifest %s: %s: %s", ref, resp.Status, b)
	}
	return nil
}
