package transform

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// paramSpec is one URL parameter: how its value is read into a Component and how it is printed
// back in canonical form. Adding a parameter means adding one entry to params.
type paramSpec struct {
	key   string
	name  string                                 // in messages: "Invalid <name> - <value>"
	parse func(c *Component, value string) error // fills c from the URL text after "<key>_"
	print func(c *Component) (string, bool)      // the canonical value text, false when unset
}

// params is the parameter table. Its order does not matter: Canonical sorts the printed
// parameters as whole strings, as the SDKs do.
var params = []paramSpec{
	{"w", "width", parseWidth, printWidth},
	{"h", "height", parseHeight, printHeight},
	{"ar", "aspect ratio", parseAspectRatio, printAspectRatio},
	{"c", "crop mode", parseCrop, printCrop},
	{"g", "gravity", parseGravity, printGravity},
	{"x", "x", parseX, printX},
	{"y", "y", parseY, printY},
	{"z", "zoom", parseZoom, printZoom},
	{"dpr", "dpr", parseDPR, printDPR},
	{"q", "quality", parseQuality, printQuality},
	{"f", "format", parseFormat, printFormat},
	{"r", "radius", parseRadius, printRadius},
	{"a", "angle", parseAngle, printAngle},
	{"e", "effect", parseEffect, printEffect},
	{"o", "opacity", parseOpacity, printOpacity},
	{"bo", "border", parseBorder, printBorder},
	{"b", "background", parseBackground, printBackground},
	{"co", "color", parseColorParam, printColorParam},
	{"l", "overlay", parseOverlay, printOverlay},
	{"u", "underlay", parseUnderlay, printUnderlay},
	{"d", "default image", parseDefault, printDefault},
	{"pg", "page", parsePage, printPage},
	{"fl", "flag", parseFlags, printFlags},
	{"t", "named transformation", parseNamed, printNamed},
}

// paramIndex returns the index of key in params, or -1.
func paramIndex(key string) int {
	for i := range params {
		if params[i].key == key {
			return i
		}
	}
	return -1
}

// Bounds that keep parsed numbers meaningful and far from overflow; the executor applies the
// real pixel limits.
const (
	maxDimension   = 100000 // w, h, x, y, r, bo in pixels
	maxPage        = 100000
	maxFontSize    = 1000
	maxZoom        = 100
	maxAspectRatio = 1000
	minDPR, maxDPR = 0.1, 5
	maxInitialMul  = 100 // iw_mul_<n>
	maxTintColors  = 10
)

// errInvalid is returned by a parse func when "Invalid <name> - <value>" says it all; any other
// error's text is added to that message in parentheses.
var errInvalid = errors.New("invalid")

// parseNumber reads -?[0-9]+(\.[0-9]+)? and says whether it had no decimal part. Exponents,
// signs other than a leading "-", "inf" and "nan" are refused.
func parseNumber(s string) (v float64, integer bool, ok bool) {
	digits := strings.TrimPrefix(s, "-")
	whole, frac, dotted := strings.Cut(digits, ".")
	if !allDigits(whole) || (dotted && !allDigits(frac)) {
		return 0, false, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, false, false
	}
	if v == 0 {
		v = 0 // no negative zero
	}
	return v, !dotted, true
}

// parseInt reads -?[0-9]+ within [min, max].
func parseInt(s string, min, max int) (int, bool) {
	if !allDigits(strings.TrimPrefix(s, "-")) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		return 0, false
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// --- w, h ---

func parseWidth(c *Component, v string) (err error)  { c.Width, err = parseSize(v); return err }
func parseHeight(c *Component, v string) (err error) { c.Height, err = parseSize(v); return err }
func printWidth(c *Component) (string, bool)         { return printLength(c.Width) }
func printHeight(c *Component) (string, bool)        { return printLength(c.Height) }

// parseSize reads a w_/h_ value: pixels > 0, a fraction in (0, 1] (written with a decimal
// point), or iw/ih with an optional _mul_<n> / _div_<n>.
func parseSize(v string) (Length, error) {
	if l, ok, err := parseInitial(v); ok {
		return l, err
	}
	n, integer, ok := parseNumber(v)
	switch {
	case !ok:
		return Length{}, errInvalid
	case integer && n > 0 && n <= maxDimension:
		return Length{Kind: Pixels, Value: n}, nil
	case integer:
		return Length{}, errors.New("must be 1.." + strconv.Itoa(maxDimension) + " pixels")
	case n > 0 && n <= 1:
		return Length{Kind: Fraction, Value: n}, nil
	default:
		return Length{}, errors.New("a decimal is a fraction and must be in (0, 1.0]")
	}
}

// parseInitial reads iw, ih, iw_mul_<n>, iw_div_<n>, ih_mul_<n>, ih_div_<n>; ok is false when v is
// none of these forms.
func parseInitial(v string) (l Length, ok bool, err error) {
	var kind LengthKind
	switch {
	case strings.HasPrefix(v, "iw"):
		kind = InitialWidth
	case strings.HasPrefix(v, "ih"):
		kind = InitialHeight
	default:
		return Length{}, false, nil
	}
	rest := v[2:]
	if rest == "" {
		return Length{Kind: kind, Value: 1}, true, nil
	}
	var factor float64
	if s, found := strings.CutPrefix(rest, "_mul_"); found {
		n, _, numOK := parseNumber(s)
		if !numOK || n <= 0 {
			return Length{}, true, errInvalid
		}
		factor = n
	} else if s, found := strings.CutPrefix(rest, "_div_"); found {
		n, _, numOK := parseNumber(s)
		if !numOK || n <= 0 {
			return Length{}, true, errInvalid
		}
		factor = 1 / n
	} else {
		return Length{}, true, errInvalid
	}
	if factor <= 0 || factor > maxInitialMul {
		return Length{}, true, errors.New("factor out of range")
	}
	return Length{Kind: kind, Value: factor}, true, nil
}

// printLength prints a w/h/x/y length: pixels as integers, fractions with at least one decimal,
// multiples of iw/ih as iw, iw_div_<n> when the factor is exactly 1/n, else iw_mul_<factor>.
func printLength(l Length) (string, bool) {
	switch l.Kind {
	case Pixels:
		return strconv.FormatInt(int64(l.Value), 10), true
	case Fraction:
		return formatFloat(l.Value, true), true
	case InitialWidth:
		return printInitial("iw", l.Value), true
	case InitialHeight:
		return printInitial("ih", l.Value), true
	}
	return "", false
}

func printInitial(name string, factor float64) string {
	if factor == 1 {
		return name
	}
	if factor < 1 {
		if n := math.Round(1 / factor); n >= 2 && 1/n == factor {
			return name + "_div_" + strconv.FormatFloat(n, 'f', -1, 64)
		}
	}
	return name + "_mul_" + formatFloat(factor, false)
}

// --- x, y ---

func parseX(c *Component, v string) (err error) { c.X, err = parseOffset(v); return err }
func parseY(c *Component, v string) (err error) { c.Y, err = parseOffset(v); return err }
func printX(c *Component) (string, bool)        { return printLength(c.X) }
func printY(c *Component) (string, bool)        { return printLength(c.Y) }

// parseOffset reads an x_/y_ value: integer pixels (negative allowed) or a fraction in [-1, 1].
// A zero fraction is the same offset as zero pixels and becomes Pixels 0.
func parseOffset(v string) (Length, error) {
	n, integer, ok := parseNumber(v)
	switch {
	case !ok:
		return Length{}, errInvalid
	case n == 0:
		return Length{Kind: Pixels}, nil
	case integer && math.Abs(n) <= maxDimension:
		return Length{Kind: Pixels, Value: n}, nil
	case !integer && math.Abs(n) <= 1:
		return Length{Kind: Fraction, Value: n}, nil
	}
	return Length{}, errors.New("out of range")
}

// --- ar, z, dpr ---

func parseAspectRatio(c *Component, v string) error {
	var r float64
	if a, b, ratio := strings.Cut(v, ":"); ratio {
		x, okA := parseInt(a, 1, maxDimension)
		y, okB := parseInt(b, 1, maxDimension)
		if !okA || !okB {
			return errInvalid
		}
		r = float64(x) / float64(y)
	} else {
		n, _, ok := parseNumber(v)
		if !ok {
			return errInvalid
		}
		r = n
	}
	if !(r >= 1.0/maxAspectRatio && r <= maxAspectRatio) {
		return errors.New("out of range")
	}
	c.AspectRatio = r
	return nil
}

// printAspectRatio prints a ratio as a decimal with at least one decimal place, except when the
// decimal needs more than 4 places and the value is exactly a/b with b <= 100: then "a:b"
// (16:9 stays 16:9, 3:2 becomes 1.5).
func printAspectRatio(c *Component) (string, bool) {
	r := c.AspectRatio
	if r == 0 {
		return "", false
	}
	s := formatFloat(r, true)
	if _, frac, _ := strings.Cut(s, "."); len(frac) <= 4 {
		return s, true
	}
	for b := 2.0; b <= 100; b++ {
		if a := math.Round(r * b); a >= 1 && a/b == r {
			return strconv.FormatFloat(a, 'f', -1, 64) + ":" + strconv.FormatFloat(b, 'f', -1, 64), true
		}
	}
	return s, true
}

func parseZoom(c *Component, v string) error {
	n, _, ok := parseNumber(v)
	if !ok || n <= 0 || n > maxZoom {
		return errInvalid
	}
	c.Zoom = n
	return nil
}

func printZoom(c *Component) (string, bool) {
	if c.Zoom == 0 {
		return "", false
	}
	return formatFloat(c.Zoom, true), true
}

func parseDPR(c *Component, v string) error {
	if v == "auto" {
		c.DPR = DPR{Auto: true}
		return nil
	}
	n, _, ok := parseNumber(v)
	if !ok {
		return errInvalid
	}
	if n < minDPR || n > maxDPR {
		return errors.New("must be 0.1..5.0 or auto")
	}
	c.DPR = DPR{Value: n}
	return nil
}

func printDPR(c *Component) (string, bool) {
	switch {
	case c.DPR.Auto:
		return "auto", true
	case c.DPR.Value != 0:
		return formatFloat(c.DPR.Value, true), true
	}
	return "", false
}

// --- q, f ---

// qualityLevels are the q_auto:<level> names; bare q_auto means good.
var qualityLevels = []string{"best", "good", "eco", "low"}

func parseQuality(c *Component, v string) error {
	if v == "auto" {
		c.Quality = Quality{Auto: "good"}
		return nil
	}
	if level, ok := strings.CutPrefix(v, "auto:"); ok {
		for _, l := range qualityLevels {
			if level == l {
				c.Quality = Quality{Auto: l}
				return nil
			}
		}
		return errInvalid
	}
	// q_80:420: the chroma subsampling is accepted and not applied.
	num, chroma, hasChroma := strings.Cut(v, ":")
	if hasChroma && chroma != "420" && chroma != "422" && chroma != "444" {
		return errInvalid
	}
	n, ok := parseInt(num, 1, 100)
	if !ok {
		return errors.New("must be 1..100 or auto[:best|good|eco|low]")
	}
	c.Quality = Quality{Value: n}
	return nil
}

func printQuality(c *Component) (string, bool) {
	switch {
	case c.Quality.Auto == "good":
		return "auto", true
	case c.Quality.Auto != "":
		return "auto:" + c.Quality.Auto, true
	case c.Quality.Value != 0:
		return strconv.Itoa(c.Quality.Value), true
	}
	return "", false
}

func parseFormat(c *Component, v string) error {
	switch v {
	case "jpg", "jpeg", "png", "webp", "avif", "gif", "heic", "tiff", "auto":
		c.Format = NormalizeFormat(v)
		return nil
	}
	return errInvalid
}

func printFormat(c *Component) (string, bool) { return c.Format, c.Format != "" }

// NormalizeFormat lowercases a format or extension name, drops a leading dot, and maps aliases
// to Cloudinary's names (jpeg, jpe → jpg; tif → tiff).
func NormalizeFormat(f string) string {
	f = strings.ToLower(strings.TrimPrefix(f, "."))
	switch f {
	case "jpeg", "jpe":
		return "jpg"
	case "tif":
		return "tiff"
	}
	return f
}

// --- c, g ---

var cropModes = []CropMode{CropScale, CropFit, CropLimit, CropMFit, CropFill, CropLFill, CropFillPad,
	CropPad, CropLPad, CropMPad, CropCrop, CropThumb}

var gravities = []Gravity{GravityNorthWest, GravityNorth, GravityNorthEast, GravityWest, GravityCenter,
	GravityEast, GravitySouthWest, GravitySouth, GravitySouthEast, GravityAuto, GravityFace, GravityFaces}

func parseCrop(c *Component, v string) error {
	for _, m := range cropModes {
		if v == string(m) {
			c.Crop = m
			return nil
		}
	}
	return errInvalid
}

func printCrop(c *Component) (string, bool) { return string(c.Crop), c.Crop != "" }

func parseGravity(c *Component, v string) error {
	for _, g := range gravities {
		if v == string(g) {
			c.Gravity = g
			return nil
		}
	}
	return errInvalid
}

func printGravity(c *Component) (string, bool) { return string(c.Gravity), c.Gravity != "" }

// --- r ---

// parseRadius reads r_<n>, r_max, or 2-4 values joined with ":". Corners are filled as
// Cloudinary (and CSS border-radius) read them: a:b → TL=BR=a, TR=BL=b; a:b:c → TL=a,
// TR=BL=b, BR=c; a:b:c:d → TL, TR, BR, BL.
func parseRadius(c *Component, v string) error {
	if v == "max" {
		c.Radius = Radius{Max: true}
		return nil
	}
	parts := strings.Split(v, ":")
	if len(parts) > 4 {
		return errors.New("1 to 4 values")
	}
	var n [4]int
	for i, p := range parts {
		r, ok := parseInt(p, 0, maxDimension)
		if !ok {
			return errInvalid
		}
		n[i] = r
	}
	var corners [4]int
	switch len(parts) {
	case 1:
		corners = [4]int{n[0], n[0], n[0], n[0]}
	case 2:
		corners = [4]int{n[0], n[1], n[0], n[1]}
	case 3:
		corners = [4]int{n[0], n[1], n[2], n[1]}
	case 4:
		corners = n
	}
	c.Radius = Radius{Corners: corners, Count: len(parts)}
	return nil
}

// printRadius prints the shortest list that gives the same corners.
func printRadius(c *Component) (string, bool) {
	r := c.Radius
	if r.Max {
		return "max", true
	}
	if r.Count == 0 {
		return "", false
	}
	k := r.Corners
	var vals []int
	switch {
	case k[0] == k[1] && k[1] == k[2] && k[2] == k[3]:
		vals = k[:1]
	case k[0] == k[2] && k[1] == k[3]:
		vals = k[:2]
	case k[1] == k[3]:
		vals = k[:3]
	default:
		vals = k[:]
	}
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ":"), true
}

// --- a ---

// angleModes are the a_ modes in the order Canonical prints them, after the degrees.
var angleModes = []struct {
	name string
	flag func(*Angle) *bool
}{
	{"auto_right", func(a *Angle) *bool { return &a.AutoRight }},
	{"auto_left", func(a *Angle) *bool { return &a.AutoLeft }},
	{"hflip", func(a *Angle) *bool { return &a.HFlip }},
	{"vflip", func(a *Angle) *bool { return &a.VFlip }},
	{"ignore", func(a *Angle) *bool { return &a.Ignore }},
}

// parseAngle reads degrees and modes joined with ".". Degrees may be decimal ("a_12.5.hflip"),
// so a number followed by a run of digits is one value. Degrees are reduced to [0, 360).
func parseAngle(c *Component, v string) error {
	var a Angle
	parts := strings.Split(v, ".")
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if allDigits(strings.TrimPrefix(p, "-")) {
			if i+1 < len(parts) && allDigits(parts[i+1]) {
				p += "." + parts[i+1]
				i++
			}
			d, _, ok := parseNumber(p)
			if !ok || a.HasDegrees {
				return errInvalid
			}
			d = math.Mod(d, 360)
			if d < 0 {
				d += 360
			}
			if d >= 360 || d == 0 { // -1e-20 + 360 rounds to 360; -0 becomes 0
				d = 0
			}
			a.Degrees, a.HasDegrees = d, true
			continue
		}
		known := false
		for _, m := range angleModes {
			if p == m.name {
				f := m.flag(&a)
				if *f {
					return errors.New(p + " given twice")
				}
				*f, known = true, true
			}
		}
		if !known {
			return errInvalid
		}
	}
	if a.AutoLeft && a.AutoRight {
		return errors.New("auto_left and auto_right together")
	}
	c.Angle = a
	return nil
}

func printAngle(c *Component) (string, bool) {
	a := c.Angle
	var parts []string
	if a.HasDegrees {
		parts = append(parts, formatFloat(a.Degrees, false))
	}
	for _, m := range angleModes {
		if *m.flag(&a) {
			parts = append(parts, m.name)
		}
	}
	return strings.Join(parts, "."), len(parts) > 0
}

// --- o, pg ---

func parseOpacity(c *Component, v string) error {
	n, ok := parseInt(v, 0, 100)
	if !ok {
		return errInvalid
	}
	c.Opacity = Percent{Value: n, Set: true}
	return nil
}

func printOpacity(c *Component) (string, bool) {
	return strconv.Itoa(c.Opacity.Value), c.Opacity.Set
}

func parsePage(c *Component, v string) error {
	n, ok := parseInt(v, 1, maxPage)
	if !ok {
		return errInvalid
	}
	c.Page = n
	return nil
}

func printPage(c *Component) (string, bool) { return strconv.Itoa(c.Page), c.Page != 0 }

// --- b, co, bo ---

func parseBackground(c *Component, v string) error {
	col, ok := ParseColor(v)
	if !ok {
		return errInvalid
	}
	c.Background = col
	return nil
}

func printBackground(c *Component) (string, bool) {
	return c.Background.String(), c.Background.Set
}

func parseColorParam(c *Component, v string) error {
	col, ok := ParseColor(v)
	if !ok {
		return errInvalid
	}
	c.Color = col
	return nil
}

func printColorParam(c *Component) (string, bool) { return c.Color.String(), c.Color.Set }

// parseBorder reads <n>px_solid_<color>.
func parseBorder(c *Component, v string) error {
	w, color, ok := strings.Cut(v, "px_solid_")
	if !ok {
		return errInvalid
	}
	n, okW := parseInt(w, 1, maxDimension)
	col, okC := ParseColor(color)
	if !okW || !okC {
		return errInvalid
	}
	c.Border = Border{Width: n, Color: col}
	return nil
}

func printBorder(c *Component) (string, bool) {
	if c.Border.Width == 0 {
		return "", false
	}
	return strconv.Itoa(c.Border.Width) + "px_solid_" + c.Border.Color.String(), true
}

// --- l, u, d ---

func parseOverlay(c *Component, v string) (err error)  { c.Overlay, err = parseLayer(v); return err }
func parseUnderlay(c *Component, v string) (err error) { c.Underlay, err = parseLayer(v); return err }
func printOverlay(c *Component) (string, bool)         { return printLayer(c.Overlay) }
func printUnderlay(c *Component) (string, bool)        { return printLayer(c.Underlay) }

// layerResourcePrefixes start layer values of resource types or delivery types cloudlet does not
// lay over images.
var layerResourcePrefixes = []string{"video:", "fetch:", "subtitles:", "audio:", "raw:", "lut:"}

func parseLayer(v string) (*Layer, error) {
	if rest, ok := strings.CutPrefix(v, "text:"); ok {
		t, err := parseTextLayer(rest)
		if err != nil {
			return nil, err
		}
		return &Layer{Text: t}, nil
	}
	for _, p := range layerResourcePrefixes {
		if strings.HasPrefix(v, p) {
			return nil, errors.New("only image and text layers are supported")
		}
	}
	id, err := decodePublicID(v)
	if err != nil {
		return nil, err
	}
	return &Layer{PublicID: id}, nil
}

func printLayer(l *Layer) (string, bool) {
	switch {
	case l == nil:
		return "", false
	case l.Text != nil:
		t := l.Text
		style := escapeFont(t.Font) + "_" + strconv.Itoa(t.Size)
		if t.Bold {
			style += "_bold"
		}
		if t.Italic {
			style += "_italic"
		}
		return "text:" + style + ":" + escapeText(t.Text), true
	}
	return encodePublicID(l.PublicID), true
}

// parseTextLayer reads <font>_<size>[_bold][_italic]:<text> (after "text:"). The font is every
// "_"-separated word before the first all-digit one, the size.
func parseTextLayer(v string) (*TextLayer, error) {
	style, rawText, ok := strings.Cut(v, ":")
	if !ok {
		return nil, errors.New("text layer needs <font>_<size>:<text>")
	}
	words := strings.Split(style, "_")
	sizeAt := -1
	for i, w := range words {
		if allDigits(w) {
			sizeAt = i
			break
		}
	}
	if sizeAt < 1 {
		return nil, errors.New("text layer needs <font>_<size>")
	}
	font, err := decodeFont(strings.Join(words[:sizeAt], "_"))
	if err != nil {
		return nil, err
	}
	size, ok := parseInt(words[sizeAt], 1, maxFontSize)
	if !ok {
		return nil, errors.New("font size must be 1.." + strconv.Itoa(maxFontSize))
	}
	t := &TextLayer{Font: font, Size: size}
	for _, w := range words[sizeAt+1:] {
		switch {
		case w == "bold" && !t.Bold:
			t.Bold = true
		case w == "italic" && !t.Italic:
			t.Italic = true
		case w == "normal":
		default:
			return nil, errors.New("unsupported text style " + w)
		}
	}
	text, err := decodeText(rawText)
	if err != nil {
		return nil, err
	}
	t.Text = text
	return t, nil
}

func parseDefault(c *Component, v string) error {
	id, err := decodePublicID(v)
	if err != nil {
		return err
	}
	base := id[strings.LastIndexByte(id, '/')+1:]
	dot := strings.LastIndexByte(base, '.')
	if dot < 1 || !isAlnum(base[dot+1:]) {
		return errors.New("needs <public_id>.<extension>")
	}
	c.Default = id
	return nil
}

func printDefault(c *Component) (string, bool) {
	return encodePublicID(c.Default), c.Default != ""
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}

// --- fl ---

// flagNames are the fl_ values in the order Canonical prints them (the order of Flags' fields).
var flagNames = []struct {
	name string
	flag func(*Flags) *bool
}{
	{"attachment", func(f *Flags) *bool { return &f.Attachment }},
	{"progressive", func(f *Flags) *bool { return &f.Progressive }},
	{"lossy", func(f *Flags) *bool { return &f.Lossy }},
	{"strip_profile", func(f *Flags) *bool { return &f.StripProfile }},
	{"keep_iptc", func(f *Flags) *bool { return &f.KeepIPTC }},
	{"preserve_transparency", func(f *Flags) *bool { return &f.PreserveTransparency }},
	{"animated", func(f *Flags) *bool { return &f.Animated }},
	{"layer_apply", func(f *Flags) *bool { return &f.LayerApply }},
	{"relative", func(f *Flags) *bool { return &f.Relative }},
}

func parseFlags(c *Component, v string) error {
	var fl Flags
	for _, p := range strings.Split(v, ".") {
		name, arg, hasArg := strings.Cut(p, ":")
		if hasArg && name != "attachment" {
			return errInvalid
		}
		known := false
		for _, f := range flagNames {
			if name == f.name {
				b := f.flag(&fl)
				if *b {
					return errors.New(name + " given twice")
				}
				*b, known = true, true
			}
		}
		if !known {
			return errInvalid
		}
		if hasArg {
			n, err := decodeAttachmentName(arg)
			if err != nil {
				return err
			}
			fl.AttachmentName = n
		}
	}
	c.Flags = fl
	return nil
}

func printFlags(c *Component) (string, bool) {
	fl := c.Flags
	var parts []string
	for _, f := range flagNames {
		if !*f.flag(&fl) {
			continue
		}
		if f.name == "attachment" && fl.AttachmentName != "" {
			parts = append(parts, "attachment:"+escapeBytes(fl.AttachmentName, isWordByte))
			continue
		}
		parts = append(parts, f.name)
	}
	return strings.Join(parts, "."), len(parts) > 0
}

// --- t ---

func parseNamed(c *Component, v string) error {
	names := strings.Split(v, ".")
	for _, n := range names {
		if !validName(n) {
			return errInvalid
		}
	}
	c.Named = names
	return nil
}

func printNamed(c *Component) (string, bool) {
	return strings.Join(c.Named, "."), len(c.Named) > 0
}

// validName says whether n is a named transformation name: [A-Za-z0-9_-]+.
func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		b := n[i]
		if !isWordByte(b) {
			return false
		}
	}
	return true
}

// --- e ---

// effectSpec is one e_ effect: no argument, one optional integer level in [min, max], or
// arguments checked and normalised by args.
type effectSpec struct {
	name     string
	level    bool
	min, max int
	args     func(args []string) ([]string, error)
}

var effects = []effectSpec{
	{name: "grayscale"},
	{name: "negate"},
	{name: "blackwhite", level: true, min: 0, max: 100},
	{name: "sepia", level: true, min: 1, max: 100},
	{name: "blur", level: true, min: 1, max: 2000},
	{name: "sharpen", level: true, min: 1, max: 2000},
	{name: "unsharp_mask", level: true, min: 1, max: 2000},
	{name: "brightness", level: true, min: -99, max: 100},
	{name: "contrast", level: true, min: -100, max: 100},
	{name: "saturation", level: true, min: -100, max: 100},
	{name: "gamma", level: true, min: -50, max: 150},
	{name: "pixelate", level: true, min: 1, max: 200},
	{name: "colorize", level: true, min: 0, max: 100},
	{name: "auto_contrast", level: true, min: 0, max: 100},
	{name: "vignette", level: true, min: 0, max: 100},
	{name: "tint", args: tintArgs},
	{name: "trim", args: trimArgs},
	{name: "improve", args: improveArgs},
}

// parseEffect reads e_<name>[:<arg>...]. Effect.Args holds the arguments in canonical text
// (integers without leading zeros, colours as rgb:rrggbb[aa] in one element, tint positions
// as <n>p); Level is the first integer argument. A level equal to the effect's default is kept
// as written: e_sepia and e_sepia:80 are different canonical strings.
func parseEffect(c *Component, v string) error {
	name, rest, hasArgs := strings.Cut(v, ":")
	var args []string
	if hasArgs {
		args = strings.Split(rest, ":")
	}
	var spec *effectSpec
	for i := range effects {
		if effects[i].name == name {
			spec = &effects[i]
		}
	}
	if spec == nil {
		return errInvalid
	}
	var err error
	switch {
	case spec.args != nil:
		args, err = spec.args(args)
	case spec.level && len(args) == 1:
		n, ok := parseInt(args[0], spec.min, spec.max)
		if !ok {
			return errors.New(name + " level must be " + strconv.Itoa(spec.min) + ".." + strconv.Itoa(spec.max))
		}
		args = []string{strconv.Itoa(n)}
	case spec.level && len(args) > 1:
		return errors.New(name + " takes one level")
	case !spec.level && len(args) > 0:
		return errors.New(name + " takes no argument")
	}
	if err != nil {
		return err
	}
	e := Effect{Name: name, Args: args}
	for _, a := range args {
		if n, ok := parseInt(a, math.MinInt32, math.MaxInt32); ok {
			e.Level, e.HasLevel = float64(n), true
			break
		}
	}
	c.Effect = e
	return nil
}

func printEffect(c *Component) (string, bool) {
	e := c.Effect
	if e.Name == "" {
		return "", false
	}
	if len(e.Args) == 0 {
		return e.Name, true
	}
	return e.Name + ":" + strings.Join(e.Args, ":"), true
}

// colorArg reads a colour at args[i]: a name, or "rgb" followed by the hex digits (a colour
// written rgb:ff0000 inside an effect spans two ":"-separated arguments).
func colorArg(args []string, i int) (Color, int, bool) {
	if args[i] == "rgb" && i+1 < len(args) {
		col, ok := ParseColor("rgb:" + args[i+1])
		return col, 2, ok
	}
	col, ok := ParseColor(args[i])
	return col, 1, ok
}

// tintArgs reads tint[:equalize][:<amount 0..100>][:<color>[:<position 0..100>p]]...
func tintArgs(args []string) ([]string, error) {
	var out []string
	i := 0
	if i < len(args) && args[i] == "equalize" {
		out = append(out, "equalize")
		i++
	}
	if i < len(args) && allDigits(strings.TrimPrefix(args[i], "-")) {
		n, ok := parseInt(args[i], 0, 100)
		if !ok {
			return nil, errors.New("tint amount must be 0..100")
		}
		out = append(out, strconv.Itoa(n))
		i++
	}
	colors := 0
	for i < len(args) {
		col, used, ok := colorArg(args, i)
		if !ok {
			return nil, errors.New("tint color " + args[i])
		}
		out = append(out, col.String())
		i += used
		if colors++; colors > maxTintColors {
			return nil, errors.New("at most 10 tint colors")
		}
		if i < len(args) && strings.HasSuffix(args[i], "p") {
			pos, ok := parseInt(strings.TrimSuffix(args[i], "p"), 0, 100)
			if !ok {
				return nil, errors.New("tint position must be 0..100p")
			}
			out = append(out, strconv.Itoa(pos)+"p")
			i++
		}
	}
	return out, nil
}

// trimArgs reads trim[:<tolerance 0..100>][:<color>].
func trimArgs(args []string) ([]string, error) {
	var out []string
	i := 0
	if i < len(args) && allDigits(strings.TrimPrefix(args[i], "-")) {
		n, ok := parseInt(args[i], 0, 100)
		if !ok {
			return nil, errors.New("trim tolerance must be 0..100")
		}
		out = append(out, strconv.Itoa(n))
		i++
	}
	if i < len(args) {
		col, used, ok := colorArg(args, i)
		if !ok || i+used != len(args) {
			return nil, errors.New("trim takes a tolerance and a color")
		}
		out = append(out, col.String())
	}
	return out, nil
}

// improveArgs reads improve[:indoor|outdoor][:<blend 0..100>].
func improveArgs(args []string) ([]string, error) {
	var out []string
	i := 0
	if i < len(args) && (args[i] == "indoor" || args[i] == "outdoor") {
		out = append(out, args[i])
		i++
	}
	if i < len(args) {
		n, ok := parseInt(args[i], 0, 100)
		if !ok || i+1 != len(args) {
			return nil, errors.New("improve takes a mode (indoor, outdoor) and a blend 0..100")
		}
		out = append(out, strconv.Itoa(n))
	}
	return out, nil
}

// --- colours ---

// ParseColor reads a colour as URLs write it: a name (CSS names, plus transparent) or
// rgb:RGB, rgb:RRGGBB, rgb:RRGGBBAA (hex digits in either case). A bare hex value is refused.
func ParseColor(s string) (Color, bool) {
	if hex, ok := strings.CutPrefix(s, "rgb:"); ok {
		if len(hex) == 3 {
			hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
		}
		if len(hex) == 6 {
			hex += "ff"
		}
		if len(hex) != 8 {
			return Color{}, false
		}
		v, err := strconv.ParseUint(hex, 16, 32)
		if err != nil {
			return Color{}, false
		}
		return Color{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v), Set: true}, true
	}
	if strings.EqualFold(s, "transparent") {
		return Color{Set: true}, true
	}
	v, ok := colorNames[strings.ToLower(s)]
	if !ok {
		return Color{}, false
	}
	return Color{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255, Set: true}, true
}

// String is the canonical text of a colour: rgb:rrggbb in lowercase, with the alpha byte only
// when it is not ff. Names print as their value (red → rgb:ff0000).
func (c Color) String() string {
	const hexDigits = "0123456789abcdef"
	b := []byte("rgb:")
	bytes := []uint8{c.R, c.G, c.B}
	if c.A != 255 {
		bytes = append(bytes, c.A)
	}
	for _, v := range bytes {
		b = append(b, hexDigits[v>>4], hexDigits[v&15])
	}
	return string(b)
}

// colorNames are the CSS named colours (0xRRGGBB).
var colorNames = map[string]uint32{
	"aliceblue": 0xf0f8ff, "antiquewhite": 0xfaebd7, "aqua": 0x00ffff, "aquamarine": 0x7fffd4,
	"azure": 0xf0ffff, "beige": 0xf5f5dc, "bisque": 0xffe4c4, "black": 0x000000,
	"blanchedalmond": 0xffebcd, "blue": 0x0000ff, "blueviolet": 0x8a2be2, "brown": 0xa52a2a,
	"burlywood": 0xdeb887, "cadetblue": 0x5f9ea0, "chartreuse": 0x7fff00, "chocolate": 0xd2691e,
	"coral": 0xff7f50, "cornflowerblue": 0x6495ed, "cornsilk": 0xfff8dc, "crimson": 0xdc143c,
	"cyan": 0x00ffff, "darkblue": 0x00008b, "darkcyan": 0x008b8b, "darkgoldenrod": 0xb8860b,
	"darkgray": 0xa9a9a9, "darkgreen": 0x006400, "darkgrey": 0xa9a9a9, "darkkhaki": 0xbdb76b,
	"darkmagenta": 0x8b008b, "darkolivegreen": 0x556b2f, "darkorange": 0xff8c00, "darkorchid": 0x9932cc,
	"darkred": 0x8b0000, "darksalmon": 0xe9967a, "darkseagreen": 0x8fbc8f, "darkslateblue": 0x483d8b,
	"darkslategray": 0x2f4f4f, "darkslategrey": 0x2f4f4f, "darkturquoise": 0x00ced1, "darkviolet": 0x9400d3,
	"deeppink": 0xff1493, "deepskyblue": 0x00bfff, "dimgray": 0x696969, "dimgrey": 0x696969,
	"dodgerblue": 0x1e90ff, "firebrick": 0xb22222, "floralwhite": 0xfffaf0, "forestgreen": 0x228b22,
	"fuchsia": 0xff00ff, "gainsboro": 0xdcdcdc, "ghostwhite": 0xf8f8ff, "gold": 0xffd700,
	"goldenrod": 0xdaa520, "gray": 0x808080, "grey": 0x808080, "green": 0x008000,
	"greenyellow": 0xadff2f, "honeydew": 0xf0fff0, "hotpink": 0xff69b4, "indianred": 0xcd5c5c,
	"indigo": 0x4b0082, "ivory": 0xfffff0, "khaki": 0xf0e68c, "lavender": 0xe6e6fa,
	"lavenderblush": 0xfff0f5, "lawngreen": 0x7cfc00, "lemonchiffon": 0xfffacd, "lightblue": 0xadd8e6,
	"lightcoral": 0xf08080, "lightcyan": 0xe0ffff, "lightgoldenrodyellow": 0xfafad2, "lightgray": 0xd3d3d3,
	"lightgreen": 0x90ee90, "lightgrey": 0xd3d3d3, "lightpink": 0xffb6c1, "lightsalmon": 0xffa07a,
	"lightseagreen": 0x20b2aa, "lightskyblue": 0x87cefa, "lightslategray": 0x778899, "lightslategrey": 0x778899,
	"lightsteelblue": 0xb0c4de, "lightyellow": 0xffffe0, "lime": 0x00ff00, "limegreen": 0x32cd32,
	"linen": 0xfaf0e6, "magenta": 0xff00ff, "maroon": 0x800000, "mediumaquamarine": 0x66cdaa,
	"mediumblue": 0x0000cd, "mediumorchid": 0xba55d3, "mediumpurple": 0x9370db, "mediumseagreen": 0x3cb371,
	"mediumslateblue": 0x7b68ee, "mediumspringgreen": 0x00fa9a, "mediumturquoise": 0x48d1cc, "mediumvioletred": 0xc71585,
	"midnightblue": 0x191970, "mintcream": 0xf5fffa, "mistyrose": 0xffe4e1, "moccasin": 0xffe4b5,
	"navajowhite": 0xffdead, "navy": 0x000080, "oldlace": 0xfdf5e6, "olive": 0x808000,
	"olivedrab": 0x6b8e23, "orange": 0xffa500, "orangered": 0xff4500, "orchid": 0xda70d6,
	"palegoldenrod": 0xeee8aa, "palegreen": 0x98fb98, "paleturquoise": 0xafeeee, "palevioletred": 0xdb7093,
	"papayawhip": 0xffefd5, "peachpuff": 0xffdab9, "peru": 0xcd853f, "pink": 0xffc0cb,
	"plum": 0xdda0dd, "powderblue": 0xb0e0e6, "purple": 0x800080, "rebeccapurple": 0x663399,
	"red": 0xff0000, "rosybrown": 0xbc8f8f, "royalblue": 0x4169e1, "saddlebrown": 0x8b4513,
	"salmon": 0xfa8072, "sandybrown": 0xf4a460, "seagreen": 0x2e8b57, "seashell": 0xfff5ee,
	"sienna": 0xa0522d, "silver": 0xc0c0c0, "skyblue": 0x87ceeb, "slateblue": 0x6a5acd,
	"slategray": 0x708090, "slategrey": 0x708090, "snow": 0xfffafa, "springgreen": 0x00ff7f,
	"steelblue": 0x4682b4, "tan": 0xd2b48c, "teal": 0x008080, "thistle": 0xd8bfd8,
	"tomato": 0xff6347, "turquoise": 0x40e0d0, "violet": 0xee82ee, "wheat": 0xf5deb3,
	"white": 0xffffff, "whitesmoke": 0xf5f5f5, "yellow": 0xffff00, "yellowgreen": 0x9acd32,
}
