package transform

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"
)

// Named colours the pixel checks tell apart.
var (
	pxRed    = color.NRGBA{255, 0, 0, 255}
	pxGreen  = color.NRGBA{0, 255, 0, 255}
	pxBlue   = color.NRGBA{0, 0, 255, 255}
	pxYellow = color.NRGBA{255, 255, 0, 255}
	pxWhite  = color.NRGBA{255, 255, 255, 255}
	pxBlack  = color.NRGBA{0, 0, 0, 255}
)

var colorNamesForTest = map[color.NRGBA]string{
	pxRed: "red", pxGreen: "green", pxBlue: "blue", pxYellow: "yellow", pxWhite: "white", pxBlack: "black",
}

// quadrants is a w x h image: red top-left, green top-right, blue bottom-left, yellow
// bottom-right.
func quadrants(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := pxRed
			switch {
			case x >= w/2 && y < h/2:
				c = pxGreen
			case x < w/2 && y >= h/2:
				c = pxBlue
			case x >= w/2 && y >= h/2:
				c = pxYellow
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func pngOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withOrientation inserts an EXIF block holding only orientation o after the JPEG's SOI.
func withOrientation(jpg []byte, o int) []byte {
	var tiff bytes.Buffer
	tiff.WriteString("II")
	le := binary.LittleEndian
	binary.Write(&tiff, le, uint16(42))
	binary.Write(&tiff, le, uint32(8))
	binary.Write(&tiff, le, uint16(1))      // one entry
	binary.Write(&tiff, le, uint16(0x0112)) // Orientation
	binary.Write(&tiff, le, uint16(3))      // SHORT
	binary.Write(&tiff, le, uint32(1))
	binary.Write(&tiff, le, uint16(o))
	binary.Write(&tiff, le, uint16(0))
	binary.Write(&tiff, le, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func source(t testing.TB, b []byte) Source {
	t.Helper()
	info, err := Probe(b)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	return Source{Bytes: b, Info: info}
}

func fixtureSource(t *testing.T, name string) Source {
	t.Helper()
	return source(t, readTestdata(t, name))
}

// execute runs chain (URL syntax) on src and fails the test on an error.
func execute(t testing.TB, src Source, chain, format string, layers LayerLoader) Output {
	t.Helper()
	out, err := Execute(context.Background(), src, mustParse(t, chain), format, layers, Limits{MaxOutputPixels: 50_000_000})
	if err != nil {
		t.Fatalf("Execute(%q, %s): %v", chain, format, err)
	}
	if len(out.Bytes) == 0 {
		t.Fatalf("Execute(%q, %s): no bytes", chain, format)
	}
	return out
}

// decoded is an output decoded for pixel checks (sRGB, 3 or 4 bands).
type decoded struct {
	t  testing.TB
	im *vipsImage
	w  int
	h  int
}

func decode(t testing.TB, b []byte) *decoded {
	t.Helper()
	return decodePage(t, b, 0)
}

func decodePage(t testing.TB, b []byte, page int) *decoded {
	t.Helper()
	im, err := loadImage(b, page, 1, page > 0)
	if err != nil {
		t.Fatalf("decode output: %v", err)
	}
	t.Cleanup(im.release)
	w, h := im.size()
	return &decoded{t: t, im: im, w: w, h: h}
}

// at reads pixel (x, y); alpha is 255 for images without alpha.
func (d *decoded) at(x, y int) color.NRGBA {
	d.t.Helper()
	v, err := d.im.point(x, y)
	if err != nil {
		d.t.Fatalf("pixel (%d,%d) of %dx%d: %v", x, y, d.w, d.h, err)
	}
	c := color.NRGBA{R: uint8(v[0]), G: uint8(v[1]), B: uint8(v[2]), A: 255}
	if len(v) > 3 {
		c.A = uint8(v[3])
	}
	return c
}

// name is the name of the test colour nearest to (x, y).
func (d *decoded) name(x, y int) string {
	d.t.Helper()
	c := d.at(x, y)
	best, bestDist := "", math.MaxFloat64
	for k, n := range colorNamesForTest {
		dist := sq(float64(c.R)-float64(k.R)) + sq(float64(c.G)-float64(k.G)) + sq(float64(c.B)-float64(k.B))
		if dist < bestDist {
			best, bestDist = n, dist
		}
	}
	return best
}

func sq(v float64) float64 { return v * v }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// near reports whether two colours differ by at most tol in every band.
func near(a, b color.NRGBA, tol int) bool {
	d := func(x, y uint8) bool { return abs(int(x)-int(y)) <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func probeOut(t testing.TB, out Output) Info {
	t.Helper()
	info, err := Probe(out.Bytes)
	if err != nil {
		t.Fatalf("Probe output: %v", err)
	}
	if info.Format != out.Format {
		t.Errorf("output says %s, bytes are %s", out.Format, info.Format)
	}
	if info.Width != out.Width || info.Height != out.Height {
		t.Errorf("output says %dx%d, bytes are %dx%d", out.Width, out.Height, info.Width, info.Height)
	}
	return info
}
