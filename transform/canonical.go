package transform

import (
	"slices"
	"strconv"
	"strings"
)

// Canonical prints the chain in one canonical form, so that requests meaning the same thing
// meet in one derived file. Within each component every set parameter is printed as
// "key_value", the list is sorted lexicographically as whole strings (as the SDKs do:
// c_fill,h_100,w_150), and components are joined with "/" in their order.
//
// Values are normalised:
//   - Numbers. Integers print without decimals (w_100, q_80, r_10, o_50, a_90, e_blur:300).
//     Floats print in the shortest form that parses back to the same float64, and the
//     parameters the SDKs write as floats keep at least one decimal place: dpr_2 → dpr_2.0,
//     w_0.50 → w_0.5, w_1.0 stays a fraction, z_2 → z_2.0, ar_1.5. An aspect ratio whose
//     decimal needs more than 4 places and that is exactly a/b (b <= 100) prints as a:b, so
//     ar_16:9 stays ar_16:9. Angles are reduced to [0, 360) (a_-90 → a_270). iw/ih multiples
//     print as iw, iw_div_<n> when the factor is exactly 1/n, else iw_mul_<factor>.
//   - Colours print as lowercase rgb:rrggbb, with the alpha byte only when it is not ff:
//     b_red, b_rgb:F00 and b_rgb:ff0000ff all print b_rgb:ff0000; transparent is rgb:00000000.
//   - Lists with a fixed meaning print in a fixed order: angle degrees then auto_right,
//     auto_left, hflip, vflip, ignore; flags in the order of Flags' fields (attachment,
//     progressive, lossy, strip_profile, keep_iptc, preserve_transparency, animated,
//     layer_apply, relative). Named transformations keep their order (it is meaningful).
//   - q_auto:good prints q_auto; r_5:5:5:5 prints r_5 (the shortest list for the same corners).
//   - Text layers print like the Node SDK: the text percent-encoded as encodeURIComponent
//     does, with "," and "/" encoded twice (%252C, %252F) and "(" ")" as %28 %29. Public ids
//     print with ":" between folders and every byte outside [A-Za-z0-9_.-] as %XX.
//
// Effect levels are kept as written: e_sepia and e_sepia:80 are two strings.
func (c Chain) Canonical() string {
	parts := make([]string, len(c.Components))
	for i := range c.Components {
		parts[i] = c.Components[i].Canonical()
	}
	return strings.Join(parts, "/")
}

// Canonical prints one component as Chain.Canonical does; "" when no parameter is set.
func (c Component) Canonical() string {
	return strings.Join(c.canonicalParams(), ",")
}

// canonicalParams are the component's "key_value" texts, sorted.
func (c *Component) canonicalParams() []string {
	var out []string
	for i := range params {
		if v, ok := params[i].print(c); ok {
			out = append(out, params[i].key+"_"+v)
		}
	}
	slices.Sort(out)
	return out
}

// formatFloat prints v in the shortest decimal form that parses back to v, never with an
// exponent; with decimal set, an integral value keeps one decimal place ("2.0").
func formatFloat(v float64, decimal bool) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if decimal && !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// isWordByte says whether b is in [A-Za-z0-9_-].
func isWordByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '_' || b == '-'
}

// escapeBytes percent-encodes (uppercase hex) every byte for which keep is false.
func escapeBytes(s string, keep func(byte) bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		writeEscaped(&b, s[i], keep)
	}
	return b.String()
}

func writeEscaped(b *strings.Builder, c byte, keep func(byte) bool) {
	const hexDigits = "0123456789ABCDEF"
	if keep(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

// encodePublicID prints a layer or default-image public id: folders joined with ":", every
// byte outside [A-Za-z0-9_.-] percent-encoded.
func encodePublicID(id string) string {
	parts := strings.Split(id, "/")
	for i, p := range parts {
		parts[i] = escapeBytes(p, func(b byte) bool { return isWordByte(b) || b == '.' })
	}
	return strings.Join(parts, ":")
}

// escapeFont prints a font family: spaces (the only byte decodeFont allows outside
// [A-Za-z0-9_-]) as %20.
func escapeFont(font string) string { return escapeBytes(font, isWordByte) }

// escapeText prints a text layer's text as the Node SDK does: "," and "/" as %252C and %252F,
// the bytes encodeURIComponent keeps (A-Z a-z 0-9 - _ . ! ~ * ') as they are, every other byte
// (including "(" and ")") as %XX.
func escapeText(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case ',':
			b.WriteString("%252C")
		case '/':
			b.WriteString("%252F")
		default:
			writeEscaped(&b, c, keptByEncodeURIComponent)
		}
	}
	return b.String()
}

// keptByEncodeURIComponent says whether JavaScript's encodeURIComponent leaves b as it is,
// leaving out "(" and ")", which the Node SDK encodes after it.
func keptByEncodeURIComponent(b byte) bool {
	return isWordByte(b) || strings.IndexByte(".!~*'", b) >= 0
}
