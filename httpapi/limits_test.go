package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Every refusal must leave nothing behind: no row, no blob, no temp file.
func assertNothingStored(t *testing.T, ts *testServer) {
	t.Helper()
	if blobs, temps := ts.storedFiles(); blobs != 0 || temps != 0 {
		t.Fatalf("refused upload left %d blobs and %d temp files", blobs, temps)
	}
	r := ts.admin(http.MethodGet, "/resources/image/upload/victim")
	if r.status != http.StatusNotFound {
		t.Fatalf("refused upload left a row: %d %s", r.status, r.body)
	}
}

func TestUploadLimits(t *testing.T) {
	cfg := defaultTestConfig()
	cfg.MaxUploadBytes = 90_000
	cfg.MaxSourcePixels = 100 * 100
	ts := newTestServer(t, cfg)
	photo := testdata(t, "photo.jpg") // about 100 KB
	png := testdata(t, "alpha.png")   // 200x150 = 30,000 pixels
	truncated := photo[:len(photo)*6/10]
	cases := []struct {
		name    string
		params  url.Values
		file    []byte
		message string
	}{
		{"too many bytes", url.Values{"public_id": {"victim"}}, photo, "File size too large"},
		{"too many pixels", url.Values{"public_id": {"victim"}}, png, "Image is too large"},
		{"dot-dot", url.Values{"public_id": {"a/../victim"}}, []byte("x"), "Invalid public_id"},
		{"leading slash", url.Values{"public_id": {"/victim"}}, []byte("x"), "Invalid public_id"},
		{"NUL", url.Values{"public_id": {"vic\x00tim"}}, []byte("x"), "Invalid public_id"},
		{"too long", url.Values{"public_id": {strings.Repeat("v", 256)}}, []byte("x"), "Invalid public_id"},
		{"folder escape", url.Values{"public_id": {"victim"}, "folder": {"../up"}}, []byte("x"), "Invalid public_id"},
		{"corrupt image", url.Values{"public_id": {"victim"}}, []byte("this is not an image at all"), "Invalid image file"},
		{"empty file", url.Values{"public_id": {"victim"}}, []byte{}, "Empty file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt := "image"
			if tc.message == "Invalid public_id" {
				rt = "raw"
			}
			r := ts.postMultipart("/v1_1/demo/"+rt+"/upload", sign(tc.params), "f.jpg", tc.file)
			if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), tc.message) {
				t.Fatalf("got %d %s, want 400 %q", r.status, r.body, tc.message)
			}
			assertNothingStored(t, ts)
		})
	}
	t.Run("truncated image", func(t *testing.T) {
		cfg := defaultTestConfig()
		ts := newTestServer(t, cfg)
		r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"public_id": {"victim"}}), "t.jpg", truncated)
		if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "Invalid image file") {
			t.Fatalf("truncated JPEG: %d %s", r.status, r.body)
		}
		assertNothingStored(t, ts)
	})
}

func TestRemoteUploadGuard(t *testing.T) {
	png := testdata(t, "alpha.png")
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/logo.png":
			w.Write(png)
		case "/redirect":
			http.Redirect(w, r, "/logo.png", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()

	guarded := newTestServer(t, defaultTestConfig())
	for _, u := range []string{origin.URL + "/logo.png", strings.Replace(origin.URL, "127.0.0.1", "localhost", 1) + "/logo.png"} {
		r := guarded.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {u}, "public_id": {"victim"}}), "application/x-www-form-urlencoded")
		if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "not allowed") {
			t.Fatalf("loopback fetch of %s: %d %s", u, r.status, r.body)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.invalid/x"} {
		r := guarded.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {u}, "public_id": {"victim"}}), "")
		if r.status != http.StatusBadRequest {
			t.Fatalf("scheme %s: %d %s", u, r.status, r.body)
		}
	}
	assertNothingStored(t, guarded)

	cfg := defaultTestConfig()
	cfg.AllowPrivateFetch = true
	open := newTestServer(t, cfg)
	r := open.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {origin.URL + "/redirect"}, "use_filename": {"true"}, "unique_filename": {"false"}}), "")
	if r.status != 200 || r.json["public_id"] != "logo" || r.json["etag"] != md5hex(png) {
		t.Fatalf("allowed fetch: %d %s", r.status, r.body)
	}
	if r := open.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {origin.URL + "/missing.png"}}), ""); r.status != http.StatusNotFound {
		t.Fatalf("remote 404: %d %s", r.status, r.body)
	}
}

func TestIsPublicAddress(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8:80": true, "127.0.0.1:80": false, "10.1.2.3:80": false, "172.16.0.1:80": false,
		"192.168.1.1:80": false, "169.254.169.254:80": false, "[::1]:80": false, "0.0.0.0:80": false,
		"[fe80::1]:80": false, "[::ffff:127.0.0.1]:80": false, "100.64.0.1:80": false, "[2606:4700::1]:443": true,
	} {
		if got := refuseNonPublic("tcp", addr, nil) == nil; got != want {
			t.Errorf("%s public = %v, want %v", addr, got, want)
		}
	}
}
