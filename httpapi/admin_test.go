package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAdminAuthAndRateLimit(t *testing.T) {
	cfg := defaultTestConfig()
	cfg.AdminRateLimit = 3
	ts := newTestServer(t, cfg)
	get := func(user, pass string, set bool) response {
		req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/v1_1/demo/ping", nil)
		if set {
			req.SetBasicAuth(user, pass)
		}
		return ts.do(req)
	}
	if r := get("", "", false); r.status != 401 || errMessage(r) != "Must supply api_key" {
		t.Fatalf("no auth: %d %s", r.status, r.body)
	}
	if r := get(testKey, "wrong", true); r.status != 401 {
		t.Fatalf("wrong secret: %d %s", r.status, r.body)
	}
	if r := get("999", testSecret, true); r.status != 401 || !strings.Contains(errMessage(r), "Unknown API key") {
		t.Fatalf("wrong key: %d %s", r.status, r.body)
	}
	for i := 0; i < 3; i++ {
		r := get(testKey, testSecret, true)
		if r.status != 200 || r.json["status"] != "ok" {
			t.Fatalf("ping %d: %d %s", i, r.status, r.body)
		}
		if r.header.Get("X-FeatureRateLimit-Limit") != "3" || r.header.Get("X-FeatureRateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Fatalf("rate limit headers: %v", r.header)
		}
		reset, err := http.ParseTime(r.header.Get("X-FeatureRateLimit-Reset"))
		if err != nil || reset.Before(time.Now()) || reset.Sub(time.Now()) > time.Hour || reset.Minute() != 0 {
			t.Fatalf("reset header %q: %v", r.header.Get("X-FeatureRateLimit-Reset"), err)
		}
	}
	if r := get(testKey, testSecret, true); r.status != 420 || r.header.Get("X-FeatureRateLimit-Remaining") != "0" {
		t.Fatalf("over the limit: %d %v", r.status, r.header)
	}
	// Uploads are not counted against the Admin API limit.
	ts.upload("raw", url.Values{"public_id": {"a.txt"}}, "a.txt", []byte("a"))
	// Another cloud's key does not open this cloud.
	if r := ts.get("/v1_1/nocloud/ping", nil); r.status != 401 || !strings.Contains(errMessage(r), "Invalid cloud_name") {
		t.Fatalf("unknown cloud: %d %s", r.status, r.body)
	}
}

func TestResourceDetails(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	up := ts.upload("image", url.Values{"public_id": {"cam/shot"}, "tags": {"x"}, "context": {"a=b"}}, "shot.jpg", photo)
	r := ts.admin(http.MethodGet, "/resources/image/upload/cam/shot?exif=true&image_metadata=1&colors=true&phash=true")
	if r.status != 200 {
		t.Fatalf("details: %d %s", r.status, r.body)
	}
	for _, f := range []string{"asset_id", "public_id", "version", "format", "width", "height", "bytes", "etag", "url", "secure_url", "created_at"} {
		if r.json[f] != up[f] {
			t.Errorf("%s = %v, upload said %v", f, r.json[f], up[f])
		}
	}
	if d, ok := r.json["derived"].([]any); !ok || len(d) != 0 {
		t.Errorf("derived: %v", r.json["derived"])
	}
	exif, _ := r.json["exif"].(map[string]any)
	if exif["Make"] == nil || exif["Orientation"] == nil || exif["GPSLatitude"] == nil {
		t.Errorf("exif: %v", exif)
	}
	if md, _ := r.json["image_metadata"].(map[string]any); md["Model"] == nil {
		t.Errorf("image_metadata: %v", r.json["image_metadata"])
	}
	colors, _ := r.json["colors"].([]any)
	total := 0.0
	for _, c := range colors {
		pair := c.([]any)
		if !strings.HasPrefix(pair[0].(string), "#") {
			t.Errorf("colour %v", pair)
		}
		total += pair[1].(float64)
	}
	if len(colors) < 2 || total < 99 || total > 101 {
		t.Errorf("colors: %v", r.json["colors"])
	}
	if g, _ := r.json["predominant"].(map[string]any)["google"].([]any); len(g) == 0 {
		t.Errorf("predominant: %v", r.json["predominant"])
	}
	if ph, _ := r.json["phash"].(string); len(ph) != 16 {
		t.Errorf("phash: %v", r.json["phash"])
	}
	if r.header.Get("X-FeatureRateLimit-Limit") == "" {
		t.Errorf("no rate limit headers on details")
	}
	if r := ts.admin(http.MethodGet, "/resources/image/upload/cam/other"); r.status != 404 || errMessage(r) != "Resource not found - cam/other" {
		t.Fatalf("missing: %d %s", r.status, r.body)
	}
}
