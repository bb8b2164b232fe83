package imagetest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestExistsFollowsLinksInsideRootfs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	must(os.WriteFile(filepath.Join(root, "usr/bin/sh"), nil, 0o755))
	must(os.Symlink("usr/bin", filepath.Join(root, "bin")))
	// An absolute link resolves inside the rootfs, never on the host.
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.Symlink("/usr/bin/sh", filepath.Join(root, "etc/shell")))
	must(os.Symlink("/etc/hostname", filepath.Join(root, "etc/host-file")))
	for p, want := range map[string]bool{
		"/bin/sh": true, "/usr/bin/sh": true, "/etc/shell": true,
		"/bin/bash": false, "/etc/host-file": false, "/nonexistent/x": false,
	} {
		if got := Exists(root, p); got != want {
			t.Errorf("Exists(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestLookupUser(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user     string
		uid, gid int
		err      bool
	}{
		{"", 0, 0, false}, {"65532", 65532, 65532, false}, {"65532:100", 65532, 100, false},
		{"nonroot", 65532, 65532, false}, {"www", 0, 0, true},
	} {
		uid, gid, err := lookupUser(root, tc.user)
		if (err != nil) != tc.err || uid != tc.uid || gid != tc.gid {
			t.Errorf("lookupUser(%q) = %d, %d, %v", tc.user, uid, gid, err)
		}
	}
}
