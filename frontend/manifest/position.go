package manifest

import (
	"errors"
	"fmt"
)

// Pos is a 1-based position in the manifest file. The zero Pos means
// "unknown" (a default value that no line of the file wrote).
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Known reports whether p points into the file.
func (p Pos) Known() bool { return p.Line > 0 }

// Range is the span of one YAML value, from its first character to the end
// of its last line.
type Range struct {
	Start Pos `json:"start"`
	End   Pos `json:"end"`
}

// Known reports whether r points into the file.
func (r Range) Known() bool { return r.Start.Known() }

// Error is a problem in the manifest, located in the file.
type Error struct {
	File  string
	Range Range
	// Msg says what is wrong; Hint says how to fix it.
	Msg  string
	Hint string
	// Rule, when set, is the `--call=check` rule this error is: check
	// reports it as a finding of that rule instead of failing.
	Rule string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Range.Known() {
		s = fmt.Sprintf("%s:%d:%d: %s", e.File, e.Range.Start.Line, e.Range.Start.Column, e.Msg)
	} else if e.File != "" {
		s = e.File + ": " + e.Msg
	}
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Errors returns every *Error joined in err, in order.
func Errors(err error) []*Error {
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		walk(errors.Unwrap(err))
	}
	walk(err)
	return out
}
