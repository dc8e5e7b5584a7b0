package transform

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/gif"
	"image/jpeg"
	"maps"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestMain(m *testing.M) {
	// The corrupt inputs below make libvips print warnings as it fails on
	// them; libvips reads VIPS_WARNING when it starts, which is on first use.
	if _, set := os.LookupEnv("VIPS_WARNING"); !set {
		os.Setenv("VIPS_WARNING", "0")
	}
	os.Exit(m.Run())
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("read fixture (run testdata/make.sh): %v", err)
	}
	return b
}

func TestProbeTestdata(t *testing.T) {
	tests := []struct {
		file        string
		format      string
		width       int
		height      int
		pages       int
		alpha       bool
		orientation int
		exif        bool
	}{
		{file: "photo.jpg", format: "jpg", width: 640, height: 427, pages: 1, orientation: 6, exif: true},
		{file: "alpha.png", format: "png", width: 200, height: 150, pages: 1, alpha: true},
		// cgif marks pixels unchanged between frames with a transparent
		// colour, so libvips loads this GIF with an alpha band.
		{file: "animated.gif", format: "gif", width: 120, height: 80, pages: 4, alpha: true},
		{file: "photo.webp", format: "webp", width: 320, height: 200, pages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			info, err := Probe(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Probe: %v", err)
			}
			if info.Format != tt.format || info.Width != tt.width || info.Height != tt.height || info.Pages != tt.pages {
				t.Errorf("got %s %dx%d pages=%d, want %s %dx%d pages=%d",
					info.Format, info.Width, info.Height, info.Pages, tt.format, tt.width, tt.height, tt.pages)
			}
			if info.HasAlpha != tt.alpha {
				t.Errorf("HasAlpha = %v, want %v", info.HasAlpha, tt.alpha)
			}
			if info.Orientation != tt.orientation {
				t.Errorf("Orientation = %d, want %d", info.Orientation, tt.orientation)
			}
			if got := info.EXIF != nil; got != tt.exif {
				t.Errorf("EXIF present = %v, want %v (%v)", got, tt.exif, info.EXIF)
			}
		})
	}
}

func TestProbeEXIF(t *testing.T) {
	info, err := Probe(readTestdata(t, "photo.jpg"))
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	want := map[string]string{
		"Make":             "Cloudlet",
		"Model":            "Testcam 640",
		"Orientation":      "6",
		"DateTimeOriginal": "2024:05:17 14:32:09",
		"GPSLatitude":      "48.858370",
		"GPSLatitudeRef":   "N",
		"GPSLongitude":     "2.294481",
		"GPSLongitudeRef":  "E",
		"XResolution":      "72",
		"ExifVersion":      "0232",
	}
	for name, value := range want {
		if got, ok := info.EXIF[name]; !ok || got != value {
			t.Errorf("EXIF[%q] = %q (present %v), want %q", name, got, ok, value)
		}
	}
	// Pointers to sub-IFDs are structure, not metadata.
	for _, name := range []string{"ExifTag", "GPSTag"} {
		if _, ok := info.EXIF[name]; ok {
			t.Errorf("EXIF has pointer tag %q", name)
		}
	}
}

// TestFlatEXIFSkipsThumbnailIFD feeds a hand-made big-endian block whose IFD1
// (the thumbnail's) repeats Make and adds Compression.
func TestFlatEXIFSkipsThumbnailIFD(t *testing.T) {
	var b bytes.Buffer
	put := func(v ...any) {
		for _, x := range v {
			if err := binary.Write(&b, binary.BigEndian, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	const ascii, short = 2, 3
	put([]byte("MM"), uint16(42), uint32(8))
	// IFD0 at 8: Make "A", then IFD1 at 8+2+12+4.
	put(uint16(1), uint16(0x010f), uint16(ascii), uint32(2), []byte{'A', 0, 0, 0}, uint32(26))
	// IFD1 at 26: Compression 6, Make "B", no next IFD.
	put(uint16(2),
		uint16(0x0103), uint16(short), uint32(1), uint16(6), uint16(0),
		uint16(0x010f), uint16(ascii), uint32(2), []byte{'B', 0, 0, 0},
		uint32(0))

	got := flatEXIF(append([]byte("Exif\x00\x00"), b.Bytes()...))
	want := map[string]string{"Make": "A"}
	if !maps.Equal(got, want) {
		t.Errorf("flatEXIF = %v, want %v", got, want)
	}
}

// TestProbeMalformedEXIF points IFD0 of photo.jpg's EXIF block past its end:
// the image still probes, without EXIF.
func TestProbeMalformedEXIF(t *testing.T) {
	b := bytes.Clone(readTestdata(t, "photo.jpg"))
	at := bytes.Index(b, []byte("Exif\x00\x00MM\x00\x2a"))
	if at < 0 {
		t.Fatal("photo.jpg has no big-endian EXIF header")
	}
	copy(b[at+10:], []byte{0x7f, 0xff, 0xff, 0x00})

	info, err := Probe(b)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if info.Format != "jpg" || info.Width != 640 || info.Height != 427 {
		t.Errorf("got %s %dx%d, want jpg 640x427", info.Format, info.Width, info.Height)
	}
	if info.EXIF != nil {
		t.Errorf("EXIF = %v, want nil", info.EXIF)
	}
	if info.Orientation != 0 {
		t.Errorf("Orientation = %d, want 0", info.Orientation)
	}
}

func TestProbeRejects(t *testing.T) {
	random := make([]byte, 4096)
	rand.New(rand.NewSource(1)).Read(random)
	jpeg := readTestdata(t, "photo.jpg")

	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"zero bytes", []byte{}},
		{"text", readTestdata(t, "note.txt")},
		{"random bytes", random},
		{"JPEG signature only", jpeg[:16]},
		{"GIF signature only", []byte("GIF89a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Probe(tt.b)
			if !errors.Is(err, ErrNotImage) {
				t.Fatalf("Probe = %+v, %v; want an error wrapping ErrNotImage", info, err)
			}
			if err := Verify(tt.b); !errors.Is(err, ErrNotImage) {
				t.Errorf("Verify = %v, want an error wrapping ErrNotImage", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	for _, file := range []string{"photo.jpg", "alpha.png", "animated.gif", "photo.webp"} {
		t.Run(file, func(t *testing.T) {
			b := readTestdata(t, file)
			if err := Verify(b); err != nil {
				t.Fatalf("intact: Verify = %v, want nil", err)
			}
			truncated := b[:len(b)*6/10]
			if err := Verify(truncated); !errors.Is(err, ErrNotImage) {
				t.Errorf("truncated to %d of %d bytes: Verify = %v, want an error wrapping ErrNotImage", len(truncated), len(b), err)
			}
		})
	}
}

// TestVerifyTruncatedGIF cuts into the last frame, which libnsgif alone lets
// through; a GIF missing only its trailer byte still passes.
func TestVerifyTruncatedGIF(t *testing.T) {
	b := readTestdata(t, "animated.gif")
	for _, percent := range []int{75, 90, 95, 99} {
		cut := b[:len(b)*percent/100]
		if err := Verify(cut); !errors.Is(err, ErrNotImage) {
			t.Errorf("cut to %d%%: Verify = %v, want an error wrapping ErrNotImage", percent, err)
		}
	}
	if b[len(b)-1] != 0x3b {
		t.Fatal("animated.gif does not end with the GIF trailer")
	}
	if err := Verify(b[:len(b)-1]); err != nil {
		t.Errorf("without trailer: Verify = %v, want nil", err)
	}
}

// TestVerifyPagesOfDifferentSizes covers a TIFF pyramid, whose pages do not
// stack into one image: each is decoded on its own.
func TestVerifyPagesOfDifferentSizes(t *testing.T) {
	pyramid, err := vipsConvert(readTestdata(t, "photo.webp"), ".tif", "[pyramid,tile,tile-width=64,tile-height=64]", false, false)
	if err != nil {
		t.Fatalf("make a TIFF pyramid: %v", err)
	}
	info, err := Probe(pyramid)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	if info.Format != "tiff" || info.Pages < 2 || info.Width != 320 || info.Height != 200 {
		t.Fatalf("got %s %dx%d pages=%d, want tiff 320x200 with several pages", info.Format, info.Width, info.Height, info.Pages)
	}
	if err := Verify(pyramid); err != nil {
		t.Errorf("Verify = %v, want nil", err)
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		from, to      string
		width, height int
		pages         int
		alpha         bool
	}{
		// Transparency is flattened: JPEG has no alpha.
		{from: "alpha.png", to: "jpg", width: 200, height: 150, pages: 1},
		{from: "alpha.png", to: "webp", width: 200, height: 150, pages: 1, alpha: true},
		// Orientation 6 is applied: the result is upright and portrait.
		{from: "photo.jpg", to: "png", width: 427, height: 640, pages: 1},
		{from: "photo.webp", to: "gif", width: 320, height: 200, pages: 1},
		{from: "photo.webp", to: "tiff", width: 320, height: 200, pages: 1},
		// Animations keep their frames where the target animates...
		{from: "animated.gif", to: "webp", width: 120, height: 80, pages: 4, alpha: true},
		{from: "animated.gif", to: "GIF", width: 120, height: 80, pages: 4, alpha: true},
		// ...and become their first frame where it does not.
		{from: "animated.gif", to: "jpg", width: 120, height: 80, pages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.from+"→"+tt.to, func(t *testing.T) {
			out, err := Convert(readTestdata(t, tt.from), tt.to)
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			info, err := Probe(out)
			if err != nil {
				t.Fatalf("Probe(result): %v", err)
			}
			want := outputName(tt.to)
			if info.Format != want || info.Width != tt.width || info.Height != tt.height || info.Pages != tt.pages || info.HasAlpha != tt.alpha {
				t.Errorf("got %s %dx%d pages=%d alpha=%v, want %s %dx%d pages=%d alpha=%v",
					info.Format, info.Width, info.Height, info.Pages, info.HasAlpha, want, tt.width, tt.height, tt.pages, tt.alpha)
			}
			if info.Orientation > 1 {
				t.Errorf("Orientation = %d, want the result upright (0 or 1)", info.Orientation)
			}
			if err := Verify(out); err != nil {
				t.Errorf("Verify(result): %v", err)
			}
		})
	}
}

// outputName is the format Probe reports for what Convert wrote as name.
func outputName(name string) string {
	switch name {
	case "GIF":
		return "gif"
	case "jpeg", "jpe":
		return "jpg"
	}
	return name
}

// TestConvertFlattensOntoWhite decodes the JPEG with the standard library:
// alpha.png's transparent corner must come out white, its opaque centre not.
func TestConvertFlattensOntoWhite(t *testing.T) {
	out, err := Convert(readTestdata(t, "alpha.png"), "jpg")
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode result: %v", err)
	}
	white := func(x, y int) bool {
		r, g, b, _ := img.At(x, y).RGBA()
		return r>>8 >= 245 && g>>8 >= 245 && b>>8 >= 245
	}
	if !white(2, 2) {
		t.Errorf("transparent corner is %v, want white", img.At(2, 2))
	}
	if white(100, 75) {
		t.Errorf("opaque centre is %v, want its own colour", img.At(100, 75))
	}
}

// TestConvertGIFFrames counts frames with the standard library's decoder.
func TestConvertGIFFrames(t *testing.T) {
	out, err := Convert(readTestdata(t, "animated.gif"), "gif")
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	g, err := gif.DecodeAll(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("decode result: %v", err)
	}
	if len(g.Image) != 4 || g.Config.Width != 120 || g.Config.Height != 80 {
		t.Errorf("got %d frames of %dx%d, want 4 of 120x80", len(g.Image), g.Config.Width, g.Config.Height)
	}
}

func TestConvertKeepsEXIF(t *testing.T) {
	out, err := Convert(readTestdata(t, "photo.jpg"), "webp")
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	info, err := Probe(out)
	if err != nil {
		t.Fatalf("Probe(result): %v", err)
	}
	if info.EXIF["Make"] != "Cloudlet" || info.EXIF["GPSLatitude"] != "48.858370" {
		t.Errorf("EXIF after conversion = %v, want Make and GPS kept", info.EXIF)
	}
}

// AVIF needs an AV1 encoder in libheif, which not every build has: either it
// converts or it says the format is unsupported.
func TestConvertAVIF(t *testing.T) {
	out, err := Convert(readTestdata(t, "photo.webp"), "avif")
	if errors.Is(err, ErrUnsupportedFormat) {
		t.Skipf("this libvips cannot write AVIF: %v", err)
	}
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	if info, err := Probe(out); err != nil || info.Format != "avif" {
		t.Errorf("Probe(result) = %+v, %v; want avif", info, err)
	}
}

func TestConvertRejects(t *testing.T) {
	png := readTestdata(t, "alpha.png")
	for _, format := range []string{"xyz", "", "txt", "mp4"} {
		if _, err := Convert(png, format); !errors.Is(err, ErrUnsupportedFormat) {
			t.Errorf("Convert(png, %q) = %v, want an error wrapping ErrUnsupportedFormat", format, err)
		}
	}
	if _, err := Convert(readTestdata(t, "note.txt"), "png"); !errors.Is(err, ErrNotImage) {
		t.Errorf("Convert(text, png) = %v, want an error wrapping ErrNotImage", err)
	}
	if _, err := Convert(nil, "png"); !errors.Is(err, ErrNotImage) {
		t.Errorf("Convert(nil, png) = %v, want an error wrapping ErrNotImage", err)
	}
}

func TestMIMEType(t *testing.T) {
	tests := map[string]string{
		"jpg":     "image/jpeg",
		"JPEG":    "image/jpeg",
		".png":    "image/png",
		"gif":     "image/gif",
		"webp":    "image/webp",
		"avif":    "image/avif",
		"svg":     "image/svg+xml",
		"pdf":     "application/pdf",
		"mp4":     "video/mp4",
		"webm":    "video/webm",
		"mov":     "video/quicktime",
		"json":    "application/json",
		"txt":     "text/plain; charset=utf-8",
		"unknown": "application/octet-stream",
		"":        "application/octet-stream",
	}
	for format, want := range tests {
		if got := MIMEType(format); got != want {
			t.Errorf("MIMEType(%q) = %q, want %q", format, got, want)
		}
	}
}

func TestRenderRatio(t *testing.T) {
	tests := []struct {
		num, den int64
		want     string
		ok       bool
	}{
		{72, 1, "72", true},
		{28, 10, "2.8", true},
		{3013, 100, "30.13", true},
		{1, 60, "1/60", true},
		{10, 600, "1/60", true},
		{-1, 3, "-1/3", true},
		{0, 5, "0", true},
		{1, 0, "", false},
	}
	for _, tt := range tests {
		got, ok := renderRatio(tt.num, tt.den)
		if got != tt.want || ok != tt.ok {
			t.Errorf("renderRatio(%d, %d) = %q, %v; want %q, %v", tt.num, tt.den, got, ok, tt.want, tt.ok)
		}
	}
}

// TestConcurrentProbeVerify runs the libvips calls from several goroutines at
// once, as an upload server does.
func TestConcurrentProbeVerify(t *testing.T) {
	files := []string{"photo.jpg", "alpha.png", "animated.gif", "photo.webp"}
	inputs := make([][]byte, len(files))
	for i, f := range files {
		inputs[i] = readTestdata(t, f)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				b := inputs[(g+i)%len(inputs)]
				if _, err := Probe(b); err != nil {
					errs <- err
				}
				if err := Verify(b); err != nil {
					errs <- err
				}
				if err := Verify(b[:len(b)/2]); err == nil {
					errs <- errors.New("Verify passed a truncated image")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
