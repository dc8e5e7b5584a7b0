package httpapi

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// folderList reads a folders listing: its paths, total_count and next_cursor ("" when null).
func folderList(t *testing.T, r response) (paths []string, total int, next string) {
	t.Helper()
	expectStatus(t, "folder listing", r, http.StatusOK)
	items, ok := r.json["folders"].([]any)
	if !ok {
		t.Fatalf("no folders array: %s", r.body)
	}
	paths = []string{}
	for _, it := range items {
		f := it.(map[string]any)
		path, name, ext := f["path"].(string), f["name"].(string), f["external_id"].(string)
		if !strings.HasSuffix("/"+path, "/"+name) || len(ext) != 32 {
			t.Fatalf("folder item %v", f)
		}
		paths = append(paths, path)
	}
	if _, present := r.json["next_cursor"]; !present {
		t.Fatalf("next_cursor missing: %s", r.body)
	}
	next, _ = r.json["next_cursor"].(string)
	return paths, int(r.json["total_count"].(float64)), next
}

func TestFoldersAPI(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	created := ts.admin(http.MethodPost, "/folders/a/b/c")
	expectStatus(t, "create", created, http.StatusOK)
	if created.json["success"] != true || created.json["path"] != "a/b/c" || created.json["name"] != "c" {
		t.Fatalf("create: %s", created.body)
	}
	expectStatus(t, "create again", ts.admin(http.MethodPost, "/folders/a%2Fb%2Fc"), http.StatusConflict) // the Node SDK's spelling
	expectStatus(t, "a parent, made with its child", ts.admin(http.MethodPost, "/folders/a/b"), http.StatusConflict)
	expectStatus(t, "a version-like name", ts.admin(http.MethodPost, "/folders/a/v12"), http.StatusBadRequest)
	if sub := ts.admin(http.MethodGet, "/folders/a/b"); len(sub.json["folders"].([]any)) != 1 {
		t.Fatalf("after the refusals: %s", sub.body)
	}
	ts.upload("raw", url.Values{"public_id": {"note.txt"}, "folder": {"up/deep"}}, "note.txt", []byte("hi"))

	if paths, total, next := folderList(t, ts.admin(http.MethodGet, "/folders")); !reflect.DeepEqual(paths, []string{"a", "up"}) || total != 2 || next != "" {
		t.Fatalf("root folders: %v %d %q", paths, total, next)
	}
	for parent, want := range map[string][]string{"a": {"a/b"}, "a%2Fb": {"a/b/c"}, "a/b/c": {}, "up": {"up/deep"}} {
		if paths, total, _ := folderList(t, ts.admin(http.MethodGet, "/folders/"+parent)); !reflect.DeepEqual(paths, want) || total != len(want) {
			t.Errorf("sub folders of %s: %v (total %d), want %v", parent, paths, total, want)
		}
	}
	missing := ts.admin(http.MethodGet, "/folders/a/nope")
	if missing.status != http.StatusNotFound || errMessage(missing) != "Can't find folder with path a/nope" {
		t.Fatalf("missing: %d %s", missing.status, missing.body)
	}

	refused := ts.admin(http.MethodDelete, "/folders/up")
	if refused.status != http.StatusBadRequest || errMessage(refused) != "Folder is not empty" {
		t.Fatalf("delete a folder holding an asset: %d %s", refused.status, refused.body)
	}
	if paths, _, _ := folderList(t, ts.admin(http.MethodGet, "/folders/up")); !reflect.DeepEqual(paths, []string{"up/deep"}) {
		t.Fatalf("the refused delete changed folders: %v", paths)
	}
	deleted := ts.admin(http.MethodDelete, "/folders/a")
	expectStatus(t, "delete", deleted, http.StatusOK)
	if got, _ := deleted.json["deleted"].([]any); !reflect.DeepEqual(got, []any{"a", "a/b", "a/b/c"}) {
		t.Fatalf("deleted: %s", deleted.body)
	}
	if paths, _, _ := folderList(t, ts.admin(http.MethodGet, "/folders")); !reflect.DeepEqual(paths, []string{"up"}) {
		t.Fatalf("root folders after the delete: %v", paths)
	}
	if r := ts.admin(http.MethodDelete, "/folders/a"); r.status != http.StatusNotFound {
		t.Fatalf("delete a deleted folder: %d %s", r.status, r.body)
	}
}

func TestFoldersPaging(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	for _, name := range []string{"e", "b", "d", "a", "c"} {
		expectStatus(t, "create "+name, ts.admin(http.MethodPost, "/folders/"+name), http.StatusOK)
	}
	var all []string
	cursor := ""
	for pages := 1; ; pages++ {
		paths, total, next := folderList(t, ts.admin(http.MethodGet, "/folders?max_results=2&next_cursor="+url.QueryEscape(cursor)))
		if total != 5 || len(paths) > 2 || pages > 3 {
			t.Fatalf("page %d: %v total %d", pages, paths, total)
		}
		all = append(all, paths...)
		if next == "" {
			break
		}
		cursor = next
	}
	if !reflect.DeepEqual(all, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("paged folders: %v", all)
	}
	if paths, _, _ := folderList(t, ts.admin(http.MethodGet, "/folders")); len(paths) != 5 {
		t.Fatalf("default page: %v", paths)
	}
	for _, q := range []string{"max_results=0", "max_results=x", "next_cursor=%21%21"} {
		if r := ts.admin(http.MethodGet, "/folders?"+q); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestFolderPathsChecked(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	for _, path := range []string{"a%2F%2Fb", "a%2F..%2Fb", "..", "a%2F", "%2Fa", "a%01b", "a%00b", "a%5Cb",
		strings.Repeat("x", 256), "%ff"} {
		for _, method := range []string{http.MethodPost, http.MethodDelete, http.MethodGet} {
			if r := ts.admin(method, "/folders/"+path); r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "folder path") {
				t.Errorf("%s %s: %d %s", method, path, r.status, r.body)
			}
		}
	}
	if r := ts.admin(http.MethodPost, "/folders/"); r.status != http.StatusBadRequest {
		t.Errorf("empty path: %d %s", r.status, r.body)
	}
	if paths, total, _ := folderList(t, ts.admin(http.MethodGet, "/folders")); len(paths) != 0 || total != 0 {
		t.Fatalf("bad paths created folders: %v", paths)
	}
}

func TestRenameFolderAPI(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	for _, p := range []string{"from/sub", "taken"} {
		expectStatus(t, "create "+p, ts.admin(http.MethodPost, "/folders/"+p), http.StatusOK)
	}
	up := ts.upload("raw", url.Values{"public_id": {"f.txt"}, "folder": {"from"}}, "f.txt", []byte("x"))
	r := ts.adminCall(http.MethodPut, "/folders/from", jsonBody, `{"to_folder":"to/renamed"}`)
	expectStatus(t, "rename", r, http.StatusOK)
	want := map[string]any{"from": map[string]any{"name": "from", "path": "from"}, "to": map[string]any{"name": "renamed", "path": "to/renamed"}}
	if !reflect.DeepEqual(r.json, want) {
		t.Fatalf("rename: %s", r.body)
	}
	if paths, _, _ := folderList(t, ts.admin(http.MethodGet, "/folders")); !reflect.DeepEqual(paths, []string{"taken", "to"}) {
		t.Fatalf("root folders after the rename: %v", paths)
	}
	if paths, _, _ := folderList(t, ts.admin(http.MethodGet, "/folders/to/renamed")); !reflect.DeepEqual(paths, []string{"to/renamed/sub"}) {
		t.Fatalf("the sub folder did not move: %v", paths)
	}
	details := ts.admin(http.MethodGet, "/resources/raw/upload/from/f.txt")
	if details.json["asset_folder"] != "to/renamed" || details.json["public_id"] != up["public_id"] {
		t.Fatalf("the asset should move by asset folder and keep its public id: %s", details.body)
	}
	for _, c := range []struct {
		path, body string
		status     int
	}{
		{"/folders/to/renamed", `{"to_folder":"taken"}`, http.StatusConflict},
		{"/folders/to/renamed", `{}`, http.StatusBadRequest},
		{"/folders/to/renamed", `{"to_folder":"bad//path"}`, http.StatusBadRequest},
		{"/folders/to", `{"to_folder":"to/renamed/inside"}`, http.StatusBadRequest},
		{"/folders/nope", `{"to_folder":"elsewhere"}`, http.StatusNotFound},
	} {
		if r := ts.adminCall(http.MethodPut, c.path, jsonBody, c.body); r.status != c.status {
			t.Errorf("PUT %s %s: %d %s, want %d", c.path, c.body, r.status, r.body, c.status)
		}
	}
}
