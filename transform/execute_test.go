package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
)

// photo.jpg is stored 640x427 with EXIF orientation 6: upright it is 427x640.

func TestExecuteSizes(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	alpha := fixtureSource(t, "alpha.png")
	webp := fixtureSource(t, "photo.webp")
	tests := []struct {
		src         Source
		chain       string
		want        size
		wantInitial bool // the size of the upright source
		format      string
	}{
		{src: photo, chain: "w_100", want: size{100, 150}},
		{src: photo, chain: "h_320", want: size{214, 320}},
		{src: photo, chain: "w_100,h_50", want: size{100, 50}},
		{src: photo, chain: "w_100,h_50,c_scale", want: size{100, 50}},
		{src: photo, chain: "w_100,h_100,c_fit", want: size{67, 100}},
		{src: photo, chain: "w_1000,h_1000,c_fit", want: size{667, 1000}},
		{src: photo, chain: "w_200,c_limit", want: size{200, 300}},
		{src: photo, chain: "w_1000,c_limit", want: size{427, 640}},
		{src: photo, chain: "w_1000,h_1000,c_limit", want: size{427, 640}},
		{src: photo, chain: "w_100,c_mfit", want: size{427, 640}},
		{src: photo, chain: "w_854,c_mfit", want: size{854, 1280}},
		{src: photo, chain: "w_200,h_200,c_fill", want: size{200, 200}},
		{src: photo, chain: "w_600,h_100,c_fill", want: size{600, 100}},
		{src: photo, chain: "w_1000,h_1000,c_fill", want: size{1000, 1000}},
		{src: photo, chain: "w_200,h_200,c_fill,g_auto", want: size{200, 200}},
		{src: photo, chain: "w_200,h_200,c_fill_pad,g_auto", want: size{200, 200}},
		{src: photo, chain: "w_300,h_300,c_lfill", want: size{300, 300}},
		{src: photo, chain: "w_1000,h_1000,c_lfill", want: size{427, 640}},
		{src: photo, chain: "w_500,h_500,c_lfill", want: size{427, 500}},
		{src: photo, chain: "w_100,h_100,c_thumb,g_face", want: size{100, 100}},
		{src: photo, chain: "w_100,h_100,c_thumb,g_face,z_1.5", want: size{100, 100}},
		{src: photo, chain: "w_300,h_300,c_pad", want: size{300, 300}},
		{src: photo, chain: "w_1000,h_1000,c_lpad", want: size{1000, 1000}},
		{src: photo, chain: "w_100,h_100,c_lpad", want: size{100, 100}},
		{src: photo, chain: "w_100,h_100,c_mpad", want: size{427, 640}},
		{src: photo, chain: "w_1000,h_1000,c_mpad", want: size{1000, 1000}},
		{src: photo, chain: "w_100,h_50,c_crop", want: size{100, 50}},
		{src: photo, chain: "w_0.5,h_0.25,c_crop", want: size{214, 160}},
		{src: photo, chain: "w_1000,h_50,c_crop", want: size{427, 50}},
		{src: photo, chain: "w_150,h_150,c_crop,g_auto", want: size{150, 150}},
		{src: photo, chain: "w_0.5", want: size{214, 320}},
		{src: photo, chain: "w_iw_div_2", want: size{214, 320}},
		{src: photo, chain: "w_100,dpr_2.0", want: size{200, 300}},
		{src: photo, chain: "w_320,ar_16:9,c_fill", want: size{320, 180}},
		{src: photo, chain: "ar_1.0,c_fill", want: size{427, 427}},
		{src: photo, chain: "ar_1.0,c_pad", want: size{640, 640}},
		{src: photo, chain: "ar_1.0,c_crop", want: size{427, 427}},
		{src: photo, chain: "w_200/h_100", want: size{67, 100}},
		{src: photo, chain: "w_200,h_200,c_fill/w_50", want: size{50, 50}},
		{src: photo, chain: "e_grayscale/w_100", want: size{100, 150}},
		{src: photo, chain: "c_fill,h_100,w_100/c_pad,h_120,w_100", want: size{100, 120}},
		{src: photo, chain: "q_50", want: size{427, 640}},
		{src: alpha, chain: "w_100", want: size{100, 75}, format: "png"},
		{src: alpha, chain: "w_400,h_400,c_fill", want: size{400, 400}, format: "png"},
		{src: alpha, chain: "w_50,h_50,c_fill,g_auto", want: size{50, 50}, format: "webp"},
		{src: webp, chain: "w_80", want: size{80, 50}},
		{src: webp, chain: "w_100,h_100,c_fill,g_north", want: size{100, 100}},
	}
	for _, tt := range tests {
		format := tt.format
		if format == "" {
			format = "jpg"
		}
		t.Run(fmt.Sprintf("%s %s", tt.src.Info.Format, tt.chain), func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, format, nil)
			probeOut(t, out)
			if got := (size{out.Width, out.Height}); got != tt.want {
				t.Errorf("got %dx%d, want %dx%d", got.w, got.h, tt.want.w, tt.want.h)
			}
		})
	}
}

// On a 200x100 image: red top-left, green top-right, blue bottom-left, yellow bottom-right.
func TestExecuteGravityAndCrop(t *testing.T) {
	q := source(t, pngOf(t, quadrants(200, 100)))
	type probe struct {
		x, y int
		want string
	}
	tests := []struct {
		chain  string
		want   size
		probes []probe
	}{
		{"c_crop,g_north,w_100,h_50", size{100, 50}, []probe{{10, 10, "red"}, {90, 10, "green"}}},
		{"c_crop,g_south,w_100,h_50", size{100, 50}, []probe{{10, 40, "blue"}, {90, 40, "yellow"}}},
		{"c_crop,g_south_east,w_50,h_50", size{50, 50}, []probe{{5, 5, "yellow"}, {45, 45, "yellow"}}},
		{"c_crop,g_north_west,w_50,h_50", size{50, 50}, []probe{{45, 45, "red"}}},
		{"c_crop,g_west,w_50,h_100", size{50, 100}, []probe{{25, 10, "red"}, {25, 90, "blue"}}},
		{"c_crop,g_east,w_50,h_100", size{50, 100}, []probe{{25, 10, "green"}, {25, 90, "yellow"}}},
		// x/y without gravity: the top-left corner of the region, kept inside the image.
		{"c_crop,w_50,h_40,x_120,y_5", size{50, 40}, []probe{{5, 5, "green"}, {45, 35, "green"}}},
		{"c_crop,w_50,h_50,x_10,y_90", size{50, 50}, []probe{{5, 45, "blue"}}},
		// Offsets move away from the gravity's edge.
		{"c_crop,g_north_east,w_50,h_50,x_110", size{50, 50}, []probe{{25, 25, "red"}}},
		{"c_crop,w_0.25,h_0.5,x_0.5,y_0.5", size{50, 50}, []probe{{25, 25, "yellow"}}},
		{"w_50,h_50,c_fill,g_north_west", size{50, 50}, []probe{{25, 10, "red"}, {25, 40, "blue"}}},
		{"w_50,h_50,c_fill,g_south_east", size{50, 50}, []probe{{25, 10, "green"}, {25, 40, "yellow"}}},
		{"w_50,h_50,c_fill,g_east", size{50, 50}, []probe{{25, 10, "green"}, {25, 40, "yellow"}}},
		{"w_50,h_50,c_fill", size{50, 50}, []probe{{10, 10, "red"}, {40, 10, "green"}}},
		{"w_100,h_100,c_pad,b_black", size{100, 100}, []probe{{50, 10, "black"}, {50, 90, "black"}, {20, 30, "red"}, {80, 70, "yellow"}}},
		{"w_100,h_100,c_pad,g_north,b_black", size{100, 100}, []probe{{20, 10, "red"}, {50, 90, "black"}}},
		{"w_100,h_100,c_pad,g_south,b_white", size{100, 100}, []probe{{50, 10, "white"}, {80, 90, "yellow"}}},
		{"w_300,h_100,c_pad,g_west,b_black", size{300, 100}, []probe{{10, 10, "red"}, {290, 50, "black"}}},
		{"w_300,h_100,c_lpad,g_east,b_white", size{300, 100}, []probe{{10, 10, "white"}, {290, 90, "yellow"}}},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			out := execute(t, q, tt.chain, "png", nil)
			if got := (size{out.Width, out.Height}); got != tt.want {
				t.Fatalf("got %dx%d, want %dx%d", got.w, got.h, tt.want.w, tt.want.h)
			}
			d := decode(t, out.Bytes)
			for _, p := range tt.probes {
				if got := d.name(p.x, p.y); got != p.want {
					t.Errorf("pixel (%d,%d) is %s (%v), want %s", p.x, p.y, got, d.at(p.x, p.y), p.want)
				}
			}
		})
	}
}

func TestExecutePadColours(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	tests := []struct {
		chain, format string
		want          string // colour of the padding
		alpha         uint8
	}{
		{"w_300,h_300,c_pad,b_red", "png", "red", 255},
		{"w_300,h_300,c_pad,b_red", "jpg", "red", 255},
		{"w_300,h_300,c_pad", "jpg", "white", 255},
		{"w_300,h_300,c_pad", "png", "", 0},
		{"w_300,h_300,c_pad", "webp", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.chain+" "+tt.format, func(t *testing.T) {
			out := execute(t, photo, tt.chain, tt.format, nil)
			d := decode(t, out.Bytes)
			// The 200x300 image is centred: the padding is 50 px on each side.
			px := d.at(10, 150)
			if px.A != tt.alpha {
				t.Errorf("padding alpha %d, want %d", px.A, tt.alpha)
			}
			if tt.want != "" {
				if got := d.name(10, 150); got != tt.want {
					t.Errorf("padding is %s (%v), want %s", got, px, tt.want)
				}
			}
			if c := d.at(150, 150); c.A != 255 {
				t.Errorf("image pixel alpha %d, want opaque", c.A)
			}
		})
	}
}

// EXIF orientation: a 400x200 quadrants JPEG stored with each orientation must come out
// with the quadrants where the orientation puts them, whether or not bimg resized it.
func TestExecuteEXIFOrientation(t *testing.T) {
	raw := jpegOf(t, quadrants(400, 200))
	// Upright quadrants (top-left, top-right, bottom-left, bottom-right) per orientation.
	upright := map[int][4]string{
		1: {"red", "green", "blue", "yellow"},
		2: {"green", "red", "yellow", "blue"},
		3: {"yellow", "blue", "green", "red"},
		4: {"blue", "yellow", "red", "green"},
		5: {"red", "blue", "green", "yellow"},
		6: {"blue", "red", "yellow", "green"},
		7: {"yellow", "green", "blue", "red"},
		8: {"green", "yellow", "red", "blue"},
	}
	for o := 1; o <= 8; o++ {
		src := source(t, withOrientation(raw, o))
		if src.Info.Orientation != o && o > 1 {
			t.Fatalf("fixture orientation %d reads as %d", o, src.Info.Orientation)
		}
		full := size{400, 200}
		if o >= 5 {
			full = size{200, 400}
		}
		for _, chain := range []string{"", "w_100", "w_100/e_negate/e_negate", "c_scale,w_0.5/q_90"} {
			t.Run(fmt.Sprintf("%d %q", o, chain), func(t *testing.T) {
				var out Output
				if chain == "" {
					var err error
					out, err = Execute(context.Background(), src, Chain{}, "png", nil, Limits{})
					if err != nil {
						t.Fatal(err)
					}
				} else {
					out = execute(t, src, chain, "png", nil)
				}
				want := full
				switch chain {
				case "w_100", "w_100/e_negate/e_negate":
					want = size{100, 100 * full.h / full.w}
				case "c_scale,w_0.5/q_90":
					want = size{full.w / 2, full.h / 2}
				}
				if got := (size{out.Width, out.Height}); got != want {
					t.Fatalf("got %dx%d, want %dx%d", got.w, got.h, want.w, want.h)
				}
				d := decode(t, out.Bytes)
				w, h := want.w, want.h
				at := [4][2]int{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
				for i, p := range at {
					if got := d.name(p[0], p[1]); got != upright[o][i] {
						t.Errorf("quadrant %d is %s, want %s", i, got, upright[o][i])
					}
				}
			})
		}
	}
}

// Crops fused into bimg's call happen on the stored pixels before the turn: their position
// must be mapped back through the orientation.
func TestExecuteCropThroughOrientation(t *testing.T) {
	raw := jpegOf(t, quadrants(400, 200))
	type probe struct {
		x, y int
		want string
	}
	tests := []struct {
		orientation int
		chain       string
		want        size
		probes      []probe
	}{
		// Orientation 6: upright 200x400, blue red / yellow green.
		{6, "w_100,h_100,c_fill,g_north_west", size{100, 100}, []probe{{25, 50, "blue"}, {75, 50, "red"}}},
		{6, "w_50,h_50,c_fill,g_south_east", size{50, 50}, []probe{{12, 25, "yellow"}, {37, 25, "green"}}},
		{6, "c_crop,w_100,h_100,g_south", size{100, 100}, []probe{{25, 50, "yellow"}, {75, 50, "green"}}},
		{6, "w_100,h_100,c_fill,g_auto", size{100, 100}, nil},
		{6, "a_ignore", size{400, 200}, []probe{{50, 50, "red"}, {350, 150, "yellow"}}},
		{6, "a_ignore,w_200", size{200, 100}, []probe{{50, 25, "red"}, {150, 75, "yellow"}}},
		{6, "a_90", size{400, 200}, []probe{{50, 50, "yellow"}, {350, 50, "blue"}, {50, 150, "green"}, {350, 150, "red"}}},
		{6, "a_90,w_200", size{200, 100}, []probe{{25, 25, "yellow"}, {175, 25, "blue"}, {25, 75, "green"}, {175, 75, "red"}}},
		{6, "a_hflip,w_100", size{100, 200}, []probe{{25, 50, "red"}, {75, 50, "blue"}, {25, 150, "green"}, {75, 150, "yellow"}}},
		{6, "a_vflip,w_100,h_100,c_fill,g_north", size{100, 100}, []probe{{25, 50, "yellow"}, {75, 50, "green"}}},
		// Orientation 8: upright green yellow / red blue.
		{8, "w_100,h_100,c_fill,g_north_west", size{100, 100}, []probe{{25, 50, "green"}, {75, 50, "yellow"}}},
		{8, "w_50,h_50,c_fill,g_south_east", size{50, 50}, []probe{{12, 25, "red"}, {37, 25, "blue"}}},
		// Orientation 3: upright 400x200, yellow blue / green red.
		{3, "w_100,h_100,c_fill,g_east", size{100, 100}, []probe{{50, 25, "blue"}, {50, 75, "red"}}},
		{3, "w_200,h_50,c_fill,g_south", size{200, 50}, []probe{{50, 25, "green"}, {150, 25, "red"}}},
		// Orientation 7 (transverse): yellow green / blue red.
		{7, "w_100,h_100,c_fill,g_south_west", size{100, 100}, []probe{{25, 50, "blue"}, {75, 50, "red"}}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.orientation, tt.chain), func(t *testing.T) {
			out := execute(t, source(t, withOrientation(raw, tt.orientation)), tt.chain, "png", nil)
			if got := (size{out.Width, out.Height}); got != tt.want {
				t.Fatalf("got %dx%d, want %dx%d", got.w, got.h, tt.want.w, tt.want.h)
			}
			d := decode(t, out.Bytes)
			for _, p := range tt.probes {
				if got := d.name(p.x, p.y); got != p.want {
					t.Errorf("pixel (%d,%d) is %s (%v), want %s", p.x, p.y, got, d.at(p.x, p.y), p.want)
				}
			}
		})
	}
}

func TestExecuteAngle(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	q := source(t, pngOf(t, quadrants(200, 100)))
	tests := []struct {
		src     Source
		chain   string
		format  string
		want    size
		corners [4]string // expected colour at the quadrant centres, "" = not checked
	}{
		{photo, "a_90", "jpg", size{640, 427}, [4]string{}},
		{photo, "a_-90", "jpg", size{640, 427}, [4]string{}},
		{photo, "a_180", "jpg", size{427, 640}, [4]string{}},
		{photo, "a_ignore", "jpg", size{640, 427}, [4]string{}},
		{photo, "a_ignore,w_320", "jpg", size{320, 214}, [4]string{}},
		{q, "a_90", "png", size{100, 200}, [4]string{"blue", "red", "yellow", "green"}},
		{q, "a_270", "png", size{100, 200}, [4]string{"green", "yellow", "red", "blue"}},
		{q, "a_180", "png", size{200, 100}, [4]string{"yellow", "blue", "green", "red"}},
		{q, "a_hflip", "png", size{200, 100}, [4]string{"green", "red", "yellow", "blue"}},
		{q, "a_vflip", "png", size{200, 100}, [4]string{"blue", "yellow", "red", "green"}},
		{q, "a_90.hflip", "png", size{100, 200}, [4]string{"red", "blue", "green", "yellow"}},
		// auto_right turns a landscape image when a portrait box is asked for.
		{q, "a_auto_right,w_100,h_200,c_fill", "png", size{100, 200}, [4]string{"blue", "red", "yellow", "green"}},
		{q, "a_auto_left,w_100,h_200,c_fill", "png", size{100, 200}, [4]string{"green", "yellow", "red", "blue"}},
		{q, "a_auto_right,w_200,h_100,c_fill", "png", size{200, 100}, [4]string{"red", "green", "blue", "yellow"}},
	}
	for _, tt := range tests {
		t.Run(tt.src.Info.Format+" "+tt.chain, func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, tt.format, nil)
			if got := (size{out.Width, out.Height}); got != tt.want {
				t.Fatalf("got %dx%d, want %dx%d", got.w, got.h, tt.want.w, tt.want.h)
			}
			if tt.corners == ([4]string{}) {
				return
			}
			d := decode(t, out.Bytes)
			w, h := tt.want.w, tt.want.h
			at := [4][2]int{{w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}}
			for i, p := range at {
				if got := d.name(p[0], p[1]); got != tt.corners[i] {
					t.Errorf("quadrant %d is %s, want %s", i, got, tt.corners[i])
				}
			}
		})
	}
}

func TestExecuteArbitraryAngle(t *testing.T) {
	q := source(t, pngOf(t, solid(100, 100, pxRed)))
	for _, tt := range []struct {
		chain, format string
		corner        string
		alpha         uint8
	}{
		{"a_45", "png", "", 0},
		{"a_45", "jpg", "white", 255},
		{"a_45,b_blue", "png", "blue", 255},
		{"a_-30,b_blue", "jpg", "blue", 255},
	} {
		t.Run(tt.chain+" "+tt.format, func(t *testing.T) {
			out := execute(t, q, tt.chain, tt.format, nil)
			if out.Width <= 100 || out.Height <= 100 {
				t.Fatalf("rotated image is %dx%d, want larger than 100x100", out.Width, out.Height)
			}
			d := decode(t, out.Bytes)
			c := d.at(1, 1)
			if c.A != tt.alpha {
				t.Errorf("corner alpha %d, want %d", c.A, tt.alpha)
			}
			if tt.corner != "" {
				if got := d.name(1, 1); got != tt.corner {
					t.Errorf("corner is %s (%v), want %s", got, c, tt.corner)
				}
			}
			if got := d.name(out.Width/2, out.Height/2); got != "red" {
				t.Errorf("centre is %s, want red", got)
			}
		})
	}
}

func TestExecuteFormats(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	alpha := fixtureSource(t, "alpha.png")
	for _, format := range []string{"jpg", "jpeg", "png", "webp", "avif", "heic", "gif"} {
		for _, src := range []Source{photo, alpha} {
			t.Run(src.Info.Format+" to "+format, func(t *testing.T) {
				out := execute(t, src, "w_64", format, nil)
				info := probeOut(t, out)
				if want := NormalizeFormat(format); info.Format != want {
					t.Errorf("format %s, want %s", info.Format, want)
				}
				if out.Width != 64 {
					t.Errorf("width %d, want 64", out.Width)
				}
			})
		}
	}
	t.Run("unsupported", func(t *testing.T) {
		_, err := Execute(context.Background(), photo, Chain{}, "bmp", nil, Limits{})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}

func TestExecuteQualityAndFlags(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	alpha := fixtureSource(t, "alpha.png")

	low := execute(t, photo, "w_300,q_20", "jpg", nil)
	high := execute(t, photo, "w_300,q_95", "jpg", nil)
	if len(low.Bytes) >= len(high.Bytes) {
		t.Errorf("q_20 gives %d bytes, q_95 %d: want fewer", len(low.Bytes), len(high.Bytes))
	}
	autoLow := execute(t, photo, "w_300,q_auto:low", "webp", nil)
	autoBest := execute(t, photo, "w_300,q_auto:best", "webp", nil)
	if len(autoLow.Bytes) >= len(autoBest.Bytes) {
		t.Errorf("q_auto:low gives %d bytes, q_auto:best %d: want fewer", len(autoLow.Bytes), len(autoBest.Bytes))
	}

	for _, chain := range []string{"w_300,fl_progressive", "e_grayscale,fl_progressive"} {
		prog := execute(t, photo, chain, "jpg", nil)
		if !bytes.Contains(prog.Bytes, []byte{0xff, 0xc2}) {
			t.Errorf("%s: no progressive (SOF2) frame", chain)
		}
	}
	plain := execute(t, photo, "w_300", "jpg", nil)
	if bytes.Contains(plain.Bytes, []byte{0xff, 0xc2}) {
		t.Error("baseline JPEG has a progressive frame")
	}

	// fl_lossy PNG: a palette image (IHDR colour type 3).
	for _, chain := range []string{"w_100,fl_lossy", "fl_lossy"} {
		lossy := execute(t, alpha, chain, "png", nil)
		if lossy.Bytes[25] != 3 {
			t.Errorf("%s: PNG colour type %d, want 3 (palette)", chain, lossy.Bytes[25])
		}
	}

	// Metadata is stripped unless fl_keep_iptc; kept EXIF no longer turns the upright pixels.
	for _, chain := range []string{"w_200", "e_grayscale"} {
		info := probeOut(t, execute(t, photo, chain, "jpg", nil))
		if info.EXIF != nil {
			t.Errorf("%s: EXIF kept: %v", chain, info.EXIF)
		}
		kept := probeOut(t, execute(t, photo, chain+",fl_keep_iptc", "jpg", nil))
		if kept.EXIF["Make"] != "Cloudlet" {
			t.Errorf("%s,fl_keep_iptc: EXIF Make %q, want Cloudlet", chain, kept.EXIF["Make"])
		}
		if kept.Orientation > 1 {
			t.Errorf("%s,fl_keep_iptc: orientation %d kept on upright pixels", chain, kept.Orientation)
		}
		if kept.Width != 200 && chain == "w_200" {
			t.Errorf("%s,fl_keep_iptc: width %d", chain, kept.Width)
		}
	}
}

func TestExecuteLimits(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	lim := Limits{MaxOutputPixels: 4_000_000}
	for _, chain := range []string{"w_10000", "w_3000,h_3000,c_pad", "w_2000/w_100", "a_45,w_3000"} {
		_, err := Execute(context.Background(), photo, mustParse(t, chain), "jpg", nil, lim)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", chain, err)
		}
	}
	// The source itself is over a tiny limit: fine when the result is small, refused when not.
	tiny := Limits{MaxOutputPixels: 100_000}
	if _, err := Execute(context.Background(), photo, mustParse(t, "e_grayscale/w_100"), "jpg", nil, tiny); err != nil {
		t.Errorf("small result of a large source: %v", err)
	}
	if _, err := Execute(context.Background(), photo, mustParse(t, "e_grayscale"), "jpg", nil, tiny); !errors.Is(err, ErrInvalid) {
		t.Errorf("large result: got %v, want ErrInvalid", err)
	}
	if _, err := Execute(context.Background(), photo, mustParse(t, "w_20000,h_10,c_scale"), "jpg", nil, Limits{}); !errors.Is(err, ErrInvalid) {
		t.Errorf("20000 px wide: got %v, want ErrInvalid", err)
	}
}

func TestExecuteCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Execute(ctx, fixtureSource(t, "photo.jpg"), mustParse(t, "w_100/e_sepia"), "jpg", nil, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// The throughput path: a resize of a still image written as JPEG is one bimg call on the
// source bytes, nothing decoded by the shim.
func TestExecuteResizeIsOneBimgCall(t *testing.T) {
	photo := fixtureSource(t, "photo.webp")
	for _, chain := range []string{"w_300,c_fit", "w_100,h_100,c_fill", "w_100,h_100,c_fill,g_north_west",
		"w_100,e_blur:200", "w_200/q_50,fl_progressive", "w_100,h_100,c_fill/fl_attachment"} {
		t.Run(chain, func(t *testing.T) {
			ch := mustParse(t, chain)
			r := &run{ctx: context.Background(), keepAlpha: false, prepared: map[*Component]*vipsImage{}}
			r.initial = size{photo.Info.Width, photo.Info.Height}
			c, err := r.sourceCanvas(photo.Bytes, photo.Info, 0, dihedral{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.release()
			if err := r.runComponents(c, ch.Components); err != nil {
				t.Fatal(err)
			}
			if !c.queued() {
				t.Fatal("the shim decoded the image")
			}
			enc, err := newEncoding(ch, "jpg")
			if err != nil {
				t.Fatal(err)
			}
			b, ok, err := c.encodeQueued(enc)
			if err != nil || !ok {
				t.Fatalf("encodeQueued: ok=%v err=%v", ok, err)
			}
			if info := probeOut(t, Output{Bytes: b, Format: "jpg", Width: c.size().w, Height: c.size().h}); info.Format != "jpg" {
				t.Errorf("format %s", info.Format)
			}
		})
	}
}

func TestJPEGComponents(t *testing.T) {
	if n := jpegComponents(readTestdata(t, "photo.jpg")); n != 3 {
		t.Errorf("photo.jpg: %d components, want 3", n)
	}
	if n := jpegComponents(withOrientation(jpegOf(t, solid(8, 8, pxRed)), 6)); n != 3 {
		t.Errorf("JPEG with EXIF: %d components, want 3", n)
	}
	if n := jpegComponents([]byte{0xff, 0xd8, 0xff}); n != 0 {
		t.Errorf("truncated: %d components, want 0", n)
	}
}

// A source given without its Info is probed by Execute itself, EXIF orientation included: the
// server hands Execute the original's bytes only.
func TestExecuteProbesASourceWithoutInfo(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg") // stored 640x427, EXIF orientation 6
	out, err := Execute(context.Background(), Source{Bytes: photo.Bytes}, mustParse(t, "w_100"), "jpg", nil, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Width != 100 || out.Height != 150 {
		t.Fatalf("w_100 of the upright 427x640 photo: %dx%d", out.Width, out.Height)
	}
}
