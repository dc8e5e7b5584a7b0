package httpapi

import (
	"bytes"
	"image"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// largeJPEG is a w×h photo-like JPEG (smooth gradients and fine detail, so it neither
// compresses to nothing nor decodes trivially).
func largeJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Y[y*img.YStride+x] = uint8(x*255/w) ^ uint8((x*y)>>7)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i), uint8(i>>8)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// residentBytes is this process's resident set size (VmRSS), which counts libvips' C memory.
func residentBytes(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmRSS")
	return 0
}

// 64 first-time transforms of a large image at once, on a server that generates 2 at a time
// and queues 8: what does not fit is refused at once with 503 and Retry-After, memory stays
// bounded, and cached deliveries and Admin API calls keep answering quickly meanwhile.
func TestOverloadKeepsServing(t *testing.T) {
	if testing.Short() {
		t.Skip("overload test in -short mode")
	}
	cfg := defaultTestConfig()
	cfg.MaxTransforms, cfg.TransformQueue = 2, 8
	ts := newTestServer(t, cfg)
	ts.upload("image", url.Values{"public_id": {"big"}}, "big.jpg", largeJPEG(t, 4000, 3000))
	cached := "/demo/image/upload/w_100/big.jpg"
	if r := ts.get(cached, nil); r.status != 200 {
		t.Fatalf("cached variant: %d %s", r.status, r.body)
	}
	baseline := residentBytes(t)

	const n = 64
	statuses := make([]int, n)
	retryAfter := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			res, err := http.Get(ts.srv.URL + "/demo/image/upload/c_scale,w_" + strconv.Itoa(200+i) + "/e_sharpen/big.webp")
			if err != nil {
				return
			}
			res.Body.Close()
			statuses[i], retryAfter[i] = res.StatusCode, res.Header.Get("Retry-After")
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	close(start)

	var slowestCached, slowestAdmin time.Duration
	peak := baseline
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-time.After(50 * time.Millisecond):
		}
		began := time.Now()
		if r := ts.get(cached, nil); r.status != 200 {
			t.Errorf("cached delivery under load: %d", r.status)
		}
		slowestCached = max(slowestCached, time.Since(began))
		began = time.Now()
		if r := ts.admin(http.MethodGet, "/ping"); r.status != 200 {
			t.Errorf("ping under load: %d", r.status)
		}
		slowestAdmin = max(slowestAdmin, time.Since(began))
		peak = max(peak, residentBytes(t))
	}

	count := map[int]int{}
	for i, s := range statuses {
		count[s]++
		if s == http.StatusServiceUnavailable && retryAfter[i] == "" {
			t.Errorf("a 503 without Retry-After")
		}
	}
	t.Logf("answers %v; slowest cached %v, slowest ping %v; RSS %d MiB → peak %d MiB",
		count, slowestCached, slowestAdmin, baseline>>20, peak>>20)
	if count[200]+count[503] != n || count[503] == 0 || count[200] < cfg.MaxTransforms {
		t.Fatalf("answers %v: want only 200 and 503, some of each", count)
	}
	if slowestCached > 500*time.Millisecond || slowestAdmin > 500*time.Millisecond {
		t.Fatalf("not responsive under load: cached %v, ping %v", slowestCached, slowestAdmin)
	}
	if grew := peak - baseline; grew > 384<<20 {
		t.Fatalf("memory grew by %d MiB under load", grew>>20)
	}
}
