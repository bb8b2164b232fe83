package python

import (
	"slices"
	"strings"
	"testing"
)

func TestSpecifier(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec, want string
		ok         bool
	}{
		{">=3.9", "3.13", true},
		{">=3.9,<3.13", "3.12", true},
		{"~=3.11", "3.13", true},
		{"~=3.11.2", "3.11", true},
		{"==3.12.*", "3.12", true},
		{"!=3.13.*", "3.14", true},
		{"^3.10", "3.13", true},
		{"~3.10", "3.10", true},
		{">=3.12.14", "3.13", true},
		{">3.14.6", "", false},
		{"<3.10", "", false},
	} {
		s, err := parseSpecifier(tc.spec)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		got, ok := pickMinor(s)
		if got != tc.want || ok != tc.ok {
			t.Errorf("pickMinor(%s) = %q, %v; want %q, %v", tc.spec, got, ok, tc.want, tc.ok)
		}
	}
	if _, err := parseSpecifier(">= three"); err == nil {
		t.Error("no error for a malformed constraint")
	}
}

// TestSpecifierPEP440 checks specifiers release by release; the wanted
// releases are what Python's packaging.specifiers.SpecifierSet contains,
// and for Poetry's syntax what Poetry documents.
func TestSpecifierPEP440(t *testing.T) {
	t.Parallel()
	releases := strings.Fields("3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5 4.0")
	for _, tc := range []struct{ spec, allows string }{
		{">=3.10,<3.14", "3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20"},
		{"~=3.11", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2"},
		{"~=3.11.2", "3.11.15 3.11.2"},
		{"==3.12.*", "3.12.13 3.12.0"},
		{"!=3.13", "3.14.6 3.13.14 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5 4.0"},
		{"!=3.13.*", "3.14.6 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5 4.0"},
		{">3.12", "3.14.6 3.13.14 3.13.0 3.12.13 4.0"},
		{"<=3.12", "3.12.0 3.11.15 3.11.2 3.10.20 3.9.5"},
		{">=3.10, !=3.11.*, <4", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.10.20"},
		{"===3.12.13", "3.12.13"},
		{">=3.12.0rc1", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 4.0"},
		{"<3.13.0a1", "3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5"},
		{"==3.*", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5"},
		{"> 3.11 , < 3.13", "3.12.13 3.12.0 3.11.15 3.11.2"},
		// Poetry.
		{"^3.11", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2"},
		{"~3.12", "3.12.13 3.12.0"},
		{"~3.11.2", "3.11.15 3.11.2"},
		{"3.12.*", "3.12.13 3.12.0"},
		{"*", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2 3.10.20 3.9.5 4.0"},
		{">=3.10 <3.12", "3.11.15 3.11.2 3.10.20"},
		{"^3.9,!=3.10.*", "3.14.6 3.13.14 3.13.0 3.12.13 3.12.0 3.11.15 3.11.2 3.9.5"},
		{"~3.10 || ^3.13", "3.14.6 3.13.14 3.13.0 3.10.20"},
	} {
		s, err := parseSpecifier(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		var got []string
		for _, r := range releases {
			if s.allows(r) {
				got = append(got, r)
			}
		}
		if strings.Join(got, " ") != tc.allows {
			t.Errorf("%s allows %v, want %s", tc.spec, got, tc.allows)
		}
	}
	for _, bad := range []string{">= three", "~=3", ">=3.10.*", "python3.12", "3.1x", ">=3.10;<3.12"} {
		if _, err := parseSpecifier(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRequirementsRefs(t *testing.T) {
	t.Parallel()
	files, local := requirementsRefs([]byte("# c\n-r base.txt\n--constraint=c.txt\n-rdev.txt\nflask==3.0 # pinned\n--hash=sha256:aa\n"))
	if !slices.Equal(files, []string{"base.txt", "c.txt", "dev.txt"}) || len(local) > 0 {
		t.Errorf("refs = %v, local = %v", files, local)
	}
	for _, tc := range []struct {
		line, path string
		editable   bool
	}{
		{"-e .", ".", true},
		{"./pkg", "pkg", false},
		{"mypkg @ file:///src/pkg", "", false},
		{"/opt/pkg", "", false},
		{"../../libs/shared", "../../libs/shared", false},
		{"../../libs/shared[fast] ; python_version >= '3.11'", "../../libs/shared", false},
		{"-e ../../libs/shared", "../../libs/shared", true},
		{"--editable=../x", "../x", true},
		{"-e git+https://example.com/x.git#egg=x", "", true},
		{"file:../dist/x-1.0-py3-none-any.whl", "../dist/x-1.0-py3-none-any.whl", false},
		{"shared @ file:../../libs/shared", "../../libs/shared", false},
	} {
		_, local := requirementsRefs([]byte(tc.line + "\n"))
		if len(local) != 1 || local[0].path != tc.path || local[0].editable != tc.editable {
			t.Errorf("%q: local %+v, want path %q, editable %v", tc.line, local, tc.path, tc.editable)
		}
	}
}

func TestPipenvRequirements(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, lock, err string }{
		{"unpinned", `{"default": {"six": {"version": "*", "hashes": ["sha256:aa"]}}}`, "not pinned"},
		{"no hashes", `{"default": {"six": {"version": "==1.0"}}}`, "no hashes"},
		{"git", `{"default": {"x": {"git": "https://example.com/x.git", "ref": "abc"}}}`, "git repository"},
		{"not json", `[`, "not valid JSON at line 1"},
	} {
		_, _, err := pipenvRequirements([]byte(tc.lock))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	reqs, v, err := pipenvRequirements([]byte(`{"_meta": {"requires": {"python_full_version": "3.12.4"}}, "default": {"b": {"version": "==2", "hashes": ["sha256:2"], "extras": ["x"]}, "a": {"version": "==1", "hashes": ["sha256:1"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "# generated by distill from Pipfile.lock (default packages)\na==1 \\\n    --hash=sha256:1\nb[x]==2 \\\n    --hash=sha256:2\n"
	if reqs != want || v != "3.12" {
		t.Errorf("got %q, %q", reqs, v)
	}
}
