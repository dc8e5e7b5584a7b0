package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// smartEscape escapes a fetch URL as the Node SDK's smart_escape does: every byte outside
// [A-Za-z0-9_.\-/:] as %XX.
func smartEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-/:", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// remoteOrigin is an origin server on loopback that counts the requests it answers and records
// the raw request URIs it saw.
type remoteOrigin struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	seen []string
}

func newRemoteOrigin(t *testing.T, files map[string][]byte) *remoteOrigin {
	t.Helper()
	o := &remoteOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.Add(1)
		o.mu.Lock()
		o.seen = append(o.seen, r.RequestURI)
		o.mu.Unlock()
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *remoteOrigin) lastRequest() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		return ""
	}
	return o.seen[len(o.seen)-1]
}

func remoteConfig(t *testing.T, specs ...string) Config {
	t.Helper()
	cfg := defaultTestConfig()
	cfg.AllowPrivateFetch = true
	for _, spec := range specs {
		rt, err := ParseRemoteType(spec)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RemoteTypes = append(cfg.RemoteTypes, rt)
	}
	return cfg
}

func TestParseRemoteType(t *testing.T) {
	for _, tt := range []struct {
		spec string
		ok   bool
	}{
		{"fetch=https://", true},
		{"fetch=http://cdn.example.com/images/", true},
		{"fetch=https://cdn.example.com", true},
		{"facebook=https://graph.facebook.com/{id}/picture?type=large", true},
		{"gravatar=https://www.gravatar.com/avatar/{id}?s=512&d=404", true},
		{"twitter_name=https://unavatar.io/?u={id}", true},
		{"twitter=http://127.0.0.1:9000/t/{id}", true},
		{"youtube=https://x/{id}", false},                 // not a remote image type
		{"facebook", false},                               // no template
		{"facebook=https://x/picture", false},             // no {id}
		{"facebook=https://x/{id}/{id}", false},           // two
		{"facebook=ftp://x/{id}", false},                  // not http(s)
		{"facebook=https://{id}.example.com/", false},     // id would name the host
		{"facebook=https://example.com{id}/", false},      // still the host
		{"facebook=https://example.com:{id}/", false},     // the port
		{"facebook=https://user@example.com/{id}", false}, // credentials
		{"facebook=https://example.com/#{id}", false},     // fragment
		{"fetch=https://cdn.example.com/?x=1", false},     // query in a prefix
		{"fetch=https://u:p@cdn.example.com/", false},     // credentials in a prefix
		{"fetch=https://cdn.example.com/{id}", false},     // a prefix has no slot
		{"fetch=cdn.example.com", false},                  // no scheme
		{"fetch=file:///etc/", false},                     // not http(s)
	} {
		_, err := ParseRemoteType(tt.spec)
		if (err == nil) != tt.ok {
			t.Errorf("ParseRemoteType(%q) error = %v, want ok=%v", tt.spec, err, tt.ok)
		}
	}
}

func TestRemoteOriginURL(t *testing.T) {
	var types []RemoteType
	for _, spec := range []string{
		"facebook=https://graph.example.com/{id}/picture?type=large",
		"twitter_name=https://avatars.example.com/?u={id}&size=big",
		"fetch=https://cdn.example.com/public/",
		"fetch=http://other.example.com",
	} {
		rt, err := ParseRemoteType(spec)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, rt)
	}
	o := newRemoteOrigins(types)
	for _, tt := range []struct {
		typ, id string
		want    string // "" when refused
		status  int
	}{
		{"facebook", "zuck", "https://graph.example.com/zuck/picture?type=large", 0},
		// The id stays in its slot: no new path segment, query or fragment, no other host.
		{"facebook", "a/../b?c=d#e", "https://graph.example.com/a%2F..%2Fb%3Fc=d%23e/picture?type=large", 0},
		{"facebook", "@evil.example/x", "https://graph.example.com/@evil.example%2Fx/picture?type=large", 0},
		{"facebook", "..", "", 400},
		{"facebook", ".", "", 400},
		{"facebook", "a\nb", "", 400},
		{"twitter_name", "x&size=small#y", "https://avatars.example.com/?u=x%26size%3Dsmall%23y&size=big", 0},
		{"gravatar", "abc", "", 401}, // not configured
		{"fetch", "https://cdn.example.com/public/a.jpg?v=1", "https://cdn.example.com/public/a.jpg?v=1", 0},
		{"fetch", "https://CDN.example.com/public/a.jpg", "https://CDN.example.com/public/a.jpg", 0},
		{"fetch", "http://other.example.com/anything.png", "http://other.example.com/anything.png", 0},
		{"fetch", "https://cdn.example.com/private/a.jpg", "", 401},
		{"fetch", "http://cdn.example.com/public/a.jpg", "", 401}, // other scheme
		{"fetch", "https://cdn.example.com.evil.example/public/a.jpg", "", 401},
		{"fetch", "https://cdn.example.com@evil.example/public/a.jpg", "", 400}, // credentials
		{"fetch", "https://cdn.example.com/public/../private/a.jpg", "", 400},
		{"fetch", "https://cdn.example.com/public/%2e%2e/private/a.jpg", "", 400},
		{"fetch", "sample.jpg", "", 400},
		{"fetch", "ftp://cdn.example.com/public/a.jpg", "", 400},
	} {
		got, err := o.originURL(tt.typ, tt.id)
		if tt.want != "" {
			if err != nil || got != tt.want {
				t.Errorf("originURL(%s, %q) = %q, %v; want %q", tt.typ, tt.id, got, err, tt.want)
			}
			if u, perr := url.Parse(got); perr != nil || !strings.HasSuffix(u.Host, "example.com") {
				t.Errorf("originURL(%s, %q) = %q leaves the configured host", tt.typ, tt.id, got)
			}
			continue
		}
		ae, ok := err.(*apiError)
		if !ok || ae.Status != tt.status {
			t.Errorf("originURL(%s, %q) = %q, %v; want status %d", tt.typ, tt.id, got, err, tt.status)
		}
	}
}

func TestParseFetchPath(t *testing.T) {
	remote := "https://example.com/a b/c.jpg?x=1&y=é"
	for _, tt := range []struct {
		rest                string
		sig, trans, ver, id string
		source              string
	}{
		{smartEscape(remote), "", "", "", remote, smartEscape(remote)},
		{"s--abcdefgh--/c_fill,w_10/e_sepia/v12/" + smartEscape(remote), "abcdefgh", "c_fill,w_10/e_sepia", "12", remote, smartEscape(remote)},
		{"f_png/https:/example.com/v2/x.png", "", "f_png", "", "https://example.com/v2/x.png", "https:/example.com/v2/x.png"},
		{"HTTP://example.com/x.png", "", "", "", "http://example.com/x.png", "HTTP://example.com/x.png"},
	} {
		d, err := parseFetchPath(tt.rest)
		if err != nil {
			t.Fatalf("parseFetchPath(%q): %v", tt.rest, err)
		}
		if d.signature != tt.sig || strings.Join(d.transformation, "/") != tt.trans || d.version != tt.ver ||
			d.publicID != tt.id || d.source != tt.source || d.ext != "" {
			t.Errorf("parseFetchPath(%q) = %+v", tt.rest, d)
		}
	}
	if _, err := parseFetchPath("w_100/sample.jpg"); err == nil {
		t.Error("a fetch path without a URL parsed")
	}
}

func TestRemoteTypeNotConfigured(t *testing.T) {
	origin := newRemoteOrigin(t, map[string][]byte{"/a.png": testdata(t, "alpha.png")})
	ts := newTestServer(t, remoteConfig(t, "fetch="+origin.URL+"/"))
	for _, path := range []string{"/demo/image/facebook/zuck.jpg", "/demo/image/gravatar/w_40/0123abcd", "/demo/image/twitter_name/jack"} {
		r := ts.get(path, nil)
		typ := strings.Split(path, "/")[3]
		if r.status != http.StatusUnauthorized || r.header.Get("X-Cld-Error") != "Images of type "+typ+" are restricted in this account" {
			t.Fatalf("%s: %d %q", path, r.status, r.header.Get("X-Cld-Error"))
		}
	}
	off := newTestServer(t, remoteConfig(t))
	if r := off.get("/demo/image/fetch/"+origin.URL+"/a.png", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("fetch with nothing configured: %d %s", r.status, r.body)
	}
	if origin.hits.Load() != 0 {
		t.Fatalf("a restricted type reached the origin %d times", origin.hits.Load())
	}
	// Videos and raw files are not fetched.
	if r := ts.get("/demo/video/fetch/"+origin.URL+"/a.png", nil); r.status != http.StatusNotFound {
		t.Fatalf("video fetch: %d", r.status)
	}
}

func TestFetchDeliveryFetchesOnceAndServesFromStore(t *testing.T) {
	png := testdata(t, "alpha.png")
	origin := newRemoteOrigin(t, map[string][]byte{"/img/logo.png": png})
	ts := newTestServer(t, remoteConfig(t, "fetch="+origin.URL+"/img/"))
	remote := origin.URL + "/img/logo.png"
	path := "/demo/image/fetch/" + smartEscape(remote)

	var wg sync.WaitGroup
	results := make([]response, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ts.get(path, nil)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.status != 200 || md5hex(r.body) != md5hex(png) || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("request %d: %d %q %s", i, r.status, r.header.Get("Content-Type"), r.header.Get("X-Cld-Error"))
		}
	}
	if n := origin.hits.Load(); n != 1 {
		t.Fatalf("16 concurrent first requests fetched %d times", n)
	}
	if r := ts.get(path+"?_a=BAMAK+", nil); r.status != 200 || md5hex(r.body) != md5hex(png) {
		t.Fatalf("later request: %d", r.status)
	}
	if !strings.HasPrefix(results[0].header.Get("Cache-Control"), "public") {
		t.Fatalf("fetched images are public: %q", results[0].header.Get("Cache-Control"))
	}

	// Transformations go through the derived path, from the stored original.
	info := probeBody(t, ts.get("/demo/image/fetch/c_scale,w_50/f_jpg/"+smartEscape(remote), nil))
	if info.Width != 50 || info.Format != "jpg" {
		t.Fatalf("transformed fetch: %dx%d %s", info.Width, info.Height, info.Format)
	}
	if n := origin.hits.Load(); n != 1 {
		t.Fatalf("served from the store, yet the origin was asked %d times", n)
	}

	// Listed, with details, as an image of type fetch whose public id is the URL.
	list := ts.admin(http.MethodGet, "/resources/image/fetch")
	items, _ := list.json["resources"].([]any)
	if len(items) != 1 {
		t.Fatalf("fetch listing: %s", list.body)
	}
	item := items[0].(map[string]any)
	if item["public_id"] != remote || item["type"] != "fetch" || item["format"] != "png" || item["folder"] != "" {
		t.Fatalf("fetch listing item: %v", item)
	}
	if u, _ := item["url"].(string); u != ts.srv.URL+"/demo/image/fetch/v"+fmt.Sprint(int64(item["version"].(float64)))+"/"+escapePublicID(remote) {
		t.Fatalf("fetch asset url: %s", u)
	} else if r := ts.get(strings.TrimPrefix(u, ts.srv.URL), nil); r.status != 200 || md5hex(r.body) != md5hex(png) {
		t.Fatalf("the listed url does not deliver: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	details := ts.admin(http.MethodGet, "/resources/image/fetch/"+url.PathEscape(remote))
	if details.status != 200 || details.json["public_id"] != remote || details.json["width"] != float64(200) {
		t.Fatalf("fetch details: %d %s", details.status, details.body)
	}
	if up := ts.admin(http.MethodGet, "/resources/image/upload"); strings.Contains(string(up.body), "logo") {
		t.Fatalf("a fetched image is listed as an upload: %s", up.body)
	}

	// Deleted, then fetched again on the next request.
	del := ts.admin(http.MethodDelete, "/resources/image/fetch?public_ids[]="+url.QueryEscape(remote))
	if deleted, _ := del.json["deleted"].(map[string]any); del.status != 200 || deleted[remote] != "deleted" {
		t.Fatalf("delete fetched: %d %s", del.status, del.body)
	}
	if r := ts.get(path, nil); r.status != 200 || md5hex(r.body) != md5hex(png) {
		t.Fatalf("refetch: %d", r.status)
	}
	if n := origin.hits.Load(); n != 2 {
		t.Fatalf("a deleted fetch asset was fetched %d times in all, want 2", n)
	}

	// The Upload API's destroy takes the type too.
	r := ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {remote}, "type": {"fetch"}}), "")
	if r.status != 200 || r.json["result"] != "ok" {
		t.Fatalf("destroy fetched: %d %s", r.status, r.body)
	}
	if blobs, _ := ts.storedFiles(); blobs != 0 {
		t.Fatalf("destroy left %d files", blobs)
	}
}

func TestFetchRefusals(t *testing.T) {
	photo := testdata(t, "photo.jpg")
	origin := newRemoteOrigin(t, map[string][]byte{
		"/ok/photo.jpg":  photo,
		"/ok/note.txt":   testdata(t, "note.txt"),
		"/ok/big.jpg":    photo,
		"/secret/a.jpg":  photo,
		"/ok/broken.jpg": photo[:len(photo)/2],
	})
	cfg := remoteConfig(t, "fetch="+origin.URL+"/ok/")
	cfg.MaxUploadBytes = int64(len(photo)) - 1
	ts := newTestServer(t, cfg)
	for _, tt := range []struct {
		path   string
		status int
		cldErr string
	}{
		{"/ok/missing.jpg", 404, "Resource not found - " + origin.URL + "/ok/missing.jpg"},
		{"/ok/note.txt", 400, "Invalid image file"},
		{"/ok/big.jpg", 400, "File size too large"},
		{"/secret/a.jpg", 401, "Images of type fetch are restricted in this account"},
		{"/ok/../secret/a.jpg", 400, "Invalid fetch URL"},
	} {
		r := ts.get("/demo/image/fetch/"+origin.URL+tt.path, nil)
		if r.status != tt.status || !strings.HasPrefix(r.header.Get("X-Cld-Error"), tt.cldErr) {
			t.Errorf("%s: %d %q, want %d %q", tt.path, r.status, r.header.Get("X-Cld-Error"), tt.status, tt.cldErr)
		}
	}
	if blobs, temps := ts.storedFiles(); blobs != 0 || temps != 0 {
		t.Fatalf("refused fetches left %d blobs and %d temp files", blobs, temps)
	}
	if list := ts.admin(http.MethodGet, "/resources/image/fetch"); !strings.Contains(string(list.body), `"resources":[]`) {
		t.Fatalf("refused fetches left rows: %s", list.body)
	}

	// Without --allow-private-fetch the guard refuses the loopback origin.
	guarded := defaultTestConfig()
	guarded.RemoteTypes = cfg.RemoteTypes
	gs := newTestServer(t, guarded)
	hits := origin.hits.Load()
	r := gs.get("/demo/image/fetch/"+origin.URL+"/ok/photo.jpg", nil)
	if r.status != http.StatusBadRequest || !strings.HasPrefix(r.header.Get("X-Cld-Error"), "Remote address not allowed") {
		t.Fatalf("loopback fetch: %d %q", r.status, r.header.Get("X-Cld-Error"))
	}
	if origin.hits.Load() != hits {
		t.Fatal("the guarded fetcher reached the loopback origin")
	}
	if blobs, temps := gs.storedFiles(); blobs != 0 || temps != 0 {
		t.Fatalf("refused fetch left %d blobs and %d temp files", blobs, temps)
	}
}

func TestSocialTypes(t *testing.T) {
	png := testdata(t, "alpha.png")
	origin := newRemoteOrigin(t, map[string][]byte{
		"/fb/zuck/picture":       png,
		"/fb/john.smith/picture": png,
		"/avatar/0123abcd":       png,
		"/fb/a/b?c#d/picture":    png,
	})
	ts := newTestServer(t, remoteConfig(t,
		"facebook="+origin.URL+"/fb/{id}/picture?type=large",
		"gravatar="+origin.URL+"/avatar/{id}?s=512&d=404"))

	info := probeBody(t, ts.get("/demo/image/facebook/zuck.jpg", nil))
	if info.Format != "jpg" || origin.lastRequest() != "/fb/zuck/picture?type=large" {
		t.Fatalf("facebook: %s from %q", info.Format, origin.lastRequest())
	}
	if r := ts.get("/demo/image/facebook/john.smith", nil); r.status != 200 || md5hex(r.body) != md5hex(png) {
		t.Fatalf("a dotted user name: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	if info := probeBody(t, ts.get("/demo/image/gravatar/c_fill,h_40,w_40/0123abcd.webp", nil)); info.Width != 40 || info.Format != "webp" {
		t.Fatalf("gravatar transformed: %dx%d %s", info.Width, info.Height, info.Format)
	}
	if origin.lastRequest() != "/avatar/0123abcd?s=512&d=404" {
		t.Fatalf("gravatar origin request %q", origin.lastRequest())
	}
	// An id holding /, ? and # stays one path segment of the template.
	if r := ts.get("/demo/image/facebook/a%2Fb%3Fc%23d.png", nil); r.status != 200 {
		t.Fatalf("escaped id: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	if origin.lastRequest() != "/fb/a%2Fb%3Fc%23d/picture?type=large" {
		t.Fatalf("escaped id reached the origin as %q", origin.lastRequest())
	}
	hits := origin.hits.Load()
	if r := ts.get("/demo/image/facebook/...png", nil); r.status != http.StatusBadRequest {
		t.Fatalf("dot-dot id: %d", r.status)
	}
	// A missing profile: 404 that names the id, not the configured origin.
	r := ts.get("/demo/image/facebook/nobody.jpg", nil)
	if r.status != 404 || r.header.Get("X-Cld-Error") != "Resource not found - nobody" {
		t.Fatalf("missing profile: %d %q", r.status, r.header.Get("X-Cld-Error"))
	}
	if origin.hits.Load() != hits+1 {
		t.Fatalf("origin hits %d, want %d", origin.hits.Load(), hits+1)
	}
	// A d_ default image stands in for a missing profile, and nothing is stored for it.
	ts.upload("image", url.Values{"public_id": {"avatar_default"}}, "d.png", png)
	r = ts.get("/demo/image/facebook/d_avatar_default.png/nobody.jpg", nil)
	if r.status != 200 || !strings.Contains(r.header.Get("X-Cld-Error"), "default image used") {
		t.Fatalf("default image for a missing profile: %d %q", r.status, r.header.Get("X-Cld-Error"))
	}
	if d := ts.admin(http.MethodGet, "/resources/image/facebook/nobody"); d.status != http.StatusNotFound {
		t.Fatalf("a missing profile was stored: %d", d.status)
	}

	list := ts.admin(http.MethodGet, "/resources/image/facebook")
	items, _ := list.json["resources"].([]any)
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.(map[string]any)["public_id"].(string))
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "a/b?c#d,john.smith,zuck" {
		t.Fatalf("facebook listing: %v", ids)
	}
	if d := ts.admin(http.MethodGet, "/resources/image/facebook/zuck"); d.status != 200 || d.json["type"] != "facebook" ||
		!strings.HasSuffix(d.json["url"].(string), "/demo/image/facebook/v"+fmt.Sprint(int64(d.json["version"].(float64)))+"/zuck.png") {
		t.Fatalf("facebook details: %d %s", d.status, d.body)
	}
}

func TestRemoteTypesThroughTheUploadAPI(t *testing.T) {
	png := testdata(t, "alpha.png")
	origin := newRemoteOrigin(t, map[string][]byte{"/fb/zuck/picture": png})
	ts := newTestServer(t, remoteConfig(t, "facebook="+origin.URL+"/fb/{id}/picture"))
	// Uploads cannot claim a remote type.
	for _, typ := range []string{"fetch", "facebook"} {
		r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"type": {typ}, "public_id": {"zuck"}}), "a.png", png)
		if r.status != http.StatusBadRequest || errMessage(r) != "Invalid type - "+typ {
			t.Fatalf("upload type=%s: %d %s", typ, r.status, r.body)
		}
	}
	// explicit fetches a remote image that is not stored yet, then tags it.
	r := ts.postForm("/v1_1/demo/image/explicit", sign(url.Values{"public_id": {"zuck"}, "type": {"facebook"}, "tags": {"people"}}), "")
	if r.status != 200 || r.json["type"] != "facebook" || r.json["etag"] != md5hex(png) || fmt.Sprint(r.json["tags"]) != "[people]" {
		t.Fatalf("explicit facebook: %d %s", r.status, r.body)
	}
	if origin.hits.Load() != 1 {
		t.Fatalf("explicit fetched %d times", origin.hits.Load())
	}
	if r := ts.postForm("/v1_1/demo/image/explicit", sign(url.Values{"public_id": {"x"}, "type": {"gravatar"}}), ""); r.status != http.StatusUnauthorized {
		t.Fatalf("explicit on a type not configured: %d %s", r.status, r.body)
	}
	r = ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {"zuck"}, "type": {"facebook"}}), "")
	if r.status != 200 || r.json["result"] != "ok" {
		t.Fatalf("destroy facebook: %d %s", r.status, r.body)
	}
}

func TestRemoteStrictAndSigned(t *testing.T) {
	png := testdata(t, "alpha.png")
	origin := newRemoteOrigin(t, map[string][]byte{"/a.png": png})
	ts := newTestServer(t, remoteConfig(t, "fetch=http://"))
	ctx := context.Background()
	cloud, _ := ts.store.CloudByName(ctx, testCloud)
	cloud.StrictTransformations = true
	if _, err := ts.store.PutCloud(ctx, cloud); err != nil {
		t.Fatal(err)
	}
	source := smartEscape(origin.URL + "/a.png")
	if r := ts.get("/demo/image/fetch/"+source, nil); r.status != 200 {
		t.Fatalf("strict mode still serves the fetched original: %d", r.status)
	}
	if r := ts.get("/demo/image/fetch/w_30/"+source, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("strict unsigned transformation: %d", r.status)
	}
	sig := deliverySignature("w_30/"+source, false)
	if info := probeBody(t, ts.get("/demo/image/fetch/s--"+sig+"--/w_30/"+source, nil)); info.Width != 30 {
		t.Fatalf("signed transformation: width %d", info.Width)
	}
}
