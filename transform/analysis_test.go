package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/h2non/bimg"
)

// analysisPNG draws a w x h PNG whose pixel colours come from at.
func analysisPNG(t *testing.T, w, h int, at func(x, y int) color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, at(x, y))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var (
	pureRed   = color.NRGBA{255, 0, 0, 255}
	pureBlue  = color.NRGBA{0, 0, 255, 255}
	pureWhite = color.NRGBA{255, 255, 255, 255}
	pureBlack = color.NRGBA{0, 0, 0, 255}
)

// halves is red on the left half, blue on the right.
func halves(w, h int) func(x, y int) color.Color {
	return func(x, y int) color.Color {
		if x < w/2 {
			return pureRed
		}
		return pureBlue
	}
}

// checkerboard has black and white squares of side cell.
func checkerboard(cell int) func(x, y int) color.Color {
	return func(x, y int) color.Color {
		if (x/cell+y/cell)%2 == 0 {
			return pureBlack
		}
		return pureWhite
	}
}

func analyze(t *testing.T, b []byte) Analysis {
	t.Helper()
	a, err := Analyze(b)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	return a
}

func phashDistance(t *testing.T, a, b string) int {
	t.Helper()
	x, err1 := strconv.ParseUint(a, 16, 64)
	y, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("phash %q or %q is not hex", a, b)
	}
	return bits.OnesCount64(x ^ y)
}

// TestAnalyzeExactColours uses images small enough to be analysed unscaled,
// so every share is exact.
func TestAnalyzeExactColours(t *testing.T) {
	tests := []struct {
		name        string
		png         []byte
		colors      []ColorShare
		predominant []ColorShare
	}{
		{
			name:        "red and blue halves",
			png:         analysisPNG(t, 96, 64, halves(96, 64)),
			colors:      []ColorShare{{"#0000FF", 50}, {"#FF0000", 50}},
			predominant: []ColorShare{{"blue", 50}, {"red", 50}},
		},
		{
			name: "white three quarters, black one",
			png: analysisPNG(t, 100, 40, func(x, y int) color.Color {
				if x < 75 {
					return pureWhite
				}
				return pureBlack
			}),
			colors:      []ColorShare{{"#FFFFFF", 75}, {"#000000", 25}},
			predominant: []ColorShare{{"white", 75}, {"black", 25}},
		},
		{
			name: "transparent left half flattens onto white",
			png: analysisPNG(t, 64, 64, func(x, y int) color.Color {
				if x < 32 {
					return color.NRGBA{0, 255, 0, 0}
				}
				return color.NRGBA{0, 128, 0, 255}
			}),
			colors:      []ColorShare{{"#008000", 50}, {"#FFFFFF", 50}},
			predominant: []ColorShare{{"green", 50}, {"white", 50}},
		},
		{
			name:        "one colour",
			png:         analysisPNG(t, 10, 10, func(x, y int) color.Color { return color.NRGBA{0x16, 0x2E, 0x02, 255} }),
			colors:      []ColorShare{{"#162E02", 100}},
			predominant: []ColorShare{{"green", 100}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := analyze(t, tt.png)
			if !reflect.DeepEqual(a.Colors, tt.colors) {
				t.Errorf("Colors = %v, want %v", a.Colors, tt.colors)
			}
			if got := a.Predominant["google"]; !reflect.DeepEqual(got, tt.predominant) {
				t.Errorf("Predominant[google] = %v, want %v", got, tt.predominant)
			}
		})
	}
}

// TestAnalyzeShrinksLargeImage: a big image is analysed from a small copy,
// whose resampled edge may add a sliver of blended colours.
func TestAnalyzeShrinksLargeImage(t *testing.T) {
	a := analyze(t, analysisPNG(t, 1600, 1000, halves(1600, 1000)))
	if len(a.Colors) < 2 {
		t.Fatalf("Colors = %v, want red and blue", a.Colors)
	}
	top := map[string]float64{a.Colors[0].Hex: a.Colors[0].Percent, a.Colors[1].Hex: a.Colors[1].Percent}
	for _, hex := range []string{"#FF0000", "#0000FF"} {
		if p, ok := top[hex]; !ok || math.Abs(p-50) > 2 {
			t.Errorf("Colors = %v, want %s at 50±2%%", a.Colors, hex)
		}
	}
	google := map[string]float64{}
	for _, s := range a.Predominant["google"] {
		google[s.Hex] = s.Percent
	}
	if math.Abs(google["red"]-50) > 2 || math.Abs(google["blue"]-50) > 2 {
		t.Errorf("Predominant[google] = %v, want red and blue at 50±2%%", a.Predominant["google"])
	}
}

var googleNames = []string{"red", "orange", "yellow", "green", "teal", "blue", "purple", "pink", "brown", "black", "gray", "white"}

func TestAnalyzeFixtures(t *testing.T) {
	hexColor := regexp.MustCompile(`^#[0-9A-F]{6}$`)
	phash := regexp.MustCompile(`^[0-9a-f]{16}$`)
	tests := []struct {
		file       string
		minColors  int    // the fixture has at least this many distinct colours
		firstName  string // the leading Google colour name, "" to not check
		firstAbove float64
	}{
		{file: "photo.jpg", minColors: 32},
		{file: "photo.webp", minColors: 32},
		// The transparent corners and ring come out white: over half the image.
		{file: "alpha.png", minColors: 32, firstName: "white", firstAbove: 50},
		{file: "animated.gif", minColors: 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a := analyze(t, readTestdata(t, tt.file))

			if len(a.Colors) < tt.minColors || len(a.Colors) > 32 {
				t.Errorf("%d colours, want %d..32: %v", len(a.Colors), tt.minColors, a.Colors)
			}
			checkShares(t, "Colors", a.Colors, 0.1)
			seen := map[string]bool{}
			for _, c := range a.Colors {
				if !hexColor.MatchString(c.Hex) || seen[c.Hex] {
					t.Errorf("colour %q is malformed or repeated", c.Hex)
				}
				seen[c.Hex] = true
			}
			if sum := sumPercent(a.Colors); math.Abs(sum-100) > 0.01 {
				t.Errorf("colours sum to %.2f%%, want 100", sum)
			}

			google := a.Predominant["google"]
			if len(google) == 0 || len(a.Predominant) != 1 {
				t.Fatalf("Predominant = %v, want a google list", a.Predominant)
			}
			checkShares(t, "Predominant[google]", google, 1)
			for _, s := range google {
				if !slices.Contains(googleNames, s.Hex) {
					t.Errorf("predominant name %q is not a Google colour", s.Hex)
				}
			}
			if sum := sumPercent(google); sum > 100.01 || sum < 90 {
				t.Errorf("predominant shares sum to %.2f%%, want 90..100", sum)
			}
			if tt.firstName != "" && (google[0].Hex != tt.firstName || google[0].Percent <= tt.firstAbove) {
				t.Errorf("Predominant[google] = %v, want %s first above %.0f%%", google, tt.firstName, tt.firstAbove)
			}

			if !phash.MatchString(a.PHash) {
				t.Errorf("PHash = %q, want 16 lowercase hex digits", a.PHash)
			}
		})
	}
}

// checkShares checks that shares are largest first, have one decimal and
// are at least least.
func checkShares(t *testing.T, what string, shares []ColorShare, least float64) {
	t.Helper()
	for i, s := range shares {
		if s.Percent < least || math.Abs(s.Percent*10-math.Round(s.Percent*10)) > 1e-9 {
			t.Errorf("%s[%d] = %v: want one decimal, at least %.1f", what, i, s, least)
		}
		if i > 0 && s.Percent > shares[i-1].Percent {
			t.Errorf("%s not largest first: %v", what, shares)
		}
	}
}

func sumPercent(shares []ColorShare) float64 {
	sum := 0.0
	for _, s := range shares {
		sum += s.Percent
	}
	return sum
}

func TestAnalyzeDeterministic(t *testing.T) {
	photo := readTestdata(t, "photo.jpg")
	first := analyze(t, photo)
	for range 3 {
		if again := analyze(t, photo); !reflect.DeepEqual(first, again) {
			t.Fatalf("Analyze changed between runs:\n%+v\n%+v", first, again)
		}
	}
}

// analysisScene is a small landscape with a sun, buildings, hills and a
// sky gradient under seeded noise: structure at every scale, like a photo.
func analysisScene(t *testing.T) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	return analysisPNG(t, 600, 400, func(x, y int) color.Color {
		var r, g, b float64
		switch {
		case (x-450)*(x-450)+(y-100)*(y-100) < 50*50:
			r, g, b = 250, 220, 60
		case y > 300-x/10:
			r, g, b = 60, 110, 40
		case x > 80 && x < 180 && y > 150:
			r, g, b = 120, 120, 130
		case x > 220 && x < 280 && y > 90:
			r, g, b = 150, 80, 60
		default:
			r, g, b = 100+float64(y)/4, 150+float64(y)/4, 240
		}
		n := rng.NormFloat64() * 12
		c := func(v float64) uint8 { return uint8(max(0, min(255, v+n))) }
		return color.NRGBA{c(r), c(g), c(b), 255}
	})
}

func TestPHashDistances(t *testing.T) {
	convert := func(b []byte, format string) []byte {
		t.Helper()
		out, err := Convert(b, format)
		if err != nil {
			t.Fatalf("Convert to %s: %v", format, err)
		}
		return out
	}
	resize := func(b []byte, width int, kind bimg.ImageType) []byte {
		t.Helper()
		out, err := bimg.Resize(b, bimg.Options{Width: width, Type: kind, Quality: 60})
		if err != nil {
			t.Fatal(err)
		}
		if size, err := bimg.Size(out); err != nil || size.Width != width {
			t.Fatalf("resized copy is %v (%v), want %d wide", size, err, width)
		}
		return out
	}
	photo := readTestdata(t, "photo.jpg")
	alpha := readTestdata(t, "alpha.png")
	scene := analysisScene(t)
	checker := analysisPNG(t, 256, 256, checkerboard(32))
	negative := analysisPNG(t, 256, 256, func(x, y int) color.Color {
		if (x/32+y/32)%2 == 0 {
			return pureWhite
		}
		return pureBlack
	})

	tests := []struct {
		name     string
		a, b     []byte
		min, max int
	}{
		{"same bytes", photo, photo, 0, 0},
		{"photo and its upright PNG", photo, convert(photo, "png"), 0, 6},
		{"scene as JPEG", scene, convert(scene, "jpg"), 0, 6},
		{"scene as WebP", scene, convert(scene, "webp"), 0, 6},
		{"scene at 300 px JPEG", scene, resize(scene, 300, bimg.JPEG), 0, 6},
		{"scene at 100 px JPEG", scene, resize(scene, 100, bimg.JPEG), 0, 6},
		{"scene at 64 px WebP", scene, resize(scene, 64, bimg.WEBP), 0, 6},
		{"alpha as JPEG on white", alpha, convert(alpha, "jpg"), 0, 6},
		{"alpha at 120 px WebP", alpha, resize(alpha, 120, bimg.WEBP), 0, 6},
		{"photo and checkerboard", photo, checker, 16, 64},
		{"checkerboard and its negative", checker, negative, 16, 64},
		{"scene and photo", scene, photo, 16, 64},
		{"scene and alpha", scene, alpha, 16, 64},
		{"scene and red-blue halves", scene, analysisPNG(t, 96, 64, halves(96, 64)), 16, 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ha, hb := analyze(t, tt.a).PHash, analyze(t, tt.b).PHash
			if d := phashDistance(t, ha, hb); d < tt.min || d > tt.max {
				t.Errorf("distance(%s, %s) = %d, want %d..%d", ha, hb, d, tt.min, tt.max)
			}
		})
	}
}

// TestPHashFlat: a flat image has no AC energy, so only the DC bit can be
// set, and only when the image is not black.
func TestPHashFlat(t *testing.T) {
	tests := []struct {
		fill color.Color
		want string
	}{
		{color.NRGBA{90, 140, 200, 255}, "8000000000000000"},
		{pureWhite, "8000000000000000"},
		{pureBlack, "0000000000000000"},
	}
	for _, tt := range tests {
		got := analyze(t, analysisPNG(t, 50, 30, func(x, y int) color.Color { return tt.fill })).PHash
		if got != tt.want {
			t.Errorf("PHash of flat %v = %s, want %s", tt.fill, got, tt.want)
		}
	}
}

func TestGoogleColorName(t *testing.T) {
	tests := []struct {
		hex  string
		want string
	}{
		{"FF0000", "red"}, {"C81E1E", "red"}, {"8B0000", "red"},
		{"FFA500", "orange"}, {"FF7F00", "orange"},
		{"FFFF00", "yellow"}, {"FFD700", "yellow"},
		{"00FF00", "green"}, {"228B22", "green"}, {"9ACD32", "green"},
		{"008080", "teal"}, {"00FFFF", "teal"},
		{"0000FF", "blue"}, {"87CEEB", "blue"}, {"000080", "blue"},
		{"800080", "purple"}, {"FF00FF", "purple"}, {"8A2BE2", "purple"},
		{"FFC0CB", "pink"}, {"FF69B4", "pink"}, {"FF1493", "pink"},
		{"8B4513", "brown"}, {"A0522D", "brown"}, {"5C4033", "brown"},
		{"000000", "black"}, {"1A1A1A", "black"}, {"101820", "black"},
		{"808080", "gray"}, {"A9A9A9", "gray"}, {"708090", "gray"},
		{"FFFFFF", "white"}, {"F5F5F5", "white"}, {"FFFAF0", "white"}, {"F5F5DC", "white"},
		{"D2B48C", "brown"}, {"87CEFA", "blue"}, {"E6E6FA", "white"}, {"FA8072", "red"},
	}
	for _, tt := range tests {
		v, err := strconv.ParseUint(tt.hex, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		c := rgb{uint8(v >> 16), uint8(v >> 8), uint8(v)}
		if got := googleColorName(c); got != tt.want {
			t.Errorf("googleColorName(#%s) = %s, want %s", tt.hex, got, tt.want)
		}
	}
}

func TestAnalyzeRejects(t *testing.T) {
	photo := readTestdata(t, "photo.jpg")
	for name, b := range map[string][]byte{
		"empty":     nil,
		"text":      []byte("hello, world\n"),
		"truncated": photo[:200],
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Analyze(b); !errors.Is(err, ErrNotImage) {
				t.Errorf("Analyze = %v, want ErrNotImage", err)
			}
		})
	}
}

// TestColorShareJSON: shares render as Cloudinary's [colour, percent] pairs,
// so Colors and Predominant drop straight into a details response.
func TestColorShareJSON(t *testing.T) {
	a := analyze(t, analysisPNG(t, 100, 40, func(x, y int) color.Color {
		if x < 75 {
			return pureWhite
		}
		return pureBlack
	}))
	body := map[string]any{"colors": a.Colors, "predominant": a.Predominant}
	got, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"colors":[["#FFFFFF",75],["#000000",25]],"predominant":{"google":[["white",75],["black",25]]}}`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}

	var back []ColorShare
	if err := json.Unmarshal([]byte(`[["#162E02",6.7],["#385B0C",6.3]]`), &back); err != nil {
		t.Fatal(err)
	}
	if want := []ColorShare{{"#162E02", 6.7}, {"#385B0C", 6.3}}; !reflect.DeepEqual(back, want) {
		t.Errorf("Unmarshal = %v, want %v", back, want)
	}
	for _, bad := range []string{`["#162E02"]`, `{"Hex":"#162E02"}`, `[6.7,"#162E02"]`} {
		var c ColorShare
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, c)
		}
	}
}
