package transform

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// Negotiation is what a delivery request tells about the client, for the auto values.
type Negotiation struct {
	Accept         string  // the request's Accept header
	DPR            float64 // client hint (Sec-CH-DPR or DPR), 0 when absent
	SourceFormat   string  // the asset's stored format ("jpg", "png", "gif"...)
	SourceAlpha    bool
	SourceAnimated bool
	Ext            string // the URL's extension ("" when none), already normalised (jpeg→jpg); f_auto ignores it, as Cloudinary does
}

// Resolve returns a copy of the chain with f_auto replaced by the concrete format chosen from
// Accept, and dpr_auto by the client hint. q_auto stays: its number depends on the output
// format and is decided at execution (QualityFor).
//
// f_auto picks AVIF when Accept lists image/avif and the source is not animated; else WebP when
// Accept lists image/webp; else the source's family: GIF for an animated source, PNG for a
// source with alpha or when fl_preserve_transparency is given, JPEG otherwise. A type with q=0
// is not accepted; */* and image/* name no modern format. dpr_auto becomes the hint rounded to
// two decimals and kept within dpr_'s range 0.1..5, or 1.0 without a hint.
//
// The copy shares layers, effect arguments and named lists with c; only formats and DPRs differ.
func (c Chain) Resolve(n Negotiation) Chain {
	out := Chain{Components: slices.Clone(c.Components)}
	preserve := false
	for i := range c.Components {
		preserve = preserve || c.Components[i].Flags.PreserveTransparency
	}
	for i := range out.Components {
		comp := &out.Components[i]
		if comp.Format == "auto" {
			comp.Format = autoFormat(n, preserve)
		}
		if comp.DPR.Auto {
			comp.DPR = DPR{Value: hintDPR(n.DPR)}
		}
	}
	return out
}

func autoFormat(n Negotiation, preserveTransparency bool) string {
	switch {
	case !n.SourceAnimated && accepts(n.Accept, "image/avif"):
		return "avif"
	case accepts(n.Accept, "image/webp"):
		return "webp"
	case n.SourceAnimated:
		return "gif"
	case n.SourceAlpha || preserveTransparency:
		return "png"
	}
	return "jpg"
}

// accepts says whether an Accept header lists mediaType with a non-zero q.
func accepts(accept, mediaType string) bool {
	for _, item := range strings.Split(accept, ",") {
		typ, paramText, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(typ), mediaType) {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(paramText, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

func hintDPR(hint float64) float64 {
	if !(hint > 0) || math.IsInf(hint, 0) {
		return 1
	}
	return math.Round(min(max(hint, minDPR), maxDPR)*100) / 100
}

// Negotiated says whether the output depends on the Accept header (f_auto anywhere), so the
// response needs Vary: Accept.
func (c Chain) Negotiated() bool {
	for i := range c.Components {
		if c.Components[i].Format == "auto" {
			return true
		}
	}
	return false
}

// OutputFormat is the delivered format: the f_ of the last component that has one other than
// auto (call it after Resolve), else the URL extension, else the source format. Formats are
// normalised ("jpeg" → "jpg", "tif" → "tiff").
func (c Chain) OutputFormat(ext, sourceFormat string) string {
	for i := len(c.Components) - 1; i >= 0; i-- {
		if f := c.Components[i].Format; f != "" && f != "auto" {
			return NormalizeFormat(f)
		}
	}
	if ext != "" {
		return NormalizeFormat(ext)
	}
	return NormalizeFormat(sourceFormat)
}

// Encoder qualities for q_auto levels and for no q_ at all, by format family.
var (
	jpegQualities = map[string]int{"best": 90, "good": 80, "eco": 70, "low": 60, "": 80}
	avifQualities = map[string]int{"best": 65, "good": 55, "eco": 48, "low": 40, "": 50}
)

// QualityFor maps a quality to an encoder quality for a format: a number as given; the auto
// levels best/good/eco/low → 90/80/70/60 for JPEG and WebP, 65/55/48/40 for AVIF and HEIC;
// unset → the format's default (JPEG/WebP 80, AVIF/HEIC 50). Formats without a quality setting
// (PNG, GIF and every other) give 0.
func QualityFor(q Quality, format string) int {
	var table map[string]int
	switch NormalizeFormat(format) {
	case "jpg", "webp":
		table = jpegQualities
	case "avif", "heic", "heif":
		table = avifQualities
	default:
		return 0
	}
	if q.Value > 0 {
		return q.Value
	}
	if v, ok := table[q.Auto]; ok {
		return v
	}
	return table["good"]
}
