package transform

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// effect applies one e_ effect; level is the effect's first number, or def when none is given.
type effect func(r *run, c *canvas, comp *Component, level func(def float64) float64) error

// effects are the e_ effects Execute applies. Cloudinary documents ranges and defaults but
// not the exact operations; the mappings below are this server's, chosen to look alike.
var effectSteps = map[string]effect{
	"grayscale":     effectGrayscale,
	"blackwhite":    effectBlackWhite,
	"sepia":         effectSepia,
	"blur":          effectBlur,
	"sharpen":       effectSharpen,
	"unsharp_mask":  effectUnsharpMask,
	"brightness":    effectBrightness,
	"contrast":      effectContrast,
	"saturation":    effectSaturation,
	"gamma":         effectGamma,
	"negate":        effectNegate,
	"pixelate":      effectPixelate,
	"colorize":      effectColorize,
	"tint":          effectTint,
	"trim":          effectTrim,
	"auto_contrast": effectAutoContrast,
	"improve":       effectImprove,
	"vignette":      effectVignette,
}

// stepEffect applies e_.
func stepEffect(r *run, c *canvas, comp *Component) error {
	e := comp.Effect
	if e.Name == "" {
		return nil
	}
	apply, ok := effectSteps[e.Name]
	if !ok {
		return fmt.Errorf("%w: effect %q is not supported", ErrInvalid, e.Name)
	}
	level := func(def float64) float64 {
		if e.HasLevel {
			return e.Level
		}
		return def
	}
	return apply(r, c, comp, level)
}

func effectGrayscale(_ *run, c *canvas, _ *Component, _ func(float64) float64) error {
	return c.apply((*vipsImage).grayscale)
}

// blackwhite:<threshold 0-100, default 50>: luminance at or above the threshold is white.
func effectBlackWhite(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	t := level(50) * 255 / 100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.threshold(t) })
}

// blendMatrix is (1-amount)·I + amount·m: m applied at a strength of amount.
func blendMatrix(m [9]float64, amount float64) [9]float64 {
	var out [9]float64
	for i, v := range m {
		out[i] = amount * v
		if i%4 == 0 {
			out[i] += 1 - amount
		}
	}
	return out
}

func diagonal(a [3]float64) [9]float64 {
	return [9]float64{a[0], 0, 0, 0, a[1], 0, 0, 0, a[2]}
}

// sepia:<1-100, default 80>: the classic sepia matrix at that strength.
func effectSepia(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	m := blendMatrix([9]float64{
		0.393, 0.769, 0.189,
		0.349, 0.686, 0.168,
		0.272, 0.534, 0.131,
	}, level(80)/100)
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.recomb("sepia", m, [3]float64{}) })
}

// blur:<1-2000, default 100>: a gaussian blur of sigma level/20 (5 px at the default).
func effectBlur(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	return c.blur(min(max(level(100)/20, 0.3), 100))
}

// sharpen:<1-2000, default 100>: libvips' sharpen (an unsharp mask on lightness), its edge
// gain scaled by level/100.
func effectSharpen(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	m2 := 3 * level(100) / 100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.sharpen(1, 0, m2) })
}

// unsharp_mask:<1-2000, default 100>: a wider unsharp mask that sharpens flat areas too.
func effectUnsharpMask(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	gain := 2 * level(100) / 100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.sharpen(2, gain, gain) })
}

// brightness:<-99-100, default 80>: colours multiplied by 1 + level/100.
func effectBrightness(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	f := 1 + level(80)/100
	return c.apply(func(im *vipsImage) (*vipsImage, error) {
		return im.recomb("brightness", diagonal([3]float64{f, f, f}), [3]float64{})
	})
}

// contrast:<-100-100, default 0>: distances from mid-grey multiplied by 1 + level/100.
func effectContrast(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	f := 1 + level(0)/100
	if f == 1 {
		return nil
	}
	o := 128 * (1 - f)
	return c.apply(func(im *vipsImage) (*vipsImage, error) {
		return im.recomb("contrast", diagonal([3]float64{f, f, f}), [3]float64{o, o, o})
	})
}

// saturation:<-100-100, default 80>: chroma multiplied by 1 + level/100.
func effectSaturation(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	f := 1 + level(80)/100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.saturation(f) })
}

// gamma:<-50-150, default 0>: a gamma of 1 + level/100 (above 1 brightens the mid-tones).
func effectGamma(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	g := 1 + level(0)/100
	if g == 1 {
		return nil
	}
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.gamma(g) })
}

func effectNegate(_ *run, c *canvas, _ *Component, _ func(float64) float64) error {
	return c.apply(func(im *vipsImage) (*vipsImage, error) {
		return im.recomb("negate", diagonal([3]float64{-1, -1, -1}), [3]float64{255, 255, 255})
	})
}

// pixelate:<1-200, default 5>: blocks of level pixels, each its average colour.
func effectPixelate(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	n := max(2, int(level(5)))
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.pixelate(n) })
}

// colorize:<0-100, default 100>: the co_ colour (default gray) blended over at level percent.
func effectColorize(_ *run, c *canvas, comp *Component, level func(float64) float64) error {
	col := comp.Color
	if !col.Set {
		col = Color{R: 128, G: 128, B: 128, A: 255, Set: true}
	}
	a := level(100) / 100
	off := [3]float64{a * float64(col.R), a * float64(col.G), a * float64(col.B)}
	return c.apply(func(im *vipsImage) (*vipsImage, error) {
		return im.recomb("colorize", diagonal([3]float64{1 - a, 1 - a, 1 - a}), off)
	})
}

// tintStop is a colour of a tint gradient at a position along the luminance (0-1).
type tintStop struct {
	at    float64
	color Color
}

// tint[:equalize][:<amount 0-100, default 60>][:<color>[:<position>p]]...: each pixel's
// luminance mapped through a gradient of the colours (one colour: black, the colour at the
// mid-tones, white; default red), blended over at amount percent. equalize is not applied.
func effectTint(_ *run, c *canvas, comp *Component, level func(float64) float64) error {
	var stops []tintStop
	for _, a := range comp.Effect.Args {
		if col, ok := ParseColor(a); ok {
			stops = append(stops, tintStop{at: -1, color: col})
			continue
		}
		if p, ok := strings.CutSuffix(a, "p"); ok && len(stops) > 0 {
			if v, err := strconv.Atoi(p); err == nil {
				stops[len(stops)-1].at = float64(v) / 100
			}
		}
	}
	if len(stops) == 0 {
		stops = []tintStop{{at: -1, color: Color{R: 255, A: 255, Set: true}}}
	}
	if len(stops) == 1 {
		stops = []tintStop{{at: 0, color: black}, {at: 0.5, color: stops[0].color}, {at: 1, color: white}}
	}
	for i := range stops {
		if stops[i].at < 0 {
			stops[i].at = float64(i) / float64(len(stops)-1)
		}
	}
	lut := gradient(stops)
	amount := level(60) / 100
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.tint(lut, amount) })
}

// gradient samples the colour stops (in increasing position) at 256 luminance levels.
func gradient(stops []tintStop) *[256 * 3]byte {
	var lut [256 * 3]byte
	for i := range 256 {
		t := float64(i) / 255
		lo, hi := stops[0], stops[len(stops)-1]
		for j := 0; j+1 < len(stops); j++ {
			if t >= stops[j].at && t <= stops[j+1].at {
				lo, hi = stops[j], stops[j+1]
				break
			}
		}
		f := 0.0
		if hi.at > lo.at {
			f = min(max((t-lo.at)/(hi.at-lo.at), 0), 1)
		} else if t > lo.at {
			f = 1
		}
		mix := func(a, b uint8) byte { return byte(math.Round(float64(a)*(1-f) + float64(b)*f)) }
		lut[i*3] = mix(lo.color.R, hi.color.R)
		lut[i*3+1] = mix(lo.color.G, hi.color.G)
		lut[i*3+2] = mix(lo.color.B, hi.color.B)
	}
	return &lut
}

// trim[:<tolerance 0-100, default 10>][:<color>]: removes the edges that match the colour
// given, else the top-left pixel's (its transparency, when it is transparent). The tolerance
// is a percentage of the full colour range.
func effectTrim(_ *run, c *canvas, comp *Component, level func(float64) float64) error {
	im, err := c.live()
	if err != nil {
		return err
	}
	var bg Color
	var given bool
	for _, a := range comp.Effect.Args {
		if col, ok := ParseColor(a); ok {
			bg, given = col, true
		}
	}
	useAlpha := false
	if !given {
		px, err := im.point(0, 0)
		if err != nil {
			return err
		}
		bg = Color{R: uint8(px[0]), G: uint8(px[1]), B: uint8(px[2]), A: 255, Set: true}
		useAlpha = len(px) == 4 && px[3] < 128
	}
	box, err := im.findTrim(bg, useAlpha, level(10)*255/100)
	if err != nil {
		return err
	}
	if box.w == 0 || box.h == 0 {
		return nil // all background: nothing would be left
	}
	return c.extract(box)
}

// stretch maps each band's [lo, hi] onto [0, 255], applied at a strength of blend (0-1).
func stretch(lo, hi [3]int, blend float64) ([9]float64, [3]float64) {
	var gain, off [3]float64
	for i := range 3 {
		if hi[i] <= lo[i] {
			gain[i] = 1
			continue
		}
		g := 255 / float64(hi[i]-lo[i])
		gain[i] = 1 + blend*(g-1)
		off[i] = -blend * g * float64(lo[i])
	}
	return diagonal(gain), off
}

// auto_contrast[:<blend 0-100, default 100>]: the luminance range between the 1st and 99th
// percentiles stretched to the full range, the same for every band.
func effectAutoContrast(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	im, err := c.live()
	if err != nil {
		return err
	}
	lo, err := im.percent(-1, 1)
	if err != nil {
		return err
	}
	hi, err := im.percent(-1, 99)
	if err != nil {
		return err
	}
	m, off := stretch([3]int{lo, lo, lo}, [3]int{hi, hi, hi}, level(100)/100)
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.recomb("auto contrast", m, off) })
}

// improve[:indoor|outdoor][:<blend 0-100, default 100>]: automatic levels, each band
// stretched between its 0.5th and 99.5th percentiles, which also balances the colours.
func effectImprove(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	im, err := c.live()
	if err != nil {
		return err
	}
	var lo, hi [3]int
	for b := range 3 {
		if lo[b], err = im.percent(b, 0.5); err != nil {
			return err
		}
		if hi[b], err = im.percent(b, 99.5); err != nil {
			return err
		}
	}
	m, off := stretch(lo, hi, level(100)/100)
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.recomb("improve", m, off) })
}

// vignette:<0-100, default 20>: darkens towards the corners, by 2·level percent there.
func effectVignette(_ *run, c *canvas, _ *Component, level func(float64) float64) error {
	s := min(2*level(20)/100, 1)
	return c.apply(func(im *vipsImage) (*vipsImage, error) { return im.vignette(s) })
}
