package httpapi

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func deliverySignature(toSign string, long bool) string {
	if long {
		h := sha256.Sum256([]byte(toSign + testSecret))
		return base64.URLEncoding.EncodeToString(h[:])[:32]
	}
	h := sha1.Sum([]byte(toSign + testSecret))
	return base64.URLEncoding.EncodeToString(h[:])[:8]
}

func TestDeliveryOfOriginals(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	up := ts.upload("image", url.Values{"public_id": {"folder/my photo"}}, "p.jpg", photo)
	versioned := strings.TrimPrefix(up["url"].(string), ts.srv.URL)
	if !strings.Contains(versioned, "/folder/my%20photo.jpg") {
		t.Fatalf("url does not escape the public id: %s", versioned)
	}

	r := ts.get(versioned+"?_a=BAMAK+Go0", nil)
	if r.status != 200 || md5hex(r.body) != md5hex(photo) {
		t.Fatalf("versioned delivery: %d, %d bytes", r.status, len(r.body))
	}
	etag := `"` + md5hex(photo) + `"`
	checks := map[string]string{"Content-Type": "image/jpeg", "ETag": etag, "Accept-Ranges": "bytes",
		"Cache-Control": "public, max-age=2592000, immutable"}
	for h, want := range checks {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if _, err := http.ParseTime(r.header.Get("Last-Modified")); err != nil {
		t.Errorf("Last-Modified: %v", err)
	}
	// The SDKs' v1 placeholder and no version at all both work; neither is immutable.
	for _, p := range []string{"/demo/image/upload/v1/folder/my%20photo.jpg", "/demo/image/upload/folder/my%20photo.jpg", "/demo/image/upload/folder/my%20photo"} {
		r := ts.get(p, nil)
		if r.status != 200 || len(r.body) != len(photo) || strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Fatalf("%s: %d %q", p, r.status, r.header.Get("Cache-Control"))
		}
	}
	if r := ts.get(versioned, http.Header{"If-None-Match": {etag}}); r.status != http.StatusNotModified || len(r.body) != 0 {
		t.Fatalf("If-None-Match: %d", r.status)
	}
	r = ts.get(versioned, http.Header{"Range": {"bytes=10-19"}})
	if r.status != http.StatusPartialContent || string(r.body) != string(photo[10:20]) ||
		r.header.Get("Content-Range") != "bytes 10-19/"+itoa(int64(len(photo))) {
		t.Fatalf("Range: %d %q", r.status, r.header.Get("Content-Range"))
	}
	req, _ := http.NewRequest(http.MethodHead, ts.srv.URL+versioned, nil)
	if r := ts.do(req); r.status != 200 || len(r.body) != 0 || r.header.Get("Content-Length") != itoa(int64(len(photo))) {
		t.Fatalf("HEAD: %d %q", r.status, r.header.Get("Content-Length"))
	}
	for _, p := range []string{"/demo/image/upload/v1/missing.jpg", "/nocloud/image/upload/v1/folder/my%20photo.jpg", "/demo/video/upload/v1/folder/my%20photo.jpg"} {
		if r := ts.get(p, nil); r.status != 404 || r.header.Get("X-Cld-Error") == "" {
			t.Fatalf("%s: %d", p, r.status)
		}
	}

	// Raw files keep their extension in the public id and are served as stored.
	note := testdata(t, "note.txt")
	raw := ts.upload("raw", url.Values{"public_id": {"docs/readme.txt"}}, "readme.txt", note)
	r = ts.get(strings.TrimPrefix(raw["url"].(string), ts.srv.URL), nil)
	if r.status != 200 || string(r.body) != string(note) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("raw delivery: %d %q", r.status, r.header.Get("Content-Type"))
	}

	// Deleting the asset stops delivery.
	ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {"folder/my photo"}}), "")
	if r := ts.get(versioned, nil); r.status != 404 {
		t.Fatalf("after destroy: %d", r.status)
	}
}

func TestPrivateAndAuthenticatedNeedSignedURLs(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	for _, typ := range []string{"private", "authenticated"} {
		ts.upload("image", url.Values{"public_id": {"doc"}, "type": {typ}}, "a.png", png)
		base := "/demo/image/" + typ + "/"
		if r := ts.get(base+"v1/doc.png", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("%s unsigned: %d", typ, r.status)
		}
		wrong := base + "s--AAAAAAAA--/v1/doc.png"
		if r := ts.get(wrong, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("%s wrong signature: %d", typ, r.status)
		}
		for _, long := range []bool{false, true} {
			signed := base + "s--" + deliverySignature("doc.png", long) + "--/v" + itoa(time.Now().Unix()) + "/doc.png"
			if r := ts.get(signed, nil); r.status != 200 || md5hex(r.body) != md5hex(png) ||
				!strings.HasPrefix(r.header.Get("Cache-Control"), "private") {
				t.Fatalf("%s signed (long=%v): %d %s", typ, long, r.status, r.header.Get("X-Cld-Error"))
			}
		}
	}
}

func TestDeliverySignatureVectors(t *testing.T) {
	// Published vectors from the SDKs' own tests (api_secret "b" and "abcd").
	cases := []struct{ secret, path, rt string }{
		{"b", "s--Ai4Znfl3--/c_crop,h_20,w_10/v1234/image.jpg", "image"},
		{"b", "s----SjmNDA--/v1234/image.jpg", "image"},
		{"abcd", "s--43p08liO--/c_fill,w_100/v1/folder/sample.jpg", "image"},
	}
	for _, tc := range cases {
		d, err := parseDeliveryPath(tc.path, tc.rt)
		if err != nil || !d.signatureValid(tc.secret) {
			t.Errorf("%s: valid=%v err=%v", tc.path, d.signatureValid(tc.secret), err)
		}
		if d.signatureValid("other") {
			t.Errorf("%s: valid with the wrong secret", tc.path)
		}
	}
}

// The Node SDK signs a public id as escaped in the URL, the Go SDK as unescaped; both verify,
// and neither signs any other public id.
func TestDeliverySignatureOfEscapedPublicID(t *testing.T) {
	const path = "c_scale,w_10/my%20photo%3F.jpg"
	for _, toSign := range []string{path, "c_scale,w_10/my photo?.jpg"} {
		d, err := parseDeliveryPath("s--"+deliverySignature(toSign, false)+"--/"+path, "image")
		if err != nil || !d.signatureValid(testSecret) {
			t.Errorf("signed %q: valid=%v err=%v", toSign, d.signatureValid(testSecret), err)
		}
		other, _ := parseDeliveryPath("s--"+deliverySignature(toSign, false)+"--/c_scale,w_10/my%20photo%21.jpg", "image")
		if other.signatureValid(testSecret) {
			t.Errorf("signature of %q accepted for another public id", toSign)
		}
	}
}
