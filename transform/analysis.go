package transform

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// ColorShare is a colour and the percentage of the image it covers.
type ColorShare struct {
	Hex     string  // "#RRGGBB", uppercase, as Cloudinary shows it; in Predominant, a colour name ("red")
	Percent float64 // share of the image in percent, one decimal
}

// MarshalJSON writes the pair as Cloudinary does: ["#162E02",6.7].
func (c ColorShare) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]any{c.Hex, c.Percent})
}

// UnmarshalJSON reads the ["#162E02",6.7] form MarshalJSON writes.
func (c *ColorShare) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil {
		return fmt.Errorf("colour share: %w", err)
	}
	if len(pair) != 2 {
		return fmt.Errorf("colour share: want [colour, percent], got %d items", len(pair))
	}
	if err := json.Unmarshal(pair[0], &c.Hex); err != nil {
		return fmt.Errorf("colour share colour: %w", err)
	}
	if err := json.Unmarshal(pair[1], &c.Percent); err != nil {
		return fmt.Errorf("colour share percent: %w", err)
	}
	return nil
}

// Analysis is what the details call reports about an image's pixels.
type Analysis struct {
	// Colors is Cloudinary's `colors`: the image quantised to at most 32
	// colours, largest share first, shares summing to 100.
	Colors []ColorShare
	// Predominant is Cloudinary's `predominant`: under "google", the image's
	// share of each of Google's twelve colour names, largest first, names
	// covering less than 1% left out.
	Predominant map[string][]ColorShare
	// PHash is Cloudinary's `phash`: a 64-bit perceptual hash as 16
	// lowercase hex digits; similar images differ in few bits.
	PHash string
}

const (
	// analysisSide bounds the copy Analyze works on: colour shares and a
	// 32x32 hash need no more, and libvips can shrink JPEG, WebP, HEIF, PDF
	// and SVG while it decodes them.
	analysisSide = 128
	// paletteColors is the length of Cloudinary's colour histogram.
	paletteColors = 32
	// predominantMin is the smallest share, in percent, a colour name needs
	// to be listed under predominant.
	predominantMin = 1.0
)

// Analyze decodes a downscaled copy of the image (shrink-on-load; never full resolution for large images) and computes the above. Deterministic for the same bytes.
//
// The copy is the first page, upright, in sRGB, with transparency flattened
// onto white (as a JPEG of it would show). Colors comes from a median cut of
// the copy's own colours, not from a fixed palette: each of the (at most) 32
// boxes is reported as the mean colour of its pixels. Predominant names every
// pixel by hue, saturation and lightness. PHash is the DCT hash described at
// perceptualHash. Bytes that are not an image cloudlet accepts return an error
// wrapping ErrNotImage.
func Analyze(b []byte) (Analysis, error) {
	if _, err := probeGeometry(b); err != nil {
		return Analysis{}, err
	}
	img, err := vipsAnalysisPixels(b, analysisSide)
	if err != nil {
		return Analysis{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	}
	return Analysis{
		Colors:      histogramColors(img),
		Predominant: map[string][]ColorShare{"google": googlePredominant(img)},
		PHash:       perceptualHash(img),
	}, nil
}

// rgb is one 8-bit sRGB colour.
type rgb [3]uint8

func (c rgb) packed() int { return int(c[0])<<16 | int(c[1])<<8 | int(c[2]) }

func (c rgb) hex() string { return fmt.Sprintf("#%02X%02X%02X", c[0], c[1], c[2]) }

// pixels calls fn for every pixel of img.
func (img analysisImage) pixels(fn func(rgb)) {
	for i := 0; i+2 < len(img.rgb); i += 3 {
		fn(rgb{img.rgb[i], img.rgb[i+1], img.rgb[i+2]})
	}
}

// colorCount is one distinct colour of an image and how many pixels have it.
type colorCount struct {
	color  rgb
	pixels int
}

// colorBox is one cell of a median cut: a set of distinct colours.
type colorBox struct {
	colors []colorCount
	pixels int
}

// widest is the channel along which the box's colours spread furthest, and
// how far.
func (bx colorBox) widest() (channel, span int) {
	lo, hi := rgb{255, 255, 255}, rgb{}
	for _, c := range bx.colors {
		for k := range 3 {
			lo[k] = min(lo[k], c.color[k])
			hi[k] = max(hi[k], c.color[k])
		}
	}
	for k := range 3 {
		if s := int(hi[k]) - int(lo[k]); s > span {
			channel, span = k, s
		}
	}
	return channel, span
}

// split cuts the box in two along its widest channel at the pixel median.
// It needs at least two distinct colours, and leaves one or more in each half.
func (bx colorBox) split() (colorBox, colorBox) {
	k, _ := bx.widest()
	slices.SortFunc(bx.colors, func(a, b colorCount) int {
		return cmp.Or(cmp.Compare(a.color[k], b.color[k]), cmp.Compare(a.color.packed(), b.color.packed()))
	})
	cut, seen := len(bx.colors)-1, 0
	for i, c := range bx.colors[:len(bx.colors)-1] {
		seen += c.pixels
		if 2*seen >= bx.pixels {
			cut = i + 1
			break
		}
	}
	low, high := bx.colors[:cut], bx.colors[cut:]
	return colorBox{colors: low, pixels: pixelsIn(low)}, colorBox{colors: high, pixels: pixelsIn(high)}
}

func pixelsIn(colors []colorCount) int {
	n := 0
	for _, c := range colors {
		n += c.pixels
	}
	return n
}

// mean is the average colour of the box's pixels.
func (bx colorBox) mean() rgb {
	var sum [3]int
	for _, c := range bx.colors {
		for k := range 3 {
			sum[k] += int(c.color[k]) * c.pixels
		}
	}
	var m rgb
	for k := range 3 {
		m[k] = uint8((sum[k] + bx.pixels/2) / bx.pixels)
	}
	return m
}

// medianCut splits the image's colours into at most n boxes, each time
// cutting the box whose pixels times colour spread is largest, so that big
// areas and wide ranges both earn colours. An image with n or fewer distinct
// colours gets one box per colour.
func medianCut(img analysisImage, n int) []colorBox {
	counts := map[rgb]int{}
	img.pixels(func(c rgb) { counts[c]++ })
	all := colorBox{colors: make([]colorCount, 0, len(counts))}
	for c, p := range counts {
		all.colors = append(all.colors, colorCount{c, p})
		all.pixels += p
	}
	// Map order is random: sort so that every cut is the same on every run.
	slices.SortFunc(all.colors, func(a, b colorCount) int { return cmp.Compare(a.color.packed(), b.color.packed()) })
	boxes := []colorBox{all}
	for len(boxes) < n {
		best, bestScore := -1, 0
		for i, bx := range boxes {
			if len(bx.colors) < 2 {
				continue
			}
			if _, span := bx.widest(); span*bx.pixels > bestScore {
				best, bestScore = i, span*bx.pixels
			}
		}
		if best < 0 {
			break
		}
		a, b := boxes[best].split()
		boxes[best] = a
		boxes = append(boxes, b)
	}
	return boxes
}

// histogramColors is Cloudinary's colour histogram: the median-cut palette
// of the image with each colour's share.
func histogramColors(img analysisImage) []ColorShare {
	counts := map[string]int{}
	for _, bx := range medianCut(img, paletteColors) {
		if bx.pixels > 0 {
			counts[bx.mean().hex()] += bx.pixels
		}
	}
	return shares(counts, 0)
}

// shares turns pixel counts by key into percentages with one decimal, largest
// first (ties by key). The percentages are rounded by largest remainder, so
// that together they make exactly 100; keys below minPercent, and those that
// round to nothing, are left out.
func shares(counts map[string]int, minPercent float64) []ColorShare {
	type entry struct {
		key    string
		pixels int
		tenths int
		rest   float64
	}
	entries := make([]entry, 0, len(counts))
	total := 0
	for k, n := range counts {
		entries = append(entries, entry{key: k, pixels: n})
		total += n
	}
	if total == 0 {
		return nil
	}
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(b.pixels, a.pixels), cmp.Compare(a.key, b.key))
	})
	left := 1000
	for i := range entries {
		exact := 1000 * float64(entries[i].pixels) / float64(total)
		entries[i].tenths = int(exact)
		entries[i].rest = exact - float64(entries[i].tenths)
		left -= entries[i].tenths
	}
	order := make([]int, len(entries))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(entries[b].rest, entries[a].rest) })
	for _, i := range order[:left] {
		entries[i].tenths++
	}
	out := make([]ColorShare, 0, len(entries))
	for _, e := range entries {
		if p := float64(e.tenths) / 10; e.tenths > 0 && p >= minPercent {
			out = append(out, ColorShare{Hex: e.key, Percent: p})
		}
	}
	return out
}

// googlePredominant is Cloudinary's `predominant.google`: the share of
// each of Google's colour names among the image's pixels.
func googlePredominant(img analysisImage) []ColorShare {
	counts := map[string]int{}
	img.pixels(func(c rgb) { counts[googleColorName(c)]++ })
	return shares(counts, predominantMin)
}

// googleColorName names a colour with one of the twelve names of Google's
// image colour filter (red, orange, yellow, green, teal, blue, purple, pink,
// brown, black, gray, white). Colours with little chroma or HSL saturation
// are black, gray or white by lightness; the others are named by hue, with
// dark or dull oranges and dark reds called brown and pale reds pink.
func googleColorName(c rgb) string {
	r, g, b := float64(c[0])/255, float64(c[1])/255, float64(c[2])/255
	hi, lo := max(r, g, b), min(r, g, b)
	chroma := hi - lo
	light := (hi + lo) / 2
	switch {
	case hi < 0.16:
		return "black"
	case light > 0.94:
		return "white"
	case chroma < 0.1 || chroma/(1-math.Abs(2*light-1)) < 0.18:
		switch {
		case light < 0.22:
			return "black"
		case light > 0.85:
			return "white"
		}
		return "gray"
	}
	var hue float64
	switch hi {
	case r:
		hue = math.Mod((g-b)/chroma+6, 6)
	case g:
		hue = (b-r)/chroma + 2
	default:
		hue = (r-g)/chroma + 4
	}
	hue *= 60
	sat := chroma / hi
	reddish := hue < 15 || hue >= 345
	switch {
	case hue >= 15 && hue < 50 && (hi < 0.7 || (sat < 0.5 && hi < 0.85)):
		return "brown"
	case reddish && hi < 0.4:
		return "brown"
	case reddish && light > 0.72:
		return "pink"
	case reddish:
		return "red"
	case hue < 45:
		return "orange"
	case hue < 70:
		return "yellow"
	case hue < 160:
		return "green"
	case hue < 190:
		return "teal"
	case hue < 255:
		return "blue"
	case hue < 315:
		return "purple"
	}
	return "pink"
}

const (
	hashSide  = 32 // the hash looks at a hashSide x hashSide grayscale copy
	hashBlock = 8  // and keeps its lowest hashBlock x hashBlock frequencies
)

// perceptualHash is the classic DCT pHash: the image in grayscale, averaged
// down (or stretched) to 32x32 whatever its aspect, goes through a 2-D DCT-II;
// of the top-left 8x8 block of lowest frequencies, each coefficient becomes
// one bit, set when it is above the median of the block's 63 AC coefficients
// (the DC term, the mean brightness, stays out of the median; its own bit is
// set for any image that is not black). Bits run row by row, most
// significant first, printed as 16 lowercase hex digits.
func perceptualHash(img analysisImage) string {
	coef := lowFrequencies(grayGrid(img))
	ac := slices.Clone(coef[1:])
	slices.Sort(ac)
	median := ac[len(ac)/2]
	// Rounding leaves AC terms of a flat image a hair off zero; a margin
	// keeps such noise from setting bits.
	margin := 1e-9 * (1 + math.Abs(coef[0]))
	var bits uint64
	for i, c := range coef {
		if c > median+margin {
			bits |= 1 << (len(coef) - 1 - i)
		}
	}
	return fmt.Sprintf("%016x", bits)
}

// lowFrequencies is the top-left hashBlock x hashBlock block, row by row, of
// the unnormalised 2-D DCT-II of a hashSide x hashSide grid. The transform is
// separable: rows first, then columns, computing only the frequencies kept.
func lowFrequencies(gray []float64) [hashBlock * hashBlock]float64 {
	var basis [hashBlock][hashSide]float64
	for k := range hashBlock {
		for n := range hashSide {
			basis[k][n] = math.Cos(math.Pi / hashSide * (float64(n) + 0.5) * float64(k))
		}
	}
	var rows [hashSide][hashBlock]float64
	for y := range hashSide {
		for v := range hashBlock {
			s := 0.0
			for x := range hashSide {
				s += gray[y*hashSide+x] * basis[v][x]
			}
			rows[y][v] = s
		}
	}
	var coef [hashBlock * hashBlock]float64
	for u := range hashBlock {
		for v := range hashBlock {
			s := 0.0
			for y := range hashSide {
				s += rows[y][v] * basis[u][y]
			}
			coef[u*hashBlock+v] = s
		}
	}
	return coef
}

// grayGrid is img's luma (Rec. 601 weights, 0..255) resampled to
// hashSide x hashSide by area: each cell averages the part of the image it
// covers, so shrinking filters noise and stretching repeats pixels.
func grayGrid(img analysisImage) []float64 {
	luma := make([]float64, 0, img.width*img.height)
	img.pixels(func(c rgb) {
		luma = append(luma, 0.299*float64(c[0])+0.587*float64(c[1])+0.114*float64(c[2]))
	})
	xs, ys := areaWeights(img.width, hashSide), areaWeights(img.height, hashSide)
	grid := make([]float64, hashSide*hashSide)
	for oy, wy := range ys {
		for ox, wx := range xs {
			sum, area := 0.0, 0.0
			for _, y := range wy {
				for _, x := range wx {
					w := y.weight * x.weight
					sum += w * luma[y.index*img.width+x.index]
					area += w
				}
			}
			grid[oy*hashSide+ox] = sum / area
		}
	}
	return grid
}

// sourceWeight is how much of one source pixel falls in an output cell.
type sourceWeight struct {
	index  int
	weight float64
}

// areaWeights maps each of out cells along an axis to the source pixels (of
// in) it overlaps, weighted by the overlap.
func areaWeights(in, out int) [][]sourceWeight {
	step := float64(in) / float64(out)
	cells := make([][]sourceWeight, out)
	for o := range out {
		from, to := float64(o)*step, float64(o+1)*step
		for i := int(from); i < in && float64(i) < to; i++ {
			w := math.Min(to, float64(i+1)) - math.Max(from, float64(i))
			if w > 0 {
				cells[o] = append(cells[o], sourceWeight{i, w})
			}
		}
	}
	return cells
}
