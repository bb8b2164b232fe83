package manifest

import (
	"cmp"
	"slices"
	"strings"
)

// Every stage that reads the manifest (the decoder here, then resolve and
// the language providers) checks it in passes that keep going past a
// problem: each adds what it finds to an Errs and goes on with what does
// not depend on it, so that one run reports every mistake. Join puts them
// in the file's order, which is not the order the passes run in.

// Errs collects the errors of checks that keep going.
type Errs []error

// Add records err when there is one, and reports whether there was: a
// check whose result later checks read stops them with `if errs.Add(err)`.
func (e *Errs) Add(err error) bool {
	if err == nil {
		return false
	}
	*e = append(*e, err)
	return true
}

// Err is every error collected, in file order (Join); nil when none.
func (e Errs) Err() error { return Join(e...) }

// Join joins errors in the manifest's order: every *Error among them
// (joined ones flattened) sorted by where it starts, each once (passes
// that run per platform find the same mistake once per platform), those
// without a position after those with one, and errors that are not about
// the manifest (reading the context failed) last. It returns nil for no
// error and the error itself for one; several are one error whose
// message has a line each and whose Unwrap lists them in that order.
func Join(errs ...error) error {
	var located, unlocated, other []error
	seen := map[Error]bool{}
	for _, err := range errs {
		for _, err := range flatten(err) {
			e, ok := err.(*Error)
			if !ok {
				other = append(other, err)
				continue
			}
			key := *e
			key.File = ""
			if seen[key] {
				continue
			}
			seen[key] = true
			if e.Range.Known() {
				located = append(located, e)
			} else {
				unlocated = append(unlocated, e)
			}
		}
	}
	slices.SortStableFunc(located, func(a, b error) int {
		return comparePos(a.(*Error).Range.Start, b.(*Error).Range.Start)
	})
	all := slices.Concat(located, unlocated, other)
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	}
	return joined(all)
}

func comparePos(a, b Pos) int {
	return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
}

// within reports whether r lies inside outer.
func (r Range) within(outer Range) bool {
	return r.Known() && outer.Known() && comparePos(outer.Start, r.Start) <= 0 && comparePos(r.End, outer.End) <= 0
}

// joined is several errors, one per line. (errors.Join's would do but for
// the type: Join's callers and Errors walk this one.)
type joined []error

func (j joined) Error() string {
	s := make([]string, len(j))
	for i, e := range j {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (j joined) Unwrap() []error { return j }

// Err is every problem of the manifest: what Parse found, and errs, what
// the later stages found reading the manifest Parse returned with its
// error (nil ones are none), in file order (Join). An error of errs
// inside a value Parse could not read is left out: it follows from that
// one (a field of the wrong type reads as empty, and whatever checks it
// next finds it wrong again). Errors that name the manifest as Parse was
// given it name it as it is named now (the frontend names it by its path
// in the context once it has found it there).
func (m *Manifest) Err(errs ...error) error {
	var all []error
	for _, e := range m.errs {
		all = append(all, m.renamed(e))
	}
	for _, err := range errs {
		for _, e := range flatten(err) {
			if me, ok := e.(*Error); ok {
				if m.unreadable(me.Range) {
					continue
				}
				e = m.renamed(me)
			}
			all = append(all, e)
		}
	}
	return Join(all...)
}

// renamed is e naming the manifest by its current name.
func (m *Manifest) renamed(e *Error) *Error {
	if e.File != m.parsedAs || e.File == m.File {
		return e
	}
	c := *e
	c.File = m.File
	return &c
}

// unreadable reports whether r is inside a value Parse could not read.
func (m *Manifest) unreadable(r Range) bool {
	for _, u := range m.unread {
		if r.within(u) {
			return true
		}
	}
	return false
}

// flatten lists the errors joined in err (err itself when it joins none).
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}
