package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"testing"
)

// sample is an image size panel on a log axis and a package count panel.
func sample() []Panel {
	groups := []string{"FastAPI", "emoji", "Go server", "Express API"}
	return []Panel{
		{
			Title:  "Image size",
			Unit:   "MB",
			Log:    true,
			Groups: groups,
			Series: []Series{
				{Name: "full", Values: []float64{1100, 1020, 931, 1110}},
				{Name: "slim", Values: []float64{160, 152, 310, 240}},
				{Name: "hand-written distroless", Values: []float64{60, 58, 8.6, 155}},
				{Name: "distill", Values: []float64{55, 51, 0}}, // Express API missing
			},
		},
		{
			Title:  "Packages in the image",
			Unit:   "packages",
			Groups: groups,
			Series: []Series{
				{Name: "full", Values: []float64{450, 442, 431, 447}},
				{Name: "slim", Values: []float64{120, 118, 96, 104}},
				{Name: "hand-written distroless", Values: []float64{30, 29, 4, 31}},
				{Name: "distill", Values: []float64{28, 27, 0, 26}},
			},
		},
	}
}

// encode returns the PNG of panels, failing the test on an error.
func encode(t *testing.T, width int, panels ...Panel) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PNG(&b, width, panels...); err != nil {
		t.Fatalf("PNG: %v", err)
	}
	return b.Bytes()
}

// decode decodes a PNG, failing the test on an error.
func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("png.Decode: %v", err)
	}
	return img
}

func TestPNGSize(t *testing.T) {
	for _, width := range []int{300, 800, 1600} {
		b := decode(t, encode(t, width, sample()...)).Bounds()
		if b.Dx() != width {
			t.Errorf("width %d: image is %d px wide", width, b.Dx())
		}
		// Two panels of 4 groups of 4 bars of 14 px, with titles and axes.
		if b.Dy() < 2*4*4*barH || b.Dy() > 1200 {
			t.Errorf("width %d: image is %d px high", width, b.Dy())
		}
	}
}

func TestPNGDeterministic(t *testing.T) {
	if a, b := encode(t, 800, sample()...), encode(t, 800, sample()...); !bytes.Equal(a, b) {
		t.Error("two renders of the same panels differ")
	}
}

func TestPNGErrors(t *testing.T) {
	ok := Panel{Title: "t", Unit: "MB", Groups: []string{"a"}, Series: []Series{{Name: "s", Values: []float64{1}}}}
	with := func(f func(*Panel)) Panel {
		p := ok
		f(&p)
		return p
	}
	series := func(values ...float64) func(*Panel) {
		return func(p *Panel) { p.Series = []Series{{Name: "s", Values: values}} }
	}
	many := make([]Series, len(palette)+1)
	for i := range many {
		many[i].Name = string(rune('a' + i))
	}
	for name, tc := range map[string]struct {
		width  int
		panels []Panel
	}{
		"narrow":          {299, []Panel{ok}},
		"no panels":       {800, nil},
		"no groups":       {800, []Panel{with(func(p *Panel) { p.Groups = nil })}},
		"no series":       {800, []Panel{ok, with(func(p *Panel) { p.Series = nil })}},
		"too many values": {800, []Panel{with(series(1, 2))}},
		"negative":        {800, []Panel{with(series(-1))}},
		"NaN":             {800, []Panel{with(series(math.NaN()))}},
		"infinite":        {800, []Panel{with(series(math.Inf(1)))}},
		"duplicate":       {800, []Panel{with(func(p *Panel) { p.Series = append(p.Series, p.Series[0]) })}},
		"too many series": {800, []Panel{with(func(p *Panel) { p.Series = many })}},
	} {
		if err := PNG(new(bytes.Buffer), tc.width, tc.panels...); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// longestRun is the length of the longest horizontal run of pixels of
// colour c in img, and the centre of that run.
func longestRun(img image.Image, c color.RGBA) (int, image.Point) {
	best, centre := 0, image.Point{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		run := 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) != c {
				run = 0
				continue
			}
			if run++; run > best {
				best, centre = run, image.Pt(x-run/2, y)
			}
		}
	}
	return best, centre
}

func TestPNGBars(t *testing.T) {
	img := decode(t, encode(t, 800, Panel{
		Title:  "Image size",
		Unit:   "MB",
		Groups: []string{"FastAPI"},
		Series: []Series{
			{Name: "full", Values: []float64{100}},
			{Name: "slim", Values: []float64{50}},
		},
	}))
	full, centre := longestRun(img, palette[0])
	slim, _ := longestRun(img, palette[1])
	if full < 800/3 {
		t.Fatalf("the longest run of the first series' colour is %d px, want a bar of at least %d", full, 800/3)
	}
	if got := color.RGBAModel.Convert(img.At(centre.X, centre.Y)); got != palette[0] {
		t.Errorf("pixel %v inside the first bar is %v, want %v", centre, got, palette[0])
	}
	if math.Abs(float64(slim)/float64(full)-0.5) > 0.02 {
		t.Errorf("bars of 100 and 50 are %d and %d px long", full, slim)
	}
}

func TestPNGLogZero(t *testing.T) {
	img := decode(t, encode(t, 800, Panel{
		Unit:   "MB",
		Log:    true,
		Groups: []string{"a", "b"},
		Series: []Series{
			{Name: "full", Values: []float64{1000, 10}},
			{Name: "distill", Values: []float64{0}},
		},
	}))
	full, _ := longestRun(img, palette[0])
	distill, _ := longestRun(img, palette[1])
	if full < 800/3 {
		t.Errorf("the bar of 1000 is %d px long", full)
	}
	if distill > swatch {
		t.Errorf("a zero on a log axis has a bar %d px long", distill)
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{
		0:       "0",
		8.6:     "8.6",
		931:     "931",
		1100:    "1100",
		1234:    "1230",
		9.996:   "10",
		0.05:    "0.05",
		0.30001: "0.3",
	} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", v, got, want)
		}
	}
	if got := valueLabel(442, "packages"); got != "442 packages" {
		t.Errorf("valueLabel(442, packages) = %q", got)
	}
}

// runs lists the horizontal runs of pixels of colour c in img at least
// minLen long, top to bottom, as their length and row.
func runs(img image.Image, c color.RGBA, minLen int) [][2]int {
	var out [][2]int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		run, best := 0, 0
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) != c {
				run = 0
				continue
			}
			run++
			best = max(best, run)
		}
		if best >= minLen {
			out = append(out, [2]int{best, y})
		}
	}
	return out
}

// TestPNGOrder: the first group is at the top, and in a group the first
// series.
func TestPNGOrder(t *testing.T) {
	img := decode(t, encode(t, 800, Panel{
		Unit:   "MB",
		Groups: []string{"big", "small"},
		Series: []Series{
			{Name: "full", Values: []float64{100, 20}},
			{Name: "slim", Values: []float64{90, 10}},
		},
	}))
	full, slim := runs(img, palette[0], 2*swatch), runs(img, palette[1], 2*swatch)
	if len(full) == 0 || len(slim) == 0 {
		t.Fatalf("no bars: %v %v", full, slim)
	}
	// Rows top to bottom: full's bar of 100, slim's of 90, full's of 20.
	if top, last := full[0], full[len(full)-1]; top[0] <= last[0] {
		t.Errorf("full's top bar is %d px long, its bottom one %d: the first group is not at the top", top[0], last[0])
	}
	if full[0][1] >= slim[0][1] {
		t.Errorf("full's first bar starts at row %d, slim's at %d: the first series is not on top", full[0][1], slim[0][1])
	}
}

func TestLogRange(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		lo, hi float64
	}{
		{[]float64{8.6, 1100}, 1, 10000},
		{[]float64{10, 1000}, 1, 1000},
		{[]float64{0, 0}, 1, 10},
	} {
		lo, hi := logRange(Panel{Series: []Series{{Values: tc.values}}})
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("logRange(%v) = %v, %v; want %v, %v", tc.values, lo, hi, tc.lo, tc.hi)
		}
	}
}
