package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"cloudlet/store"
	"cloudlet/transform"
)

// derivedFiles maps each derived file of the image asset to its path, by canonical
// transformation and format.
func derivedFiles(t *testing.T, ts *testServer, publicID string) map[string]string {
	t.Helper()
	ctx := context.Background()
	cloud, _ := ts.store.CloudByName(ctx, testCloud)
	a, err := ts.store.Asset(ctx, store.AssetKey{CloudID: cloud.ID, ResourceType: "image", Type: "upload", PublicID: publicID})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ts.store.DerivedOf(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range ds {
		out[d.Transformation+"."+d.Format] = ts.store.BlobPath(d.Blob)
	}
	return out
}

// listNames walks GET /transformations with query and returns every item as
// "name used named allowed" words.
func listNames(t *testing.T, ts *testServer, query string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for range 50 {
		q := query
		if cursor != "" {
			q += "&next_cursor=" + url.QueryEscape(cursor)
		}
		r := ts.admin(http.MethodGet, "/transformations?"+q)
		expectStatus(t, "list "+q, r, http.StatusOK)
		for _, it := range r.json["transformations"].([]any) {
			m := it.(map[string]any)
			word := func(k string) string {
				if m[k].(bool) {
					return k
				}
				return "-"
			}
			out = append(out, strings.Join([]string{m["name"].(string), word("used"), word("named"), word("allowed_for_strict")}, " "))
		}
		if cursor, _ = r.json["next_cursor"].(string); cursor == "" {
			return out
		}
	}
	t.Fatal("listing does not end")
	return nil
}

func TestTransformationsAPI(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	ts.upload("image", url.Values{"public_id": {"pic2"}}, "p.png", testdata(t, "alpha.png"))

	// Create: node sends name and transformation in a form body; the schema's path form with JSON.
	expectStatus(t, "create thumb", ts.adminCall(http.MethodPost, "/transformations", formBody,
		"name=thumb&transformation="+url.QueryEscape("w_50,h_50,c_fill")), 200)
	r := ts.adminCall(http.MethodPost, "/transformations/sepia", jsonBody, `{"transformation":"e_sepia","allowed_for_strict":false}`)
	expectStatus(t, "create sepia", r, 200)
	if r.json["message"] != "created" {
		t.Fatalf("create: %s", r.body)
	}
	for _, tt := range []struct {
		name, path, body string
		status           int
	}{
		{"existing name", "/transformations", "name=thumb&transformation=w_10", http.StatusConflict},
		{"bad definition", "/transformations", "name=bad&transformation=w_abc", http.StatusBadRequest},
		{"unknown named inside", "/transformations", "name=bad&transformation=t_nope", http.StatusBadRequest},
		{"cycle through itself", "/transformations", "name=loop&transformation=t_loop", http.StatusBadRequest},
		{"bad name", "/transformations", "name=a+b&transformation=w_10", http.StatusBadRequest},
		{"name that is a transformation", "/transformations", "name=w_100&transformation=w_10", http.StatusBadRequest},
		{"no definition", "/transformations/empty", "", http.StatusBadRequest},
	} {
		r := ts.adminCall(http.MethodPost, tt.path, formBody, tt.body)
		expectStatus(t, tt.name, r, tt.status)
		if errMessage(r) == "" {
			t.Fatalf("%s: no error message: %s", tt.name, r.body)
		}
	}

	for _, p := range []string{"/demo/image/upload/t_thumb/pic.jpg", "/demo/image/upload/c_scale,w_30/pic.jpg",
		"/demo/image/upload/w_30,c_scale/pic2.png", "/demo/image/upload/w_30,c_scale/pic2.webp"} {
		if r := ts.get(p, nil); r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.header.Get("X-Cld-Error"))
		}
	}

	// The listing: named ones, and the transformations derived files were made with as they
	// were asked for, each once (t_thumb's file, keyed by what it expands to, is t_thumb's use),
	// in name order, in pages.
	all := []string{
		"c_scale,w_30 used - -",
		"t_sepia - named -",
		"t_thumb used named allowed_for_strict",
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", all},
		{"max_results=1", all},
		{"max_results=3", all},
		{"named=true", all[1:]},
		{"named=false&max_results=1", all[:1]},
	} {
		if got := listNames(t, ts, tt.query); !reflect.DeepEqual(got, tt.want) {
			t.Fatalf("list %q:\n got %q\nwant %q", tt.query, got, tt.want)
		}
	}

	// Details of a named one, by path or parameter, with or without t_.
	for _, p := range []string{"/transformations/t_thumb", "/transformations/thumb", "/transformations?transformation=thumb", "/transformations?transformation=t_thumb"} {
		r := ts.admin(http.MethodGet, p)
		expectStatus(t, p, r, 200)
		if r.json["name"] != "t_thumb" || r.json["named"] != true || r.json["used"] != true || r.json["allowed_for_strict"] != true {
			t.Fatalf("%s: %s", p, r.body)
		}
		if info := r.json["info"]; !reflect.DeepEqual(info, []any{map[string]any{"crop": "fill", "height": float64(50), "width": float64(50)}}) {
			t.Fatalf("%s: info %v", p, info)
		}
		derived := r.json["derived"].([]any)
		if len(derived) != 1 {
			t.Fatalf("%s: derived %s", p, r.body)
		}
		d := derived[0].(map[string]any)
		if d["public_id"] != "pic" || d["resource_type"] != "image" || d["type"] != "upload" || d["format"] != "jpg" || d["id"] == "" {
			t.Fatalf("%s: derived item %v", p, d)
		}
		got := ts.get(strings.TrimPrefix(d["url"].(string), ts.srv.URL), nil)
		if info := probeBody(t, got); info.Width != 50 || info.Height != 50 || int64(len(got.body)) != int64(d["bytes"].(float64)) {
			t.Fatalf("%s: derived url %v: %+v", p, d["url"], info)
		}
	}

	// Details of an unnamed one: any spelling of it, derived in pages.
	var ids []string
	cursor := ""
	for page := 0; ; page++ {
		q := "/transformations?transformation=" + url.QueryEscape("w_30,c_scale") + "&max_results=2"
		if cursor != "" {
			q += "&next_cursor=" + url.QueryEscape(cursor)
		}
		r := ts.admin(http.MethodGet, q)
		expectStatus(t, "unnamed details", r, 200)
		if r.json["name"] != "c_scale,w_30" || r.json["named"] != false || r.json["used"] != true {
			t.Fatalf("unnamed details: %s", r.body)
		}
		if info := r.json["info"]; !reflect.DeepEqual(info, []any{map[string]any{"crop": "scale", "width": float64(30)}}) {
			t.Fatalf("unnamed info %v", info)
		}
		for _, d := range r.json["derived"].([]any) {
			m := d.(map[string]any)
			ids = append(ids, m["public_id"].(string)+"."+m["format"].(string))
		}
		if cursor, _ = r.json["next_cursor"].(string); cursor == "" {
			break
		}
		if page > 3 {
			t.Fatal("derived pages do not end")
		}
	}
	if len(ids) != 3 {
		t.Fatalf("derived of c_scale,w_30: %v", ids)
	}
	if r := ts.admin(http.MethodGet, "/transformations/"+url.PathEscape("c_scale,w_30")); r.status != 200 || len(r.json["derived"].([]any)) != 3 {
		t.Fatalf("path form: %d %s", r.status, r.body)
	}
	// What a named transformation expands to is not listed, but can be looked up while files
	// made with it exist.
	if r := ts.admin(http.MethodGet, "/transformations/"+url.PathEscape("c_fill,h_50,w_50")); r.status != 200 ||
		r.json["used"] != true || r.json["named"] != false || len(r.json["derived"].([]any)) != 1 {
		t.Fatalf("expanded t_thumb: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/transformations/nope", "/transformations/w_999", "/transformations?transformation=" + url.QueryEscape("w_abc")} {
		expectStatus(t, p, ts.admin(http.MethodGet, p), http.StatusNotFound)
	}

	// Update: allowed_for_strict on a named and on an unnamed (even unused) transformation.
	expectStatus(t, "allow unnamed", ts.adminCall(http.MethodPut, "/transformations", formBody, "transformation=w_77&allowed_for_strict=true"), 200)
	expectStatus(t, "allow sepia", ts.adminCall(http.MethodPut, "/transformations/sepia", jsonBody, `{"allowed_for_strict":true}`), 200)
	want := []string{all[0], "t_sepia - named allowed_for_strict", all[2], "w_77 - - allowed_for_strict"}
	if got := listNames(t, ts, "max_results=2"); !reflect.DeepEqual(got, want) {
		t.Fatalf("after updates:\n got %q\nwant %q", got, want)
	}
	cloud, _ := ts.store.CloudByName(context.Background(), testCloud)
	for _, tt := range []struct {
		chain string
		want  bool
	}{{"w_77", true}, {"c_scale,w_30", false}, {"t_sepia", false}, {"", false}} {
		chain, _ := transform.Parse(tt.chain)
		if got := ts.api.unnamedAllowedForStrict(context.Background(), cloud, chain); got != tt.want {
			t.Errorf("unnamedAllowedForStrict(%q) = %v", tt.chain, got)
		}
	}
	expectStatus(t, "unsafe_update unnamed", ts.adminCall(http.MethodPut, "/transformations", formBody, "transformation=w_77&unsafe_update=w_78"), 400)
	expectStatus(t, "unsafe_update bad", ts.adminCall(http.MethodPut, "/transformations/thumb", formBody, "unsafe_update=w_abc"), 400)
	expectStatus(t, "update unknown", ts.adminCall(http.MethodPut, "/transformations/nope", formBody, "allowed_for_strict=true"), 404)

	// unsafe_update: a new definition for files made from now on; the old files stay.
	before := derivedFiles(t, ts, "pic")
	r = ts.adminCall(http.MethodPut, "/transformations", formBody, "transformation=thumb&unsafe_update="+url.QueryEscape("c_fill,w_60,h_60"))
	expectStatus(t, "unsafe_update", r, 200)
	if r.json["message"] != "updated" {
		t.Fatalf("update: %s", r.body)
	}
	if info := probeBody(t, ts.get("/demo/image/upload/t_thumb/pic.jpg", nil)); info.Width != 60 {
		t.Fatalf("t_thumb after unsafe_update: %+v", info)
	}
	after := derivedFiles(t, ts, "pic")
	if !fileExists(before["c_fill,h_50,w_50.jpg"]) || after["c_fill,h_60,w_60.jpg"] == "" {
		t.Fatalf("derived after unsafe_update: %v", after)
	}

	// Delete an unnamed one: every derived file made with it goes.
	pic2 := derivedFiles(t, ts, "pic2")
	r = ts.adminCall(http.MethodDelete, "/transformations?transformation="+url.QueryEscape("c_scale,w_30"), "", "")
	expectStatus(t, "delete unnamed", r, 200)
	if r.json["message"] != "deleted" {
		t.Fatalf("delete: %s", r.body)
	}
	for _, f := range []string{after["c_scale,w_30.jpg"], pic2["c_scale,w_30.png"], pic2["c_scale,w_30.webp"]} {
		if f == "" || fileExists(f) {
			t.Fatalf("derived file %q left", f)
		}
	}
	expectStatus(t, "details after delete", ts.admin(http.MethodGet, "/transformations/"+url.PathEscape("c_scale,w_30")), 404)

	// Delete a named one (node: form body): its definition and the files of what it expands to.
	expectStatus(t, "delete named", ts.adminCall(http.MethodDelete, "/transformations", formBody, "transformation=thumb"), 200)
	if fileExists(after["c_fill,h_60,w_60.jpg"]) || !fileExists(before["c_fill,h_50,w_50.jpg"]) {
		t.Fatal("delete named: wrong derived files removed")
	}
	expectStatus(t, "named after delete", ts.admin(http.MethodGet, "/transformations/t_thumb"), 404)
	if r := ts.get("/demo/image/upload/t_thumb/pic.jpg", nil); r.status != 400 {
		t.Fatalf("t_thumb after delete: %d", r.status)
	}
	expectStatus(t, "delete unknown", ts.adminCall(http.MethodDelete, "/transformations/nope", "", ""), 404)
	want = []string{"t_sepia - named allowed_for_strict", "w_77 - - allowed_for_strict"}
	if got := listNames(t, ts, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("after deletes:\n got %q\nwant %q", got, want)
	}
	// An unnamed transformation's settings are deleted with it.
	expectStatus(t, "delete setting", ts.adminCall(http.MethodDelete, "/transformations/w_77", "", ""), 200)
	expectStatus(t, "setting after delete", ts.admin(http.MethodGet, "/transformations/w_77"), 404)
}

func TestChainedTransformationInPath(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	if r := ts.get("/demo/image/upload/w_40,c_scale/e_grayscale/pic.jpg", nil); r.status != 200 {
		t.Fatalf("delivery: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	// A chained transformation in the path has its "/" escaped.
	for _, p := range []string{"/transformations/" + url.PathEscape("c_scale,w_40/e_grayscale"),
		"/transformations?transformation=" + url.QueryEscape("c_scale,w_40/e_grayscale")} {
		r := ts.admin(http.MethodGet, p)
		expectStatus(t, p, r, 200)
		if r.json["name"] != "c_scale,w_40/e_grayscale" || len(r.json["info"].([]any)) != 2 || len(r.json["derived"].([]any)) != 1 {
			t.Fatalf("%s: %s", p, r.body)
		}
	}
	expectStatus(t, "delete chained", ts.adminCall(http.MethodDelete, "/transformations/"+url.PathEscape("c_scale,w_40/e_grayscale"), "", ""), 200)
	if files := derivedFiles(t, ts, "pic"); len(files) != 0 {
		t.Fatalf("derived left: %v", files)
	}
}

// TestTransformationUsedOutlivesFiles: a transformation derived files were made with stays listed
// and used when the files go, until it is deleted.
func TestTransformationUsedOutlivesFiles(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	expectStatus(t, "create small", ts.adminCall(http.MethodPost, "/transformations", formBody, "name=small&transformation=w_20"), 200)
	for _, p := range []string{"/demo/image/upload/w_20,c_scale/pic.png", "/demo/image/upload/t_small/pic.jpg", "/demo/image/upload/t_small/e_sepia/pic.jpg"} {
		if r := ts.get(p, nil); r.status != 200 {
			t.Fatalf("%s: %d %s", p, r.status, r.header.Get("X-Cld-Error"))
		}
	}
	want := []string{"c_scale,w_20 used - -", "t_small used named allowed_for_strict", "t_small/e_sepia used - -"}
	if got := listNames(t, ts, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("listing:\n got %q\nwant %q", got, want)
	}
	r := ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {"pic"}}), "")
	if r.status != 200 || r.json["result"] != "ok" {
		t.Fatalf("destroy: %d %s", r.status, r.body)
	}
	if got := listNames(t, ts, ""); !reflect.DeepEqual(got, want) {
		t.Fatalf("listing once the files are gone:\n got %q\nwant %q", got, want)
	}
	for _, name := range []string{"t_small", "c_scale,w_20"} {
		r := ts.admin(http.MethodGet, "/transformations/"+url.PathEscape(name))
		if r.status != 200 || r.json["used"] != true || len(r.json["derived"].([]any)) != 0 {
			t.Fatalf("details of %s once its files are gone: %d %s", name, r.status, r.body)
		}
	}
	expectStatus(t, "delete small", ts.adminCall(http.MethodDelete, "/transformations/small", "", ""), 200)
	expectStatus(t, "delete c_scale,w_20", ts.adminCall(http.MethodDelete, "/transformations/c_scale,w_20", "", ""), 200)
	if got := listNames(t, ts, ""); !reflect.DeepEqual(got, want[2:]) {
		t.Fatalf("listing after the deletes:\n got %q\nwant %q", got, want[2:])
	}
}
