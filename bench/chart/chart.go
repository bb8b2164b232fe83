// Package chart renders grouped horizontal bar charts as PNG, for the
// benchmark reports that compare container image variants per app: one
// block of bars per group (an app), one bar per series (a variant), each
// bar labelled with its value and unit.
//
// The output depends only on the input: the same panels give the same
// bytes.
package chart

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one variant (e.g. "full", "slim", "hand-written distroless",
// "distill"), one value per group.
type Series struct {
	Name   string
	Values []float64
}

// Panel is one chart: a title, the unit shown on the axis and next to
// values (e.g. "MB", "packages"), group labels (the apps, e.g. "FastAPI"),
// and series.
type Panel struct {
	Title  string
	Unit   string
	Groups []string
	Series []Series
	// Log, when true, uses a logarithmic value axis (values span 8 MB to 1 GB).
	Log bool
}

// palette is the Okabe–Ito colour-blind-friendly palette, ordered so that
// the first colours have the most contrast on white. A series takes the
// colour at the index of its name in the legend.
var palette = []color.RGBA{
	{0x00, 0x72, 0xb2, 0xff}, // blue
	{0xe6, 0x9f, 0x00, 0xff}, // orange
	{0x00, 0x9e, 0x73, 0xff}, // bluish green
	{0xd5, 0x5e, 0x00, 0xff}, // vermillion
	{0xcc, 0x79, 0xa7, 0xff}, // reddish purple
	{0x56, 0xb4, 0xe9, 0xff}, // sky blue
	{0xf0, 0xe4, 0x42, 0xff}, // yellow
	{0x00, 0x00, 0x00, 0xff}, // black
}

var (
	white     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	textColor = color.RGBA{0x22, 0x22, 0x22, 0xff}
	axisColor = color.RGBA{0x66, 0x66, 0x66, 0xff}
	gridColor = color.RGBA{0xe2, 0xe2, 0xe2, 0xff}
)

// face is the only font: 7 px advance, 13 px line.
var face = basicfont.Face7x13

// ellipsis marks a truncated label. Face7x13 has no glyph for "…".
const ellipsis = "..."

// Layout, in pixels.
const (
	margin     = 12 // around the image
	lineH      = 13 // one line of text
	legendRowH = 18 // one row of the legend
	swatch     = 11 // a legend colour square
	titleH     = 22 // a panel's title line and the space under it
	barH       = 14 // one bar
	barGap     = 2  // between the bars of a group
	groupGap   = 10 // between groups
	plotPad    = 6  // above the first group and under the last
	tickLen    = 4  // a tick mark under the axis
	labelGap   = 6  // between a group label and the axis, a bar and its value
	sectionGap = 18 // under the legend and under each panel
	axisH      = tickLen + 2 + lineH + 3 + lineH
)

// PNG draws the panels stacked vertically, one image, width px wide, with a
// shared legend, and writes it as PNG.
//
// Series are matched across panels by name: each name has one colour and
// one legend entry, in order of first appearance. A series with fewer
// values than its panel has groups is 0 in the missing groups. Values must
// be finite and not negative; a zero on a logarithmic axis has no bar.
func PNG(w io.Writer, width int, panels ...Panel) error {
	names, err := check(width, panels)
	if err != nil {
		return err
	}
	return png.Encode(w, render(width, names, panels))
}

// check validates the input and returns the series names in legend order.
func check(width int, panels []Panel) ([]string, error) {
	if width < 300 {
		return nil, fmt.Errorf("chart: width %d is less than 300", width)
	}
	if len(panels) == 0 {
		return nil, errors.New("chart: no panels")
	}
	var names []string
	for i, p := range panels {
		if len(p.Groups) == 0 {
			return nil, fmt.Errorf("chart: panel %d (%q) has no groups", i, p.Title)
		}
		if len(p.Series) == 0 {
			return nil, fmt.Errorf("chart: panel %d (%q) has no series", i, p.Title)
		}
		for j, s := range p.Series {
			if slices.ContainsFunc(p.Series[:j], func(t Series) bool { return t.Name == s.Name }) {
				return nil, fmt.Errorf("chart: panel %q: series %q appears twice", p.Title, s.Name)
			}
			if len(s.Values) > len(p.Groups) {
				return nil, fmt.Errorf("chart: panel %q: series %q has %d values for %d groups", p.Title, s.Name, len(s.Values), len(p.Groups))
			}
			for _, v := range s.Values {
				if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("chart: panel %q: series %q: value %v is not a finite non-negative number", p.Title, s.Name, v)
				}
			}
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	if len(names) > len(palette) {
		return nil, fmt.Errorf("chart: %d series, at most %d have distinct colours", len(names), len(palette))
	}
	return names, nil
}

// render draws the legend and the panels on a white image of the height
// they need.
func render(width int, names []string, panels []Panel) *image.RGBA {
	entries, rows := layoutLegend(names, width)
	height := margin + rows*legendRowH + sectionGap
	for _, p := range panels {
		height += panelHeight(p) + sectionGap
	}
	height += margin - sectionGap

	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Rect, white)

	y := margin
	for i, e := range entries {
		top := y + e.row*legendRowH
		fill(img, image.Rect(e.x, top+(lineH-swatch)/2, e.x+swatch, top+(lineH-swatch)/2+swatch), palette[i])
		drawText(img, e.label, e.x+swatch+5, top+face.Ascent, textColor)
	}
	y += rows*legendRowH + sectionGap
	for _, p := range panels {
		drawPanel(img, p, names, y)
		y += panelHeight(p) + sectionGap
	}
	return img
}

// legendEntry is one series in the legend: its row, its left edge and its
// (possibly truncated) name.
type legendEntry struct {
	row, x int
	label  string
}

// layoutLegend places one entry per name, left to right, wrapping to a new
// row when the width is used up, and returns the entries and the number of
// rows.
func layoutLegend(names []string, width int) ([]legendEntry, int) {
	const entryGap = 18
	maxLabel := width - 2*margin - swatch - 5
	entries := make([]legendEntry, len(names))
	row, x := 0, margin
	for i, name := range names {
		label := truncate(name, maxLabel)
		w := swatch + 5 + textWidth(label)
		if x > margin && x+w > width-margin {
			row, x = row+1, margin
		}
		entries[i] = legendEntry{row: row, x: x, label: label}
		x += w + entryGap
	}
	return entries, row + 1
}

// groupHeight is the height of one group's bars.
func groupHeight(p Panel) int {
	return len(p.Series)*barH + (len(p.Series)-1)*barGap
}

// plotHeight is the height of a panel's bars, between its title and its
// axis labels.
func plotHeight(p Panel) int {
	return 2*plotPad + len(p.Groups)*groupHeight(p) + (len(p.Groups)-1)*groupGap
}

// panelHeight is the height of a panel: title, bars, axis.
func panelHeight(p Panel) int {
	return titleH + plotHeight(p) + axisH
}

// value is series s's value in group g, 0 when missing.
func value(s Series, g int) float64 {
	if g < len(s.Values) {
		return s.Values[g]
	}
	return 0
}

// drawPanel draws panel p with its top at y: the title, the group labels
// left of the axis, a bar per series and group with its value, and the
// value axis with gridlines, tick labels and the unit.
func drawPanel(img *image.RGBA, p Panel, names []string, y int) {
	width := img.Rect.Dx()

	// The title, bold by drawing it twice a pixel apart.
	title := truncate(p.Title, width-2*margin-1)
	drawText(img, title, margin, y+face.Ascent, textColor)
	drawText(img, title, margin+1, y+face.Ascent, textColor)
	y += titleH

	labelW := 0
	for _, g := range p.Groups {
		labelW = max(labelW, textWidth(g))
	}
	labelW = min(labelW, width/4)
	x0 := margin + labelW + labelGap

	// Room right of the plot for the value of the longest bar, at most a
	// third of what is right of the axis.
	valueW := 0
	for _, s := range p.Series {
		for g := range p.Groups {
			valueW = max(valueW, textWidth(valueLabel(value(s, g), p.Unit)))
		}
	}
	valueW = min(valueW+labelGap, (width-margin-x0)/3)
	x1 := width - margin - valueW

	ax := newAxis(p, x0, x1)
	top, bottom := y, y+plotHeight(p)
	for _, t := range ax.ticks {
		fill(img, image.Rect(ax.pos(t), top, ax.pos(t)+1, bottom), gridColor)
	}

	for g, group := range p.Groups {
		gy := top + plotPad + g*(groupHeight(p)+groupGap)
		name := truncate(group, labelW)
		drawText(img, name, x0-labelGap-textWidth(name), gy+(groupHeight(p)+face.Ascent-face.Descent)/2, textColor)
		for i, s := range p.Series {
			by := gy + i*(barH+barGap)
			v := value(s, g)
			end := x0
			if v > 0 || !p.Log {
				end = ax.pos(v)
				fill(img, image.Rect(x0, by, end, by+barH), palette[slices.Index(names, s.Name)])
			}
			label := truncate(valueLabel(v, p.Unit), width-margin-end-labelGap)
			drawText(img, label, end+labelGap, by+(barH+face.Ascent-face.Descent)/2, textColor)
		}
	}

	// The axis: a line left of the bars and one under them, ticks and
	// their labels.
	fill(img, image.Rect(x0, top, x0+1, bottom+1), axisColor)
	fill(img, image.Rect(x0, bottom, x1+1, bottom+1), axisColor)
	for _, t := range ax.ticks {
		fill(img, image.Rect(ax.pos(t), bottom, ax.pos(t)+1, bottom+tickLen), axisColor)
	}
	for _, l := range tickLabels(ax, width) {
		drawText(img, l.text, l.x, bottom+tickLen+2+face.Ascent, textColor)
	}
	caption := p.Unit
	if p.Log {
		caption = strings.TrimPrefix(caption+", log scale", ", ")
	}
	caption = truncate(caption, width-2*margin)
	cx := min(max((x0+x1-textWidth(caption))/2, margin), width-margin-textWidth(caption))
	drawText(img, caption, cx, bottom+tickLen+2+lineH+3+face.Ascent, axisColor)
}

// axis maps values to x coordinates between x0 (the lowest tick) and x1
// (the highest), linearly or logarithmically.
type axis struct {
	log    bool
	lo, hi float64 // the domain; for a log axis, its decimal exponents
	x0, x1 int
	ticks  []float64
}

// newAxis returns the axis for panel p: for a linear axis, 0 up to a
// round number at or above the largest value, with 1, 2 or 5 times a power
// of ten between ticks; for a log axis, the powers of ten from the one
// below the smallest non-zero value up to the one at or above the largest.
func newAxis(p Panel, x0, x1 int) axis {
	smallest, largest := math.Inf(1), 0.0
	for _, s := range p.Series {
		for _, v := range s.Values {
			if v > 0 {
				smallest, largest = min(smallest, v), max(largest, v)
			}
		}
	}
	ax := axis{log: p.Log, x0: x0, x1: x1}
	if p.Log {
		ax.lo, ax.hi = 0, 1
		if largest > 0 {
			ax.lo, ax.hi = ceilLog10(smallest)-1, ceilLog10(largest)
		}
		for e := ax.lo; e <= ax.hi; e++ {
			ax.ticks = append(ax.ticks, math.Pow(10, e))
		}
		return ax
	}
	if largest == 0 {
		largest = 1
	}
	step := niceStep(largest / 4)
	n := math.Ceil(largest/step - 1e-9)
	ax.hi = n * step
	for i := 0.0; i <= n; i++ {
		ax.ticks = append(ax.ticks, i*step)
	}
	return ax
}

// tickLabel is the text of a tick label and its left edge.
type tickLabel struct {
	text string
	x    int
}

// tickLabels places a label centred under every tick or, when labels
// would overlap, under every second, third… tick, keeping them inside an
// image width px wide.
func tickLabels(ax axis, width int) []tickLabel {
	for stride := 1; ; stride++ {
		var labels []tickLabel
		right := math.MinInt // the right edge of the previous label
		for i := 0; i < len(ax.ticks); i += stride {
			text := formatNumber(ax.ticks[i])
			x := min(max(ax.pos(ax.ticks[i])-textWidth(text)/2, 0), width-textWidth(text))
			if x < right+labelGap {
				break
			}
			labels = append(labels, tickLabel{text: text, x: x})
			right = x + textWidth(text)
		}
		if len(labels) == (len(ax.ticks)+stride-1)/stride {
			return labels
		}
	}
}

// pos is the x coordinate of v, which for a log axis must be positive.
func (ax axis) pos(v float64) int {
	f := v / ax.hi
	if ax.log {
		f = (math.Log10(v) - ax.lo) / (ax.hi - ax.lo)
	}
	return ax.x0 + int(math.Round(f*float64(ax.x1-ax.x0)))
}

// ceilLog10 is the smallest integer e with 10^e >= v, forgiving the
// rounding of math.Log10 at exact powers of ten.
func ceilLog10(v float64) float64 {
	return math.Ceil(math.Log10(v) - 1e-9)
}

// niceStep is the smallest of 1, 2, 5 or 10 times a power of ten that is at
// least x.
func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5} {
		if x <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// valueLabel is v with three significant digits and the unit: "931 MB",
// "8.6 MB", "442 packages".
func valueLabel(v float64, unit string) string {
	return strings.TrimSpace(formatNumber(v) + " " + unit)
}

// formatNumber is v rounded to three significant digits, without an
// exponent or trailing zeros: "1230", "8.6", "0.05".
func formatNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	e := int(math.Floor(math.Log10(math.Abs(v))))
	if e >= 2 {
		scale := math.Pow10(e - 2)
		return strconv.FormatFloat(math.Round(v/scale)*scale, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2-e, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// truncate shortens s, ending it with an ellipsis, to at most maxW pixels
// wide; it is empty when not even the ellipsis fits.
func truncate(s string, maxW int) string {
	if textWidth(s) <= maxW {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n >= 0; n-- {
		t := strings.TrimRight(string(r[:n]), " ") + ellipsis
		if textWidth(t) <= maxW {
			return t
		}
	}
	return ""
}

// textWidth is the width of s in pixels.
func textWidth(s string) int {
	return font.MeasureString(face, s).Ceil()
}

// drawText draws s in colour c with its left edge at x and its baseline
// at y.
func drawText(img *image.RGBA, s string, x, y int, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// fill paints rectangle r in colour c.
func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}
