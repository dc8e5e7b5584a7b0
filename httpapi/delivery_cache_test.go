package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
)

// TestDeliveryCacheFollowsWrites: repeat delivery URLs are answered from the delivery cache, and
// every write that changes what a URL means (overwrite, rename, destroy) is seen at once.
func TestDeliveryCacheFollowsWrites(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo, png := testdata(t, "photo.jpg"), testdata(t, "alpha.png")
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", photo)

	const derivedPath, originalPath = "/demo/image/upload/w_50/pic.jpg", "/demo/image/upload/pic"
	// The answer that generated the derived image came from memory: the next, from its file, is
	// remembered.
	probeBody(t, ts.get(derivedPath, nil))
	first := ts.get(derivedPath, nil)
	probeBody(t, first)
	if r := ts.get(originalPath, nil); r.status != 200 || !bytes.Equal(r.body, photo) {
		t.Fatalf("original: %d", r.status)
	}
	for _, p := range []string{derivedPath, originalPath} {
		if ts.api.deliveries.get(p, ts.store.Generation()) == nil {
			t.Fatalf("%s not remembered", p)
		}
	}
	again := ts.get(derivedPath, http.Header{"Range": {"bytes=0-9"}})
	if again.status != http.StatusPartialContent || !bytes.Equal(again.body, first.body[:10]) ||
		again.header.Get("ETag") != first.header.Get("ETag") || again.header.Get("Cache-Control") == "" {
		t.Fatalf("remembered range answer: %d %v", again.status, again.header)
	}
	if r := ts.get(derivedPath, http.Header{"If-None-Match": {first.header.Get("ETag")}}); r.status != http.StatusNotModified {
		t.Fatalf("remembered conditional answer: %d", r.status)
	}

	// An overwrite changes both answers.
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", png)
	if r := ts.get(originalPath, nil); r.status != 200 || !bytes.Equal(r.body, png) {
		t.Fatalf("original after overwrite: %d, %d bytes", r.status, len(r.body))
	}
	if r := ts.get(derivedPath, nil); probeBody(t, r).Width != 50 || r.header.Get("ETag") == first.header.Get("ETag") {
		t.Fatalf("derived after overwrite kept ETag %s", r.header.Get("ETag"))
	}

	// A rename leaves nothing at the old URLs.
	if r := ts.postForm("/v1_1/demo/image/rename", sign(url.Values{"from_public_id": {"pic"}, "to_public_id": {"moved"}}),
		"application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	for _, p := range []string{derivedPath, originalPath} {
		if r := ts.get(p, nil); r.status != http.StatusNotFound {
			t.Fatalf("%s after rename: %d", p, r.status)
		}
	}

	// A destroy leaves nothing at the new ones.
	probeBody(t, ts.get("/demo/image/upload/w_50/moved.jpg", nil))
	if r := ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {"moved"}}),
		"application/x-www-form-urlencoded"); r.status != 200 {
		t.Fatalf("destroy: %d %s", r.status, r.body)
	}
	if r := ts.get("/demo/image/upload/w_50/moved.jpg", nil); r.status != http.StatusNotFound {
		t.Fatalf("derived after destroy: %d", r.status)
	}
}

// TestDeliveryCacheSkipsVariableAnswers: answers that depend on request headers, signatures or a
// default image are never remembered.
func TestDeliveryCacheSkipsVariableAnswers(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", testdata(t, "photo.jpg"))
	for _, p := range []string{"/demo/image/upload/f_auto,w_50/pic.jpg", "/demo/image/upload/d_pic.jpg,w_40/v1/missing.jpg"} {
		probeBody(t, ts.get(p, http.Header{"Accept": {"image/webp"}}))
		if ts.api.deliveries.get(p, ts.store.Generation()) != nil {
			t.Fatalf("%s remembered", p)
		}
	}
}

// TestDeliveryCacheKeepsSmallFilesInMemory: a small remembered file is answered from memory (here
// proven by taking its file away behind the store's back), a large one from its file, and the
// bytes held stay within their budget.
func TestDeliveryCacheKeepsSmallFilesInMemory(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg") // larger than inMemoryFileMax
	if len(photo) <= inMemoryFileMax {
		t.Fatalf("fixture of %d bytes is not larger than %d", len(photo), inMemoryFileMax)
	}
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", photo)
	const small, large = "/demo/image/upload/w_40/pic.jpg", "/demo/image/upload/pic"
	probeBody(t, ts.get(small, nil)) // generates, and answers from memory: nothing to remember
	first := ts.get(small, nil)
	ts.get(large, nil)
	gen := ts.store.Generation()
	smallAnswer, largeAnswer := ts.api.deliveries.get(small, gen), ts.api.deliveries.get(large, gen)
	if smallAnswer == nil || !bytes.Equal(smallAnswer.body, first.body) || largeAnswer == nil || largeAnswer.body != nil {
		t.Fatalf("remembered bodies: small %v, large %v", smallAnswer, largeAnswer)
	}
	for _, a := range []*storedAnswer{smallAnswer, largeAnswer} {
		if err := os.Rename(a.path, a.path+".away"); err != nil {
			t.Fatal(err)
		}
	}
	if r := ts.get(small, http.Header{"Range": {"bytes=2-5"}}); r.status != http.StatusPartialContent || !bytes.Equal(r.body, first.body[2:6]) {
		t.Fatalf("small file from memory: %d %q", r.status, r.body)
	}
	if r := ts.get(large, nil); r.status != http.StatusNotFound {
		t.Fatalf("large file without its file: %d", r.status)
	}

	var dc deliveryCache
	for i := 0; i < inMemoryTotal/inMemoryFileMax+2; i++ {
		dc.put(strconv.Itoa(i), 1, &storedAnswer{body: make([]byte, inMemoryFileMax)})
	}
	if dc.inMemory > inMemoryTotal || dc.entries["0"].body == nil || dc.entries[strconv.Itoa(inMemoryTotal/inMemoryFileMax+1)].body != nil {
		t.Fatalf("in memory %d of %d", dc.inMemory, inMemoryTotal)
	}
}
