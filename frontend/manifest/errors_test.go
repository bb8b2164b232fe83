package manifest

import (
	"errors"
	"strings"
	"testing"
)

func at(line, col int, msg string) *Error {
	return &Error{File: "distill.yaml", Range: Range{Start: Pos{line, col}, End: Pos{line, col + 3}}, Msg: msg}
}

// TestJoin: errors in the order of the file whatever the order found,
// joined ones flattened, each once, the unlocated then the foreign last.
func TestJoin(t *testing.T) {
	t.Parallel()
	io := errors.New("reading go.mod: connection reset")
	err := Join(at(7, 1, "g"), nil, io, Join(at(2, 5, "b"), at(2, 1, "a")), &Error{File: "distill.yaml", Msg: "nowhere"}, at(7, 1, "g"))
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		got = append(got, e.Error())
	}
	want := []string{"distill.yaml:2:1: a", "distill.yaml:2:5: b", "distill.yaml:7:1: g", "distill.yaml: nowhere", "reading go.mod: connection reset"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Join =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if Join() != nil || Join(nil, nil) != nil {
		t.Error("Join of no error is not nil")
	}
	if one := at(1, 1, "x"); Join(nil, one) != error(one) {
		t.Error("Join of one error is not that error")
	}
	var errs Errs
	if errs.Add(nil) || !errs.Add(at(3, 1, "c")) || !errs.Add(at(1, 1, "a")) {
		t.Error("Add reports wrongly whether there was an error")
	}
	if got := errs.Err().Error(); got != "distill.yaml:1:1: a\ndistill.yaml:3:1: c" {
		t.Errorf("Errs.Err = %q", got)
	}
}

// TestParsePartial: a manifest with mistakes is returned with them, its
// readable fields set; what later passes find inside a value Parse could
// not read is not reported again (Err), what they find elsewhere is, in
// file order, naming the manifest as it is named now.
func TestParsePartial(t *testing.T) {
	t.Parallel()
	src := "language: go\nversion: [1]\nuser: bob\nentrypoint: []\nexpose: [80, x]\n"
	m, err := Parse("distill.yaml", []byte(src))
	if m == nil || err == nil {
		t.Fatalf("Parse = %v, %v: want the manifest and its errors", m, err)
	}
	if m.Language.Value != "go" || m.User.Value != "bob" || !m.Version.Set() || m.Version.Value != "" || len(m.Expose.Items) != 1 {
		t.Errorf("partial manifest = %+v", m)
	}
	if n := len(Errors(err)); n != 3 {
		t.Errorf("Parse found %d errors, want 3 (version, entrypoint, port): %v", n, err)
	}
	m.File = "services/api/distill.yaml"
	later := []error{
		&Error{File: "distill.yaml", Range: Range{Start: Pos{3, 7}, End: Pos{3, 10}}, Msg: `unknown user "bob"`},
		// Inside version's unreadable value: follows from its error.
		&Error{File: "distill.yaml", Range: m.Version.Range, Msg: `invalid Go version ""`},
		nil,
	}
	var got []string
	for _, e := range Errors(m.Err(later...)) {
		got = append(got, e.Error())
	}
	want := []string{
		"services/api/distill.yaml:2:10: expected a string, found a list",
		"services/api/distill.yaml:3:7: unknown user",
		"services/api/distill.yaml:4:13: entrypoint: is an empty list",
		`services/api/distill.yaml:5:14: invalid port "x"`,
	}
	if len(got) != len(want) {
		t.Fatalf("Err =\n%s\nwant %d errors", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want %q…", i, got[i], want[i])
		}
	}
	// A manifest without mistakes has none of its own.
	ok, err := Parse("distill.yaml", []byte("language: go\n"))
	if err != nil || ok.Err() != nil || ok.Err(nil) != nil {
		t.Errorf("valid manifest: %v, %v", err, ok.Err())
	}
}
