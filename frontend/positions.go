package frontend

import (
	"github.com/distill-build/distill/frontend/manifest"
	"github.com/distill-build/distill/llb/plan"
	"github.com/distill-build/distill/llb/sourcemap"
	"github.com/moby/buildkit/solver/pb"
)

// The conversions of manifest positions for BuildKit: source errors,
// warning ranges and subrequest locations. Locations point into source 0,
// the manifest, the only source distill's answers carry.

// sourceError attaches the manifest lines of every manifest error in err,
// a source each, in the errors' order (file order, manifest.Join): buildx
// prints a snippet per error.
func sourceError(sm *sourcemap.Map, err error) error {
	var ranges []sourcemap.Range
	for _, e := range manifest.Errors(err) {
		if e.Range.Known() {
			ranges = append(ranges, smRange(e.Range))
		}
	}
	if len(ranges) == 0 {
		return err
	}
	return sm.WithSource(err, ranges...)
}

func smRange(r manifest.Range) sourcemap.Range {
	return sourcemap.Range{StartLine: r.Start.Line, StartColumn: r.Start.Column, EndLine: r.End.Line, EndColumn: r.End.Column}
}

func pbRange(r manifest.Range) *pb.Range {
	return smRange(r).PB()
}

// warnRange is a warning's range: none when the range is unknown.
func warnRange(r manifest.Range) []*pb.Range {
	if !r.Known() {
		return nil
	}
	return []*pb.Range{pbRange(r)}
}

// rangeLocation points at a manifest range.
func rangeLocation(r manifest.Range) *pb.Location {
	if !r.Known() {
		return nil
	}
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{pbRange(r)}}
}

// location points at an origin's manifest lines.
func location(o plan.Origin) *pb.Location {
	r := sourcemap.OriginRange(o)
	if r == nil {
		return nil
	}
	return &pb.Location{SourceIndex: 0, Ranges: []*pb.Range{r}}
}
