package transform

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var red = Color{R: 255, A: 255, Set: true}

// parseOne parses a one-component transformation.
func parseOne(t *testing.T, s string) Component {
	t.Helper()
	c, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	if len(c.Components) != 1 {
		t.Fatalf("Parse(%q): %d components, want 1", s, len(c.Components))
	}
	return c.Components[0]
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		in   string
		want Component
	}{
		// w, h
		{"w_100", Component{Width: Length{Pixels, 100}}},
		{"w_007", Component{Width: Length{Pixels, 7}}},
		{"h_100000", Component{Height: Length{Pixels, 100000}}},
		{"w_0.5", Component{Width: Length{Fraction, 0.5}}},
		{"h_1.0", Component{Height: Length{Fraction, 1}}},
		{"w_iw", Component{Width: Length{InitialWidth, 1}}},
		{"h_ih", Component{Height: Length{InitialHeight, 1}}},
		{"w_ih", Component{Width: Length{InitialHeight, 1}}},
		{"w_iw_div_2", Component{Width: Length{InitialWidth, 0.5}}},
		{"h_ih_mul_0.5", Component{Height: Length{InitialHeight, 0.5}}},
		{"w_iw_mul_3", Component{Width: Length{InitialWidth, 3}}},
		// ar
		{"ar_16:9", Component{AspectRatio: 16.0 / 9}},
		{"ar_1.5", Component{AspectRatio: 1.5}},
		{"ar_1", Component{AspectRatio: 1}},
		// c, g
		{"c_fill", Component{Crop: CropFill}},
		{"c_fill_pad,g_auto", Component{Crop: CropFillPad, Gravity: GravityAuto}},
		{"c_lpad", Component{Crop: CropLPad}},
		{"g_north_west", Component{Gravity: GravityNorthWest}},
		{"g_center", Component{Gravity: GravityCenter}},
		{"c_thumb,g_face", Component{Crop: CropThumb, Gravity: GravityFace}},
		{"c_crop,g_faces", Component{Crop: CropCrop, Gravity: GravityFaces}},
		{"c_lfill,g_auto", Component{Crop: CropLFill, Gravity: GravityAuto}},
		// x, y, z
		{"x_10,y_-20", Component{X: Length{Pixels, 10}, Y: Length{Pixels, -20}}},
		{"x_0", Component{X: Length{Pixels, 0}}},
		{"x_0.0", Component{X: Length{Pixels, 0}}},
		{"x_-0.25,y_0.5", Component{X: Length{Fraction, -0.25}, Y: Length{Fraction, 0.5}}},
		{"z_1.2", Component{Zoom: 1.2}},
		{"z_2", Component{Zoom: 2}},
		// dpr
		{"dpr_2", Component{DPR: DPR{Value: 2}}},
		{"dpr_2.0", Component{DPR: DPR{Value: 2}}},
		{"dpr_0.1", Component{DPR: DPR{Value: 0.1}}},
		{"dpr_auto", Component{DPR: DPR{Auto: true}}},
		// q
		{"q_80", Component{Quality: Quality{Value: 80}}},
		{"q_1", Component{Quality: Quality{Value: 1}}},
		{"q_auto", Component{Quality: Quality{Auto: "good"}}},
		{"q_auto:good", Component{Quality: Quality{Auto: "good"}}},
		{"q_auto:best", Component{Quality: Quality{Auto: "best"}}},
		{"q_auto:eco", Component{Quality: Quality{Auto: "eco"}}},
		{"q_auto:low", Component{Quality: Quality{Auto: "low"}}},
		{"q_80:420", Component{Quality: Quality{Value: 80}}},
		// f
		{"f_jpeg", Component{Format: "jpg"}},
		{"f_jpg", Component{Format: "jpg"}},
		{"f_webp", Component{Format: "webp"}},
		{"f_avif", Component{Format: "avif"}},
		{"f_heic", Component{Format: "heic"}},
		{"f_tiff", Component{Format: "tiff"}},
		{"f_auto", Component{Format: "auto"}},
		// r
		{"r_10", Component{Radius: Radius{Corners: [4]int{10, 10, 10, 10}, Count: 1}}},
		{"r_0", Component{Radius: Radius{Count: 1}}},
		{"r_max", Component{Radius: Radius{Max: true}}},
		{"r_10:20", Component{Radius: Radius{Corners: [4]int{10, 20, 10, 20}, Count: 2}}},
		{"r_10:20:30", Component{Radius: Radius{Corners: [4]int{10, 20, 30, 20}, Count: 3}}},
		{"r_1:2:3:4", Component{Radius: Radius{Corners: [4]int{1, 2, 3, 4}, Count: 4}}},
		// a
		{"a_90", Component{Angle: Angle{Degrees: 90, HasDegrees: true}}},
		{"a_-90", Component{Angle: Angle{Degrees: 270, HasDegrees: true}}},
		{"a_450", Component{Angle: Angle{Degrees: 90, HasDegrees: true}}},
		{"a_360", Component{Angle: Angle{Degrees: 0, HasDegrees: true}}},
		{"a_12.5", Component{Angle: Angle{Degrees: 12.5, HasDegrees: true}}},
		{"a_12.5.hflip", Component{Angle: Angle{Degrees: 12.5, HasDegrees: true, HFlip: true}}},
		{"a_auto_right.hflip", Component{Angle: Angle{AutoRight: true, HFlip: true}}},
		{"a_hflip.90", Component{Angle: Angle{Degrees: 90, HasDegrees: true, HFlip: true}}},
		{"a_auto_left.vflip.ignore", Component{Angle: Angle{AutoLeft: true, VFlip: true, Ignore: true}}},
		// e
		{"e_grayscale", Component{Effect: Effect{Name: "grayscale"}}},
		{"e_negate", Component{Effect: Effect{Name: "negate"}}},
		{"e_sepia", Component{Effect: Effect{Name: "sepia"}}},
		{"e_sepia:50", Component{Effect: Effect{Name: "sepia", Level: 50, HasLevel: true, Args: []string{"50"}}}},
		{"e_blackwhite:40", Component{Effect: Effect{Name: "blackwhite", Level: 40, HasLevel: true, Args: []string{"40"}}}},
		{"e_blur:2000", Component{Effect: Effect{Name: "blur", Level: 2000, HasLevel: true, Args: []string{"2000"}}}},
		{"e_blur:0300", Component{Effect: Effect{Name: "blur", Level: 300, HasLevel: true, Args: []string{"300"}}}},
		{"e_sharpen:1", Component{Effect: Effect{Name: "sharpen", Level: 1, HasLevel: true, Args: []string{"1"}}}},
		{"e_unsharp_mask:500", Component{Effect: Effect{Name: "unsharp_mask", Level: 500, HasLevel: true, Args: []string{"500"}}}},
		{"e_brightness:-99", Component{Effect: Effect{Name: "brightness", Level: -99, HasLevel: true, Args: []string{"-99"}}}},
		{"e_contrast:-100", Component{Effect: Effect{Name: "contrast", Level: -100, HasLevel: true, Args: []string{"-100"}}}},
		{"e_saturation:100", Component{Effect: Effect{Name: "saturation", Level: 100, HasLevel: true, Args: []string{"100"}}}},
		{"e_gamma:-50", Component{Effect: Effect{Name: "gamma", Level: -50, HasLevel: true, Args: []string{"-50"}}}},
		{"e_pixelate:200", Component{Effect: Effect{Name: "pixelate", Level: 200, HasLevel: true, Args: []string{"200"}}}},
		{"e_colorize:0", Component{Effect: Effect{Name: "colorize", Level: 0, HasLevel: true, Args: []string{"0"}}}},
		{"e_vignette:100", Component{Effect: Effect{Name: "vignette", Level: 100, HasLevel: true, Args: []string{"100"}}}},
		{"e_auto_contrast:30", Component{Effect: Effect{Name: "auto_contrast", Level: 30, HasLevel: true, Args: []string{"30"}}}},
		{"e_tint", Component{Effect: Effect{Name: "tint"}}},
		{"e_tint:50", Component{Effect: Effect{Name: "tint", Level: 50, HasLevel: true, Args: []string{"50"}}}},
		{"e_tint:50:red:rgb:00ff00", Component{Effect: Effect{Name: "tint", Level: 50, HasLevel: true,
			Args: []string{"50", "rgb:ff0000", "rgb:00ff00"}}}},
		{"e_tint:equalize:80:red:50p:blue:60p", Component{Effect: Effect{Name: "tint", Level: 80, HasLevel: true,
			Args: []string{"equalize", "80", "rgb:ff0000", "50p", "rgb:0000ff", "60p"}}}},
		{"e_trim", Component{Effect: Effect{Name: "trim"}}},
		{"e_trim:10", Component{Effect: Effect{Name: "trim", Level: 10, HasLevel: true, Args: []string{"10"}}}},
		{"e_trim:10:white", Component{Effect: Effect{Name: "trim", Level: 10, HasLevel: true, Args: []string{"10", "rgb:ffffff"}}}},
		{"e_trim:25:rgb:FF0000", Component{Effect: Effect{Name: "trim", Level: 25, HasLevel: true, Args: []string{"25", "rgb:ff0000"}}}},
		{"e_improve", Component{Effect: Effect{Name: "improve"}}},
		{"e_improve:indoor", Component{Effect: Effect{Name: "improve", Args: []string{"indoor"}}}},
		{"e_improve:outdoor:40", Component{Effect: Effect{Name: "improve", Level: 40, HasLevel: true, Args: []string{"outdoor", "40"}}}},
		{"e_improve:60", Component{Effect: Effect{Name: "improve", Level: 60, HasLevel: true, Args: []string{"60"}}}},
		// o, bo, b, co
		{"o_0", Component{Opacity: Percent{Value: 0, Set: true}}},
		{"o_100", Component{Opacity: Percent{Value: 100, Set: true}}},
		{"bo_5px_solid_red", Component{Border: Border{Width: 5, Color: red}}},
		{"bo_3px_solid_rgb:00390b", Component{Border: Border{Width: 3, Color: Color{G: 0x39, B: 0x0b, A: 255, Set: true}}}},
		{"b_red", Component{Background: red}},
		{"b_rgb:ff0000", Component{Background: red}},
		{"b_rgb:F00", Component{Background: red}},
		{"b_rgb:ff000080", Component{Background: Color{R: 255, A: 0x80, Set: true}}},
		{"b_transparent", Component{Background: Color{Set: true}}},
		{"b_grey", Component{Background: Color{R: 128, G: 128, B: 128, A: 255, Set: true}}},
		{"co_White", Component{Color: Color{R: 255, G: 255, B: 255, A: 255, Set: true}}},
		// l, u
		{"l_logo", Component{Overlay: &Layer{PublicID: "logo"}}},
		{"l_logos:logo", Component{Overlay: &Layer{PublicID: "logos/logo"}}},
		{"u_a:b:c%20d", Component{Underlay: &Layer{PublicID: "a/b/c d"}}},
		{"l_text:Arial_20:Hello", Component{Overlay: &Layer{Text: &TextLayer{Font: "Arial", Size: 20, Text: "Hello"}}}},
		{"l_text:Arial_20_bold:Hello%252C%20World%252Fx", Component{Overlay: &Layer{Text: &TextLayer{Font: "Arial", Size: 20, Bold: true, Text: "Hello, World/x"}}}},
		{"l_text:Times_70_bold_italic:Cool%25F0%259F%2598%258D", Component{Overlay: &Layer{Text: &TextLayer{Font: "Times", Size: 70, Bold: true, Italic: true, Text: "Cool😍"}}}},
		{"l_text:Yanone%20Kaffeesatz_48_normal:100%25", Component{Overlay: &Layer{Text: &TextLayer{Font: "Yanone Kaffeesatz", Size: 48, Text: "100%"}}}},
		{"l_text:Open_Sans_12:a:b", Component{Overlay: &Layer{Text: &TextLayer{Font: "Open_Sans", Size: 12, Text: "a:b"}}}},
		{"l_text:Arial_20:%28x%29", Component{Overlay: &Layer{Text: &TextLayer{Font: "Arial", Size: 20, Text: "(x)"}}}},
		// d, pg
		{"d_avatar.png", Component{Default: "avatar.png"}},
		{"d_docs:avatar.png", Component{Default: "docs/avatar.png"}},
		{"pg_2", Component{Page: 2}},
		// fl
		{"fl_progressive", Component{Flags: Flags{Progressive: true}}},
		{"fl_lossy.progressive", Component{Flags: Flags{Progressive: true, Lossy: true}}},
		{"fl_attachment", Component{Flags: Flags{Attachment: true}}},
		{"fl_attachment:my%20photo", Component{Flags: Flags{Attachment: true, AttachmentName: "my photo"}}},
		{"fl_strip_profile.keep_iptc.preserve_transparency.animated.relative", Component{Flags: Flags{
			StripProfile: true, KeepIPTC: true, PreserveTransparency: true, Animated: true, Relative: true}}},
		{"fl_layer_apply,g_south_east,x_10,y_10", Component{Flags: Flags{LayerApply: true}, Gravity: GravitySouthEast,
			X: Length{Pixels, 10}, Y: Length{Pixels, 10}}},
		{"fl_layer_apply,g_faces", Component{Flags: Flags{LayerApply: true}, Gravity: GravityFaces}},
		{"l_hat,g_faces", Component{Overlay: &Layer{PublicID: "hat"}, Gravity: GravityFaces}},
		// t
		{"t_thumb", Component{Named: []string{"thumb"}}},
		{"t_named1.named2", Component{Named: []string{"named1", "named2"}}},
		{"t_a-b_c", Component{Named: []string{"a-b_c"}}},
		// several
		{"w_100,h_150,c_fill,g_auto,q_auto,f_auto", Component{Width: Length{Pixels, 100}, Height: Length{Pixels, 150},
			Crop: CropFill, Gravity: GravityAuto, Quality: Quality{Auto: "good"}, Format: "auto"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := parseOne(t, tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseChain(t *testing.T) {
	got, err := Parse("c_scale,w_400/l_logos:logo,w_50/fl_layer_apply,g_south_east,x_10,y_10/f_auto/q_auto")
	if err != nil {
		t.Fatal(err)
	}
	want := Chain{Components: []Component{
		{Crop: CropScale, Width: Length{Pixels, 400}},
		{Overlay: &Layer{PublicID: "logos/logo"}, Width: Length{Pixels, 50}},
		{Flags: Flags{LayerApply: true}, Gravity: GravitySouthEast, X: Length{Pixels, 10}, Y: Length{Pixels, 10}},
		{Format: "auto"},
		{Quality: Quality{Auto: "good"}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}

	empty, err := Parse("")
	if err != nil || len(empty.Components) != 0 {
		t.Errorf(`Parse("") = %+v, %v; want an empty chain`, empty, err)
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		in      string
		param   string
		message string // the whole message when it has no "(", else its start
	}{
		// the messages Cloudinary gives
		{"w_abc", "w", "Invalid width - abc"},
		{"ab_cd", "ab", "Invalid transformation parameter - ab_cd"},
		{"c_foo", "c", "Invalid crop mode - foo"},
		// keys
		{"w100", "w100", "Invalid transformation parameter - w100"},
		{"png", "png", "Invalid transformation parameter - png"},
		{"W_100", "W", "Invalid transformation parameter - W_100"},
		{"if_w_gt_400", "if", "Invalid transformation parameter - if_w_gt_400"},
		{"$w_200", "$w", "Invalid transformation parameter - $w_200"},
		{"_100", "", "Invalid transformation parameter - _100"},
		// w, h
		{"w_0", "w", "Invalid width - 0 ("},
		{"w_-5", "w", "Invalid width - -5 ("},
		{"w_", "w", "Invalid width - "},
		{"w_0.0", "w", "Invalid width - 0.0 ("},
		{"w_1.5", "w", "Invalid width - 1.5 ("},
		{"w_100.0", "w", "Invalid width - 100.0 ("},
		{"w_100001", "w", "Invalid width - 100001 ("},
		{"w_1e3", "w", "Invalid width - 1e3"},
		{"w_+5", "w", "Invalid width - +5"},
		{"w_.5", "w", "Invalid width - .5"},
		{"w_5.", "w", "Invalid width - 5."},
		{"w_auto", "w", "Invalid width - auto"},
		{"w_iw_add_2", "w", "Invalid width - iw_add_2"},
		{"w_iw_div_0", "w", "Invalid width - iw_div_0"},
		{"w_iw_mul_-1", "w", "Invalid width - iw_mul_-1"},
		{"w_iwx", "w", "Invalid width - iwx"},
		{"h_NaN", "h", "Invalid height - NaN"},
		{"h_inf", "h", "Invalid height - inf"},
		// ar
		{"ar_0", "ar", "Invalid aspect ratio - 0 ("},
		{"ar_16:0", "ar", "Invalid aspect ratio - 16:0"},
		{"ar_a:b", "ar", "Invalid aspect ratio - a:b"},
		{"ar_-1.5", "ar", "Invalid aspect ratio - -1.5 ("},
		// c, g
		{"c_auto", "c", "Invalid crop mode - auto"},
		{"c_Fill", "c", "Invalid crop mode - Fill"},
		{"g_centre", "g", "Invalid gravity - centre"},
		{"g_xy_center", "g", "Invalid gravity - xy_center"},
		{"g_face:center", "g", "Invalid gravity - face:center"},
		// x, y, z
		{"x_abc", "x", "Invalid x - abc"},
		{"y_1.5", "y", "Invalid y - 1.5 ("},
		{"x_200000", "x", "Invalid x - 200000 ("},
		{"z_0", "z", "Invalid zoom - 0"},
		{"z_-1", "z", "Invalid zoom - -1"},
		// dpr
		{"dpr_0", "dpr", "Invalid dpr - 0 ("},
		{"dpr_6", "dpr", "Invalid dpr - 6 ("},
		{"dpr_0.05", "dpr", "Invalid dpr - 0.05 ("},
		{"dpr_x", "dpr", "Invalid dpr - x"},
		// q
		{"q_0", "q", "Invalid quality - 0 ("},
		{"q_101", "q", "Invalid quality - 101 ("},
		{"q_auto:great", "q", "Invalid quality - auto:great"},
		{"q_80:411", "q", "Invalid quality - 80:411"},
		{"q_jpegmini", "q", "Invalid quality - jpegmini ("},
		// f
		{"f_bmp", "f", "Invalid format - bmp"},
		{"f_JPG", "f", "Invalid format - JPG"},
		{"f_", "f", "Invalid format - "},
		// r
		{"r_-1", "r", "Invalid radius - -1"},
		{"r_1:2:3:4:5", "r", "Invalid radius - 1:2:3:4:5 ("},
		{"r_max:2", "r", "Invalid radius - max:2"},
		{"r_1:", "r", "Invalid radius - 1:"},
		// a
		{"a_abc", "a", "Invalid angle - abc"},
		{"a_hflip.hflip", "a", "Invalid angle - hflip.hflip ("},
		{"a_auto_left.auto_right", "a", "Invalid angle - auto_left.auto_right ("},
		{"a_90.hflip.45", "a", "Invalid angle - 90.hflip.45"},
		{"a_.hflip", "a", "Invalid angle - .hflip"},
		{"a_exif", "a", "Invalid angle - exif"},
		// e
		{"e_foo", "e", "Invalid effect - foo"},
		{"e_blur:0", "e", "Invalid effect - blur:0 (blur level must be 1..2000)"},
		{"e_blur:2001", "e", "Invalid effect - blur:2001 (blur level must be 1..2000)"},
		{"e_blur:abc", "e", "Invalid effect - blur:abc ("},
		{"e_blur:1:2", "e", "Invalid effect - blur:1:2 ("},
		{"e_sepia:101", "e", "Invalid effect - sepia:101 ("},
		{"e_brightness:-100", "e", "Invalid effect - brightness:-100 ("},
		{"e_contrast:101", "e", "Invalid effect - contrast:101 ("},
		{"e_saturation:-101", "e", "Invalid effect - saturation:-101 ("},
		{"e_gamma:151", "e", "Invalid effect - gamma:151 ("},
		{"e_pixelate:201", "e", "Invalid effect - pixelate:201 ("},
		{"e_colorize:-1", "e", "Invalid effect - colorize:-1 ("},
		{"e_vignette:101", "e", "Invalid effect - vignette:101 ("},
		{"e_blackwhite:101", "e", "Invalid effect - blackwhite:101 ("},
		{"e_grayscale:5", "e", "Invalid effect - grayscale:5 (grayscale takes no argument)"},
		{"e_tint:101", "e", "Invalid effect - tint:101 ("},
		{"e_tint:50:nocolor", "e", "Invalid effect - tint:50:nocolor ("},
		{"e_tint:50:red:101p", "e", "Invalid effect - tint:50:red:101p ("},
		{"e_trim:10:white:black", "e", "Invalid effect - trim:10:white:black ("},
		{"e_improve:cellar", "e", "Invalid effect - improve:cellar ("},
		{"e_improve:indoor:101", "e", "Invalid effect - improve:indoor:101 ("},
		{"e_", "e", "Invalid effect - "},
		// o
		{"o_101", "o", "Invalid opacity - 101"},
		{"o_-1", "o", "Invalid opacity - -1"},
		{"o_50.5", "o", "Invalid opacity - 50.5"},
		// bo, b, co
		{"bo_5px_solid", "bo", "Invalid border - 5px_solid"},
		{"bo_0px_solid_red", "bo", "Invalid border - 0px_solid_red"},
		{"bo_5px_dashed_red", "bo", "Invalid border - 5px_dashed_red"},
		{"bo_5px_solid_nocolor", "bo", "Invalid border - 5px_solid_nocolor"},
		{"b_ff0000", "b", "Invalid background - ff0000"},
		{"b_rgb:ff00", "b", "Invalid background - rgb:ff00"},
		{"b_rgb:gg0000", "b", "Invalid background - rgb:gg0000"},
		{"b_auto", "b", "Invalid background - auto"},
		{"co_rgb:", "co", "Invalid color - rgb:"},
		// l, u
		{"l_", "l", "Invalid overlay -  ("},
		{"l_a::b", "l", "Invalid overlay - a::b ("},
		{"l_a:", "l", "Invalid overlay - a: ("},
		{"l_a%2", "l", "Invalid overlay - a%2"},
		{"l_video:clip", "l", "Invalid overlay - video:clip ("},
		{"l_fetch:aHR0cA", "l", "Invalid overlay - fetch:aHR0cA ("},
		{"l_text:Arial_20", "l", "Invalid overlay - text:Arial_20 ("},
		{"l_text:Arial:Hello", "l", "Invalid overlay - text:Arial:Hello ("},
		{"l_text:20:Hello", "l", "Invalid overlay - text:20:Hello ("},
		{"l_text:Arial_0:Hello", "l", "Invalid overlay - text:Arial_0:Hello ("},
		{"l_text:Arial_20_underline:Hello", "l", "Invalid overlay - text:Arial_20_underline:Hello ("},
		{"l_text:Arial_20:", "l", "Invalid overlay - text:Arial_20: ("},
		{"l_text:Ari%22al_20:x", "l", "Invalid overlay - text:Ari%22al_20:x ("},
		{"l_text:Arial_20:%FF", "l", "Invalid overlay - text:Arial_20:%FF ("},
		{"u_", "u", "Invalid underlay -  ("},
		// d, pg
		{"d_avatar", "d", "Invalid default image - avatar ("},
		{"d_avatar.", "d", "Invalid default image - avatar. ("},
		{"d_:avatar.png", "d", "Invalid default image - :avatar.png ("},
		{"pg_0", "pg", "Invalid page - 0"},
		{"pg_2-4", "pg", "Invalid page - 2-4"},
		// fl
		{"fl_foo", "fl", "Invalid flag - foo"},
		{"fl_progressive:semi", "fl", "Invalid flag - progressive:semi"},
		{"fl_lossy.lossy", "fl", "Invalid flag - lossy.lossy (lossy given twice)"},
		{"fl_attachment:", "fl", "Invalid flag - attachment: ("},
		{"fl_attachment:a%22b", "fl", "Invalid flag - attachment:a%22b ("},
		{"fl_attachment:a%0Ab", "fl", "Invalid flag - attachment:a%0Ab ("},
		{"fl_lossy.", "fl", "Invalid flag - lossy."},
		// t
		{"t_", "t", "Invalid named transformation - "},
		{"t_a..b", "t", "Invalid named transformation - a..b"},
		{"t_a%20b", "t", "Invalid named transformation - a%20b"},
		// shape
		{"w_100,w_200", "w", "Invalid transformation component - w_100,w_200 (w given twice)"},
		{"w_100,c_fill,w_100", "w", "Invalid transformation component - w_100,c_fill,w_100 (w given twice)"},
		{"w_100,,h_100", "", "Invalid transformation parameter - "},
		{"w_100,", "", "Invalid transformation parameter - "},
		{"c_fill//w_100", "", "Invalid transformation - c_fill//w_100 (empty component)"},
		{"/w_100", "", "Invalid transformation - /w_100 (empty component)"},
		{"w_100/", "", "Invalid transformation - w_100/ (empty component)"},
		{"l_a,u_b", "u", "Invalid transformation component - l_a,u_b (l and u together)"},
		// semantic checks
		{"c_scale,g_auto,w_100", "g", "Invalid gravity - auto (only with crop modes fill, lfill, fill_pad, crop, thumb; crop mode is scale)"},
		{"g_auto,w_100", "g", "Invalid gravity - auto (only with crop modes fill, lfill, fill_pad, crop, thumb; crop mode is none)"},
		{"c_fit,g_face", "g", "Invalid gravity - face ("},
		{"c_pad,g_faces", "g", "Invalid gravity - faces ("},
		{"g_face,w_100", "g", "Invalid gravity - face ("},
		{"fl_layer_apply,g_auto", "g", "Invalid gravity - auto ("},
		{"c_fill_pad,w_100", "c", "Invalid crop mode - fill_pad (requires g_auto)"},
		{"c_fill_pad,g_center", "c", "Invalid crop mode - fill_pad (requires g_auto)"},
		// the error is in a later component
		{"c_fill,w_100/e_blur:9999", "e", "Invalid effect - blur:9999 ("},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			c, err := Parse(tt.in)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %+v, %v; want a *ParseError", tt.in, c, err)
			}
			if pe.Param != tt.param {
				t.Errorf("Param = %q, want %q", pe.Param, tt.param)
			}
			msg := pe.Error()
			if strings.HasSuffix(tt.message, "(") {
				if !strings.HasPrefix(msg, tt.message) || !strings.HasSuffix(msg, ")") {
					t.Errorf("Error() = %q, want %q...)", msg, tt.message)
				}
			} else if msg != tt.message {
				t.Errorf("Error() = %q, want %q", msg, tt.message)
			}
			if len(c.Components) != 0 {
				t.Errorf("a failed Parse returned components: %+v", c)
			}
		})
	}
}

func TestParseErrorWithoutMessage(t *testing.T) {
	e := &ParseError{Param: "width", Value: "abc"}
	if got := e.Error(); got != "Invalid width - abc" {
		t.Errorf("Error() = %q", got)
	}
}

// The SDKs encode "," and "/" in texts twice; decoding until stable also keeps a literal "%".
func TestParseText(t *testing.T) {
	tests := map[string]string{
		"Hello%252C%20World%252Fx": "Hello, World/x",
		"Hello%2C%20World%2Fx":     "Hello, World/x", // encoded once by hand
		"100%25":                   "100%",
		"100%":                     "100%",
		"50%25%20off":              "50% off",
		"a%2":                      "a%2",
		"%25%25":                   "%%",
		"caf%C3%A9":                "café",
		"line1%0Aline2":            "line1\nline2",
		"%252541":                  "A", // three encodings: decoding stops only when stable
		"a+b":                      "a+b",
	}
	for in, want := range tests {
		c := parseOne(t, "l_text:Arial_10:"+in)
		if got := c.Overlay.Text.Text; got != want {
			t.Errorf("text %q decoded to %q, want %q", in, got, want)
		}
	}
}
