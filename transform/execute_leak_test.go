package transform

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/h2non/bimg"
)

func residentBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	fields := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// Every libvips image and buffer Execute makes must be released: libvips' tracked memory
// goes back to where it was, and the process does not keep growing over many runs.
func TestExecuteReleasesMemory(t *testing.T) {
	photo := fixtureSource(t, "photo.jpg")
	alpha := fixtureSource(t, "alpha.png")
	gif := fixtureSource(t, "animated.gif")
	store := layerStore(map[string][]byte{"logo": pngOf(t, quadrants(60, 30))})
	jobs := []struct {
		src           Source
		chain, format string
	}{
		{photo, "w_300,c_fit", "jpg"},
		{photo, "w_200,h_200,c_fill,g_auto,e_sepia,r_max,bo_3px_solid_red", "png"},
		{photo, "w_200,h_200,c_pad,b_red/a_30/e_vignette", "webp"},
		{photo, "w_200/e_trim/e_auto_contrast/e_tint:40:blue:yellow/w_100,e_pixelate", "jpg"},
		{alpha, "o_50/l_logo,w_50/e_negate/fl_layer_apply,g_north_east,o_70", "png"},
		{alpha, "co_red,l_text:Arial_20:Hi/fl_layer_apply,g_south/u_logo", "webp"},
		{alpha, "w_50", "avif"},
		{gif, "w_60,e_grayscale/l_logo,w_20", "gif"},
		{gif, "pg_2,w_50,h_50,c_crop", "png"},
		{photo, "w_100000", "jpg"}, // refused before any pixel work
	}
	runAll := func(n int) {
		for i := range n {
			j := jobs[i%len(jobs)]
			_, _ = Execute(context.Background(), j.src, mustParse(t, j.chain), j.format, store, Limits{MaxOutputPixels: 20_000_000})
		}
	}
	// Warm up: allocator arenas, font caches and encoders' first-use state.
	runAll(100)
	runtime.GC()
	trackedBefore := bimg.VipsMemory().Memory
	rssBefore := residentBytes(t)

	runAll(200)
	runtime.GC()
	trackedAfter := bimg.VipsMemory().Memory
	rssAfter := residentBytes(t)
	t.Logf("libvips tracked memory %d -> %d bytes; RSS %d -> %d MB",
		trackedBefore, trackedAfter, rssBefore>>20, rssAfter>>20)
	if trackedAfter > trackedBefore+1<<20 {
		t.Errorf("libvips tracked memory grew from %d to %d bytes over 200 runs", trackedBefore, trackedAfter)
	}
	if rssAfter > rssBefore+24<<20 {
		t.Errorf("RSS grew from %d to %d MB over 200 runs", rssBefore>>20, rssAfter>>20)
	}
}
