package transform

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// ParseError is a transformation Cloudinary would refuse with 400. Param is the parameter's URL
// key ("w", "c"...; "" when the fault is the chain's shape), Value the offending text as it
// appeared in the URL (still percent-encoded), Message the text for X-Cld-Error.
type ParseError struct{ Param, Value, Message string }

func (e *ParseError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return "Invalid " + e.Param + " - " + e.Value
}

// Parse reads a transformation as it appears in a delivery URL path (components separated by
// "/", parameters by ","; values still percent-encoded as in the URL). It returns a typed Chain.
// Every unknown key or bad value is a *ParseError; the empty string is the empty Chain.
func Parse(s string) (Chain, error) {
	if s == "" {
		return Chain{}, nil
	}
	parts := strings.Split(s, "/")
	chain := Chain{Components: make([]Component, 0, len(parts))}
	for _, p := range parts {
		if p == "" {
			return Chain{}, &ParseError{Value: s, Message: "Invalid transformation - " + s + " (empty component)"}
		}
		c, err := parseComponent(p)
		if err != nil {
			return Chain{}, err
		}
		chain.Components = append(chain.Components, c)
	}
	return chain, nil
}

// parseComponent reads one "/"-separated component: its ","-separated parameters, each
// "<key>_<value>", each key at most once; then the checks that involve several parameters.
func parseComponent(s string) (Component, error) {
	var c Component
	var seen uint64 // bit i: params[i] given (the table has fewer than 64 entries)
	for _, tok := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(tok, "_")
		i := -1
		if ok {
			i = paramIndex(key)
		}
		if i < 0 {
			return Component{}, &ParseError{Param: key, Value: tok, Message: "Invalid transformation parameter - " + tok}
		}
		if seen&(1<<i) != 0 {
			return Component{}, &ParseError{Param: key, Value: value,
				Message: "Invalid transformation component - " + s + " (" + key + " given twice)"}
		}
		seen |= 1 << i
		spec := &params[i]
		if err := spec.parse(&c, value); err != nil {
			return Component{}, valueError(spec, value, err)
		}
	}
	if err := checkComponent(&c, s); err != nil {
		return Component{}, err
	}
	return c, nil
}

// valueError makes the *ParseError for a value a parse func refused.
func valueError(spec *paramSpec, value string, err error) *ParseError {
	msg := "Invalid " + spec.name + " - " + value
	if err != errInvalid {
		msg += " (" + err.Error() + ")"
	}
	return &ParseError{Param: spec.key, Value: value, Message: msg}
}

// smartCropModes are the crop modes that accept g_auto, g_face and g_faces.
var smartCropModes = []CropMode{CropFill, CropLFill, CropFillPad, CropCrop, CropThumb}

// checkComponent applies Cloudinary's rules between parameters of one component.
func checkComponent(c *Component, raw string) error {
	if c.Overlay != nil && c.Underlay != nil {
		return &ParseError{Param: "u", Value: raw, Message: "Invalid transformation component - " + raw + " (l and u together)"}
	}
	switch c.Gravity {
	case GravityAuto, GravityFace, GravityFaces:
		smart := slices.Contains(smartCropModes, c.Crop)
		// Without a crop mode, g_face/g_faces place a layer (l_/u_ or fl_layer_apply).
		placesLayer := c.Crop == "" && c.Gravity != GravityAuto &&
			(c.Overlay != nil || c.Underlay != nil || c.Flags.LayerApply)
		if !smart && !placesLayer {
			mode := string(c.Crop)
			if mode == "" {
				mode = "none"
			}
			return &ParseError{Param: "g", Value: string(c.Gravity), Message: "Invalid gravity - " + string(c.Gravity) +
				" (only with crop modes fill, lfill, fill_pad, crop, thumb; crop mode is " + mode + ")"}
		}
	}
	if c.Crop == CropFillPad && c.Gravity != GravityAuto {
		return &ParseError{Param: "c", Value: string(c.Crop), Message: "Invalid crop mode - fill_pad (requires g_auto)"}
	}
	return nil
}

// decodePublicID reads a layer or default-image public id: folders written ":", each part
// percent-decoded once. The result uses "/" between folders and has no empty part.
func decodePublicID(raw string) (string, error) {
	parts := strings.Split(raw, ":")
	for i, p := range parts {
		d, err := url.PathUnescape(p)
		if err != nil {
			return "", errInvalid
		}
		parts[i] = d
	}
	id := strings.Join(parts, "/")
	if !utf8.ValidString(id) || hasControl(id) {
		return "", errInvalid
	}
	for _, p := range strings.Split(id, "/") {
		if p == "" {
			return "", errors.New("empty public id or folder")
		}
	}
	return id, nil
}

// decodeFont reads a text layer's font family, percent-decoded once: letters, digits, spaces,
// "-" and "_", and no all-digit "_"-separated word (that would read as the size).
func decodeFont(raw string) (string, error) {
	font, err := url.PathUnescape(raw)
	if err != nil || font == "" {
		return "", errors.New("font family")
	}
	for i := 0; i < len(font); i++ {
		if b := font[i]; b != ' ' && !isWordByte(b) {
			return "", errors.New("font family")
		}
	}
	for _, w := range strings.Split(font, "_") {
		if allDigits(w) {
			return "", errors.New("font family")
		}
	}
	return font, nil
}

// maxTextDecodes bounds decodeText. The SDKs encode text twice for "," and "/" (%252C), once for
// the rest.
const maxTextDecodes = 8

// decodeText percent-decodes a text layer's text until it no longer changes, leaving "%" that
// does not start an escape as it is. Decoding until stable (rather than exactly twice) makes
// the result free of escapes, so printing and parsing it again gives the same text.
func decodeText(raw string) (string, error) {
	text := raw
	for i := 0; ; i++ {
		next := unescapeLenient(text)
		if next == text {
			break
		}
		if i == maxTextDecodes {
			return "", errors.New("text encoded too many times")
		}
		text = next
	}
	if text == "" || !utf8.ValidString(text) {
		return "", errors.New("text")
	}
	return text, nil
}

// unescapeLenient decodes every %XX and keeps any other "%".
func unescapeLenient(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// decodeAttachmentName reads fl_attachment:<name>, percent-decoded once. The name goes into a
// Content-Disposition header, so quotes, backslashes, slashes and control characters are refused.
func decodeAttachmentName(raw string) (string, error) {
	name, err := url.PathUnescape(raw)
	if err != nil || name == "" || !utf8.ValidString(name) || hasControl(name) || strings.ContainsAny(name, "\"\\/") {
		return "", errors.New("attachment name")
	}
	return name, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

func unhex(b byte) byte {
	switch {
	case b >= 'a':
		return b - 'a' + 10
	case b >= 'A':
		return b - 'A' + 10
	}
	return b - '0'
}
