package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"cloudlet/transform"
)

// probeBody decodes a delivered image's header.
func probeBody(t *testing.T, r response) transform.Info {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s %s", r.status, r.header.Get("X-Cld-Error"), r.body)
	}
	info, err := transform.Probe(r.body)
	if err != nil {
		t.Fatalf("delivered bytes are not an image: %v", err)
	}
	return info
}

func TestTransformedDeliveryAndDerivedCache(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))

	first := ts.get("/demo/image/upload/c_fill,w_100,h_80/v1/pic.jpg", nil)
	if info := probeBody(t, first); info.Format != "jpg" || info.Width != 100 || info.Height != 80 {
		t.Fatalf("c_fill: %+v", info)
	}
	if first.header.Get("Content-Type") != "image/jpeg" || first.header.Get("ETag") != `"`+md5hex(first.body)+`"` {
		t.Fatalf("headers: %v", first.header)
	}
	// The same meaning in another order, and no version, reach the same derived file.
	for _, p := range []string{"/demo/image/upload/w_100,c_fill,h_80/v1/pic.jpg", "/demo/image/upload/h_80,w_100,c_fill/pic.jpg"} {
		r := ts.get(p, nil)
		if r.status != 200 || md5hex(r.body) != md5hex(first.body) {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	if n := ts.api.generations.Load(); n != 1 {
		t.Fatalf("generated %d times, want once", n)
	}
	if r := ts.get("/demo/image/upload/c_fill,w_100,h_80/v1/pic.jpg", http.Header{"If-None-Match": {first.header.Get("ETag")}}); r.status != 304 {
		t.Fatalf("derived 304: %d", r.status)
	}
	// A format change alone is a derived image too; the original format is the original.
	if info := probeBody(t, ts.get("/demo/image/upload/v1/pic.webp", nil)); info.Format != "webp" || info.Width != 200 {
		t.Fatalf("format change: %+v", info)
	}
	if r := ts.get("/demo/image/upload/v1/pic.png", nil); r.status != 200 || md5hex(r.body) != md5hex(testdata(t, "alpha.png")) {
		t.Fatalf("original: %d", r.status)
	}
	details := ts.admin(http.MethodGet, "/resources/image/upload/pic")
	derived := details.json["derived"].([]any)
	if len(derived) != 2 {
		t.Fatalf("derived list: %s", details.body)
	}
	for _, d := range derived {
		item := d.(map[string]any)
		if r := ts.get(strings.TrimPrefix(item["url"].(string), ts.srv.URL), nil); r.status != 200 || int64(len(r.body)) != int64(item["bytes"].(float64)) {
			t.Fatalf("derived url %v: %d", item["url"], r.status)
		}
	}

	// Overwriting the asset drops its derived files; the URL then shows the new original.
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", testdata(t, "photo.jpg"))
	if d := ts.admin(http.MethodGet, "/resources/image/upload/pic").json["derived"].([]any); len(d) != 0 {
		t.Fatalf("derived after overwrite: %v", d)
	}
	if info := probeBody(t, ts.get("/demo/image/upload/c_scale,w_64/v1/pic.jpg", nil)); info.Width != 64 {
		t.Fatalf("after overwrite: %+v", info)
	}
}

func TestTransformErrors(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	ts.upload("raw", url.Values{"public_id": {"doc.txt"}}, "doc.txt", testdata(t, "note.txt"))
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/demo/image/upload/w_abc/v1/pic.png", 400, "width"},
		{"/demo/image/upload/zz_1/v1/pic.png", 400, "zz"},
		{"/demo/image/upload/c_scale,g_auto,w_10/v1/pic.png", 400, "g"},
		{"/demo/raw/upload/w_10/v1/doc.txt", 400, "not supported for raw"},
		{"/demo/image/upload/w_10/v1/missing.png", 404, "Resource not found"},
		{"/demo/image/upload/l_nothere/v1/pic.png", 400, "nothere"},
		{"/demo/image/upload/w_10/v1/pic.xyz", 400, "Unsupported output format - xyz"},
	}
	for _, tc := range cases {
		r := ts.get(tc.path, nil)
		if r.status != tc.status || !strings.Contains(r.header.Get("X-Cld-Error"), tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.path, r.status, r.header.Get("X-Cld-Error"), tc.status, tc.want)
		}
	}
	if n := ts.api.generations.Load(); n > 1 {
		t.Fatalf("bad requests generated images: %d", n)
	}
}

func TestFormatNegotiation(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", testdata(t, "photo.jpg"))
	webp := ts.get("/demo/image/upload/f_auto,w_50/v1/pic.jpg", http.Header{"Accept": {"image/avif,image/webp,*/*"}})
	if info := probeBody(t, webp); info.Format != "webp" || webp.header.Get("Vary") != "Accept" {
		t.Fatalf("f_auto with webp: %+v vary %q", info, webp.header.Get("Vary"))
	}
	legacy := ts.get("/demo/image/upload/f_auto,w_50/v1/pic.jpg", http.Header{"Accept": {"*/*"}})
	if info := probeBody(t, legacy); info.Format != "jpg" {
		t.Fatalf("f_auto legacy: %+v", info)
	}
}

func TestConcurrentFirstRequestsGenerateOnce(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", testdata(t, "photo.jpg"))
	var wg sync.WaitGroup
	sums := make([]string, 16)
	for i := range sums {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			res, err := http.Get(ts.srv.URL + "/demo/image/upload/c_fill,w_120,h_90,e_grayscale/v1/pic.jpg")
			if err != nil || res.StatusCode != 200 {
				return
			}
			defer res.Body.Close()
			var buf strings.Builder
			_, _ = bufCopy(&buf, res)
			sums[i] = md5hex([]byte(buf.String()))
		}(i)
	}
	wg.Wait()
	for i, s := range sums {
		if s == "" || s != sums[0] {
			t.Fatalf("request %d: %q vs %q", i, s, sums[0])
		}
	}
	if n := ts.api.generations.Load(); n != 1 {
		t.Fatalf("16 concurrent requests generated %d times", n)
	}
}

func TestTransformQueueFullIs503(t *testing.T) {
	cfg := defaultTestConfig()
	cfg.MaxTransforms, cfg.TransformQueue = 1, 0
	ts := newTestServer(t, cfg)
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	release, err := ts.api.transforms.acquire(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	r := ts.get("/demo/image/upload/w_10/v1/pic.png", nil)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("full queue: %d %v", r.status, r.header)
	}
	release()
	if r := ts.get("/demo/image/upload/w_10/v1/pic.png", nil); r.status != 200 {
		t.Fatalf("after release: %d", r.status)
	}
}

func TestStrictSignedNamedAndEager(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	strictWithNamed(t, ts)

	// Eager variants are generated at upload and exist for strict delivery.
	up := ts.upload("image", url.Values{"public_id": {"pic"}, "eager": {"c_fill,h_30,w_30|w_20/png"}}, "p.jpg", testdata(t, "photo.jpg"))
	eager, _ := up["eager"].([]any)
	if len(eager) != 2 {
		t.Fatalf("eager: %v", up["eager"])
	}
	e0, e1 := eager[0].(map[string]any), eager[1].(map[string]any)
	if e0["transformation"] != "c_fill,h_30,w_30" || e0["width"].(float64) != 30 || e0["format"] != "jpg" ||
		e1["format"] != "png" || e1["width"].(float64) != 20 {
		t.Fatalf("eager items: %v %v", e0, e1)
	}
	if r := ts.get(strings.TrimPrefix(e1["url"].(string), ts.srv.URL), nil); r.status != 200 {
		t.Fatalf("eager url under strict: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	if r := ts.get("/demo/image/upload/c_scale,w_77/v1/pic.jpg", nil); r.status != 401 || !strings.Contains(r.header.Get("X-Cld-Error"), "not allowed") {
		t.Fatalf("strict unsigned: %d %q", r.status, r.header.Get("X-Cld-Error"))
	}
	sig := deliverySignature("c_scale,w_77/pic.jpg", false)
	if info := probeBody(t, ts.get("/demo/image/upload/s--"+sig+"--/c_scale,w_77/v1/pic.jpg", nil)); info.Width != 77 {
		t.Fatalf("strict signed: %+v", info)
	}
	if info := probeBody(t, ts.get("/demo/image/upload/t_thumb/v1/pic.jpg", nil)); info.Width != 40 || info.Height != 40 {
		t.Fatalf("named allowed for strict: %+v", info)
	}
	if r := ts.get("/demo/image/upload/t_wide/v1/pic.jpg", nil); r.status != 401 {
		t.Fatalf("named not allowed for strict: %d", r.status)
	}
	// An unnamed transformation marked allowed_for_strict through the Admin API may be generated.
	if r := ts.admin(http.MethodPut, "/transformations/c_scale,w_88?allowed_for_strict=true"); r.status != 200 {
		t.Fatalf("allow unnamed: %d %s", r.status, r.body)
	}
	if info := probeBody(t, ts.get("/demo/image/upload/w_88,c_scale/v1/pic.jpg", nil)); info.Width != 88 {
		t.Fatalf("unnamed allowed for strict: %+v", info)
	}
	if r := ts.get("/demo/image/upload/t_nosuch/v1/pic.jpg", nil); r.status != 400 {
		t.Fatalf("unknown named: %d", r.status)
	}
	// explicit generates eager variants of an existing asset.
	r := ts.postForm("/v1_1/demo/image/explicit", sign(url.Values{"public_id": {"pic"}, "type": {"upload"}, "eager": {"e_sepia,w_25"}}), "")
	if r.status != 200 || len(r.json["eager"].([]any)) != 1 {
		t.Fatalf("explicit eager: %d %s", r.status, r.body)
	}
}

func TestPrivateDerivedAndAttachment(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"p"}, "type": {"private"}}, "p.png", testdata(t, "alpha.png"))
	ts.upload("image", url.Values{"public_id": {"a"}, "type": {"authenticated"}}, "a.png", testdata(t, "alpha.png"))
	ts.upload("image", url.Values{"public_id": {"fallback"}}, "f.png", testdata(t, "alpha.png"))
	if r := ts.get("/demo/image/private/w_30/v1/p.png", nil); r.status != 200 {
		t.Fatalf("private derived is public: %d", r.status)
	}
	if r := ts.get("/demo/image/authenticated/w_30/v1/a.png", nil); r.status != 401 {
		t.Fatalf("authenticated derived unsigned: %d", r.status)
	}
	r := ts.get("/demo/image/upload/fl_attachment:my_file,w_30/v1/fallback.png", nil)
	if r.status != 200 || r.header.Get("Content-Disposition") != `attachment; filename="my_file.png"` {
		t.Fatalf("attachment: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	if info := probeBody(t, ts.get("/demo/image/upload/d_fallback.png,w_33/v1/missing.png", nil)); info.Width != 33 {
		t.Fatalf("default image: %+v", info)
	}
}
