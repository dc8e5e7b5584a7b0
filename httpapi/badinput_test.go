package httpapi

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// bombPNG is a PNG whose header claims w×h one-bit grey pixels, with a few KB of a valid zlib
// stream of zero rows: it would inflate to w×h/8 bytes and decode to w×h pixels.
func bombPNG(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(kind))
		crc.Write(data)
		out.WriteString(kind)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, greyscale
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	row := make([]byte, 1+(w+7)/8) // filter byte, then the row's bits
	for i := 0; i < 1000; i++ {
		zw.Write(row)
	}
	zw.Flush() // an unfinished stream: the rest of the rows never come
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// manyFramesGIF is a w×h GIF animation of n one-pixel frames: small on disk, w×h×n pixels
// once decoded.
func manyFramesGIF(t *testing.T, w, h, n int) []byte {
	t.Helper()
	palette := color.Palette{color.Black, color.White}
	anim := &gif.GIF{Config: image.Config{ColorModel: palette, Width: w, Height: h}}
	for i := 0; i < n; i++ {
		frame := image.NewPaletted(image.Rect(i%w, 0, i%w+1, 1), palette)
		frame.SetColorIndex(i%w, 0, uint8(i%2))
		anim.Image = append(anim.Image, frame)
		anim.Delay = append(anim.Delay, 1)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// corrupt returns a copy of b with n bytes from at on scrambled.
func corrupt(b []byte, at, n int) []byte {
	out := bytes.Clone(b)
	for i := at; i < at+n && i < len(out); i++ {
		out[i] ^= 0x5a
	}
	return out
}

func TestBadImagesAreRefused(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo, png, webp, anim := testdata(t, "photo.jpg"), testdata(t, "alpha.png"), testdata(t, "photo.webp"), testdata(t, "animated.gif")
	bomb := bombPNG(t, 50000, 50000)
	frames := manyFramesGIF(t, 200, 200, 1300) // 52,000,000 pixels against a 50,000,000 limit
	if len(bomb) > 64<<10 || len(frames) > 64<<10 {
		t.Fatalf("test inputs are not small: bomb %d bytes, gif %d bytes", len(bomb), len(frames))
	}
	cases := []struct {
		name, filename string
		file           []byte
		message        string
	}{
		{"decompression bomb PNG 50000x50000", "bomb.png", bomb, "Image is too large: 50000x50000"},
		{"GIF with 1300 frames", "frames.gif", frames, "Image is too large: 200x200 with 1300 pages"},
		{"truncated PNG", "t.png", png[:len(png)*2/3], "Invalid image file"},
		{"truncated WebP", "t.webp", webp[:len(webp)*2/3], "Invalid image file"},
		{"truncated GIF", "t.gif", anim[:len(anim)*2/3], "Invalid image file"},
		// Where the format can tell: PNG checksums every chunk; JPEG, WebP and GIF pixel data
		// carry no checksum, so what is scrambled there is their structure.
		{"corrupt PNG data", "c.png", corrupt(png, len(png)/2, 64), "Invalid image file"},
		{"corrupt WebP frame header", "c.webp", corrupt(webp, 20, 16), "Invalid image file"},
		{"corrupt GIF blocks", "c.gif", corrupt(anim, 800, 16), "Invalid image file"},
		{"corrupt JPEG markers", "c.jpg", corrupt(photo, 800, 16), "Invalid image file"},
		{"JPEG magic then zeros", "z.jpg", append(bytes.Clone(photo[:4]), make([]byte, len(photo)-4)...), "Invalid image file"},
		{"text named .jpg", "note.jpg", []byte("just words, no pixels\n"), "Invalid image file"},
		{"HTML named .png", "page.png", []byte("<html><script>alert(1)</script></html>"), "Invalid image file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"public_id": {"victim"}}), tc.filename, tc.file)
			if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), tc.message) {
				t.Fatalf("got %d %s, want 400 %q", r.status, r.body, tc.message)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("refusal took %v: the input was decoded", d)
			}
			assertNothingStored(t, ts)
		})
	}
}

// A file's name never decides what it is: the bytes do.
func TestExtensionThatLies(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	got := ts.upload("image", url.Values{"public_id": {"disguised"}}, "disguised.png", photo)
	if got["format"] != "jpg" {
		t.Fatalf("a JPEG named .png stored as %v", got["format"])
	}
	if r := ts.get("/demo/image/upload/disguised.jpg", nil); r.status != 200 || r.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("delivery: %d %q", r.status, r.header.Get("Content-Type"))
	}
	// auto: HTML named .png is no image; as a raw file it is served inert.
	page := []byte("<html><script>alert(document.domain)</script></html>")
	raw := ts.upload("auto", url.Values{"public_id": {"page.png"}}, "page.png", page)
	if raw["resource_type"] != "raw" {
		t.Fatalf("HTML named .png: %v", raw)
	}
	r := ts.get("/demo/raw/upload/page.png", nil)
	if r.status != 200 || strings.Contains(r.header.Get("Content-Type"), "html") ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("raw HTML named .png: %d %v", r.status, r.header)
	}
}

func TestPublicIDTricks(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	cases := []struct {
		name   string
		params url.Values
	}{
		{"percent-encoded dot-dot", url.Values{"public_id": {"a/%2e%2e/victim"}}},
		{"percent-encoded dot-dot, upper case", url.Values{"public_id": {"%2E%2E/victim"}}},
		{"percent-encoded dot", url.Values{"public_id": {"a/%2e/victim"}}},
		{"dot-dot in folder, encoded", url.Values{"public_id": {"victim"}, "folder": {"%2e%2e"}}},
		{"dot-dot in public_id_prefix", url.Values{"public_id": {"victim"}, "public_id_prefix": {"x/.."}}},
		{"backslash", url.Values{"public_id": {`a\..\victim`}}},
		{"backslash in folder", url.Values{"public_id": {"victim"}, "folder": {`up\down`}}},
		{"escape", url.Values{"public_id": {"vic\x1btim"}}},
		{"newline", url.Values{"public_id": {"vic\ntim"}}},
		{"C1 control", url.Values{"public_id": {"vic\u0085tim"}}},
		{"DEL", url.Values{"public_id": {"vic\x7ftim"}}},
		{"fullwidth dot-dot", url.Values{"public_id": {"a/\uff0e\uff0e/victim"}}},
		{"one-dot leaders", url.Values{"public_id": {"a/\u2024\u2024/victim"}}},
		{"two-dot leader", url.Values{"public_id": {"a/\u2025/victim"}}},
		{"right-to-left override", url.Values{"public_id": {"victim\u202egpj.exe"}}},
		{"invalid UTF-8", url.Values{"public_id": {"vic\xfftim"}}},
		{"over-long in multi-byte characters", url.Values{"public_id": {strings.Repeat("é", 128)}}},
		{"over-long through the folder", url.Values{"public_id": {"victim"}, "folder": {strings.Repeat("f", 250)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postMultipart("/v1_1/demo/raw/upload", sign(tc.params), "f.txt", []byte("x"))
			if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "Invalid public_id") {
				t.Fatalf("got %d %s, want 400 Invalid public_id", r.status, r.body)
			}
			assertNothingStored(t, ts)
		})
	}
	// rename checks its target the same way.
	ts.upload("raw", url.Values{"public_id": {"doc.txt"}}, "doc.txt", []byte("x"))
	for _, to := range []string{"%2e%2e/doc.txt", "\uff0e\uff0e/doc.txt", `a\doc.txt`, "doc\x00.txt"} {
		r := ts.postForm("/v1_1/demo/raw/rename", sign(url.Values{"from_public_id": {"doc.txt"}, "to_public_id": {to}}), "")
		if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "Invalid to_public_id") {
			t.Fatalf("rename to %q: %d %s", to, r.status, r.body)
		}
	}
	// What is allowed stays allowed: dots inside names, unicode letters in either normal form.
	for _, id := range []string{"a/..b/c.d.txt", "caf\u00e9.txt", "cafe\u0301.txt", "日本/写真.txt", strings.Repeat("é", 125) + ".txt"} {
		if got := ts.upload("raw", url.Values{"public_id": {id}}, "f.txt", []byte("x")); got["public_id"] != id {
			t.Fatalf("public id %q stored as %v", id, got["public_id"])
		}
	}
}

// A name never breaks out of a Content-Disposition value: fl_attachment's default name (the
// public id), its explicit name, and an archive's target_public_id.
func TestContentDispositionInjection(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	evil := `a";filename=evil.exe;x="`
	ts.upload("image", url.Values{"public_id": {evil}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"résumé"}}, "a.png", png)

	check := func(what, header, wantASCII string) {
		t.Helper()
		if !strings.HasPrefix(header, `attachment; filename="`+wantASCII+`"`) {
			t.Fatalf("%s: Content-Disposition %q, want the quoted name %q", what, header, wantASCII)
		}
		params := strings.Split(header, ";")
		if strings.Count(header, `"`) != 2 || len(params) > 3 || strings.ContainsAny(header, "\r\n") {
			t.Fatalf("%s: the name escaped its parameter: %q", what, header)
		}
	}
	r := ts.get("/demo/image/upload/fl_attachment,w_20/"+url.PathEscape(evil)+".png", nil)
	if r.status != 200 {
		t.Fatalf("attachment of %q: %d %s", evil, r.status, r.header.Get("X-Cld-Error"))
	}
	check("fl_attachment default name", r.header.Get("Content-Disposition"), `a__filename=evil.exe_x=_.png`)

	r = ts.get("/demo/image/upload/fl_attachment,w_20/r%C3%A9sum%C3%A9.png", nil)
	cd := r.header.Get("Content-Disposition")
	check("unicode name", cd, "r_sum_.png")
	if !strings.HasSuffix(cd, "; filename*=UTF-8''r%C3%A9sum%C3%A9.png") {
		t.Fatalf("unicode name: %q lacks the exact RFC 5987 name", cd)
	}

	params := sign(url.Values{"public_ids": {"résumé"}, "mode": {"download"}, "target_public_id": {"x\"; filename*=UTF-8''evil.exe"}})
	r = ts.postForm("/v1_1/demo/image/generate_archive", params, "")
	if r.status != 200 {
		t.Fatalf("archive: %d %s", r.status, r.body)
	}
	cd = r.header.Get("Content-Disposition")
	check("archive name", cd, "x__ filename*=UTF-8''evil.exe.zip")
	if exact := cd[strings.LastIndexByte(cd, '"')+1:]; !regexp.MustCompile("^; filename\\*=UTF-8''[A-Za-z0-9%!#$&+.^_`|~-]+$").MatchString(exact) {
		t.Fatalf("archive name: %q after the quoted name", exact)
	}
}

// endlessReader produces the byte fill up to limit, counting what was read.
type endlessReader struct {
	read, limit int64
	fill        byte
}

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.read >= r.limit {
		return 0, io.EOF
	}
	n := int64(len(p))
	if r.read+n > r.limit {
		n = r.limit - r.read
	}
	for i := range p[:n] {
		p[i] = r.fill
	}
	atomic.AddInt64(&r.read, n)
	return int(n), nil
}

// An oversized upload of unknown length is refused while it streams: the server stops reading
// soon after the limit and never holds the body in memory.
func TestOversizedUploadRefusedWhileStreaming(t *testing.T) {
	cfg := defaultTestConfig()
	cfg.MaxUploadBytes = 24 << 20
	ts := newTestServer(t, cfg)
	for _, kind := range []string{"file part", "data URI field"} {
		t.Run(kind, func(t *testing.T) {
			params := sign(url.Values{"public_id": {"victim"}})
			boundary := "cloudletboundary"
			var head bytes.Buffer
			for k := range params {
				head.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + params.Get(k) + "\r\n")
			}
			if kind == "file part" {
				head.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.bin\"\r\n\r\n")
			} else {
				head.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata:image/png;base64,")
			}
			body := &endlessReader{limit: 1 << 30, fill: 'A'} // 'A': zero bits in base64
			req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/v1_1/demo/image/upload", io.MultiReader(&head, body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
			req.ContentLength = -1 // chunked: the server learns the size only by reading

			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer before the body ended: %v (read %d bytes)", err, atomic.LoadInt64(&body.read))
			}
			answer, _ := io.ReadAll(res.Body)
			res.Body.Close()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(answer), "File size too large") {
				t.Fatalf("got %d %s", res.StatusCode, answer)
			}
			t.Logf("read %d MiB of 1024, allocated %d KiB", atomic.LoadInt64(&body.read)>>20, (after.TotalAlloc-before.TotalAlloc)>>10)
			// 1 GiB was on offer; the server stops after the limit (4/3 of it as base64), give or
			// take what the client had buffered.
			limit := cfg.MaxUploadBytes
			if kind != "file part" {
				limit = limit * 4 / 3
			}
			if read := atomic.LoadInt64(&body.read); read > limit+(8<<20) {
				t.Fatalf("the server read %d MiB of a refused body", read>>20)
			}
			// Streamed to disk, not held: far less than the limit is ever allocated.
			if grew := int64(after.TotalAlloc) - int64(before.TotalAlloc); grew > 8<<20 {
				t.Fatalf("refusing the upload allocated %d MiB", grew>>20)
			}
			assertNothingStored(t, ts)
		})
	}
}

// A data URI sent as a multipart field is decoded to disk like a file part; a broken one is a
// 400 that leaves nothing.
func TestDataURIMultipartField(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	uri := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"file": {uri}, "public_id": {"from-field"}}), "", nil)
	if r.status != 200 || r.json["etag"] != md5hex(png) {
		t.Fatalf("data URI field: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"data:image/png;base64,@@@@", "data:image/png," + string(png[:20]), "data:" + strings.Repeat("x", 2000) + ";base64,AAAA"} {
		r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"file": {bad}, "public_id": {"victim"}}), "", nil)
		if r.status != 400 || !strings.Contains(errMessage(r), "Invalid data URI") {
			t.Fatalf("%.30q: %d %s", bad, r.status, r.body)
		}
	}
	if r := ts.admin(http.MethodGet, "/resources/image/upload/victim"); r.status != 404 {
		t.Fatalf("a broken data URI stored a row: %d", r.status)
	}
	if _, temps := ts.storedFiles(); temps != 0 {
		t.Fatalf("%d temp files left", temps)
	}
}
