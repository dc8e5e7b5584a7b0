package httpapi

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudlet/store"
)

const (
	testCloud  = "demo"
	testKey    = "123456789012345"
	testSecret = "test-secret"
)

// testServer is a real cloudlet HTTP server over a temp data directory.
type testServer struct {
	t     *testing.T
	srv   *httptest.Server
	store *store.Store
	api   *Server
}

func defaultTestConfig() Config {
	return Config{MaxUploadBytes: 10 << 20, MaxSourcePixels: 50_000_000, AdminRateLimit: 1000,
		FetchTimeout: 5 * time.Second, MaxOutputPixels: 50_000_000, TransformTimeout: 20 * time.Second,
		MaxTransforms: 2, TransformQueue: 64}
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return newTestServerAt(t, cfg, t.TempDir())
}

// newTestServerAt is newTestServer over the data directory dir.
func newTestServerAt(t *testing.T, cfg Config, dir string) *testServer {
	t.Helper()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutCloud(context.Background(), store.Cloud{Name: testCloud, APIKey: testKey, APISecret: testSecret}); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, store: st}
	ts.srv = httptest.NewUnstartedServer(nil)
	ts.srv.Listener = CorkConnections(ts.srv.Config, ts.srv.Listener)
	ts.srv.Start()
	cfg.PublicURL = ts.srv.URL
	ts.api = New(cfg, st)
	ts.srv.Config.Handler = ts.api
	t.Cleanup(func() { ts.srv.Close(); st.Close() })
	return ts
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// sign adds timestamp, api_key and a SHA-1 signature (version 2) the way the SDKs do.
func sign(params url.Values) url.Values {
	if params.Get("timestamp") == "" {
		params.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	}
	params.Set("signature", hexDigest(sha1.New, stringToSign(params, 2), testSecret))
	params.Set("api_key", testKey)
	return params
}

// response is a finished HTTP exchange with its decoded JSON body.
type response struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

func (ts *testServer) do(req *http.Request) response {
	ts.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: body}
	_ = json.Unmarshal(body, &r.json)
	return r
}

// postMultipart sends params as form fields and, when file is not nil, a file part.
func (ts *testServer) postMultipart(path string, params url.Values, filename string, file []byte) response {
	ts.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range params {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if file != nil {
		fw, _ := w.CreateFormFile("file", filename)
		fw.Write(file)
	}
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return ts.do(req)
}

// postForm sends a url-encoded body; with no content type, as cloudinary-go does.
func (ts *testServer) postForm(path string, params url.Values, contentType string) response {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.srv.URL+path, bytes.NewBufferString(params.Encode()))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return ts.do(req)
}

func (ts *testServer) get(path string, header http.Header) response {
	ts.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.srv.URL+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	return ts.do(req)
}

func (ts *testServer) admin(method, path string) response {
	ts.t.Helper()
	req, _ := http.NewRequest(method, ts.srv.URL+"/v1_1/"+testCloud+path, nil)
	req.SetBasicAuth(testKey, testSecret)
	return ts.do(req)
}

// upload sends a signed multipart upload and fails the test unless it returns 200.
func (ts *testServer) upload(rt string, params url.Values, filename string, file []byte) map[string]any {
	ts.t.Helper()
	r := ts.postMultipart("/v1_1/"+testCloud+"/"+rt+"/upload", sign(params), filename, file)
	if r.status != http.StatusOK {
		ts.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return r.json
}

// storedFiles counts the blob files and temp files in the data directory.
func (ts *testServer) storedFiles() (blobs, temps int) {
	filepath.WalkDir(filepath.Join(ts.store.Dir(), "files"), func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			blobs++
		}
		return nil
	})
	entries, _ := os.ReadDir(filepath.Join(ts.store.Dir(), "tmp"))
	return blobs, len(entries)
}

func errMessage(r response) string {
	if e, ok := r.json["error"].(map[string]any); ok {
		s, _ := e["message"].(string)
		return s
	}
	return ""
}

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}

// bufCopy reads a response body into a builder.
func bufCopy(dst *strings.Builder, res *http.Response) (int64, error) {
	return io.Copy(dst, res.Body)
}
