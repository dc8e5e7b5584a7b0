package httpapi

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"go/ast"
	"go/parser"
	"go/token"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudlet/store"
)

const scriptSVG = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30" onload="alert(1)">` +
	`<script>alert(document.cookie)</script><rect width="40" height="30" fill="red"/></svg>`

// Uploaded active content (SVG, HTML) never runs as a page of cloudlet's origin.
func TestActiveContentIsInert(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ts.upload("image", url.Values{"public_id": {"drawing"}}, "d.svg", []byte(scriptSVG))
	ts.upload("raw", url.Values{"public_id": {"page.html"}}, "page.html", []byte("<script>alert(1)</script>"))
	ts.upload("raw", url.Values{"public_id": {"feed.xml"}}, "feed.xml", []byte("<?xml version='1.0'?><x/>"))
	ts.upload("raw", url.Values{"public_id": {"notes.txt"}}, "notes.txt", []byte("plain"))

	sandboxed := func(what string, r response) {
		t.Helper()
		csp := r.header.Get("Content-Security-Policy")
		if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(csp, "default-src 'none'") ||
			!strings.Contains(csp, "sandbox") || strings.Contains(csp, "script-src") {
			t.Fatalf("%s: %d, nosniff %q, CSP %q", what, r.status, r.header.Get("X-Content-Type-Options"), csp)
		}
	}
	r := ts.get("/demo/image/upload/drawing.svg", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" || string(r.body) != scriptSVG {
		t.Fatalf("original SVG: %d %q", r.status, r.header.Get("Content-Type"))
	}
	sandboxed("original SVG", r)
	// A transformation rasterises: no SVG, no script.
	r = ts.get("/demo/image/upload/w_20/drawing.png", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "image/png" || strings.Contains(string(r.body), "script") {
		t.Fatalf("rasterised SVG: %d %q", r.status, r.header.Get("Content-Type"))
	}
	sandboxed("rasterised SVG", r)
	for _, p := range []string{"/demo/raw/upload/page.html", "/demo/raw/upload/feed.xml"} {
		r := ts.get(p, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("%s: %d, Content-Disposition %q", p, r.status, r.header.Get("Content-Disposition"))
		}
		sandboxed(p, r)
	}
	r = ts.get("/demo/raw/upload/notes.txt", nil)
	if r.header.Get("Content-Disposition") != "" {
		t.Fatalf("plain text is not active content: %q", r.header.Get("Content-Disposition"))
	}
	sandboxed("plain text", r)
	sandboxed("delivery error", ts.get("/demo/image/upload/missing.png", nil))

	// API answers may never be framed.
	for _, r := range []response{ts.admin(http.MethodGet, "/ping"), ts.admin(http.MethodGet, "/resources/image"), ts.get("/v1_1/demo/ping", nil)} {
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Content-Security-Policy") != "frame-ancestors 'none'" ||
			r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("API answer %d: %v", r.status, r.header)
		}
	}
}

// Remote uploads and the fetch delivery type never reach loopback, private, link-local or
// metadata addresses, however they are written.
func TestRemoteUploadPrivateTargets(t *testing.T) {
	cfg := defaultTestConfig()
	for _, prefix := range []string{"http://", "https://"} {
		fetchAll, err := ParseRemoteType("fetch=" + prefix)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RemoteTypes = append(cfg.RemoteTypes, fetchAll)
	}
	ts := newTestServer(t, cfg)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.srv.URL, "http://"))
	for _, u := range []string{
		"http://[::1]:" + port + "/x.png",
		"http://[::ffff:127.0.0.1]:" + port + "/x.png",
		"http://0.0.0.0:" + port + "/x.png",
		"http://127.1.2.3:" + port + "/x.png",
		"http://10.1.2.3/x.png",
		"http://172.16.5.4/x.png",
		"http://172.31.255.1/x.png",
		"http://192.168.1.1/x.png",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00::1]/x.png",
		"http://[fe80::1]/x.png",
		"https://100.64.0.1/x.png",
	} {
		r := ts.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {u}, "public_id": {"victim"}}), "")
		if r.status != http.StatusBadRequest || !strings.Contains(errMessage(r), "Remote address not allowed") {
			t.Errorf("%s: %d %s", u, r.status, r.body)
		}
		fetched := ts.get("/demo/image/fetch/"+u, nil)
		if fetched.status != http.StatusBadRequest || !strings.Contains(fetched.header.Get("X-Cld-Error"), "Remote address not allowed") {
			t.Errorf("fetch type %s: %d %s %q", u, fetched.status, fetched.body, fetched.header.Get("X-Cld-Error"))
		}
	}
	assertNothingStored(t, ts)
	if r := ts.admin(http.MethodGet, "/resources/image/fetch"); len(r.json["resources"].([]any)) != 0 {
		t.Fatalf("a refused fetch was stored: %s", r.body)
	}
}

// Every hop of a redirect is checked: here the test's own origin (127.0.0.1) counts as public,
// and it redirects to private places.
func TestRemoteUploadRedirectToPrivate(t *testing.T) {
	png := testdata(t, "alpha.png")
	var other string // a second loopback address of the same origin
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/logo.png":
			w.Write(png)
		case "/to":
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer origin.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(origin.URL, "http://"))
	other = "http://127.0.0.2:" + port

	ts := newTestServer(t, defaultTestConfig())
	testOrigin := netip.MustParseAddr("127.0.0.1")
	ts.api.fetcher = newGuardedFetcher(func(a netip.Addr) bool { return a == testOrigin || isPublic(a) }, 5*time.Second, 10<<20)

	r := ts.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {origin.URL + "/logo.png"}, "public_id": {"fine"}}), "")
	if r.status != 200 {
		t.Fatalf("the allowed origin itself: %d %s", r.status, r.body)
	}
	for _, target := range []string{other + "/logo.png", "http://10.0.0.1/logo.png", "http://[::1]:" + port + "/logo.png",
		"http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "gopher://127.0.0.1:" + port + "/"} {
		u := origin.URL + "/to?u=" + url.QueryEscape(target)
		r := ts.postForm("/v1_1/demo/image/upload", sign(url.Values{"file": {u}, "public_id": {"victim"}}), "")
		if r.status != http.StatusBadRequest {
			t.Errorf("redirect to %s: %d %s", target, r.status, r.body)
		}
	}
	if r := ts.admin(http.MethodGet, "/resources/image/upload/victim"); r.status != http.StatusNotFound {
		t.Fatalf("a redirected fetch was stored: %d", r.status)
	}
	if _, temps := ts.storedFiles(); temps != 0 {
		t.Fatalf("%d temp files left", temps)
	}
}

func TestAuthenticationAttacks(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ctx := context.Background()
	const otherKey, otherSecret = "999888777666555", "other-secret"
	if _, err := ts.store.PutCloud(ctx, store.Cloud{Name: "other", APIKey: otherKey, APISecret: otherSecret}); err != nil {
		t.Fatal(err)
	}
	ping := func(setAuth func(*http.Request)) response {
		req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+"/v1_1/demo/ping", nil)
		setAuth(req)
		return ts.do(req)
	}
	for name, tc := range map[string]struct {
		auth    func(*http.Request)
		message string
	}{
		"no credentials":      {func(*http.Request) {}, "Must supply api_key"},
		"wrong secret":        {func(r *http.Request) { r.SetBasicAuth(testKey, "nope") }, "Invalid api_secret"},
		"another cloud's key": {func(r *http.Request) { r.SetBasicAuth(otherKey, otherSecret) }, "Unknown API key " + otherKey},
		"secret as key":       {func(r *http.Request) { r.SetBasicAuth(testSecret, testKey) }, "Unknown API key"},
		"empty secret":        {func(r *http.Request) { r.SetBasicAuth(testKey, "") }, "Invalid api_secret"},
		"secret prefix":       {func(r *http.Request) { r.SetBasicAuth(testKey, testSecret[:len(testSecret)-1]) }, "Invalid api_secret"},
		"bearer token":        {func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testSecret) }, "Must supply api_key"},
	} {
		if r := ping(tc.auth); r.status != http.StatusUnauthorized || !strings.Contains(errMessage(r), tc.message) {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := ping(func(r *http.Request) { r.SetBasicAuth(testKey, testSecret) }); r.status != 200 {
		t.Fatalf("right credentials: %d %s", r.status, r.body)
	}

	// Upload signatures: another cloud's key pair, a signature made with another cloud's secret.
	note := []byte("x")
	params := func() url.Values {
		return url.Values{"public_id": {"n.txt"}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}}
	}
	withOther := params()
	withOther.Set("signature", hexDigest(sha1New, stringToSign(withOther, 2), otherSecret))
	withOther.Set("api_key", otherKey)
	if r := ts.postMultipart("/v1_1/demo/raw/upload", withOther, "n.txt", note); r.status != 401 || !strings.Contains(errMessage(r), "Unknown API key") {
		t.Fatalf("another cloud's signed upload: %d %s", r.status, r.body)
	}
	crossSigned := params()
	crossSigned.Set("signature", hexDigest(sha1New, stringToSign(crossSigned, 2), otherSecret))
	crossSigned.Set("api_key", testKey)
	if r := ts.postMultipart("/v1_1/demo/raw/upload", crossSigned, "n.txt", note); r.status != 401 || !strings.Contains(errMessage(r), "Invalid Signature") {
		t.Fatalf("signed with another cloud's secret: %d %s", r.status, r.body)
	}
	future := params()
	future.Set("timestamp", strconv.FormatInt(time.Now().Add(2*time.Hour).Unix(), 10))
	if r := ts.postMultipart("/v1_1/demo/raw/upload", sign(future), "n.txt", note); r.status != 400 || !strings.Contains(errMessage(r), "in the future") {
		t.Fatalf("future timestamp: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"abc", "1e9", "-1", "99999999999999999999"} {
		v := params()
		v.Set("timestamp", bad)
		if r := ts.postMultipart("/v1_1/demo/raw/upload", sign(v), "n.txt", note); r.status/100 != 4 {
			t.Fatalf("timestamp %q: %d %s", bad, r.status, r.body)
		}
	}
	// A captured signed request works while its timestamp is fresh, and never after the window.
	captured := sign(params())
	if r := ts.postMultipart("/v1_1/demo/raw/upload", captured, "n.txt", note); r.status != 200 {
		t.Fatalf("original request: %d %s", r.status, r.body)
	}
	ts.api.now = func() time.Time { return time.Now().Add(maxRequestAge + time.Minute) }
	if r := ts.postMultipart("/v1_1/demo/raw/upload", captured, "n.txt", note); r.status != 400 || !strings.Contains(errMessage(r), "Stale request") {
		t.Fatalf("replay after the window: %d %s", r.status, r.body)
	}
}

func TestSignedURLTampering(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	png := testdata(t, "alpha.png")
	ts.upload("image", url.Values{"public_id": {"doc"}, "type": {"authenticated"}}, "a.png", png)
	ts.upload("image", url.Values{"public_id": {"other"}, "type": {"authenticated"}}, "a.png", png)
	sig := deliverySignature("w_30/doc.png", false)
	base := "/demo/image/authenticated/"
	if r := ts.get(base+"s--"+sig+"--/w_30/v1/doc.png", nil); r.status != 200 {
		t.Fatalf("genuine signed URL: %d %s", r.status, r.header.Get("X-Cld-Error"))
	}
	flipped := []byte(sig)
	flipped[3] ^= 0x20 // the same letter in the other case
	if flipped[3] < 'A' {
		flipped[3] = 'x'
	}
	otherSecret := func() string {
		h := sha1New()
		h.Write([]byte("w_30/doc.png" + "not-the-secret"))
		return base64URL(h.Sum(nil))[:8]
	}()
	for name, p := range map[string]string{
		"other transformation":  "s--" + sig + "--/w_31/v1/doc.png",
		"extra component":       "s--" + sig + "--/w_30/e_sepia/v1/doc.png",
		"other public id":       "s--" + sig + "--/w_30/v1/other.png",
		"other format":          "s--" + sig + "--/w_30/v1/doc.jpg",
		"signature case":        "s--" + string(flipped) + "--/w_30/v1/doc.png",
		"signature moved":       "w_30/s--" + sig + "--/v1/doc.png",
		"other secret":          "s--" + otherSecret + "--/w_30/v1/doc.png",
		"version signed in":     "s--" + deliverySignature("w_30/v1/doc.png", false) + "--/w_30/v1/doc.png",
		"truncated signature":   "s--" + sig[:7] + "--/w_30/v1/doc.png",
		"signature of original": "s--" + deliverySignature("doc.png", false) + "--/w_30/v1/doc.png",
	} {
		if r := ts.get(base+p, nil); r.status == 200 {
			t.Errorf("%s: %s was served", name, p)
		}
	}
}

// strictWithNamed turns strict transformations on for the test cloud and names two
// transformations: t_thumb (allowed for strict) and t_wide (not).
func strictWithNamed(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	cloud, _ := ts.store.CloudByName(ctx, testCloud)
	cloud.StrictTransformations = true
	if _, err := ts.store.PutCloud(ctx, cloud); err != nil {
		t.Fatal(err)
	}
	for _, nt := range []store.NamedTransformation{
		{Name: "thumb", Definition: "c_fill,h_40,w_40", AllowedForStrict: true},
		{Name: "wide", Definition: "c_scale,w_90"},
	} {
		if err := ts.store.PutNamedTransformation(ctx, cloud.ID, nt); err != nil {
			t.Fatal(err)
		}
	}
}

// Strict transformations: only a signed URL, an existing derived file, or a transformation
// allowed for strict may be delivered; no spelling of another one gets through.
func TestStrictModeBypassAttempts(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	strictWithNamed(t, ts)
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.png", testdata(t, "alpha.png"))
	if r := ts.admin(http.MethodPut, "/transformations/c_scale,w_88?allowed_for_strict=true"); r.status != 200 {
		t.Fatalf("allow unnamed: %d %s", r.status, r.body)
	}
	for _, allowed := range []string{"t_thumb", "c_scale,w_88", "w_88,c_scale"} {
		if r := ts.get("/demo/image/upload/"+allowed+"/pic.png", nil); r.status != 200 {
			t.Fatalf("allowed %s: %d %s", allowed, r.status, r.header.Get("X-Cld-Error"))
		}
	}
	before := ts.api.generations.Load()
	for _, p := range []string{
		"t_thumb,e_sepia",      // a named allowed one with more in its component
		"t_thumb/e_sepia",      // ... or chained with more
		"e_sepia/t_thumb",      // ... either side
		"t_thumb.wide",         // an allowed name beside one that is not
		"t_wide",               // a named one not allowed
		"c_scale,w_88,e_sepia", // an allowed unnamed one with more
		"c_scale,w_88/w_10",    // ... chained with more
		"C_SCALE,W_99",         // case tricks
		"c_scale%2Cw_99",       // an encoded comma
		"c_scale,w_99%2F..",    // an encoded slash
		"s--AAAAAAAA--/w_99",   // a made-up signature
		"s--" + deliverySignature("w_99/other.png", false) + "--/w_99", // a signature of another URL
		"w_88.0,c_scale,e_sepia", // a number spelling beside more
	} {
		if r := ts.get("/demo/image/upload/"+p+"/pic.png", nil); r.status == 200 {
			t.Errorf("strict bypass: %s was served", p)
		}
	}
	if n := ts.api.generations.Load() - before; n != 0 {
		t.Fatalf("refused requests generated %d images", n)
	}
}

// Secrets and signatures are compared in constant time: no ==, != or bytes.Equal between
// strings derived from a secret, a signature or a key, anywhere in the package's code.
func TestSecretComparisonsAreConstantTime(t *testing.T) {
	sensitive := regexp.MustCompile(`(?i)secret|signature|\bsig\b|apikey|api_key|\bkey\b|\bexpected\b`)
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		src := func(e ast.Expr) string {
			start, end := fset.Position(e.Pos()).Offset, fset.Position(e.End()).Offset
			return string(mustRead(t, name)[start:end])
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch e := n.(type) {
			case *ast.BinaryExpr:
				if e.Op != token.EQL && e.Op != token.NEQ {
					return true
				}
				x, y := src(e.X), src(e.Y)
				if isFixedValue(e.X) || isFixedValue(e.Y) || (!sensitive.MatchString(x) && !sensitive.MatchString(y)) {
					return true
				}
				t.Errorf("%s: %s %s %s is not a constant-time comparison", fset.Position(e.Pos()), x, e.Op, y)
			case *ast.CallExpr:
				if sel, ok := e.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Equal" {
					if pkg, ok := sel.X.(*ast.Ident); ok && (pkg.Name == "bytes" || pkg.Name == "strings") {
						t.Errorf("%s: %s.Equal on %s", fset.Position(e.Pos()), pkg.Name, src(e))
					}
				}
			}
			return true
		})
	}
}

// isFixedValue says whether an operand is a literal, nil, a boolean or a length: comparing with
// one reveals nothing about a secret.
func isFixedValue(e ast.Expr) bool {
	switch v := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return v.Name == "nil" || v.Name == "true" || v.Name == "false"
	case *ast.CallExpr:
		fn, ok := v.Fun.(*ast.Ident)
		return ok && fn.Name == "len"
	}
	return false
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var sha1New = sha1.New

func base64URL(b []byte) string { return base64.URLEncoding.EncodeToString(b) }
