package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"cloudlet/store"
)

// adminCall sends an Admin API call with a body: url-encoded (as the Node SDK sends DELETE
// parameters) or JSON (as cloudinary-go and pycloudinary do) when contentType says so.
func (ts *testServer) adminCall(method, path, contentType, body string) response {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.srv.URL+"/v1_1/"+testCloud+path, bytes.NewBufferString(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.SetBasicAuth(testKey, testSecret)
	return ts.do(req)
}

const (
	formBody = "application/x-www-form-urlencoded"
	jsonBody = "application/json; charset=utf-8"
)

// seedAsset stores a small raw asset straight through the store, with derived files for each
// "transformation.format" in derived, and returns the asset and its files.
func seedAsset(t *testing.T, ts *testServer, publicID string, tags []string, derived ...string) (store.Asset, []string) {
	t.Helper()
	ctx := context.Background()
	cloud, err := ts.store.CloudByName(ctx, testCloud)
	if err != nil {
		t.Fatal(err)
	}
	temp := func(body string) string {
		f, err := ts.store.CreateTemp()
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(body)
		f.Close()
		return f.Name()
	}
	a := store.Asset{AssetKey: store.AssetKey{CloudID: cloud.ID, ResourceType: "raw", Type: "upload", PublicID: publicID},
		Format: "txt", Bytes: 1, ETag: "e", Tags: tags}
	src := temp("x")
	a, _, err = ts.store.SaveAsset(ctx, a, src, true)
	if err != nil {
		os.Remove(src)
		t.Fatal(err)
	}
	files := []string{ts.store.BlobPath(a.Blob)}
	for _, spec := range derived {
		i := strings.LastIndexByte(spec, '.')
		d, err := ts.store.SaveDerived(a, store.Derived{Transformation: spec[:i], Format: spec[i+1:], ETag: "d"}, []byte("dd"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, ts.store.BlobPath(d.Blob))
	}
	return a, files
}

func expectStatus(t *testing.T, what string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %d, want %d: %s", what, r.status, status, r.body)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestBulkDeleteForms(t *testing.T) {
	type counts struct{ Original, Derived int }
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        func(assets map[string]store.Asset) string
		deleted     map[string]string // the answer's "deleted"
		counts      map[string]counts // the answer's "deleted_counts"
		gone        []string          // files gone: "a" = all of a's, "a.c_fill,w_100.jpg" one derived
	}{
		{name: "public_ids[] in a form body (node)", method: http.MethodDelete, path: "/resources/raw/upload", contentType: formBody,
			body:    func(map[string]store.Asset) string { return "public_ids[]=a&public_ids[]=missing" },
			deleted: map[string]string{"a": "deleted", "missing": "not_found"},
			counts:  map[string]counts{"a": {1, 3}, "missing": {0, 0}}, gone: []string{"a"}},
		{name: "public_ids comma-joined in JSON (go)", method: http.MethodDelete, path: "/resources/raw/upload", contentType: jsonBody,
			body:    func(map[string]store.Asset) string { return `{"public_ids":"a,b"}` },
			deleted: map[string]string{"a": "deleted", "b": "deleted"},
			counts:  map[string]counts{"a": {1, 3}, "b": {1, 1}}, gone: []string{"a", "b"}},
		{name: "public_ids JSON array (python)", method: http.MethodDelete, path: "/resources/raw/upload", contentType: jsonBody,
			body:    func(map[string]store.Asset) string { return `{"public_ids":["b"]}` },
			deleted: map[string]string{"b": "deleted"}, counts: map[string]counts{"b": {1, 1}}, gone: []string{"b"}},
		{name: "prefix", method: http.MethodDelete, path: "/resources/raw/upload", contentType: formBody,
			body:    func(map[string]store.Asset) string { return "prefix=folder%2F" },
			deleted: map[string]string{"folder/c": "deleted"}, counts: map[string]counts{"folder/c": {1, 0}}, gone: []string{"folder/c"}},
		{name: "all", method: http.MethodDelete, path: "/resources/raw/upload", contentType: jsonBody,
			body:    func(map[string]store.Asset) string { return `{"all":true}` },
			deleted: map[string]string{"a": "deleted", "b": "deleted", "folder/c": "deleted"},
			counts:  map[string]counts{"a": {1, 3}, "b": {1, 1}, "folder/c": {1, 0}}, gone: []string{"a", "b", "folder/c"}},
		{name: "all of another type", method: http.MethodDelete, path: "/resources/raw/private?all=true",
			deleted: map[string]string{}, counts: map[string]counts{}},
		{name: "asset_ids", method: http.MethodDelete, path: "/resources", contentType: formBody,
			body: func(as map[string]store.Asset) string {
				return "asset_ids[]=" + as["b"].AssetID + "&asset_ids[]=00000000000000000000000000000000"
			},
			deleted: map[string]string{"<b>": "deleted", "00000000000000000000000000000000": "not_found"},
			counts:  map[string]counts{"<b>": {1, 1}, "00000000000000000000000000000000": {0, 0}}, gone: []string{"b"}},
		{name: "tag", method: http.MethodDelete, path: "/resources/raw/tags/red",
			deleted: map[string]string{"a": "deleted", "folder/c": "deleted"},
			counts:  map[string]counts{"a": {1, 3}, "folder/c": {1, 0}}, gone: []string{"a", "folder/c"}},
		{name: "keep_original", method: http.MethodDelete, path: "/resources/raw/upload", contentType: formBody,
			body:    func(map[string]store.Asset) string { return "public_ids[]=a&keep_original=true" },
			deleted: map[string]string{"a": "deleted"}, counts: map[string]counts{"a": {0, 3}},
			gone: []string{"a.c_fill,w_100.jpg", "a.c_fill,w_100.png", "a.e_sepia.jpg"}},
		{name: "transformations (delete_derived_by_transformation)", method: http.MethodDelete, path: "/resources/raw/upload", contentType: formBody,
			body: func(map[string]store.Asset) string {
				return "public_ids[]=a&public_ids[]=b&keep_original=true&transformations=" + url.QueryEscape("w_100,c_fill/png|e_sepia")
			},
			deleted: map[string]string{"a": "deleted", "b": "deleted"}, counts: map[string]counts{"a": {0, 2}, "b": {0, 1}},
			gone: []string{"a.c_fill,w_100.png", "a.e_sepia.jpg", "b.e_sepia.jpg"}},
		{name: "transformations by tag implies keep_original", method: http.MethodDelete, path: "/resources/raw/tags/red?transformations=c_fill,w_100",
			deleted: map[string]string{"a": "deleted", "folder/c": "deleted"}, counts: map[string]counts{"a": {0, 2}, "folder/c": {0, 0}},
			gone: []string{"a.c_fill,w_100.jpg", "a.c_fill,w_100.png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, defaultTestConfig())
			assets := map[string]store.Asset{}
			files := map[string][]string{}
			for _, seed := range []struct {
				id      string
				tags    []string
				derived []string
			}{
				{"a", []string{"red"}, []string{"c_fill,w_100.jpg", "c_fill,w_100.png", "e_sepia.jpg"}},
				{"b", nil, []string{"e_sepia.jpg"}},
				{"folder/c", []string{"red"}, nil},
			} {
				a, fs := seedAsset(t, ts, seed.id, seed.tags, seed.derived...)
				assets[seed.id], files[seed.id] = a, fs
				for i, spec := range seed.derived {
					files[seed.id+"."+spec] = fs[i+1 : i+2]
				}
			}
			body := ""
			if tt.body != nil {
				body = tt.body(assets)
			}
			r := ts.adminCall(tt.method, tt.path, tt.contentType, body)
			expectStatus(t, "delete", r, http.StatusOK)
			wantDeleted := map[string]any{}
			wantCounts := map[string]any{}
			for k, v := range tt.deleted {
				wantDeleted[strings.Replace(k, "<b>", assets["b"].AssetID, 1)] = v
			}
			for k, v := range tt.counts {
				wantCounts[strings.Replace(k, "<b>", assets["b"].AssetID, 1)] = map[string]any{"original": float64(v.Original), "derived": float64(v.Derived)}
			}
			if !reflect.DeepEqual(r.json["deleted"], wantDeleted) || !reflect.DeepEqual(r.json["deleted_counts"], wantCounts) {
				t.Fatalf("answer %s\nwant deleted %v counts %v", r.body, wantDeleted, wantCounts)
			}
			if r.json["partial"] != false || r.json["next_cursor"] != nil {
				t.Fatalf("partial/next_cursor: %s", r.body)
			}
			gone := map[string]bool{}
			for _, g := range tt.gone {
				for _, f := range files[g] {
					gone[f] = true
				}
			}
			for _, fs := range []string{"a", "b", "folder/c"} {
				for _, f := range files[fs] {
					if fileExists(f) == gone[f] {
						t.Errorf("file %s: exists %v, want gone %v", strings.TrimPrefix(f, ts.store.Dir()), !gone[f], gone[f])
					}
				}
			}
		})
	}
}

func TestBulkDeleteRefusals(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	seedAsset(t, ts, "a", nil)
	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf("public_ids[]=id%d", i))
	}
	for _, tt := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"no selector", http.MethodDelete, "/resources/raw/upload", "", 400},
		{"two selectors", http.MethodDelete, "/resources/raw/upload", "prefix=a&all=true", 400},
		{"too many ids", http.MethodDelete, "/resources/raw/upload", strings.Join(many, "&"), 400},
		{"bad resource type", http.MethodDelete, "/resources/pdf/upload", "all=true", 400},
		{"bad transformation", http.MethodDelete, "/resources/raw/upload", "all=true&transformations=w_abc", 400},
		{"no asset ids", http.MethodDelete, "/resources", "", 400},
		{"no derived ids", http.MethodDelete, "/derived_resources", "", 400},
		{"bad cursor", http.MethodDelete, "/resources/raw/upload", "all=true&next_cursor=not-a-cursor", 400},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.adminCall(tt.method, tt.path, formBody, tt.body)
			expectStatus(t, tt.name, r, tt.status)
			if errMessage(r) == "" {
				t.Fatalf("no error message: %s", r.body)
			}
		})
	}
	if r := ts.admin(http.MethodGet, "/resources/raw/upload/a"); r.status != 200 {
		t.Fatalf("a refused delete deleted something: %d", r.status)
	}
}

func TestBulkDeleteInCallsOfAThousand(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	const n = 1050
	for i := range n {
		seedAsset(t, ts, fmt.Sprintf("many/%04d", i), nil)
	}
	_, keep := seedAsset(t, ts, "zz-keep", nil)
	var deleted []string
	cursor := ""
	for call := 1; ; call++ {
		body := "prefix=many%2F"
		if cursor != "" {
			body += "&next_cursor=" + url.QueryEscape(cursor)
		}
		r := ts.adminCall(http.MethodDelete, "/resources/raw/upload", formBody, body)
		expectStatus(t, "delete", r, http.StatusOK)
		got := r.json["deleted"].(map[string]any)
		for id, v := range got {
			if v != "deleted" {
				t.Fatalf("%s: %v", id, v)
			}
			deleted = append(deleted, id)
		}
		partial := r.json["partial"].(bool)
		cursor, _ = r.json["next_cursor"].(string)
		if call == 1 && (len(got) != 1000 || !partial || cursor == "") {
			t.Fatalf("first call: %d deleted, partial %v, cursor %q", len(got), partial, cursor)
		}
		if !partial {
			if call != 2 || cursor != "" {
				t.Fatalf("finished after %d calls with cursor %q", call, cursor)
			}
			break
		}
	}
	if len(deleted) != n {
		t.Fatalf("deleted %d, want %d", len(deleted), n)
	}
	if blobs, _ := ts.storedFiles(); blobs != 1 || !fileExists(keep[0]) {
		t.Fatalf("%d files left, want only zz-keep's", blobs)
	}
}

func TestDeleteDerivedResources(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	a, files := seedAsset(t, ts, "a", nil, "w_1.jpg", "w_2.jpg")
	derived, err := ts.store.DerivedOf(context.Background(), a)
	if err != nil || len(derived) != 2 {
		t.Fatalf("derived: %v %v", derived, err)
	}
	byFile := map[string]string{}
	for _, d := range derived {
		byFile[d.ID] = ts.store.BlobPath(d.Blob)
	}
	// npm sends derived_resource_ids[] in a form body; go a comma-joined string in JSON.
	first := ts.adminCall(http.MethodDelete, "/derived_resources", formBody,
		"derived_resource_ids[]="+derived[0].ID+"&derived_resource_ids[]=ffff")
	expectStatus(t, "delete derived", first, http.StatusOK)
	want := map[string]any{"deleted": map[string]any{derived[0].ID: "deleted", "ffff": "not_found"}}
	if !reflect.DeepEqual(first.json, want) {
		t.Fatalf("answer %s", first.body)
	}
	if fileExists(byFile[derived[0].ID]) || !fileExists(byFile[derived[1].ID]) || !fileExists(files[0]) {
		t.Fatal("wrong files removed")
	}
	second := ts.adminCall(http.MethodDelete, "/derived_resources", jsonBody,
		`{"derived_resource_ids":"`+derived[0].ID+","+derived[1].ID+`"}`)
	want = map[string]any{"deleted": map[string]any{derived[0].ID: "not_found", derived[1].ID: "deleted"}}
	if !reflect.DeepEqual(second.json, want) {
		t.Fatalf("answer %s", second.body)
	}
	if fileExists(byFile[derived[1].ID]) || !fileExists(files[0]) {
		t.Fatal("derived file left, or the original removed")
	}
	if d := ts.admin(http.MethodGet, "/resources/raw/upload/a").json["derived"].([]any); len(d) != 0 {
		t.Fatalf("details still list derived: %v", d)
	}
}
