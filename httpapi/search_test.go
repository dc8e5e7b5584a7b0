package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// searchPost sends a search as the SDKs do: POST with a JSON body.
func (ts *testServer) searchPost(path string, body map[string]any) response {
	ts.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/v1_1/"+testCloud+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.SetBasicAuth(testKey, testSecret)
	return ts.do(req)
}

// searchIDs runs a search and returns the public ids of its results, failing unless it is a 200.
func (ts *testServer) searchIDs(body map[string]any) ([]string, response) {
	ts.t.Helper()
	r := ts.searchPost("/resources/search", body)
	if r.status != http.StatusOK {
		ts.t.Fatalf("search %v: %d %s", body, r.status, r.body)
	}
	return resultIDs(r), r
}

func resultIDs(r response) []string {
	ids := []string{}
	for _, item := range r.json["resources"].([]any) {
		ids = append(ids, item.(map[string]any)["public_id"].(string))
	}
	return ids
}

// searchFixture uploads a small catalogue: two PNGs and a JPEG in folders, tagged and with
// context, and a raw file.
func searchFixture(ts *testServer) {
	png, jpg := testdata(ts.t, "alpha.png"), testdata(ts.t, "photo.jpg")
	ts.upload("image", url.Values{"public_id": {"shop/red_shirt"}, "tags": {"red,summer sale"}, "context": {"alt=Red shirt|season=summer"}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"shop/blue_shirt"}, "tags": {"blue"}, "context": {"alt=Blue shirt"}}, "b.png", png)
	ts.upload("image", url.Values{"public_id": {"home/lamp"}, "tags": {"red"}}, "lamp.jpg", jpg)
	ts.upload("raw", url.Values{"public_id": {"docs/notes.txt"}}, "notes.txt", testdata(ts.t, "note.txt"))
}

func TestSearchExpressions(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	searchFixture(ts)
	all := []string{"docs/notes.txt", "home/lamp", "shop/blue_shirt", "shop/red_shirt"}
	tests := []struct {
		expr string
		want []string
	}{
		{"", all},
		{"tags:red", []string{"home/lamp", "shop/red_shirt"}},
		{"tag=blue", []string{"shop/blue_shirt"}},
		{`tags:"summer sale"`, []string{"shop/red_shirt"}},
		{"tags:summ*", []string{"shop/red_shirt"}},
		{"tags:red AND format:png", []string{"shop/red_shirt"}},
		{"tags:red format:jpg", []string{"home/lamp"}},
		{"tags:blue OR format:jpg", []string{"home/lamp", "shop/blue_shirt"}},
		{"(tags:blue OR tags:red) AND NOT format:jpg", []string{"shop/blue_shirt", "shop/red_shirt"}},
		{"resource_type:image -tags:red", []string{"shop/blue_shirt"}},
		{"resource_type:raw", []string{"docs/notes.txt"}},
		{"type:upload AND resource_type=raw", []string{"docs/notes.txt"}},
		{"public_id:shop/*", []string{"shop/blue_shirt", "shop/red_shirt"}},
		{"public_id=home/lamp", []string{"home/lamp"}},
		{"folder:shop", []string{"shop/blue_shirt", "shop/red_shirt"}},
		{"filename:lamp", []string{"home/lamp"}},
		{"filename:notes*", []string{"docs/notes.txt"}},
		{"display_name:lamp", []string{"home/lamp"}},
		{"context.alt:\"Blue shirt\"", []string{"shop/blue_shirt"}},
		{"context.season:summer", []string{"shop/red_shirt"}},
		{"context:season", []string{"shop/red_shirt"}},
		{"width>300", []string{"home/lamp"}}, // the photo is 427x640 upright; alpha.png is 200x150
		{"width<=200 AND height:[1 TO 150]", []string{"shop/blue_shirt", "shop/red_shirt"}},
		{"bytes>90k", []string{"home/lamp"}}, // 100676 against 85442 bytes,
		{"pixels>=30000 resource_type:image", []string{"home/lamp", "shop/blue_shirt", "shop/red_shirt"}},
		{`aspect_ratio:"4:3"`, []string{"shop/blue_shirt", "shop/red_shirt"}},
		{"aspect_ratio:{0 TO 1}", []string{"home/lamp"}}, // the raw file has no dimensions: 0,
		{"created_at>1h", all},
		{"uploaded_at<1d", []string{}},
		{"created_at:[2w TO *]", all},
		{"shirt", []string{"shop/blue_shirt", "shop/red_shirt"}},
		{`"blue"`, []string{"shop/blue_shirt"}},
		{"summer", []string{"shop/red_shirt"}}, // a tag ("summer sale") and a context value
		{"*", all},
	}
	for _, tt := range tests {
		got, r := ts.searchIDs(map[string]any{"expression": tt.expr, "sort_by": []map[string]string{{"public_id": "asc"}}})
		if !reflect.DeepEqual(got, tt.want) || r.json["total_count"] != float64(len(tt.want)) {
			t.Errorf("%q: %v (total_count %v), want %v", tt.expr, got, r.json["total_count"], tt.want)
		}
	}
}

func TestSearchGETAndBothPaths(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	searchFixture(ts)
	want := []string{"shop/red_shirt", "shop/blue_shirt"}
	for _, path := range []string{"/resources/search", "/search"} {
		q := url.Values{"expression": {"resource_type:image AND format:png"}, "sort_by": {"public_id:desc"}}
		r := ts.admin(http.MethodGet, path+"?"+q.Encode())
		if r.status != http.StatusOK || !reflect.DeepEqual(resultIDs(r), want) {
			t.Errorf("GET %s: %d %v %s", path, r.status, resultIDs(r), r.body)
		}
		// Lists as JSON in a query value, or repeated.
		q = url.Values{"expression": {"format:png"}, "sort_by": {`[{"public_id":"desc"}]`}, "with_field": {"tags", "context"}}
		r = ts.admin(http.MethodGet, path+"?"+q.Encode())
		if r.status != http.StatusOK || !reflect.DeepEqual(resultIDs(r), want) {
			t.Errorf("GET %s (JSON sort_by): %d %s", path, r.status, r.body)
		}
		if first := r.json["resources"].([]any)[0].(map[string]any); first["tags"] == nil || first["context"] == nil {
			t.Errorf("GET %s: with_field repeated: %v", path, first)
		}
		r = ts.admin(http.MethodGet, path+"?max_results=0&aggregate=format&aggregate=type")
		agg, _ := r.json["aggregations"].(map[string]any)
		if r.status != http.StatusOK || r.json["total_count"] != 4.0 || len(r.json["resources"].([]any)) != 0 ||
			!reflect.DeepEqual(agg["type"], map[string]any{"upload": 4.0}) {
			t.Errorf("GET %s counts only: %d %s", path, r.status, r.body)
		}
		got, _ := ts.searchIDs(map[string]any{"expression": "format:png", "sort_by": []map[string]string{{"public_id": "desc"}}})
		if r := ts.searchPost(path, map[string]any{"expression": "format:png", "sort_by": []map[string]string{{"public_id": "desc"}}}); !reflect.DeepEqual(resultIDs(r), got) {
			t.Errorf("POST %s: %v", path, resultIDs(r))
		}
	}
	if r := ts.get("/v1_1/"+testCloud+"/resources/search", nil); r.status != http.StatusUnauthorized {
		t.Errorf("search without credentials: %d", r.status)
	}
}

func TestSearchResultFields(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	searchFixture(ts)
	_, r := ts.searchIDs(map[string]any{"expression": "public_id=shop/red_shirt"})
	item := r.json["resources"].([]any)[0].(map[string]any)
	for field, want := range map[string]any{
		"public_id": "shop/red_shirt", "folder": "shop", "filename": "red_shirt", "format": "png",
		"resource_type": "image", "type": "upload", "status": "active", "access_mode": "public",
		"backup_bytes": 0.0, "aspect_ratio": 1.33333, "pixels": 30000.0, "width": 200.0, "height": 150.0,
		"access_control": nil,
	} {
		if got, ok := item[field]; !ok || got != want {
			t.Errorf("%s = %#v (present %v), want %#v", field, got, ok, want)
		}
	}
	for _, field := range []string{"asset_id", "display_name", "version", "created_at", "uploaded_at", "bytes", "url", "secure_url", "etag"} {
		if _, ok := item[field]; !ok {
			t.Errorf("no %s in %v", field, item)
		}
	}
	if created := item["created_at"].(string); !strings.HasSuffix(created, "+00:00") {
		t.Errorf("created_at %s", created)
	}
	for _, field := range []string{"tags", "context", "image_metadata"} {
		if _, ok := item[field]; ok {
			t.Errorf("%s present without with_field", field)
		}
	}

	_, r = ts.searchIDs(map[string]any{"expression": "public_id=shop/red_shirt", "with_field": []string{"tags", "context"}})
	item = r.json["resources"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(item["tags"], []any{"red", "summer sale"}) ||
		!reflect.DeepEqual(item["context"], map[string]any{"alt": "Red shirt", "season": "summer"}) {
		t.Errorf("with_field tags, context: %v %v", item["tags"], item["context"])
	}

	_, r = ts.searchIDs(map[string]any{"expression": "public_id=home/lamp", "with_field": []string{"image_metadata"}})
	item = r.json["resources"].([]any)[0].(map[string]any)
	if meta, _ := item["image_metadata"].(map[string]any); meta["Make"] == nil {
		t.Errorf("with_field image_metadata: %v", item["image_metadata"])
	}

	_, r = ts.searchIDs(map[string]any{"expression": "public_id=shop/red_shirt", "fields": "format,tags", "with_field": []string{"context"}})
	item = r.json["resources"].([]any)[0].(map[string]any)
	var keys []string
	for k := range item {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"asset_folder", "asset_id", "created_at", "format", "public_id", "resource_type", "status", "tags", "type"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("fields format,tags: %v, want %v", keys, want)
	}
}

func TestSearchCountsAndAggregations(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	searchFixture(ts)
	_, r := ts.searchIDs(map[string]any{"expression": "tags:red OR tags:blue", "max_results": 0, "aggregate": []string{"format", "resource_type", "type"}})
	if r.json["total_count"] != 3.0 || len(r.json["resources"].([]any)) != 0 || r.json["next_cursor"] != nil {
		t.Errorf("max_results 0: %s", r.body)
	}
	want := map[string]any{"format": map[string]any{"png": 2.0, "jpg": 1.0}, "resource_type": map[string]any{"image": 3.0}, "type": map[string]any{"upload": 3.0}}
	if !reflect.DeepEqual(r.json["aggregations"], want) {
		t.Errorf("aggregations %v, want %v", r.json["aggregations"], want)
	}
	// Aggregations count every match, not the page.
	_, r = ts.searchIDs(map[string]any{"max_results": 1, "aggregate": "format"})
	if agg := r.json["aggregations"].(map[string]any)["format"]; !reflect.DeepEqual(agg, map[string]any{"png": 2.0, "jpg": 1.0, "txt": 1.0}) {
		t.Errorf("aggregate over all matches: %v", agg)
	}
	if _, ok := r.json["time"].(float64); !ok {
		t.Errorf("no time: %s", r.body)
	}
}

// Pages follow the sort, resume where they stopped whatever is inserted or deleted between
// them, and end without a next_cursor.
func TestSearchPagination(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	seedRaw(t, ts, "page/", 0, 7, []string{"paged"})
	for _, order := range []string{"asc", "desc"} {
		body := map[string]any{"expression": "tags:paged", "max_results": 3, "sort_by": []map[string]string{{"public_id": order}}}
		var seen []string
		for pages := 0; ; pages++ {
			got, r := ts.searchIDs(body)
			seen = append(seen, got...)
			if r.json["total_count"].(float64) < 7 {
				t.Fatalf("total_count %v", r.json["total_count"])
			}
			next, _ := r.json["next_cursor"].(string)
			if next == "" {
				break
			}
			if pages == 0 { // a new asset before the cursor, one after it; delete one not yet seen
				seedRaw(t, ts, "page/", 100, 1, []string{"paged"})
				r := ts.admin(http.MethodDelete, "/resources/raw/upload?public_ids[]=page/0003.txt")
				if r.status != http.StatusOK {
					t.Fatalf("delete: %d %s", r.status, r.body)
				}
			}
			body["next_cursor"] = next
		}
		// asc: the insert (0100) sorts after the cursor and is reached; desc: it sorts before the
		// cursor and is not. The deleted 0003 had not been reached either way.
		want := []string{"page/0000.txt", "page/0001.txt", "page/0002.txt", "page/0004.txt", "page/0005.txt", "page/0006.txt", "page/0100.txt"}
		if order == "desc" {
			want = []string{"page/0006.txt", "page/0005.txt", "page/0004.txt", "page/0002.txt", "page/0001.txt", "page/0000.txt"}
		}
		if !reflect.DeepEqual(seen, want) {
			t.Errorf("%s: pages %v, want %v", order, seen, want)
		}
		// Put the deleted one back and drop the extra for the next order.
		seedRaw(t, ts, "page/", 3, 1, []string{"paged"})
		ts.admin(http.MethodDelete, "/resources/raw/upload?public_ids[]=page/0100.txt")
	}
}

func TestSearchBadRequests(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	seedRaw(t, ts, "bad/", 0, 2, nil)
	tests := []struct {
		body map[string]any
		msg  string
	}{
		{map[string]any{"expression": "tags:red AND"}, "expected a search term at position 13"},
		{map[string]any{"expression": "colour:red"}, `unknown field "colour" at position 1`},
		{map[string]any{"expression": "created_at>3m"}, "at position 12"},
		{map[string]any{"sort_by": []map[string]string{{"tags": "asc"}}}, "Invalid sort_by"},
		{map[string]any{"sort_by": []map[string]string{{"public_id": "up"}}}, "Invalid sort_by"},
		{map[string]any{"sort_by": []map[string]string{{"public_id": "asc", "bytes": "desc"}}}, "Invalid sort_by"},
		{map[string]any{"aggregate": []string{"pixels"}}, "Invalid aggregate - pixels"},
		{map[string]any{"with_field": []string{"quality_analysis"}}, "Invalid with_field - quality_analysis"},
		{map[string]any{"max_results": -1}, "Invalid max_results"},
		{map[string]any{"next_cursor": "not a cursor"}, "Invalid next_cursor"},
	}
	for _, tt := range tests {
		r := ts.searchPost("/resources/search", tt.body)
		if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), tt.msg) {
			t.Errorf("%v: %d %s, want 400 with %q", tt.body, r.status, r.body, tt.msg)
		}
	}
	// A cursor of one sort does not resume another.
	_, r := ts.searchIDs(map[string]any{"max_results": 1, "sort_by": []map[string]string{{"public_id": "asc"}}})
	r = ts.searchPost("/resources/search", map[string]any{"max_results": 1, "next_cursor": r.json["next_cursor"]})
	if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "Invalid next_cursor") {
		t.Errorf("cursor of another sort: %d %s", r.status, r.body)
	}
}
