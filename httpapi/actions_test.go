package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestDestroyRenameTagsContextExplicit(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	ts.upload("image", url.Values{"public_id": {"one"}, "tags": {"a"}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"two"}}, "a.png", png)
	api := "/v1_1/demo/image/"

	// tags: add to both (one unknown id is skipped), remove, replace, remove_all.
	r := ts.postMultipart(api+"tags", sign(url.Values{"command": {"add"}, "tag": {"x,y"}, "public_ids[]": {"one", "two", "ghost"}}), "", nil)
	if r.status != 200 || len(r.json["public_ids"].([]any)) != 2 {
		t.Fatalf("tags add: %d %s", r.status, r.body)
	}
	details := func(id string) map[string]any {
		t.Helper()
		r := ts.admin(http.MethodGet, "/resources/image/upload/"+id)
		if r.status != 200 {
			t.Fatalf("details %s: %d %s", id, r.status, r.body)
		}
		return r.json
	}
	tagsOf := func(id string) string {
		var out []string
		for _, tg := range details(id)["tags"].([]any) {
			out = append(out, tg.(string))
		}
		return strings.Join(out, ",")
	}
	if got := tagsOf("one"); got != "a,x,y" {
		t.Fatalf("tags after add: %s", got)
	}
	ts.postForm(api+"tags", sign(url.Values{"command": {"remove"}, "tag": {"x"}, "public_ids": {"one,two"}}), "")
	if got := tagsOf("two"); got != "y" {
		t.Fatalf("tags after remove: %s", got)
	}
	ts.postForm(api+"tags", sign(url.Values{"command": {"replace"}, "tag": {"z"}, "public_ids[0]": {"one"}}), "")
	if got := tagsOf("one"); got != "z" {
		t.Fatalf("tags after replace: %s", got)
	}
	ts.postForm(api+"tags", sign(url.Values{"command": {"remove_all"}, "public_ids": {"one"}}), "")
	if got := tagsOf("one"); got != "" {
		t.Fatalf("tags after remove_all: %s", got)
	}
	if r := ts.postForm(api+"tags", sign(url.Values{"command": {"bogus"}, "tag": {"a"}, "public_ids": {"one"}}), ""); r.status != 400 ||
		!strings.Contains(errMessage(r), "Invalid command - bogus") {
		t.Fatalf("bad command: %d %s", r.status, r.body)
	}

	// context: add merges (an empty value removes the key), remove_all clears.
	ts.postForm(api+"context", sign(url.Values{"command": {"add"}, "context": {"k1=v1|k2=v2"}, "public_ids": {"one"}}), "")
	ts.postForm(api+"context", sign(url.Values{"command": {"add"}, "context": {"k1=|k3=v\\=3"}, "public_ids": {"one"}}), "")
	custom := details("one")["context"].(map[string]any)["custom"].(map[string]any)
	if len(custom) != 2 || custom["k2"] != "v2" || custom["k3"] != "v=3" {
		t.Fatalf("context after add: %v", custom)
	}
	if r := ts.postForm(api+"context", sign(url.Values{"command": {"add"}, "public_ids": {"one"}}), ""); r.status != 400 ||
		errMessage(r) != "Missing required parameter - context" {
		t.Fatalf("context add without context: %d %s", r.status, r.body)
	}
	ts.postForm(api+"context", sign(url.Values{"command": {"remove_all"}, "public_ids": {"one"}}), "")
	if _, ok := details("one")["context"]; ok {
		t.Fatalf("context after remove_all: %v", details("one")["context"])
	}

	// explicit replaces tags and context and answers with the asset.
	r = ts.postForm(api+"explicit", sign(url.Values{"public_id": {"one"}, "type": {"upload"}, "tags": {"e1,e2"}, "context": {"c=d"}}), "")
	if r.status != 200 || len(r.json["tags"].([]any)) != 2 || r.json["public_id"] != "one" {
		t.Fatalf("explicit: %d %s", r.status, r.body)
	}
	if r := ts.postForm(api+"explicit", sign(url.Values{"public_id": {"ghost"}}), ""); r.status != 404 {
		t.Fatalf("explicit missing: %d %s", r.status, r.body)
	}

	// rename: conflict without overwrite, then to a free id and to another type.
	if r := ts.postForm(api+"rename", sign(url.Values{"from_public_id": {"one"}, "to_public_id": {"two"}}), ""); r.status != 400 ||
		!strings.Contains(errMessage(r), "already exists") {
		t.Fatalf("rename conflict: %d %s", r.status, r.body)
	}
	r = ts.postForm(api+"rename", sign(url.Values{"from_public_id": {"one"}, "to_public_id": {"dir/uno"}, "to_type": {"private"}}), "")
	if r.status != 200 || r.json["public_id"] != "dir/uno" || r.json["type"] != "private" || r.json["folder"] != "dir" {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	if r := ts.admin(http.MethodGet, "/resources/image/upload/one"); r.status != 404 || errMessage(r) != "Resource not found - one" {
		t.Fatalf("old id after rename: %d %s", r.status, r.body)
	}
	if r := ts.admin(http.MethodGet, "/resources/image/private/dir/uno"); r.status != 200 || len(r.json["tags"].([]any)) != 2 {
		t.Fatalf("new id after rename: %d %s", r.status, r.body)
	}
	r = ts.postForm(api+"rename", sign(url.Values{"from_public_id": {"two"}, "to_public_id": {"dir/uno"}, "to_type": {"private"}, "overwrite": {"true"}}), "")
	if r.status != 200 {
		t.Fatalf("rename with overwrite: %d %s", r.status, r.body)
	}
	if r := ts.postForm(api+"rename", sign(url.Values{"from_public_id": {"ghost"}, "to_public_id": {"x"}}), ""); r.status != 404 {
		t.Fatalf("rename missing: %d %s", r.status, r.body)
	}

	// destroy: ok, then not found (both 200), and the file is gone.
	r = ts.postForm(api+"destroy", sign(url.Values{"public_id": {"dir/uno"}, "type": {"private"}}), "")
	if r.status != 200 || r.json["result"] != "ok" {
		t.Fatalf("destroy: %d %s", r.status, r.body)
	}
	r = ts.postForm(api+"destroy", sign(url.Values{"public_id": {"dir/uno"}, "type": {"private"}}), "")
	if r.status != 200 || r.json["result"] != "not found" {
		t.Fatalf("destroy again: %d %s", r.status, r.body)
	}
	if blobs, temps := ts.storedFiles(); blobs != 0 || temps != 0 {
		t.Fatalf("after destroying everything: %d blobs, %d temps", blobs, temps)
	}
}
