package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"cloudlet/store"
)

// seedRaw stores n small raw assets straight through the store (fast), named prefix0000...
func seedRaw(t *testing.T, ts *testServer, prefix string, from, n int, tags []string) {
	t.Helper()
	ctx := context.Background()
	cloud, _ := ts.store.CloudByName(ctx, testCloud)
	for i := from; i < from+n; i++ {
		f, err := ts.store.CreateTemp()
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("x")
		f.Close()
		a := store.Asset{AssetKey: store.AssetKey{CloudID: cloud.ID, ResourceType: "raw", Type: "upload",
			PublicID: fmt.Sprintf("%s%04d.txt", prefix, i)}, Format: "txt", Bytes: 1, ETag: "e", Tags: tags}
		if _, _, err := ts.store.SaveAsset(ctx, a, f.Name(), true); err != nil {
			os.Remove(f.Name())
			t.Fatal(err)
		}
	}
}

// walk pages through a listing and returns every public id in order.
func walk(t *testing.T, ts *testServer, path string, between func(page int)) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for page := 0; page < 100; page++ {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := ts.admin(http.MethodGet, path+sep+"next_cursor="+url.QueryEscape(cursor))
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		for _, item := range r.json["resources"].([]any) {
			ids = append(ids, item.(map[string]any)["public_id"].(string))
		}
		next, _ := r.json["next_cursor"].(string)
		if next == "" {
			return ids
		}
		cursor = next
		if between != nil {
			between(page)
		}
	}
	t.Fatal("listing did not end")
	return nil
}

func TestListingPaginationIsStableAcrossInserts(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	seedRaw(t, ts, "a", 0, 1050, nil)
	inserted := 0
	ids := walk(t, ts, "/resources/raw/upload?max_results=500&direction=asc", func(int) {
		seedRaw(t, ts, "new", inserted, 10, nil) // newer than every listed asset: appear at the end
		inserted += 10
	})
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
	for i := 0; i < 1050; i++ {
		if !seen[fmt.Sprintf("a%04d.txt", i)] {
			t.Fatalf("a%04d.txt never listed", i)
		}
	}
	// Newest first by default; prefix listings go by public id.
	desc := ts.admin(http.MethodGet, "/resources/raw?max_results=3")
	first := desc.json["resources"].([]any)[0].(map[string]any)["public_id"].(string)
	if !strings.HasPrefix(first, "new") || len(desc.json["resources"].([]any)) != 3 {
		t.Fatalf("default order: %s", desc.body)
	}
	byPrefix := walk(t, ts, "/resources/raw/upload?prefix=a10&max_results=7", func(int) {
		seedRaw(t, ts, "a1", 990, 1, nil) // "a10990.txt" sorts inside the listed range, after page 1
	})
	if len(byPrefix) < 50 || byPrefix[0] != "a1000.txt" {
		t.Fatalf("prefix listing: %d items, first %v", len(byPrefix), byPrefix[:1])
	}
	for i := 1; i < len(byPrefix); i++ {
		if byPrefix[i-1] >= byPrefix[i] {
			t.Fatalf("prefix listing out of order at %d: %s, %s", i, byPrefix[i-1], byPrefix[i])
		}
	}
}

func TestListingFilters(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	one := ts.upload("image", url.Values{"public_id": {"shop/one"}, "tags": {"sale,red"}, "context": {"color=red|size=m"}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"shop/two"}, "tags": {"sale"}, "context": {"color=blue"}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"hidden"}, "type": {"private"}}, "a.png", png)

	ids := func(path string) string {
		r := ts.admin(http.MethodGet, path)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		var out []string
		for _, item := range r.json["resources"].([]any) {
			out = append(out, item.(map[string]any)["public_id"].(string))
		}
		return strings.Join(out, ",")
	}
	cases := map[string]string{
		"/resources/image":                                                "hidden,shop/two,shop/one",
		"/resources/image/upload":                                         "shop/two,shop/one",
		"/resources/image/private":                                        "hidden",
		"/resources/image/upload?prefix=shop/":                            "shop/one,shop/two",
		"/resources/image/tags/red":                                       "shop/one",
		"/resources/image/tags/sale?direction=asc":                        "shop/one,shop/two",
		"/resources/image/context?key=color":                              "shop/two,shop/one",
		"/resources/image/context?key=color&value=blue":                   "shop/two",
		"/resources/image/upload?public_ids[]=shop/one&public_ids[]=nope": "shop/one",
		"/resources/by_asset_ids?asset_ids[]=" + one["asset_id"].(string): "shop/one",
		"/resources/by_asset_folder?asset_folder=shop":                    "shop/two,shop/one",
	}
	for path, want := range cases {
		if got := ids(path); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
	}
	// Include flags.
	r := ts.admin(http.MethodGet, "/resources/image/tags/red?tags=true&context=true")
	item := r.json["resources"].([]any)[0].(map[string]any)
	if len(item["tags"].([]any)) != 2 || item["context"].(map[string]any)["custom"].(map[string]any)["size"] != "m" {
		t.Fatalf("include flags: %v", item)
	}
	r = ts.admin(http.MethodGet, "/resources/image/tags/red")
	if _, ok := r.json["resources"].([]any)[0].(map[string]any)["tags"]; ok {
		t.Fatalf("tags without tags=true: %s", r.body)
	}
	// By asset id, and resource types.
	if r := ts.admin(http.MethodGet, "/resources/"+one["asset_id"].(string)); r.status != 200 || r.json["public_id"] != "shop/one" {
		t.Fatalf("by asset id: %d %s", r.status, r.body)
	}
	if r := ts.admin(http.MethodGet, "/resources"); len(r.json["resource_types"].([]any)) != 3 {
		t.Fatalf("resource types: %s", r.body)
	}
	if r := ts.admin(http.MethodGet, "/resources/image/upload?next_cursor=garbage!"); r.status != 400 {
		t.Fatalf("bad cursor: %d", r.status)
	}
}

func TestTagListingAndUpdate(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	seedRaw(t, ts, "t", 0, 3, []string{"alpha", "beta", "gamma", "delta"})
	var all []string
	cursor := ""
	for {
		r := ts.admin(http.MethodGet, "/tags/raw?max_results=3&next_cursor="+cursor)
		for _, tg := range r.json["tags"].([]any) {
			all = append(all, tg.(string))
		}
		next, _ := r.json["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = url.QueryEscape(next)
	}
	if strings.Join(all, ",") != "alpha,beta,delta,gamma" {
		t.Fatalf("tags: %v", all)
	}
	if r := ts.admin(http.MethodGet, "/tags/raw?prefix=d"); len(r.json["tags"].([]any)) != 1 {
		t.Fatalf("tag prefix: %s", r.body)
	}

	// Update replaces tags and context and sets descriptive fields.
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+"/v1_1/demo/resources/raw/upload/t0000.txt",
		strings.NewReader(`{"tags":["x","y"],"context":"k=v","display_name":"Doc","face_coordinates":"1,2,3,4","moderation_status":"approved"}`))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(testKey, testSecret)
	r := ts.do(req)
	if r.status != 200 || len(r.json["tags"].([]any)) != 2 || r.json["display_name"] != "Doc" {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	d := ts.admin(http.MethodGet, "/resources/raw/upload/t0000.txt?coordinates=true&faces=true")
	coords := d.json["coordinates"].(map[string]any)["faces"].([]any)
	if len(coords) != 1 || d.json["context"].(map[string]any)["custom"].(map[string]any)["k"] != "v" {
		t.Fatalf("after update: %s", d.body)
	}
}
