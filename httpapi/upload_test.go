package httpapi

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestUploadImageFields(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	got := ts.upload("image", url.Values{
		"public_id": {"sample"}, "folder": {"trips/2024"}, "tags": {"beach,sunset"},
		"context":      {`alt=A \= sign|caption=Tom & Jerry \| friends`},
		"display_name": {"Beach photo"}, "notification_url": {"http://example.invalid/hook"},
		"moderation": {"manual"}, "backup": {"true"},
	}, "holiday.jpg", photo)

	if got["public_id"] != "trips/2024/sample" || got["folder"] != "trips/2024" || got["asset_folder"] != "trips/2024" {
		t.Fatalf("public_id/folder: %v %v %v", got["public_id"], got["folder"], got["asset_folder"])
	}
	if got["format"] != "jpg" || got["resource_type"] != "image" || got["type"] != "upload" {
		t.Fatalf("format/resource_type/type: %v", got)
	}
	// photo.jpg is stored 640x427 with EXIF orientation 6: reported upright, as Cloudinary does.
	if got["width"].(float64) != 427 || got["height"].(float64) != 640 || got["pages"].(float64) != 1 {
		t.Fatalf("dimensions: %v x %v, pages %v", got["width"], got["height"], got["pages"])
	}
	if int(got["bytes"].(float64)) != len(photo) || got["etag"] != md5hex(photo) {
		t.Fatalf("bytes/etag: %v %v", got["bytes"], got["etag"])
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got["asset_id"].(string)) ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got["version_id"].(string)) {
		t.Fatalf("asset_id/version_id: %v %v", got["asset_id"], got["version_id"])
	}
	version := int64(got["version"].(float64))
	if d := time.Now().Unix() - version; d < 0 || d > 60 {
		t.Fatalf("version %d is not the upload time", version)
	}
	if want := hexDigest(sha1.New, "public_id=trips/2024/sample&version="+strconv.FormatInt(version, 10), testSecret); got["signature"] != want {
		t.Fatalf("signature %v, want %v", got["signature"], want)
	}
	wantURL := ts.srv.URL + "/demo/image/upload/v" + strconv.FormatInt(version, 10) + "/trips/2024/sample.jpg"
	if got["url"] != wantURL || got["secure_url"] != wantURL {
		t.Fatalf("url %v, want %v", got["url"], wantURL)
	}
	if _, err := time.Parse(time.RFC3339, got["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	if tags := got["tags"].([]any); len(tags) != 2 || tags[0] != "beach" || tags[1] != "sunset" {
		t.Fatalf("tags: %v", tags)
	}
	custom := got["context"].(map[string]any)["custom"].(map[string]any)
	if custom["alt"] != "A = sign" || custom["caption"] != "Tom & Jerry | friends" {
		t.Fatalf("context: %v", custom)
	}
	if got["original_filename"] != "holiday" || got["display_name"] != "Beach photo" || got["placeholder"] != false {
		t.Fatalf("original_filename/display_name/placeholder: %v", got)
	}
	if m, ok := got["moderation"].([]any); !ok || len(m) != 1 {
		t.Fatalf("moderation: %v", got["moderation"])
	}
	if _, ok := got["existing"]; ok {
		t.Fatalf("existing must be absent on a new upload")
	}
}

func TestUploadSignatureRules(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	note := testdata(t, "note.txt")
	path := "/v1_1/demo/raw/upload"
	now := strconv.FormatInt(time.Now().Unix(), 10)
	base := func() url.Values {
		return url.Values{"public_id": {"n.txt"}, "context": {"a=x&y"}, "tags": {"t1,t2"}, "timestamp": {now}}
	}
	withSig := func(v url.Values, sig string) url.Values {
		v.Set("signature", sig)
		v.Set("api_key", testKey)
		return v
	}
	cases := []struct {
		name    string
		params  url.Values
		status  int
		message string
	}{
		{"sha1 v2", sign(base()), 200, ""},
		{"sha256 v2", withSig(base(), hexDigest(sha256.New, stringToSign(base(), 2), testSecret)), 200, ""},
		{"sha1 v1 (no & escaping)", withSig(base(), hexDigest(sha1.New, stringToSign(base(), 1), testSecret)), 200, ""},
		{"wrong secret", withSig(base(), hexDigest(sha1.New, stringToSign(base(), 2), "nope")), 401, "Invalid Signature"},
		{"tampered param", func() url.Values { v := sign(base()); v.Set("public_id", "other"); return v }(), 401, "String to sign - 'context=a=x%26y&public_id=other&tags=t1,t2&timestamp=" + now + "'"},
		{"unknown key", func() url.Values { v := sign(base()); v.Set("api_key", "999"); return v }(), 401, "Unknown API key 999"},
		{"no credentials", url.Values{"timestamp": {now}}, 400, "Upload preset must be specified when using unsigned upload"},
		{"signature without key", func() url.Values { v := sign(base()); v.Del("api_key"); return v }(), 401, "Must supply api_key"},
		{"stale", func() url.Values {
			v := base()
			v.Set("timestamp", strconv.FormatInt(time.Now().Add(-2*time.Hour).Unix(), 10))
			return sign(v)
		}(), 400, "Stale request - reported time is"},
		{"missing signature", url.Values{"timestamp": {now}, "api_key": {testKey}}, 400, "Missing required parameter - signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.postMultipart(path, tc.params, "n.txt", note)
			if r.status != tc.status || !strings.Contains(errMessage(r), tc.message) {
				t.Fatalf("got %d %s, want %d %q", r.status, r.body, tc.status, tc.message)
			}
		})
	}
	// Other Upload API calls without credentials are not taken for unsigned uploads.
	if r := ts.postForm("/v1_1/demo/raw/destroy", url.Values{"public_id": {"n.txt"}}, ""); r.status != 401 || errMessage(r) != "Must supply api_key" {
		t.Fatalf("destroy without credentials: %d %s", r.status, r.body)
	}
	// Basic auth is an alternative to a signature on the Upload API.
	req := httptest.NewRequest(http.MethodPost, ts.srv.URL+"/v1_1/demo/raw/destroy", strings.NewReader("public_id=n.txt"))
	req.RequestURI = ""
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testKey, testSecret)
	if r := ts.do(req); r.status != 200 || r.json["result"] != "ok" {
		t.Fatalf("basic auth destroy: %d %s", r.status, r.body)
	}
}

func TestUploadNaming(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	random := ts.upload("image", url.Values{}, "x.png", png)
	if !regexp.MustCompile(`^[a-z0-9]{20}$`).MatchString(random["public_id"].(string)) {
		t.Fatalf("random public id: %v", random["public_id"])
	}
	unique := ts.upload("image", url.Values{"use_filename": {"true"}}, "My Logo.png", png)
	if !regexp.MustCompile(`^My_Logo_[a-z0-9]{6}$`).MatchString(unique["public_id"].(string)) {
		t.Fatalf("use_filename + unique: %v", unique["public_id"])
	}
	exact := ts.upload("image", url.Values{"use_filename": {"1"}, "unique_filename": {"0"}, "folder": {"logos"}}, "brand.png", png)
	if exact["public_id"] != "logos/brand" {
		t.Fatalf("use_filename exact: %v", exact["public_id"])
	}
	override := ts.upload("image", url.Values{"use_filename": {"true"}, "unique_filename": {"false"}, "filename_override": {"renamed.png"}}, "brand.png", png)
	if override["public_id"] != "renamed" || override["original_filename"] != "renamed" {
		t.Fatalf("filename_override: %v %v", override["public_id"], override["original_filename"])
	}
	rawID := ts.upload("raw", url.Values{}, "notes.txt", testdata(t, "note.txt"))
	if !regexp.MustCompile(`^[a-z0-9]{20}\.txt$`).MatchString(rawID["public_id"].(string)) {
		t.Fatalf("raw random public id keeps extension: %v", rawID["public_id"])
	}

	// overwrite: default true replaces; false returns the existing asset untouched.
	first := ts.upload("image", url.Values{"public_id": {"same"}}, "a.png", png)
	photo := testdata(t, "photo.jpg")
	second := ts.upload("image", url.Values{"public_id": {"same"}, "tags": {"new"}}, "b.jpg", photo)
	if second["asset_id"] != first["asset_id"] || second["overwritten"] != true || second["format"] != "jpg" ||
		second["version"].(float64) <= first["version"].(float64) {
		t.Fatalf("overwrite: %v", second)
	}
	third := ts.upload("image", url.Values{"public_id": {"same"}, "overwrite": {"false"}}, "a.png", png)
	if third["existing"] != true || third["etag"] != md5hex(photo) || third["version"] != second["version"] {
		t.Fatalf("overwrite=false: %v", third)
	}
	if blobs, temps := ts.storedFiles(); blobs != 6 || temps != 0 {
		t.Fatalf("files after uploads: %d blobs, %d temps", blobs, temps)
	}
}

func TestUploadSourcesAndTypes(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")

	// A data URI in a url-encoded body with no Content-Type, as cloudinary-go sends it.
	dataURI := "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	r := ts.postForm("/v1_1/demo/auto/upload", sign(url.Values{"file": {dataURI}, "public_id": {"from-data"}}), "")
	if r.status != 200 || r.json["resource_type"] != "image" || r.json["format"] != "png" || r.json["etag"] != md5hex(png) {
		t.Fatalf("data URI upload: %d %s", r.status, r.body)
	}
	// A JSON body.
	params := sign(url.Values{"file": {dataURI}, "public_id": {"from-json"}, "tags": {"a,b"}})
	doc := map[string]any{}
	for k, v := range params {
		doc[k] = v[0]
	}
	jb, _ := json.Marshal(doc)
	req := httptest.NewRequest(http.MethodPost, ts.srv.URL+"/v1_1/demo/image/upload", strings.NewReader(string(jb)))
	req.RequestURI = ""
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if r := ts.do(req); r.status != 200 || len(r.json["tags"].([]any)) != 2 {
		t.Fatalf("JSON upload: %d %s", r.status, r.body)
	}
	// auto: a text file is raw, an image is image.
	if got := ts.upload("auto", url.Values{"public_id": {"readme.txt"}}, "readme.txt", testdata(t, "note.txt")); got["resource_type"] != "raw" {
		t.Fatalf("auto text: %v", got)
	}
	for _, f := range []struct{ file, format string }{{"animated.gif", "gif"}, {"photo.webp", "webp"}} {
		got := ts.upload("auto", url.Values{}, f.file, testdata(t, f.file))
		if got["resource_type"] != "image" || got["format"] != f.format {
			t.Fatalf("auto %s: %v", f.file, got)
		}
		if f.format == "gif" && got["pages"].(float64) < 3 {
			t.Fatalf("animated gif pages: %v", got["pages"])
		}
	}
	// On auto/upload a resource_type form field decides, as cloudinary-go sends it.
	if got := ts.upload("auto", url.Values{"resource_type": {"raw"}, "public_id": {"logo.png"}}, "logo.png", png); got["resource_type"] != "raw" {
		t.Fatalf("auto with resource_type=raw: %v", got)
	}
	// format converts on upload.
	conv := ts.upload("image", url.Values{"format": {"jpg"}, "public_id": {"converted"}}, "a.png", png)
	if conv["format"] != "jpg" || conv["etag"] == md5hex(png) || conv["width"].(float64) != 200 {
		t.Fatalf("format conversion: %v", conv)
	}
	// An incoming transformation changes what is stored.
	small := ts.upload("image", url.Values{"transformation": {"c_fill,h_30,w_40"}, "format": {"webp"}}, "a.png", png)
	if small["width"].(float64) != 40 || small["height"].(float64) != 30 || small["format"] != "webp" {
		t.Fatalf("incoming transformation: %v", small)
	}
	if r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"transformation": {"w_abc"}}), "a.png", png); r.status != 400 ||
		!strings.Contains(errMessage(r), "width") {
		t.Fatalf("bad incoming transformation: %d %s", r.status, r.body)
	}
	// Upload types: private and authenticated are stored under their type.
	priv := ts.upload("image", url.Values{"public_id": {"secret"}, "type": {"private"}}, "a.png", png)
	if priv["type"] != "private" || !strings.Contains(priv["url"].(string), "/image/private/") {
		t.Fatalf("private upload: %v", priv)
	}
	if r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"type": {"list"}}), "a.png", png); r.status != 400 {
		t.Fatalf("bad type: %d", r.status)
	}
	if r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"upload_preset": {"nope"}}), "a.png", png); r.status != 400 ||
		!strings.Contains(errMessage(r), "preset") {
		t.Fatalf("unknown preset: %d %s", r.status, r.body)
	}
	if r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{}), "", nil); r.status != 400 ||
		errMessage(r) != "Missing required parameter - file" {
		t.Fatalf("no file: %d %s", r.status, r.body)
	}
}
