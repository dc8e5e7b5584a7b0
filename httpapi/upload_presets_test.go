package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// presetAdmin sends an Admin API call with a url-encoded body, as the Node SDK does.
func presetAdmin(ts *testServer, method, path string, body url.Values) response {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.srv.URL+"/v1_1/"+testCloud+path, strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testKey, testSecret)
	return ts.do(req)
}

// presetAdminJSON sends an Admin API call with a JSON body, as cloudinary-go does.
func presetAdminJSON(ts *testServer, method, path, body string) response {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.srv.URL+"/v1_1/"+testCloud+path, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.SetBasicAuth(testKey, testSecret)
	return ts.do(req)
}

func mustStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d, want %d: %s", what, r.status, status, r.body)
	}
}

func TestUploadPresetCRUD(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())

	// Node: form body, booleans 1/0, a timestamp from build_upload_params that is no setting.
	r := presetAdmin(ts, http.MethodPost, "/upload_presets", url.Values{"name": {"thumbs"}, "unsigned": {"true"},
		"tags": {"a,b"}, "folder": {"pics"}, "eager": {"c_fill,h_50,w_50|w_20"}, "overwrite": {"0"}, "timestamp": {"1700000000"}})
	mustStatus(t, "create", r, 200)
	if r.json["message"] != "created" || r.json["name"] != "thumbs" {
		t.Fatalf("create body: %s", r.body)
	}
	r = presetAdmin(ts, http.MethodPost, "/upload_presets", url.Values{"name": {"thumbs"}})
	mustStatus(t, "duplicate", r, 409)
	if errMessage(r) == "" {
		t.Fatalf("duplicate without message: %s", r.body)
	}
	mustStatus(t, "bad name", presetAdmin(ts, http.MethodPost, "/upload_presets", url.Values{"name": {"a/b"}}), 400)

	// Go: JSON body, arrays as JSON arrays or comma-joined strings, context as an object.
	r = presetAdminJSON(ts, http.MethodPost, "/upload_presets",
		`{"name":"gostyle","unsigned":false,"tags":"x,y","allowed_formats":["png","jpg"],"context":{"alt":"A=b"},"use_filename":true}`)
	mustStatus(t, "create json", r, 200)
	r = ts.admin(http.MethodGet, "/upload_presets/gostyle")
	mustStatus(t, "get json preset", r, 200)
	want := map[string]any{"tags": "x,y", "allowed_formats": "png,jpg", "context": `alt=A\=b`, "use_filename": true}
	if !reflect.DeepEqual(r.json["settings"], want) || r.json["unsigned"] != false {
		t.Fatalf("json preset: %s", r.body)
	}

	// A preset without a name gets one.
	r = presetAdmin(ts, http.MethodPost, "/upload_presets", url.Values{"folder": {"x"}})
	mustStatus(t, "create unnamed", r, 200)
	generated, _ := r.json["name"].(string)
	if generated == "" {
		t.Fatalf("no generated name: %s", r.body)
	}
	mustStatus(t, "get generated", ts.admin(http.MethodGet, "/upload_presets/"+generated), 200)

	r = ts.admin(http.MethodGet, "/upload_presets/thumbs")
	mustStatus(t, "get", r, 200)
	want = map[string]any{"tags": "a,b", "folder": "pics", "eager": "c_fill,h_50,w_50|w_20", "overwrite": false}
	if r.json["name"] != "thumbs" || r.json["unsigned"] != true || !reflect.DeepEqual(r.json["settings"], want) {
		t.Fatalf("get: %s", r.body)
	}
	mustStatus(t, "get unknown", ts.admin(http.MethodGet, "/upload_presets/nope"), 404)

	// Update: given fields replace, an empty setting is removed, the rest stays.
	r = presetAdmin(ts, http.MethodPut, "/upload_presets/thumbs", url.Values{"unsigned": {"false"},
		"disallow_public_id": {"true"}, "folder": {"other"}, "tags": {""}})
	mustStatus(t, "update", r, 200)
	if r.json["message"] != "updated" {
		t.Fatalf("update body: %s", r.body)
	}
	r = ts.admin(http.MethodGet, "/upload_presets/thumbs")
	want = map[string]any{"folder": "other", "eager": "c_fill,h_50,w_50|w_20", "overwrite": false, "disallow_public_id": true}
	if r.json["unsigned"] != false || !reflect.DeepEqual(r.json["settings"], want) {
		t.Fatalf("after update: %s", r.body)
	}
	// cloudinary-go sends the name in the JSON body of an update too: it renames nothing.
	mustStatus(t, "update json", presetAdminJSON(ts, http.MethodPut, "/upload_presets/thumbs", `{"name":"thumbs","live":true}`), 200)
	mustStatus(t, "update unknown", presetAdmin(ts, http.MethodPut, "/upload_presets/nope", url.Values{"folder": {"x"}}), 404)

	// Listing: name order, keyset pages of max_results.
	var names []string
	cursor := ""
	for page := 0; ; page++ {
		path := "/upload_presets?max_results=2"
		if cursor != "" {
			path += "&next_cursor=" + url.QueryEscape(cursor)
		}
		r = ts.admin(http.MethodGet, path)
		mustStatus(t, "list", r, 200)
		presets := r.json["presets"].([]any)
		if len(presets) > 2 || page > 3 {
			t.Fatalf("page %d: %s", page, r.body)
		}
		for _, p := range presets {
			names = append(names, p.(map[string]any)["name"].(string))
		}
		next, _ := r.json["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	wantNames := []string{"gostyle", "thumbs", generated}
	sort.Strings(wantNames)
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("listing: %v, want %v", names, wantNames)
	}

	r = ts.admin(http.MethodDelete, "/upload_presets/thumbs")
	mustStatus(t, "delete", r, 200)
	if r.json["message"] != "deleted" {
		t.Fatalf("delete body: %s", r.body)
	}
	mustStatus(t, "delete again", ts.admin(http.MethodDelete, "/upload_presets/thumbs"), 404)
	mustStatus(t, "get deleted", ts.admin(http.MethodGet, "/upload_presets/thumbs"), 404)
	mustStatus(t, "no credentials", ts.get("/v1_1/"+testCloud+"/upload_presets", nil), 401)
}

func TestUploadsWithPresets(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png, jpg := testdata(t, "alpha.png"), testdata(t, "photo.jpg")
	for _, preset := range []url.Values{
		{"name": {"signedp"}, "tags": {"fromp"}, "folder": {"pf"}, "format": {"jpg"}, "eager": {"w_20"}},
		{"name": {"unsignedp"}, "unsigned": {"1"}, "tags": {"u"}, "folder": {"uf"}, "overwrite": {"1"}, "eager": {"w_30"}},
		{"name": {"noid"}, "disallow_public_id": {"1"}},
	} {
		mustStatus(t, "create "+preset.Get("name"), presetAdmin(ts, http.MethodPost, "/upload_presets", preset), 200)
	}
	uploadPath := "/v1_1/" + testCloud + "/image/upload"

	// Signed: the preset's settings apply...
	got := ts.upload("image", url.Values{"upload_preset": {"signedp"}, "public_id": {"one"}}, "a.png", png)
	if got["public_id"] != "pf/one" || got["format"] != "jpg" || !reflect.DeepEqual(got["tags"], []any{"fromp"}) ||
		len(got["eager"].([]any)) != 1 {
		t.Fatalf("preset settings: %v", got)
	}
	// ...under the request's own parameters.
	got = ts.upload("image", url.Values{"upload_preset": {"signedp"}, "public_id": {"two"}, "tags[]": {"mine", "too"},
		"folder": {"mf"}, "format": {"png"}}, "a.png", png)
	if got["public_id"] != "mf/two" || got["format"] != "png" || !reflect.DeepEqual(got["tags"], []any{"mine", "too"}) {
		t.Fatalf("request over preset: %v", got)
	}
	r := ts.postMultipart(uploadPath, sign(url.Values{"upload_preset": {"nope"}}), "a.png", png)
	if r.status != 400 || errMessage(r) != "Upload preset not found" {
		t.Fatalf("unknown preset: %d %s", r.status, r.body)
	}

	// Unsigned: no signature, only allowed parameters, preset settings, never an overwrite.
	r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"unsignedp"}, "public_id": {"x"}}, "a.png", png)
	mustStatus(t, "unsigned upload", r, 200)
	if r.json["public_id"] != "uf/x" || !reflect.DeepEqual(r.json["tags"], []any{"u"}) || len(r.json["eager"].([]any)) != 1 {
		t.Fatalf("unsigned upload: %s", r.body)
	}
	firstETag := r.json["etag"]
	r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"unsignedp"}, "public_id": {"x"}, "tags[]": {"t1", "t2"},
		"unsigned": {"true"}}, "b.jpg", jpg)
	mustStatus(t, "unsigned again", r, 200)
	if r.json["existing"] != true || r.json["etag"] != firstETag {
		t.Fatalf("unsigned upload overwrote: %s", r.body)
	}
	r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"unsignedp"}, "public_id": {"y"}, "tags[]": {"t1", "t2"}}, "b.jpg", jpg)
	if r.status != 200 || !reflect.DeepEqual(r.json["tags"], []any{"t1", "t2"}) {
		t.Fatalf("unsigned with allowed tags: %d %s", r.status, r.body)
	}
	allowed := "upload_preset,callback,public_id,folder,asset_folder,tags,context,metadata,face_coordinates," +
		"custom_coordinates,source,filename_override,manifest_transformation,manifest_json,template,template_vars,regions,public_id_prefix"
	for _, tc := range []struct{ param, word string }{{"transformation", "Transformation"}, {"overwrite", "Overwrite"}, {"eager[]", "Eager"}} {
		r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"unsignedp"}, tc.param: {"1"}}, "a.png", png)
		wantMsg := tc.word + " parameter is not allowed when using unsigned upload. Only " + allowed + " upload parameters are allowed."
		if r.status != 400 || errMessage(r) != wantMsg {
			t.Fatalf("unsigned with %s: %d %s", tc.param, r.status, r.body)
		}
	}
	r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"signedp"}}, "a.png", png)
	if r.status != 401 || !strings.Contains(errMessage(r), "unsigned") {
		t.Fatalf("unsigned with a signed preset: %d %s", r.status, r.body)
	}
	r = ts.postMultipart(uploadPath, url.Values{"upload_preset": {"nope"}}, "a.png", png)
	mustStatus(t, "unsigned with an unknown preset", r, 400)
	// A signed upload may use an unsigned preset with any parameter; it overwrites by default.
	got = ts.upload("image", url.Values{"upload_preset": {"unsignedp"}, "public_id": {"x"}, "transformation": {""}}, "b.jpg", jpg)
	if got["overwritten"] != true || got["etag"] == firstETag {
		t.Fatalf("signed upload with unsigned preset: %v", got)
	}
	// Only uploads may be unsigned.
	r = ts.postForm("/v1_1/"+testCloud+"/image/destroy", url.Values{"upload_preset": {"unsignedp"}, "public_id": {"uf/x"}},
		"application/x-www-form-urlencoded")
	mustStatus(t, "unsigned destroy", r, 401)

	// disallow_public_id.
	r = ts.postMultipart(uploadPath, sign(url.Values{"upload_preset": {"noid"}, "public_id": {"mine"}}), "a.png", png)
	mustStatus(t, "public_id with disallow_public_id", r, 400)
	got = ts.upload("image", url.Values{"upload_preset": {"noid"}}, "a.png", png)
	if id, _ := got["public_id"].(string); len(id) != 20 {
		t.Fatalf("generated id under disallow_public_id: %v", got)
	}
}
