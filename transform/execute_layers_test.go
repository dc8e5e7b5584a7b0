package transform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// layerStore is a LayerLoader over a map.
func layerStore(assets map[string][]byte) LayerLoader {
	return func(publicID string) ([]byte, error) {
		if b, ok := assets[publicID]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("asset %s: %w", publicID, ErrLayerNotFound)
	}
}

// pngPixels decodes a PNG output with Go's decoder, for scanning every pixel.
func pngPixels(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countWhere counts the pixels of r in img for which f holds.
func countWhere(img image.Image, r image.Rectangle, f func(color.NRGBA) bool) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if f(color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)) {
				n++
			}
		}
	}
	return n
}

func reddish(c color.NRGBA) bool { return c.R > 150 && c.G < 100 && c.B < 100 }

func TestExecuteTextLayer(t *testing.T) {
	base := source(t, pngOf(t, solid(300, 200, pxWhite)))
	topLeft := image.Rect(0, 0, 150, 100)
	bottomRight := image.Rect(150, 100, 300, 200)
	for _, tt := range []struct {
		chain         string
		inside, clean image.Rectangle
	}{
		{"co_red,l_text:Arial_40_bold:Hello/fl_layer_apply,g_north_west,x_10,y_10", topLeft, bottomRight},
		{"co_red,g_north_west,l_text:Arial_40:Hello%20there,x_10,y_10", topLeft, bottomRight},
		{"co_red,l_text:DejaVu%20Sans_30_italic:a%26b%3Cc/fl_layer_apply,g_south_east", bottomRight, topLeft},
	} {
		t.Run(tt.chain, func(t *testing.T) {
			out := execute(t, base, tt.chain, "png", nil)
			if out.Width != 300 || out.Height != 200 {
				t.Fatalf("size %dx%d, want the base's 300x200", out.Width, out.Height)
			}
			img := pngPixels(t, out.Bytes)
			if n := countWhere(img, tt.inside, reddish); n < 50 {
				t.Errorf("%d red pixels where the text goes, want many", n)
			}
			if n := countWhere(img, tt.clean, func(c color.NRGBA) bool { return c != pxWhite }); n != 0 {
				t.Errorf("%d pixels changed away from the text", n)
			}
		})
	}
}

func TestExecuteImageLayers(t *testing.T) {
	logo := pngOf(t, quadrants(100, 50))
	store := layerStore(map[string][]byte{
		"logo":       logo,
		"brand/logo": logo,
		"bg":         pngOf(t, solid(200, 150, pxBlue)),
		"photo":      readTestdata(t, "photo.jpg"),
	})
	base := source(t, pngOf(t, solid(300, 300, pxWhite)))
	type probe struct {
		x, y int
		want string
	}
	tests := []struct {
		src    Source
		chain  string
		probes []probe
	}{
		{base, "l_logo,w_50/fl_layer_apply,g_south_east,x_10,y_10", []probe{
			{245, 270, "red"}, {285, 285, "yellow"}, {235, 270, "white"}, {5, 5, "white"}, {290, 295, "white"}}},
		{base, "l_brand:logo,w_50,g_north_west", []probe{{5, 5, "red"}, {45, 20, "yellow"}, {55, 5, "white"}}},
		{base, "l_logo/fl_layer_apply", []probe{{110, 130, "red"}, {190, 170, "yellow"}, {90, 130, "white"}}},
		{base, "l_logo,w_0.5,fl_relative/fl_layer_apply", []probe{{80, 120, "red"}, {220, 180, "yellow"}, {70, 120, "white"}}},
		{base, "l_logo,w_0.5/fl_layer_apply,g_north_west", []probe{{5, 5, "red"}, {45, 20, "yellow"}, {55, 5, "white"}}},
		{base, "l_logo/e_negate/fl_layer_apply,g_north_west", []probe{{5, 40, "yellow"}, {55, 40, "blue"}}},
		{base, "l_logo,g_north,y_0.1", []probe{{110, 35, "red"}, {110, 25, "white"}}},
		// The layer's own EXIF orientation applies: photo.jpg is upright 427x640.
		{base, "l_photo,h_100/fl_layer_apply,g_north_west", []probe{{80, 50, "white"}}},
		// A layer on a layer's base of another size than its own.
		{source(t, pngOf(t, solid(60, 60, pxWhite))), "l_logo/fl_layer_apply", []probe{{5, 20, "red"}, {55, 40, "yellow"}}},
		// Components after the layer apply to the result.
		{base, "l_logo,w_50,g_north_west/w_150", []probe{{10, 5, "red"}, {140, 140, "white"}}},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, "png", store)
			d := decode(t, out.Bytes)
			for _, p := range tt.probes {
				if got := d.name(p.x, p.y); got != p.want {
					t.Errorf("(%d,%d) is %s (%v), want %s", p.x, p.y, got, d.at(p.x, p.y), p.want)
				}
			}
		})
	}

	t.Run("opacity", func(t *testing.T) {
		out := execute(t, base, "l_logo/fl_layer_apply,o_50", "png", store)
		if c := decode(t, out.Bytes).at(110, 130); !near(c, color.NRGBA{255, 128, 128, 255}, 3) {
			t.Errorf("half-transparent red over white is %v", c)
		}
	})
	t.Run("underlay", func(t *testing.T) {
		alpha := fixtureSource(t, "alpha.png")
		out := execute(t, alpha, "u_bg/fl_layer_apply", "png", store)
		d := decode(t, out.Bytes)
		if c := d.at(2, 2); !near(c, color.NRGBA{0, 0, 255, 255}, 1) {
			t.Errorf("transparent corner over the underlay is %v, want blue", c)
		}
		in := decode(t, alpha.Bytes)
		if c, o := d.at(100, 75), in.at(100, 75); !near(c, o, 1) {
			t.Errorf("opaque centre %v changed from %v", c, o)
		}
	})
	t.Run("overlay on jpg", func(t *testing.T) {
		out := execute(t, fixtureSource(t, "photo.jpg"), "w_200/l_logo,w_40,g_north_west", "jpg", store)
		if out.Width != 200 || out.Height != 300 {
			t.Fatalf("size %dx%d", out.Width, out.Height)
		}
		if got := decode(t, out.Bytes).name(5, 5); got != "red" {
			t.Errorf("logo corner is %s", got)
		}
	})
}

func TestExecuteMissingLayer(t *testing.T) {
	base := source(t, pngOf(t, solid(50, 50, pxWhite)))
	for _, loader := range []LayerLoader{layerStore(nil), nil} {
		_, err := Execute(context.Background(), base, mustParse(t, "l_nothing:here/fl_layer_apply"), "png", loader, Limits{})
		if !errors.Is(err, ErrLayerNotFound) || !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrLayerNotFound and ErrInvalid", err)
		}
	}
	broken := func(string) ([]byte, error) { return nil, errors.New("disk on fire") }
	_, err := Execute(context.Background(), base, mustParse(t, "l_logo"), "png", broken, Limits{})
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("loader failure: got %v, want an internal error", err)
	}
	notImage := layerStore(map[string][]byte{"logo": []byte("not an image at all")})
	_, err = Execute(context.Background(), base, mustParse(t, "l_logo"), "png", notImage, Limits{})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("layer that is not an image: got %v, want ErrInvalid", err)
	}
}

// animated.gif: 120x80, 4 frames of a red square (20 px) moving right by 25 px from x=10, y=30.
func TestExecuteAnimation(t *testing.T) {
	gif := fixtureSource(t, "animated.gif")
	tests := []struct {
		chain, format string
		pages         int
		size          size
		red           [][3]int // frame, x, y of a pixel in the square
		notRed        [][3]int
	}{
		{"", "gif", 4, size{120, 80}, [][3]int{{0, 20, 40}, {1, 45, 40}, {3, 95, 40}}, [][3]int{{0, 45, 40}, {1, 20, 40}}},
		{"w_60", "gif", 4, size{60, 40}, [][3]int{{0, 10, 20}, {1, 22, 20}}, [][3]int{{0, 22, 20}}},
		{"w_60", "webp", 4, size{60, 40}, [][3]int{{0, 10, 20}, {2, 35, 20}}, nil},
		{"w_60,fl_animated", "webp", 4, size{60, 40}, nil, nil},
		{"w_40,h_40,c_fill/e_grayscale", "gif", 4, size{40, 40}, nil, nil},
		{"", "png", 1, size{120, 80}, [][3]int{{0, 20, 40}}, [][3]int{{0, 45, 40}}},
		{"w_60", "jpg", 1, size{60, 40}, [][3]int{{0, 10, 20}}, nil},
		{"pg_2", "png", 1, size{120, 80}, [][3]int{{0, 45, 40}}, [][3]int{{0, 20, 40}}},
		{"pg_2", "gif", 1, size{120, 80}, [][3]int{{0, 45, 40}}, nil},
		{"pg_4,w_60", "jpg", 1, size{60, 40}, [][3]int{{0, 47, 20}}, nil},
		{"fl_animated", "jpg", 1, size{120, 80}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.chain+" "+tt.format, func(t *testing.T) {
			var out Output
			if tt.chain == "" {
				var err error
				if out, err = Execute(context.Background(), gif, Chain{}, tt.format, nil, Limits{}); err != nil {
					t.Fatal(err)
				}
			} else {
				out = execute(t, gif, tt.chain, tt.format, nil)
			}
			info := probeOut(t, out)
			if info.Pages != tt.pages {
				t.Errorf("%d pages, want %d", info.Pages, tt.pages)
			}
			if got := (size{out.Width, out.Height}); got != tt.size {
				t.Errorf("size %dx%d, want %dx%d", got.w, got.h, tt.size.w, tt.size.h)
			}
			for _, p := range tt.red {
				if got := decodePage(t, out.Bytes, p[0]).name(p[1], p[2]); got != "red" {
					t.Errorf("frame %d (%d,%d) is %s, want red", p[0], p[1], p[2], got)
				}
			}
			for _, p := range tt.notRed {
				if got := decodePage(t, out.Bytes, p[0]).name(p[1], p[2]); got == "red" {
					t.Errorf("frame %d (%d,%d) is red", p[0], p[1], p[2])
				}
			}
		})
	}
	t.Run("grayscale frames", func(t *testing.T) {
		out := execute(t, gif, "e_grayscale", "gif", nil)
		for page := range 4 {
			c := decodePage(t, out.Bytes, page).at(20+25*page, 40)
			if c.R != c.G || c.G != c.B {
				t.Errorf("frame %d square is %v, want grey", page, c)
			}
		}
	})
	t.Run("layer on every frame", func(t *testing.T) {
		store := layerStore(map[string][]byte{"dot": pngOf(t, solid(10, 10, pxBlue))})
		out := execute(t, gif, "l_dot/fl_layer_apply,g_south_east", "gif", store)
		for page := range 4 {
			if got := decodePage(t, out.Bytes, page).name(115, 75); got != "blue" {
				t.Errorf("frame %d corner is %s, want blue", page, got)
			}
		}
	})
	t.Run("page out of range", func(t *testing.T) {
		_, err := Execute(context.Background(), gif, mustParse(t, "pg_9"), "png", nil, Limits{})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
	t.Run("limit counts every frame", func(t *testing.T) {
		_, err := Execute(context.Background(), gif, Chain{}, "gif", nil, Limits{MaxOutputPixels: 120 * 80 * 3})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want ErrInvalid", err)
		}
	})
}
