package transform

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand"
	"testing"
	"time"

	"github.com/h2non/bimg"
)

// detailedJPEG is a width x height photo-like JPEG: gradients and a fine pattern under noise,
// about 470 KB at 1920x1280, like a camera photo of that size.
func detailedJPEG(tb testing.TB, width, height int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	rng := rand.New(rand.NewSource(1))
	for y := range height {
		for x := range width {
			n := rng.Intn(13) - 6
			img.Set(x, y, color.RGBA{
				R: clampByte(x*230/width + 15 + n),
				G: clampByte(y*200/height + 30 + n),
				B: clampByte(((x/7)^(y/5))&0xff/2 + 60 + n),
				A: 255,
			})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func clampByte(v int) uint8 { return uint8(max(0, min(255, v))) }

// BenchmarkFitJPEG is the throughput target: a 1920x1280 JPEG to a 300 px wide JPEG at q80,
// two goroutines on two cores. One bimg call per operation.
func BenchmarkFitJPEG(b *testing.B) {
	src := detailedJPEG(b, 1920, 1280)
	info, err := Probe(src)
	if err != nil {
		b.Fatal(err)
	}
	chain := mustParse(b, "w_300,c_fit,q_80")
	ctx := context.Background()
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := Execute(ctx, Source{Bytes: src, Info: info}, chain, "jpg", nil, Limits{})
			if err != nil {
				b.Error(err)
				return
			}
			if out.Width != 300 || out.Height != 200 {
				b.Errorf("got %dx%d, want 300x200", out.Width, out.Height)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

// BenchmarkFitJPEGBimgOnly is the engine's limit for BenchmarkFitJPEG: the same resize as a
// bare bimg call, for comparison.
func BenchmarkFitJPEGBimgOnly(b *testing.B) {
	src := detailedJPEG(b, 1920, 1280)
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bimg.Resize(src, bimg.Options{Width: 300, Quality: 80, StripMetadata: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}

func mustParse(tb testing.TB, s string) Chain {
	tb.Helper()
	c, err := Parse(s)
	if err != nil {
		tb.Fatalf("Parse(%q): %v", s, err)
	}
	return c
}
