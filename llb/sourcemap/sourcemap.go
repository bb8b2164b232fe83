// Package sourcemap connects plan origins (manifest lines) to BuildKit:
// op locations, so a failing step is shown with its manifest snippet, and
// errdefs sources for errors raised before any op runs. Every method is
// nil-safe so callers never branch on whether a map is present.
package sourcemap

import (
	"github.com/distill-build/distill/llb/plan"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

// Map wraps the manifest's llb.SourceMap.
type Map struct {
	sm *llb.SourceMap
}

// New wraps sm; a nil sm gives a Map that locates nothing.
func New(sm *llb.SourceMap) *Map { return &Map{sm: sm} }

// Range is a span of lines and columns, 1-based.
type Range struct {
	StartLine, StartColumn, EndLine, EndColumn int
}

// PB is r as a BuildKit range (0-based characters).
func (r Range) PB() *pb.Range {
	end := r.EndLine
	if end < r.StartLine {
		end = r.StartLine
	}
	return &pb.Range{
		Start: &pb.Position{Line: int32(r.StartLine), Character: int32(max(r.StartColumn-1, 0))},
		End:   &pb.Position{Line: int32(end), Character: int32(max(r.EndColumn-1, 0))},
	}
}

// OriginRange is the origin's manifest lines as a BuildKit range, or nil
// when the origin has no line.
func OriginRange(o plan.Origin) *pb.Range {
	if o.Line <= 0 {
		return nil
	}
	return Range{StartLine: o.Line, EndLine: o.EndLine}.PB()
}

// Location returns the option that attaches the origin's lines to an op,
// or nothing when the origin has no line.
func (m *Map) Location(o plan.Origin) []llb.ConstraintsOpt {
	r := OriginRange(o)
	if m == nil || m.sm == nil || r == nil {
		return nil
	}
	return []llb.ConstraintsOpt{m.sm.Location([]*pb.Range{r})}
}

// WithSource attaches the manifest snippet at each range to err, one
// source a range, so buildx prints file:line and the lines around each,
// in the order of ranges: errdefs.Sources lists the innermost source
// first, so the first range is attached first (as the Dockerfile frontend
// attaches its locations). BuildKit's gRPC reverses the order of an
// error's sources at each hop, and an error crosses two (the frontend's
// return to the daemon, the daemon's to the client): the client sees
// this order.
func (m *Map) WithSource(err error, ranges ...Range) error {
	if m == nil || m.sm == nil || err == nil {
		return err
	}
	info := &pb.SourceInfo{Data: m.sm.Data, Filename: m.sm.Filename, Language: m.sm.Language}
	if m.sm.Definition != nil {
		info.Definition = m.sm.Definition.ToPB()
	}
	for _, r := range ranges {
		if r.StartLine > 0 {
			err = errdefs.WithSource(err, &errdefs.Source{Info: info, Ranges: []*pb.Range{r.PB()}})
		}
	}
	return err
}
