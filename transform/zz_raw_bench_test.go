package transform

import (
	"testing"
	"time"

	"github.com/h2non/bimg"
)

func BenchmarkZZRawBimg(b *testing.B) {
	src := detailedJPEG(b, 1920, 1280)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bimg.Resize(src, bimg.Options{Width: 300, Quality: 80}); err != nil {
				b.Error(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
