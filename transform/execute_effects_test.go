package transform

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"
)

// stripes is a w x h image of vertical stripes, 10 px each, cycling through colors.
func stripes(w, h int, colors ...color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, colors[(x/10)%len(colors)])
		}
	}
	return img
}

func grey(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 255} }

func TestExecuteEffects(t *testing.T) {
	photo := fixtureSource(t, "photo.webp")
	flat := source(t, pngOf(t, solid(60, 40, color.NRGBA{200, 100, 50, 255})))
	mid := source(t, pngOf(t, solid(60, 40, grey(100))))
	bands := source(t, pngOf(t, stripes(60, 40, pxRed, pxBlue, grey(100), pxWhite)))
	// pixel checks at a few places of the output
	samples := [][2]int{{5, 5}, {15, 20}, {25, 30}, {35, 10}, {55, 35}}
	tests := []struct {
		src   Source
		chain string
		check func(t *testing.T, d *decoded, in *decoded)
	}{
		{bands, "e_grayscale", func(t *testing.T, d, _ *decoded) {
			for _, p := range samples {
				c := d.at(p[0], p[1])
				if c.R != c.G || c.G != c.B {
					t.Errorf("(%d,%d) = %v, want R = G = B", p[0], p[1], c)
				}
			}
			if c := d.at(35, 5); c.R != 255 {
				t.Errorf("white became %v", c)
			}
			if c, b := d.at(5, 5), d.at(15, 5); c.R <= b.R {
				t.Errorf("red (%v) is not lighter than blue (%v)", c, b)
			}
		}},
		{bands, "e_blackwhite", func(t *testing.T, d, _ *decoded) {
			for _, p := range samples {
				c := d.at(p[0], p[1])
				if c.R != c.G || c.G != c.B || (c.R != 0 && c.R != 255) {
					t.Errorf("(%d,%d) = %v, want black or white", p[0], p[1], c)
				}
			}
			if c := d.at(35, 10); c.R != 255 {
				t.Errorf("white became %v", c)
			}
		}},
		{flat, "e_sepia", func(t *testing.T, d, _ *decoded) {
			c := d.at(30, 20)
			if !(c.R > c.G && c.G > c.B) {
				t.Errorf("sepia pixel %v, want R > G > B", c)
			}
		}},
		{bands, "e_negate", func(t *testing.T, d, _ *decoded) {
			for _, tc := range []struct {
				x    int
				want color.NRGBA
			}{{5, color.NRGBA{0, 255, 255, 255}}, {15, color.NRGBA{255, 255, 0, 255}}, {25, grey(155)}, {35, grey(0)}} {
				if c := d.at(tc.x, 20); !near(c, tc.want, 1) {
					t.Errorf("(%d,20) = %v, want %v", tc.x, c, tc.want)
				}
			}
		}},
		{bands, "e_blur:200", func(t *testing.T, d, _ *decoded) {
			if c := d.at(10, 20); near(c, pxRed, 40) || near(c, pxBlue, 40) {
				t.Errorf("edge between red and blue is %v after a blur", c)
			}
		}},
		{bands, "e_sharpen", differs},
		{bands, "e_unsharp_mask:300", differs},
		{mid, "e_brightness", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, grey(180), 1) {
				t.Errorf("grey 100 became %v, want 180", c)
			}
		}},
		{mid, "e_brightness:-50", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, grey(50), 1) {
				t.Errorf("grey 100 became %v, want 50", c)
			}
		}},
		{mid, "e_contrast:50", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, grey(86), 1) {
				t.Errorf("grey 100 became %v, want 86", c)
			}
		}},
		{flat, "e_saturation:-100", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); abs(int(c.R)-int(c.B)) > 3 {
				t.Errorf("desaturated pixel %v still coloured", c)
			}
		}},
		{flat, "e_saturation:50", func(t *testing.T, d, in *decoded) {
			c, o := d.at(30, 20), in.at(30, 20)
			if int(c.R)-int(c.B) <= int(o.R)-int(o.B) {
				t.Errorf("saturated pixel %v not more coloured than %v", c, o)
			}
		}},
		{mid, "e_gamma:50", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); c.R <= 110 {
				t.Errorf("grey 100 became %v, want brighter", c)
			}
		}},
		{photo, "e_pixelate:8", func(t *testing.T, d, _ *decoded) {
			for _, p := range [][2]int{{1, 1}, {9, 17}, {163, 83}} {
				base := d.at(p[0]/8*8, p[1]/8*8)
				if c := d.at(p[0], p[1]); c != base {
					t.Errorf("(%d,%d) = %v differs from its block's %v", p[0], p[1], c, base)
				}
			}
		}},
		{flat, "e_colorize,co_blue", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, pxBlue, 1) {
				t.Errorf("colorize at 100 gave %v, want blue", c)
			}
		}},
		{flat, "e_colorize:50,co_blue", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, color.NRGBA{100, 50, 153, 255}, 2) {
				t.Errorf("colorize at 50 gave %v", c)
			}
		}},
		{mid, "e_colorize:100", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !near(c, grey(128), 1) {
				t.Errorf("colorize without co_ gave %v, want gray", c)
			}
		}},
		{mid, "e_tint:100:rgb:00ff00", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !(c.G > c.R+40 && c.G > c.B+40) {
				t.Errorf("green tint gave %v", c)
			}
		}},
		{mid, "e_tint", func(t *testing.T, d, _ *decoded) {
			if c := d.at(30, 20); !(c.R > c.G+20) {
				t.Errorf("default (red) tint gave %v", c)
			}
		}},
		{bands, "e_tint:80:blue:yellow", func(t *testing.T, d, _ *decoded) {
			if c := d.at(35, 20); !(c.R > 200 && c.G > 200 && c.B < 120) {
				t.Errorf("white under a blue-to-yellow tint gave %v, want yellowish", c)
			}
		}},
		{photo, "e_vignette", func(t *testing.T, d, in *decoded) {
			if c, o := d.at(1, 1), in.at(1, 1); int(c.R)+int(c.G)+int(c.B) >= int(o.R)+int(o.G)+int(o.B) {
				t.Errorf("corner %v not darker than %v", c, o)
			}
			if c, o := d.at(160, 100), in.at(160, 100); !near(c, o, 3) {
				t.Errorf("centre %v changed from %v", c, o)
			}
		}},
		{source(t, pngOf(t, ramp(60, 40, 100, 150))), "e_auto_contrast", func(t *testing.T, d, _ *decoded) {
			if lo, hi := d.at(0, 20), d.at(59, 20); lo.R > 20 || hi.R < 235 {
				t.Errorf("levels 100-150 stretched to %d-%d, want about 0-255", lo.R, hi.R)
			}
		}},
		{source(t, pngOf(t, ramp(60, 40, 100, 150))), "e_improve", func(t *testing.T, d, _ *decoded) {
			if lo, hi := d.at(0, 20), d.at(59, 20); lo.R > 20 || hi.R < 235 {
				t.Errorf("levels 100-150 stretched to %d-%d, want about 0-255", lo.R, hi.R)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.chain, func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, "png", nil)
			if out.Width != tt.src.Info.Width || out.Height != tt.src.Info.Height {
				t.Errorf("size %dx%d, want %dx%d", out.Width, out.Height, tt.src.Info.Width, tt.src.Info.Height)
			}
			tt.check(t, decode(t, out.Bytes), decode(t, tt.src.Bytes))
		})
	}
}

// ramp is a horizontal grey ramp from lo (left) to hi (right).
func ramp(w, h int, lo, hi uint8) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, grey(uint8(int(lo)+(int(hi)-int(lo))*x/(w-1))))
		}
	}
	return img
}

func differs(t *testing.T, d, in *decoded) {
	t.Helper()
	for _, p := range [][2]int{{9, 20}, {10, 20}, {19, 20}, {20, 20}, {29, 20}, {30, 20}} {
		if d.at(p[0], p[1]) != in.at(p[0], p[1]) {
			return
		}
	}
	t.Error("no pixel changed along the stripe edges")
}

func TestExecuteTrim(t *testing.T) {
	// A red 50x30 rectangle on a 10 px white border.
	img := solid(70, 50, pxWhite)
	for y := 10; y < 40; y++ {
		for x := 10; x < 60; x++ {
			img.SetNRGBA(x, y, pxRed)
		}
	}
	for _, tt := range []struct {
		src    Source
		chain  string
		format string
		w, h   int
	}{
		{source(t, pngOf(t, img)), "e_trim", "png", 50, 30},
		{source(t, jpegOf(t, img)), "e_trim", "jpg", 50, 30},
		{source(t, pngOf(t, img)), "e_trim:10:white", "png", 50, 30},
		{source(t, pngOf(t, solid(40, 40, pxWhite))), "e_trim", "png", 40, 40},
		// alpha.png: an opaque disc and half-transparent ring of radius 65 on transparency.
		{fixtureSource(t, "alpha.png"), "e_trim", "png", 130, 130},
	} {
		t.Run(tt.src.Info.Format+" "+tt.chain, func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, tt.format, nil)
			if abs(out.Width-tt.w) > 2 || abs(out.Height-tt.h) > 2 {
				t.Errorf("trimmed to %dx%d, want %dx%d", out.Width, out.Height, tt.w, tt.h)
			}
		})
	}
}

func TestExecuteUnsupportedEffect(t *testing.T) {
	chain := Chain{Components: []Component{{Effect: Effect{Name: "oil_paint"}}}}
	_, err := Execute(context.Background(), fixtureSource(t, "photo.webp"), chain, "jpg", nil, Limits{})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want ErrInvalid", err)
	}
}

func TestExecuteRadiusBorderOpacity(t *testing.T) {
	redSrc := source(t, pngOf(t, solid(100, 80, pxRed)))
	alpha := fixtureSource(t, "alpha.png")
	tests := []struct {
		src    Source
		chain  string
		format string
		w, h   int
		check  func(t *testing.T, d *decoded)
	}{
		{redSrc, "r_max", "png", 100, 80, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 0, 0, 0)
			expectAlpha(t, d, 99, 79, 0)
			expectAlpha(t, d, 50, 40, 255)
			expectAlpha(t, d, 50, 1, 255) // the ellipse touches the edges' middles
		}},
		{redSrc, "r_20", "png", 100, 80, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 1, 1, 0)
			expectAlpha(t, d, 98, 78, 0)
			expectAlpha(t, d, 20, 1, 255)
			expectAlpha(t, d, 1, 40, 255)
		}},
		{redSrc, "r_20:0", "png", 100, 80, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 1, 1, 0)    // top-left rounded
			expectAlpha(t, d, 98, 1, 255) // top-right square
			expectAlpha(t, d, 98, 78, 0)
		}},
		{redSrc, "r_max", "jpg", 100, 80, func(t *testing.T, d *decoded) {
			expectName(t, d, 1, 1, "white")
			expectName(t, d, 50, 40, "red")
		}},
		{redSrc, "r_max,b_blue", "jpg", 100, 80, func(t *testing.T, d *decoded) {
			expectName(t, d, 1, 1, "blue")
		}},
		{redSrc, "bo_5px_solid_blue", "png", 110, 90, func(t *testing.T, d *decoded) {
			expectName(t, d, 0, 0, "blue")
			expectName(t, d, 2, 45, "blue")
			expectName(t, d, 109, 89, "blue")
			expectName(t, d, 6, 6, "red")
		}},
		{redSrc, "bo_5px_solid_blue,r_20", "png", 110, 90, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 0, 0, 0)
			expectName(t, d, 2, 45, "blue")
			expectName(t, d, 55, 2, "blue")
			expectName(t, d, 55, 45, "red")
		}},
		{alpha, "bo_5px_solid_blue", "png", 210, 160, func(t *testing.T, d *decoded) {
			expectName(t, d, 2, 2, "blue")
			expectAlpha(t, d, 10, 10, 0) // the image's own transparency stays
		}},
		{alpha, "bo_4px_solid_blue,r_30", "png", 208, 158, func(t *testing.T, d *decoded) {
			expectName(t, d, 104, 1, "blue")
			expectAlpha(t, d, 20, 20, 0)
		}},
		{redSrc, "o_50", "png", 100, 80, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 50, 40, 128)
		}},
		{alpha, "o_50", "png", 200, 150, func(t *testing.T, d *decoded) {
			expectAlpha(t, d, 100, 75, 128)
			expectAlpha(t, d, 0, 0, 0)
		}},
		{redSrc, "o_50", "jpg", 100, 80, func(t *testing.T, d *decoded) {
			if c := d.at(50, 40); !near(c, color.NRGBA{255, 128, 128, 255}, 6) {
				t.Errorf("half-transparent red on white is %v", c)
			}
		}},
		{redSrc, "o_50,b_black", "jpg", 100, 80, func(t *testing.T, d *decoded) {
			if c := d.at(50, 40); !near(c, color.NRGBA{128, 0, 0, 255}, 6) {
				t.Errorf("half-transparent red on black is %v", c)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.chain+" "+tt.format, func(t *testing.T) {
			out := execute(t, tt.src, tt.chain, tt.format, nil)
			if out.Width != tt.w || out.Height != tt.h {
				t.Fatalf("size %dx%d, want %dx%d", out.Width, out.Height, tt.w, tt.h)
			}
			tt.check(t, decode(t, out.Bytes))
		})
	}
}

func expectAlpha(t *testing.T, d *decoded, x, y int, want uint8) {
	t.Helper()
	if c := d.at(x, y); abs(int(c.A)-int(want)) > 2 {
		t.Errorf("alpha at (%d,%d) is %d, want %d", x, y, c.A, want)
	}
}

func expectName(t *testing.T, d *decoded, x, y int, want string) {
	t.Helper()
	if got := d.name(x, y); got != want {
		t.Errorf("(%d,%d) is %s (%v), want %s", x, y, got, d.at(x, y), want)
	}
}
