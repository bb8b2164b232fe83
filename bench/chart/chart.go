// Package chart renders grouped horizontal bar charts as PNG, for the
// benchmark reports that compare container image variants per app: one
// block of bars per group (an app), one bar per series (a variant), each
// bar labelled with its value and unit. Drawing is gonum.org/v1/plot's
// (plotter.BarChart, vg/vgimg); this package lays the panels out and
// labels the bars.
//
// The output depends only on the input (and, through the rasterizer's
// floating point, the CPU architecture): the same panels give the same
// bytes.
package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
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
	textColor = color.RGBA{0x22, 0x22, 0x22, 0xff}
	gridColor = color.RGBA{0xe2, 0xe2, 0xe2, 0xff}
)

// Layout, in pixels: the canvas has 72 dots per inch, a point is a pixel.
const (
	margin     = 12 // around the image
	fontSize   = 11 // group, value and tick labels, the legend
	legendRowH = 16 // one row of the legend
	swatch     = 10 // a legend colour square
	titleH     = 24 // a panel's title line and the space under it
	barH       = 14 // one bar
	barGap     = 2  // between the bars of a group
	groupGap   = 10 // between groups
	axisH      = 40 // tick labels and the unit under the bars
	labelGap   = 6  // between a bar and its value
	sectionGap = 18 // under the legend and under each panel
)

var (
	sans = font.Font{Typeface: "Liberation", Variant: "Sans"}
	bold = func() font.Font { f := sans; f.Weight = xfont.WeightBold; return f }()
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
	height := 2*margin + len(names)*legendRowH
	for _, p := range panels {
		height += sectionGap + panelHeight(p)
	}
	img := vgimg.NewWith(vgimg.UseWH(vg.Length(width), vg.Length(height)), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	c := draw.New(img)
	// y counts down from the top of the image.
	y := vg.Length(height - margin)
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = swatch
	restyle(&legend.TextStyle, sans, fontSize)
	legend.Padding = legendRowH - fontSize
	for i, name := range names {
		legend.Add(name, fill(palette[i]))
	}
	legend.Draw(region(c, y-vg.Length(len(names)*legendRowH), y))
	y -= vg.Length(len(names)*legendRowH + sectionGap)
	for _, p := range panels {
		pl, err := newPlot(p, names)
		if err != nil {
			return err
		}
		h := vg.Length(panelHeight(p))
		pl.Draw(region(c, y-h, y))
		y -= h + sectionGap
	}
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	return err
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

// panelHeight is the height of a panel: title, bars, axis.
func panelHeight(p Panel) int {
	group := len(p.Series)*barH + (len(p.Series)-1)*barGap
	return titleH + len(p.Groups)*(group+groupGap) + axisH
}

// region is the full-width part of c between y0 and y1, inside the margins.
func region(c draw.Canvas, y0, y1 vg.Length) draw.Canvas {
	c.Rectangle = vg.Rectangle{Min: vg.Point{X: margin, Y: y0}, Max: vg.Point{X: c.Max.X - margin, Y: y1}}
	return c
}

// fill is a legend thumbnail: a square of one colour.
type fill color.RGBA

func (f fill) Thumbnail(c *draw.Canvas) {
	x, y, side := c.Min.X, c.Min.Y, min(c.Max.Y-c.Min.Y, swatch)
	c.FillPolygon(color.RGBA(f), []vg.Point{{X: x, Y: y}, {X: x, Y: y + side}, {X: x + side, Y: y + side}, {X: x + side, Y: y}})
}

// restyle sets the font and colour of a text style, keeping its alignment.
func restyle(s *text.Style, f font.Font, size vg.Length) {
	s.Font, s.Color = font.From(f, size), textColor
}

// newPlot is panel p as a gonum plot: groups top to bottom on the Y axis
// (the first at the top), in each a bar per series (the first at the top)
// with its value right of it, and the value axis with vertical gridlines.
func newPlot(p Panel, names []string) (*plot.Plot, error) {
	pl := plot.New()
	pl.BackgroundColor = nil
	pl.Title.Text = p.Title
	restyle(&pl.Title.TextStyle, bold, 12)
	pl.Title.Padding = 6
	for _, ax := range []*plot.Axis{&pl.X, &pl.Y} {
		restyle(&ax.Tick.Label, sans, fontSize)
		restyle(&ax.Label.TextStyle, sans, fontSize)
		ax.Color, ax.Tick.Color = textColor, textColor
	}
	pl.X.Label.Text = p.Unit
	groups := slices.Clone(p.Groups)
	slices.Reverse(groups)
	pl.NominalY(groups...)
	pl.Y.Min, pl.Y.Max = -0.5, float64(len(groups))-0.5

	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = gridColor
	pl.Add(grid)

	// On a log axis a bar starts at the lowest power of ten, not 0.
	var start *plotter.BarChart
	if p.Log {
		lo, hi := logRange(p)
		pl.X.Scale, pl.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		pl.X.Min, pl.X.Max = lo, hi
		pl.X.Label.Text = strings.TrimPrefix(p.Unit+", log scale", ", ")
		start = &plotter.BarChart{Values: make(plotter.Values, len(p.Groups))}
		for i := range start.Values {
			start.Values[i] = lo
		}
	} else {
		pl.X.Min = 0
	}

	step := vg.Length(barH + barGap)
	for i, s := range p.Series {
		offset := step * vg.Length(len(p.Series)-1) / 2
		offset -= step * vg.Length(i)
		lengths := make(plotter.Values, len(p.Groups))
		ends := make(plotter.XYs, len(p.Groups))
		labels := make([]string, len(p.Groups))
		for g := range p.Groups {
			y := len(p.Groups) - 1 - g // the first group at the top
			v := value(s, g)
			lengths[y], ends[g], labels[g] = v, plotter.XY{X: v, Y: float64(y)}, valueLabel(v, p.Unit)
			if start != nil {
				lengths[y] = max(v-start.Values[y], 0)
				ends[g].X = max(v, start.Values[y])
			}
		}
		bars, err := plotter.NewBarChart(lengths, barH)
		if err != nil {
			return nil, err
		}
		bars.Horizontal, bars.Offset = true, offset
		bars.Color, bars.LineStyle.Width = palette[slices.Index(names, s.Name)], 0
		if start != nil {
			bars.StackOn(start)
			bars.Offset = offset
		}
		values, err := plotter.NewLabels(plotter.XYLabels{XYs: ends, Labels: labels})
		if err != nil {
			return nil, err
		}
		for i := range values.TextStyle {
			restyle(&values.TextStyle[i], sans, fontSize)
			values.TextStyle[i].YAlign = draw.YCenter
		}
		values.Offset = vg.Point{X: labelGap, Y: offset}
		pl.Add(bars, values)
	}
	return pl, nil
}

// logRange is the domain of a log axis: the powers of ten from the one
// below the smallest non-zero value up to the one at or above the largest.
func logRange(p Panel) (lo, hi float64) {
	smallest, largest := math.Inf(1), 0.0
	for _, s := range p.Series {
		for _, v := range s.Values {
			if v > 0 {
				smallest, largest = min(smallest, v), max(largest, v)
			}
		}
	}
	if largest == 0 {
		return 1, 10
	}
	return math.Pow(10, ceilLog10(smallest)-1), math.Pow(10, ceilLog10(largest))
}

// value is series s's value in group g, 0 when missing.
func value(s Series, g int) float64 {
	if g < len(s.Values) {
		return s.Values[g]
	}
	return 0
}

// ceilLog10 is the smallest integer e with 10^e >= v, forgiving the
// rounding of math.Log10 at exact powers of ten.
func ceilLog10(v float64) float64 {
	return math.Ceil(math.Log10(v) - 1e-9)
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
