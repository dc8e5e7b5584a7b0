package transform

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func canonical(t *testing.T, s string) string {
	t.Helper()
	c, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return c.Canonical()
}

func TestCanonicalMeets(t *testing.T) {
	pairs := [][2]string{
		{"w_100,c_fill", "c_fill,w_100"},
		{"w_100,h_100,c_fill", "c_fill,h_100,w_100"},
		{"dpr_2", "dpr_2.0"},
		{"dpr_1.50", "dpr_1.5"},
		{"q_auto", "q_auto:good"},
		{"q_80:420", "q_80"},
		{"b_red", "b_rgb:ff0000"},
		{"b_rgb:F00", "b_rgb:ff0000"},
		{"b_rgb:ff0000ff", "b_rgb:FF0000"},
		{"co_grey", "co_gray"},
		{"bo_5px_solid_red", "bo_5px_solid_rgb:FF0000"},
		{"a_hflip.90", "a_90.hflip"},
		{"a_-90", "a_270"},
		{"a_90.0", "a_90"},
		{"a_vflip.auto_right", "a_auto_right.vflip"},
		{"fl_lossy.progressive", "fl_progressive.lossy"},
		{"fl_relative.layer_apply", "fl_layer_apply.relative"},
		{"w_0.50", "w_0.5"},
		{"w_007", "w_7"},
		{"x_0.0", "x_0"},
		{"x_-0", "x_0"},
		{"ar_16:9", "ar_32:18"},
		{"ar_3:2", "ar_1.5"},
		{"ar_1", "ar_1.0"},
		{"ar_1:1", "ar_1.0"},
		{"z_2", "z_2.0"},
		{"w_iw_div_2", "w_iw_mul_0.5"},
		{"w_iw_mul_1", "w_iw"},
		{"r_5:5:5:5", "r_5"},
		{"r_5:10:5:10", "r_5:10"},
		{"r_1:2:3:2", "r_1:2:3"},
		{"f_jpeg", "f_jpg"},
		{"e_blur:0300", "e_blur:300"},
		{"e_tint:50:red:blue", "e_tint:50:rgb:ff0000:rgb:0000FF"},
		{"e_trim:10:white", "e_trim:10:rgb:fff"},
		{"l_text:Arial_20:Hello%2C%20World", "l_text:Arial_20:Hello%252C%20World"},
		{"l_text:Arial_20_normal:Hi", "l_text:Arial_20:Hi"},
		{"l_text:Arial_20_italic_bold:Hi", "l_text:Arial_20_bold_italic:Hi"},
		{"l_a%3Ab", "l_a%3ab"},
		{"l_logos%2Flogo", "l_logos:logo"},
		{"c_fill,w_100/e_sepia", "w_100,c_fill/e_sepia"},
		{"", ""},
	}
	for _, p := range pairs {
		a, b := canonical(t, p[0]), canonical(t, p[1])
		if a != b {
			t.Errorf("%q → %q but %q → %q; want one canonical string", p[0], a, p[1], b)
		}
	}
}

func TestCanonicalDiffers(t *testing.T) {
	pairs := [][2]string{
		{"w_1", "w_1.0"}, // pixels vs the full width
		{"w_0.5", "w_iw_div_2"},
		{"w_iw", "w_ih"},
		{"w_100", "h_100"},
		{"c_fill,w_100/e_sepia", "e_sepia/c_fill,w_100"}, // components keep their order
		{"q_auto", "q_auto:best"},
		{"q_auto", "q_80"},
		{"dpr_auto", "dpr_1.0"},
		{"f_auto", "f_webp"},
		{"b_red", "b_rgb:ff000080"},
		{"b_green", "b_lime"}, // CSS green is 008000
		{"a_90", "a_-90"},
		{"a_hflip", "a_vflip"},
		{"r_10:20", "r_20:10"},
		{"r_0", "r_max"},
		{"e_sepia", "e_sepia:80"}, // default levels are not filled in
		{"t_a.b", "t_b.a"},        // named transformations apply in order
		{"l_a:b", "l_a%3Ab"},      // folder a vs id "a:b"
		{"l_text:Arial_20:Hi", "l_text:Arial_20_bold:Hi"},
		{"fl_attachment", "fl_attachment:x"},
		{"x_0", "x_0.5"},
		{"o_0", "o_100"},
	}
	for _, p := range pairs {
		if a, b := canonical(t, p[0]), canonical(t, p[1]); a == b {
			t.Errorf("%q and %q both → %q; want different canonical strings", p[0], p[1], a)
		}
	}
}

// Strings the SDKs build (CLOUDINARY-API.md §5.1) come back unchanged, except where the
// canonical form deliberately differs: colours are printed lowercase.
func TestCanonicalSDKStrings(t *testing.T) {
	tests := []struct{ in, want string }{
		{"c_fill,e_sepia,f_auto,g_face,h_100,q_auto,r_10,w_100", ""},
		{"c_scale,w_400/l_logos:logo,w_50/fl_layer_apply,g_south_east,x_10,y_10/f_auto/q_auto", ""},
		{"a_auto_right.hflip,b_rgb:00ff00,bo_5px_solid_rgb:ff0000,dpr_2.0,fl_progressive.lossy,t_named1.named2", ""},
		{"co_rgb:FF0000,l_text:Arial_20_bold:Hello%252C%20World%252Fx",
			"co_rgb:ff0000,l_text:Arial_20_bold:Hello%252C%20World%252Fx"},
		{"c_fill,h_300,w_400", ""},
		{"c_pad,h_300,w_400", ""},
		{"c_crop,g_north,h_200,w_260", ""},
		{"c_crop,h_20,w_10", ""},
		{"c_fill,w_100", ""},
		{"co_red,l_text:Times_70_bold:Cool%25F0%259F%2598%258D", "co_rgb:ff0000,l_text:Times_70_bold:Cool%F0%9F%98%8D"},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.in
		}
		if got := canonical(t, tt.in); got != want {
			t.Errorf("Canonical(%q)\n got %q\nwant %q", tt.in, got, want)
		}
	}
}

// Canonical's number, colour and text rules, one case each.
func TestCanonicalForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{"w_100,h_0.25", "h_0.25,w_100"},
		{"w_1.0", "w_1.0"},
		{"w_0.3333333333333333333", "w_0.3333333333333333"},
		{"dpr_1", "dpr_1.0"},
		{"dpr_auto", "dpr_auto"},
		{"z_1.20", "z_1.2"},
		{"ar_16:9", "ar_16:9"},
		{"ar_1.7777777777777777", "ar_16:9"},
		{"ar_4:3", "ar_4:3"},
		{"ar_1.25", "ar_1.25"},
		{"ar_2:1", "ar_2.0"},
		{"ar_0.3", "ar_0.3"},
		{"ar_1:7", "ar_1:7"},
		{"ar_333:1000", "ar_0.333"},
		{"w_iw", "w_iw"},
		{"w_iw_div_3", "w_iw_div_3"},
		{"h_ih_mul_2", "h_ih_mul_2"},
		{"h_ih_mul_2.50", "h_ih_mul_2.5"},
		{"w_iw_mul_0.3", "w_iw_mul_0.3"},
		{"x_-10,y_0.5", "x_-10,y_0.5"},
		{"a_-0.5", "a_359.5"},
		{"a_720", "a_0"},
		{"a_ignore.hflip.auto_left.vflip.10", "a_10.auto_left.hflip.vflip.ignore"},
		{"q_auto:low", "q_auto:low"},
		{"q_050", "q_50"},
		{"o_0", "o_0"},
		{"r_0", "r_0"},
		{"r_max", "r_max"},
		{"r_1:2:3:4", "r_1:2:3:4"},
		{"b_transparent", "b_rgb:00000000"},
		{"b_rgb:AbCdEf80", "b_rgb:abcdef80"},
		{"co_white", "co_rgb:ffffff"},
		{"e_tint:equalize:80:red:50p:rgb:00F:060p", "e_tint:equalize:80:rgb:ff0000:50p:rgb:0000ff:60p"},
		{"e_improve:indoor:050", "e_improve:indoor:50"},
		{"e_brightness:-0", "e_brightness:0"},
		{"fl_attachment:my%20photo.progressive", "fl_attachment:my%20photo.progressive"},
		{"fl_attachment:a%2Eb", "fl_attachment:a%2Eb"},
		{"fl_keep_iptc.attachment.strip_profile", "fl_attachment.strip_profile.keep_iptc"},
		{"l_text:Yanone%20Kaffeesatz_48:a%20(b)%20*!~'", "l_text:Yanone%20Kaffeesatz_48:a%20%28b%29%20*!~'"},
		{"l_text:Arial_20:x%3Ay", "l_text:Arial_20:x%3Ay"},
		{"l_text:Arial_20:x:y", "l_text:Arial_20:x%3Ay"},
		{"l_text:Arial_20:50%25", "l_text:Arial_20:50%25"},
		{"l_text:Arial_20:caf%C3%A9", "l_text:Arial_20:caf%C3%A9"},
		{"u_my%20folder:a.b~c", "u_my%20folder:a.b%7Ec"},
		{"d_docs:avatar.png", "d_docs:avatar.png"},
		{"t_b.a", "t_b.a"},
		{"g_north_east,c_crop,x_1,y_2,w_3,h_4", "c_crop,g_north_east,h_4,w_3,x_1,y_2"},
	}
	for _, tt := range tests {
		if got := canonical(t, tt.in); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every parameter at once sorts as whole strings: c_ < co_ < d_ < dpr_ < e_ < f_ < fl_ ...
	all := "y_5,x_5,w_5,u_a,t_x,r_5,q_5,pg_2,o_5,h_1,g_north,fl_lossy,f_png,e_negate,dpr_1,d_x.png,co_red,c_fill,bo_1px_solid_red,b_red,ar_2,a_hflip,z_5"
	want := "a_hflip,ar_2.0,b_rgb:ff0000,bo_1px_solid_rgb:ff0000,c_fill,co_rgb:ff0000,d_x.png,dpr_1.0,e_negate,f_png,fl_lossy,g_north,h_1,o_5,pg_2,q_5,r_5,t_x,u_a,w_5,x_5,y_5,z_5.0"
	if got := canonical(t, all); got != want {
		t.Errorf("Canonical(every parameter)\n got %q\nwant %q", got, want)
	}
}

// roundTripInputs are transformations whose canonical form must be a fixed point.
var roundTripInputs = []string{
	"w_100,c_fill",
	"c_fill,e_sepia,f_auto,g_face,h_100,q_auto,r_10,w_100",
	"c_scale,w_400/l_logos:logo,w_50/fl_layer_apply,g_south_east,x_10,y_10/f_auto/q_auto",
	"a_auto_right.hflip,b_rgb:00ff00,bo_5px_solid_rgb:ff0000,dpr_2.0,fl_progressive.lossy,t_named1.named2",
	"co_rgb:FF0000,l_text:Arial_20_bold:Hello%252C%20World%252Fx",
	"l_text:Arial_20:%252541",
	"l_text:Arial_20:%25%2C%252C%",
	"l_text:Open_Sans_bold_12_italic:a%20b",
	"l_text:A%5F1x_12:a",
	"l_a%252Fb:c%3Ad",
	"fl_attachment:a%2Eb%3Ac.lossy",
	"d_a%20b:c.d.png",
	"a_-0.1", "a_359.99999999999999999", "a_12.5.hflip",
	"w_0.1,h_0.99999999999999999999",
	"w_iw_div_3,h_ih_mul_0.3333333333333333",
	"w_iw_div_7", "w_iw_mul_99.99", "h_iw_div_0.5",
	"ar_1.7777777777777777", "ar_7:3", "ar_1000", "ar_1:1000", "ar_0.001",
	"dpr_0.1,z_0.001", "dpr_4.99999",
	"x_-0.5,y_-1.0",
	"e_tint:equalize:red:blue:10p", "e_tint:rgb:ff0000:rgb:00ff00",
	"e_trim:rgb:abc", "e_improve:outdoor",
	"q_80:444", "q_auto:eco",
	"r_1:2:1:2", "r_3:1:2:1",
	"b_rgb:00000000,co_transparent",
	"c_thumb,g_faces,h_100,w_100,z_1.5/e_pixelate:20/fl_attachment",
	"t_a/t_b.c,w_100/c_fill_pad,g_auto,w_10,h_20",
	"",
}

func TestCanonicalRoundTrip(t *testing.T) {
	for _, in := range roundTripInputs {
		c, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		first := c.Canonical()
		again, err := Parse(first)
		if err != nil {
			t.Errorf("Parse(Canonical(%q) = %q): %v", in, first, err)
			continue
		}
		if second := again.Canonical(); second != first {
			t.Errorf("%q → %q → %q; want a fixed point", in, first, second)
		}
	}
}

func TestExpand(t *testing.T) {
	defs := map[string]string{
		"thumb":  "c_fill,g_auto,h_100,w_100",
		"sepia":  "e_sepia",
		"both":   "t_thumb/t_sepia",
		"nested": "t_both,f_png",
		"chain":  "w_10/h_20",
		"empty":  "",
		"self":   "t_self",
		"ping":   "w_1/t_pong",
		"pong":   "t_ping",
		"bad":    "w_abc",
		"d0":     "t_d1", "d1": "t_d2", "d2": "t_d3", "d3": "t_d4", "d4": "t_d5",
		"d5": "t_d6", "d6": "t_d7", "d7": "t_d8", "d8": "e_negate",
		"wide": "t_" + strings.TrimSuffix(strings.Repeat("w10.", 30), "."),
		"w10":  "t_" + strings.TrimSuffix(strings.Repeat("empty.", 10), "."),
	}
	lookup := func(name string) (string, bool) { d, ok := defs[name]; return d, ok }
	tests := []struct {
		in, want string
	}{
		{"t_thumb", "c_fill,g_auto,h_100,w_100"},
		{"t_thumb.sepia", "c_fill,g_auto,h_100,w_100/e_sepia"},
		{"t_sepia.thumb", "e_sepia/c_fill,g_auto,h_100,w_100"},
		{"t_thumb/t_sepia", "c_fill,g_auto,h_100,w_100/e_sepia"},
		{"t_both", "c_fill,g_auto,h_100,w_100/e_sepia"},
		{"t_nested", "c_fill,g_auto,h_100,w_100/e_sepia/f_png"},
		{"t_thumb,q_auto", "c_fill,g_auto,h_100,w_100/q_auto"},
		{"w_50/t_chain,e_negate/f_webp", "w_50/w_10/h_20/e_negate/f_webp"},
		{"t_empty", ""},
		{"t_empty,w_5", "w_5"},
		{"t_thumb.thumb", "c_fill,g_auto,h_100,w_100/c_fill,g_auto,h_100,w_100"},
		{"w_1/h_2", "w_1/h_2"},
		{"t_d1", "e_negate"}, // 8 levels: d1 … d8
	}
	for _, tt := range tests {
		c, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got, err := c.Expand(lookup)
		if err != nil {
			t.Errorf("Expand(%q): %v", tt.in, err)
			continue
		}
		if s := got.Canonical(); s != tt.want {
			t.Errorf("Expand(%q) = %q, want %q", tt.in, s, tt.want)
		}
		for _, comp := range got.Components {
			if len(comp.Named) > 0 {
				t.Errorf("Expand(%q) left t_%v", tt.in, comp.Named)
			}
		}
	}

	failures := []struct{ in, value, message string }{
		{"t_missing", "missing", "Invalid named transformation - missing (not found)"},
		{"t_thumb.missing", "missing", "Invalid named transformation - missing (not found)"},
		{"t_self", "self", "Invalid named transformation - self (cycle: self > self)"},
		{"t_ping", "ping", "Invalid named transformation - ping (cycle: ping > pong > ping)"},
		{"t_bad", "bad", "Invalid named transformation - bad (Invalid width - abc)"},
		{"t_d0", "d8", "Invalid named transformation - d8 (nested deeper than 8: d0 > d1 > d2 > d3 > d4 > d5 > d6 > d7 > d8)"},
		{"t_wide", "empty", "Invalid named transformation - empty (expands more than 200 names: wide > w10 > empty)"},
	}
	for _, tt := range failures {
		c, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got, err := c.Expand(lookup)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Expand(%q) = %q, %v; want a *ParseError", tt.in, got.Canonical(), err)
			continue
		}
		if pe.Param != "t" || pe.Value != tt.value || pe.Error() != tt.message {
			t.Errorf("Expand(%q) error = %+v, want t/%s %q", tt.in, *pe, tt.value, tt.message)
		}
	}
}

// Expand leaves its input alone and a chain without t_ unchanged.
func TestExpandWithoutNamed(t *testing.T) {
	c, _ := Parse("c_fill,w_100/e_sepia")
	got, err := c.Expand(func(string) (string, bool) { t.Fatal("lookup called"); return "", false })
	if err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("Expand = %+v, %v; want %+v", got, err, c)
	}
}

// Every parameter in the table has a canonical sample here, so a new parameter cannot be added
// without one.
func TestEveryParameterPrints(t *testing.T) {
	samples := map[string]string{
		"w": "w_100", "h": "h_0.5", "ar": "ar_16:9", "c": "c_fill", "g": "g_north", "x": "x_-3",
		"y": "y_0.25", "z": "z_1.5", "dpr": "dpr_2.0", "q": "q_auto:eco", "f": "f_webp",
		"r": "r_1:2", "a": "a_90.hflip", "e": "e_blur:300", "o": "o_40", "bo": "bo_2px_solid_rgb:000000",
		"b": "b_rgb:ffffff80", "co": "co_rgb:0000ff", "l": "l_a:b", "u": "u_text:Arial_9:x%20y",
		"d": "d_a:b.png", "pg": "pg_3", "fl": "fl_attachment:n.lossy", "t": "t_a.b",
	}
	for _, spec := range params {
		s, ok := samples[spec.key]
		if !ok {
			t.Errorf("no canonical sample for %s_ (%s)", spec.key, spec.name)
			continue
		}
		if got := canonical(t, s); got != s {
			t.Errorf("Canonical(%q) = %q, want it unchanged", s, got)
		}
	}
	if len(samples) != len(params) {
		t.Errorf("%d samples for %d parameters", len(samples), len(params))
	}
}
