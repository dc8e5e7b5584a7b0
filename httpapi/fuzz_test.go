package httpapi

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudlet/store"
)

// FuzzDeliveryPath checks that any delivery path parses without panicking into parts that
// rebuild it, and that a URL signed over those parts verifies with the secret and with no
// other.
func FuzzDeliveryPath(f *testing.F) {
	for _, seed := range []string{
		"s--Ai4Znfl3--/c_crop,h_20,w_10/v1234/image.jpg",
		"s----SjmNDA--/v1234/image.jpg",
		"c_fill,w_100/v1/folder/sample.jpg",
		"w_40,c_scale/e_grayscale/pic.jpg",
		"folder/my%20photo.jpg",
		"v1/a/v2/b.png",
		"s--AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA--/t_thumb/doc",
		"fl_attachment:name/x%2Fy.tar.gz",
		"%zz/bad.jpg",
		"/",
	} {
		f.Add(seed, "image")
		f.Add(seed, "raw")
	}
	f.Fuzz(func(t *testing.T, rest, resourceType string) {
		d, err := parseDeliveryPath(rest, resourceType)
		if err != nil {
			return
		}
		if d.source == "" || (d.signature != "" && len(d.signature) != 8 && len(d.signature) != 32) {
			t.Fatalf("%q parsed to %+v", rest, d)
		}
		if d.signatureValid("") && d.signature == "" {
			t.Fatalf("%q: an unsigned path is valid", rest)
		}
		toSign := d.source
		if len(d.transformation) > 0 {
			toSign = strings.Join(d.transformation, "/") + "/" + toSign
		}
		h := sha1.Sum([]byte(toSign + "fuzz-secret"))
		sig := base64.URLEncoding.EncodeToString(h[:])[:8]
		signed := "s--" + sig + "--/" + toSign
		if d.version != "" {
			signed = "s--" + sig + "--/" + strings.Join(append(append([]string{}, d.transformation...), "v"+d.version, d.source), "/")
		}
		again, err := parseDeliveryPath(signed, resourceType)
		if err != nil {
			t.Fatalf("%q: its signed form %q does not parse: %v", rest, signed, err)
		}
		if again.source != d.source || again.version != d.version || strings.Join(again.transformation, "/") != strings.Join(d.transformation, "/") {
			t.Fatalf("%q: signed form %q parses to %+v, not %+v", rest, signed, again, d)
		}
		if !again.signatureValid("fuzz-secret") || again.signatureValid("fuzz-secreT") {
			t.Fatalf("%q: signature over %q does not verify exactly", rest, toSign)
		}
	})
}

// FuzzUploadSignature checks the upload signature string builder over any parameters: a
// request signed the way the SDKs sign it verifies, and changing any signed value breaks it.
func FuzzUploadSignature(f *testing.F) {
	for _, seed := range []string{
		"public_id=sample&timestamp=1315060510&tags=a,b",
		"context=alt%3Dx%26y&timestamp=1&public_ids[]=a&public_ids[]=b",
		"eager=w_10|c_fill,w_20&file=x&api_key=1&resource_type=image&timestamp=5",
		"a=&b=1&timestamp=2",
		"x[0]=1&x[1]=2&x[10]=3&timestamp=9",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		raw, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		raw.Del("signature")
		raw.Set("timestamp", "1700000000")
		for _, version := range []int{1, 2} {
			payload := stringToSign(raw, version)
			p := &requestParams{raw: url.Values{}}
			for k, v := range raw {
				p.raw[k] = v
			}
			p.raw.Set("signature", hexDigest(sha1.New, payload, testSecret))
			cloud := store.Cloud{APISecret: testSecret}
			if err := checkSignature(p, cloud); err != nil {
				t.Fatalf("%q (v%d): a correct signature is refused: %v", query, version, err)
			}
			p.raw.Set("timestamp", "1700000001")
			if err := checkSignature(p, cloud); err == nil {
				t.Fatalf("%q (v%d): a changed timestamp still verifies", query, version)
			}
		}
	})
}

// FuzzUploadRequest sends any body with any content type to the upload handler, authenticated:
// it never panics, never answers 5xx but 503, and a refused upload leaves no row, blob or temp
// file.
func FuzzUploadRequest(f *testing.F) {
	// Small seeds: every execution stores through SQLite, and the fuzzer minimises what it finds.
	var tinyPNG bytes.Buffer
	png.Encode(&tinyPNG, image.NewGray(image.Rect(0, 0, 3, 2)))
	tinyGIF, _ := base64.StdEncoding.DecodeString("R0lGODlhAQABAAAAACwAAAAAAQABAAACAkQBADs=")
	for name, file := range map[string][]byte{"a.png": tinyPNG.Bytes(), "b.gif": tinyGIF, "c.txt": []byte("hello")} {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.SetBoundary("fuzzboundary")
		w.WriteField("public_id", "p")
		w.WriteField("tags", "a,b")
		fw, _ := w.CreateFormFile("file", name)
		fw.Write(file)
		w.Close()
		f.Add(w.FormDataContentType(), body.Bytes())
	}
	f.Add("application/x-www-form-urlencoded", []byte("file=data:image/gif;base64,R0lGODlhAQABAAAAACwAAAAAAQABAAACAkQBADs=&public_id=g"))
	f.Add("application/json", []byte(`{"file":"data:text/plain;base64,aGk=","resource_type":"raw","tags":["x","y"]}`))
	f.Add("", []byte("public_id=x&file=http://127.0.0.1/"))
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n"))

	dir := f.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.PutCloud(context.Background(), store.Cloud{Name: testCloud, APIKey: testKey, APISecret: testSecret}); err != nil {
		f.Fatal(err)
	}
	cfg := defaultTestConfig()
	cfg.MaxUploadBytes, cfg.MaxSourcePixels, cfg.FetchTimeout = 1<<20, 1_000_000, time.Second
	api := New(cfg, st)
	blobs := func() (n int) {
		filepath.WalkDir(filepath.Join(dir, "files"), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		before := blobs()
		req := httptest.NewRequest(http.MethodPost, "/v1_1/demo/auto/upload", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.SetBasicAuth(testKey, testSecret)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d with a body that is not JSON: %q", rec.Code, rec.Body)
		}
		if temps, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(temps) != 0 {
			t.Fatalf("%d: %d temp files left", rec.Code, len(temps))
		}
		if rec.Code != http.StatusOK && blobs() != before {
			t.Fatalf("%d %s: a refused upload stored a file", rec.Code, rec.Body)
		}
	})
}
