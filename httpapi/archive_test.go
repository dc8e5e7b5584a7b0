package httpapi

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unzip opens a ZIP body and returns its files by name.
func unzip(t *testing.T, body []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip (%d bytes): %v", len(body), err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		out[f.Name] = b
	}
	return out
}

func names(files map[string][]byte) []string {
	out := make([]string, 0, len(files))
	for n := range files {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// nodeQuery is a query string and its signature built the way the Node SDK builds them:
// api_string_to_sign over the params (arrays joined with ","), sorted, & escaped as %26
// (signature version 2), SHA-1 with the secret appended; then the query in the SDK's key order,
// arrays spread as key[] (hashToQuery), with signature and api_key last.
type nodeParam struct {
	key    string
	values []string
	array  bool
}

func nodeSignedQuery(params []nodeParam) string {
	var toSign []string
	for _, p := range params {
		toSign = append(toSign, strings.ReplaceAll(p.key+"="+strings.Join(p.values, ","), "&", "%26"))
	}
	sort.Strings(toSign)
	sum := sha1.Sum([]byte(strings.Join(toSign, "&") + testSecret))
	var q []string
	for _, p := range params {
		key := p.key
		if p.array {
			key += "[]"
		}
		for _, v := range p.values {
			q = append(q, url.QueryEscape(key)+"="+url.QueryEscape(v))
		}
	}
	q = append(q, "signature="+hex.EncodeToString(sum[:]), "api_key="+testKey)
	return strings.Join(q, "&")
}

func seedArchiveAssets(t *testing.T, ts *testServer) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"docs/a.txt":     []byte("alpha"),
		"docs/sub/b.txt": []byte("bravo bravo"),
		"other/c.txt":    []byte("charlie"),
		"d.txt":          []byte("delta"),
		"e.txt":          []byte("echo"),
	}
	tags := map[string]string{"other/c.txt": "x", "docs/a.txt": "x"}
	for id, body := range files {
		ts.upload("raw", url.Values{"public_id": {id}, "tags": {tags[id]}}, id[strings.LastIndexByte(id, '/')+1:], body)
	}
	return files
}

func TestGenerateArchive(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	files := seedArchiveAssets(t, ts)
	photo := testdata(t, "photo.jpg")
	ts.upload("image", url.Values{"public_id": {"pics/photo"}}, "photo.jpg", photo)
	path := "/v1_1/" + testCloud + "/raw/generate_archive"

	// create: nothing stored, a signed URL that builds the ZIP of the union of the selectors.
	blobsBefore, _ := ts.storedFiles()
	r := ts.postMultipart(path, sign(url.Values{"public_ids[]": {"d.txt"}, "prefixes[]": {"docs/"}, "tags[]": {"x"},
		"mode": {"create"}, "target_format": {"zip"}}), "", nil)
	mustStatus(t, "create", r, 200)
	wantNames := []string{"d.txt", "docs/a.txt", "docs/sub/b.txt", "other/c.txt"}
	if r.json["resource_count"] != float64(4) || r.json["file_count"] != float64(4) ||
		!strings.HasSuffix(r.json["public_id"].(string), ".zip") {
		t.Fatalf("create: %s", r.body)
	}
	if blobsAfter, _ := ts.storedFiles(); blobsAfter != blobsBefore {
		t.Fatalf("create stored files: %d → %d", blobsBefore, blobsAfter)
	}
	link := r.json["secure_url"].(string)
	if !strings.HasPrefix(link, ts.srv.URL+"/v1_1/"+testCloud+"/raw/download?") {
		t.Fatalf("archive url: %s", link)
	}
	dl := ts.get(strings.TrimPrefix(link, ts.srv.URL), nil)
	mustStatus(t, "download created archive", dl, 200)
	if dl.header.Get("Content-Type") != "application/zip" || float64(len(dl.body)) != r.json["bytes"] {
		t.Fatalf("archive: %s, %d bytes, announced %v", dl.header.Get("Content-Type"), len(dl.body), r.json["bytes"])
	}
	got := unzip(t, dl.body)
	if !reflect.DeepEqual(names(got), wantNames) {
		t.Fatalf("entries: %v", names(got))
	}
	for name, body := range got {
		if !bytes.Equal(body, files[name]) {
			t.Fatalf("%s: %q, want %q", name, body, files[name])
		}
	}
	// The URL is signed: changing what it selects breaks it.
	mustStatus(t, "tampered url", ts.get(strings.TrimPrefix(strings.Replace(link, "d.txt", "e.txt", 1), ts.srv.URL), nil), 401)

	// download: the ZIP itself; flattened folders; images keep their format as extension.
	r = ts.postMultipart("/v1_1/"+testCloud+"/all/generate_archive", sign(url.Values{"public_ids[]": {"docs/sub/b.txt", "pics/photo"},
		"mode": {"download"}, "flatten_folders": {"true"}}), "", nil)
	mustStatus(t, "download mode", r, 200)
	got = unzip(t, r.body)
	if !reflect.DeepEqual(names(got), []string{"b.txt", "photo.jpg"}) || !bytes.Equal(got["photo.jpg"], photo) {
		t.Fatalf("flattened entries: %v", names(got))
	}

	for _, tc := range []struct {
		name   string
		params url.Values
		status int
	}{
		{"tgz", url.Values{"public_ids[]": {"d.txt"}, "target_format": {"tgz"}}, 400},
		{"nothing selected", url.Values{"mode": {"create"}}, 400},
		{"missing id", url.Values{"public_ids[]": {"d.txt", "nope.txt"}}, 404},
		{"nothing found", url.Values{"prefixes[]": {"zzz/"}}, 404},
		{"bad mode", url.Values{"public_ids[]": {"d.txt"}, "mode": {"later"}}, 400},
		{"transformations", url.Values{"public_ids[]": {"d.txt"}, "transformations": {"w_100"}}, 400},
	} {
		mustStatus(t, tc.name, ts.postMultipart(path, sign(tc.params), "", nil), tc.status)
	}
	mustStatus(t, "unsigned", ts.postMultipart(path, url.Values{"public_ids[]": {"d.txt"}}, "", nil), 401)
	r = ts.postMultipart(path, sign(url.Values{"public_ids[]": {"d.txt", "nope.txt"}, "allow_missing": {"1"}, "mode": {"create"}}), "", nil)
	if r.status != 200 || r.json["resource_count"] != float64(1) {
		t.Fatalf("allow_missing: %d %s", r.status, r.body)
	}
}

// TestNodeDownloadArchiveURL fetches the URL the Node SDK's download_archive_url builds:
// GET <rt>/generate_archive with archive_params plus mode=download, signed in the query.
func TestNodeDownloadArchiveURL(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	files := seedArchiveAssets(t, ts)
	ts.upload("image", url.Values{"public_id": {"docs/photo"}}, "photo.jpg", testdata(t, "photo.jpg"))
	now := strconv.FormatInt(time.Now().Unix(), 10)
	// archive_params key order: allow_missing, ..., flatten_folders, ..., mode, ..., prefixes, ...,
	// public_ids, ..., tags, target_format, ..., timestamp, ...
	q := nodeSignedQuery([]nodeParam{
		{key: "mode", values: []string{"download"}},
		{key: "public_ids", values: []string{"d.txt", "e.txt"}, array: true},
		{key: "tags", values: []string{"x"}, array: true},
		{key: "target_format", values: []string{"zip"}},
		{key: "timestamp", values: []string{now}},
	})
	r := ts.get("/v1_1/"+testCloud+"/raw/generate_archive?"+q, nil)
	mustStatus(t, "download_archive_url", r, 200)
	if got := names(unzip(t, r.body)); !reflect.DeepEqual(got, []string{"d.txt", "docs/a.txt", "e.txt", "other/c.txt"}) {
		t.Fatalf("entries: %v", got)
	}
	// download_folder: resource type "all", prefixes = the folder.
	q = nodeSignedQuery([]nodeParam{
		{key: "mode", values: []string{"download"}},
		{key: "prefixes", values: []string{"docs"}, array: true},
		{key: "timestamp", values: []string{now}},
	})
	r = ts.get("/v1_1/"+testCloud+"/all/generate_archive?"+q, nil)
	mustStatus(t, "download_folder", r, 200)
	got := unzip(t, r.body)
	if !reflect.DeepEqual(names(got), []string{"docs/a.txt", "docs/photo.jpg", "docs/sub/b.txt"}) ||
		!bytes.Equal(got["docs/a.txt"], files["docs/a.txt"]) {
		t.Fatalf("folder entries: %v", names(got))
	}
}

// TestPrivateDownloadURL fetches what the Node SDK's private_download_url builds: GET
// <rt>/download?timestamp&public_id&format&type&attachment&expires_at&signature&api_key.
func TestPrivateDownloadURL(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	ts.upload("image", url.Values{"public_id": {"secret"}, "type": {"private"}}, "photo.jpg", photo)
	ts.upload("raw", url.Values{"public_id": {"notes/readme.txt"}}, "readme.txt", []byte("read me"))
	now := time.Now()
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	nodeURL := func(rt string, ts_, id, format, typ, attachment, expires string) string {
		var params []nodeParam
		for _, p := range []nodeParam{{key: "timestamp", values: []string{ts_}}, {key: "public_id", values: []string{id}},
			{key: "format", values: []string{format}}, {key: "type", values: []string{typ}},
			{key: "attachment", values: []string{attachment}}, {key: "expires_at", values: []string{expires}}} {
			if p.values[0] != "" { // clear_blank
				params = append(params, p)
			}
		}
		return "/v1_1/" + testCloud + "/" + rt + "/download?" + nodeSignedQuery(params)
	}

	r := ts.get(nodeURL("image", unix(0), "secret", "jpg", "private", "true", unix(10*time.Minute)), nil)
	mustStatus(t, "private download", r, 200)
	if !bytes.Equal(r.body, photo) || r.header.Get("Content-Disposition") != `attachment; filename="secret.jpg"` {
		t.Fatalf("private download: %d bytes, %q", len(r.body), r.header.Get("Content-Disposition"))
	}
	r = ts.get(nodeURL("image", unix(0), "secret", "png", "private", "", ""), nil)
	mustStatus(t, "download as png", r, 200)
	if r.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(r.body, []byte("\x89PNG")) || r.header.Get("Content-Disposition") != "" {
		t.Fatalf("converted download: %s %q", r.header.Get("Content-Type"), r.body[:min(8, len(r.body))])
	}
	r = ts.get(nodeURL("raw", unix(0), "notes/readme.txt", "", "", "1", ""), nil)
	if r.status != 200 || string(r.body) != "read me" || r.header.Get("Content-Disposition") != `attachment; filename="readme.txt"` {
		t.Fatalf("raw download: %d %q %q", r.status, r.body, r.header.Get("Content-Disposition"))
	}

	for _, tc := range []struct {
		name   string
		path   string
		status int
	}{
		{"wrong type", nodeURL("image", unix(0), "secret", "jpg", "upload", "", ""), 404},
		{"expired", nodeURL("image", unix(-2*time.Hour), "secret", "jpg", "private", "", unix(-time.Minute)), 401},
		{"stale timestamp", nodeURL("image", unix(-2*time.Hour), "secret", "jpg", "private", "", ""), 400},
		{"old timestamp, live expires_at", nodeURL("image", unix(-2*time.Hour), "secret", "jpg", "private", "", unix(time.Hour)), 200},
		{"tampered", strings.Replace(nodeURL("image", unix(0), "secret", "jpg", "private", "", ""), "public_id=secret", "public_id=other", 1), 401},
		{"no signature", "/v1_1/" + testCloud + "/image/download?public_id=secret&type=private&api_key=" + testKey + "&timestamp=" + unix(0), 400},
		{"wrong key", strings.Replace(nodeURL("image", unix(0), "secret", "jpg", "private", "", ""), "api_key="+testKey, "api_key=1", 1), 401},
		{"unknown cloud", strings.Replace(nodeURL("image", unix(0), "secret", "jpg", "private", "", ""), testCloud, "nocloud", 1), 401},
	} {
		r := ts.get(tc.path, nil)
		if r.status != tc.status {
			t.Fatalf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
}
