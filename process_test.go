package main

// The tests of this package run the real cloudlet binary as a child process: they kill it,
// stop it with signals, and back up, restore and check its data directory with its own
// commands. This file builds the binary once and holds the helpers those tests share.

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

const (
	procCloud  = "demo"
	procKey    = "614335564976464"
	procSecret = "reliability-secret"
)

// cloudletBin is the binary under test, built once by TestMain.
var cloudletBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudlet-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cloudletBin = filepath.Join(dir, "cloudlet")
	build := exec.Command("go", "build", "-o", cloudletBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cloudlet:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cloudletProc is one running `cloudlet serve`.
type cloudletProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	dir  string
	log  *syncBuffer
	done chan struct{}
}

// startCloudlet runs `cloudlet serve` on dir and a free loopback port, and waits until it answers.
func startCloudlet(t *testing.T, dir string, extra ...string) *cloudletProc {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--data", dir,
		"--cloud", fmt.Sprintf("cloudinary://%s:%s@%s", procKey, procSecret, procCloud)}, extra...)
	p := &cloudletProc{t: t, cmd: exec.Command(cloudletBin, args...), base: "http://" + addr, dir: dir,
		log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "VIPS_WARNING=0")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			t.Fatalf("cloudlet exited at start (%v):\n%s", p.cmd.ProcessState, p.log.String())
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, p.base+"/v1_1/"+procCloud+"/ping", nil)
		req.SetBasicAuth(procKey, procSecret)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("cloudlet not ready:\n%s", p.log.String())
	return nil
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// kill stops the process with SIGKILL, as a crash or the OOM killer would.
func (p *cloudletProc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
}

// signal sends sig and waits (at most within) for the process to exit; it returns the exit code.
func (p *cloudletProc) signal(sig os.Signal, within time.Duration) int {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(within):
		p.kill()
		p.t.Fatalf("cloudlet still running %v after %v:\n%s", within, sig, p.log.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// pid is the id of the server process (the child of the supervisor started), for reading /proc
// and for signals; 0 when there is none at the moment (between a crash and its restart). The
// kernel lists a child under the thread that started it, which need not be the supervisor's main
// thread (its goroutine locks whichever thread it is on), so every thread's list is read.
func (p *cloudletProc) pid() int {
	lists, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(p.cmd.Process.Pid), "task", "*", "children"))
	for _, list := range lists {
		children, err := os.ReadFile(list)
		if err != nil {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimSpace(string(children)), " ")
		if pid, _ := strconv.Atoi(first); pid != 0 {
			return pid
		}
	}
	return 0
}

// syncBuffer collects a child's output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// linesWith returns the lines of the output that contain substr.
func (b *syncBuffer) linesWith(substr string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, line := range strings.Split(b.buf.String(), "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return out
}

// runCommand runs a cloudlet command other than serve and returns its output and exit code.
func runCommand(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(cloudletBin, args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// --- requests -----------------------------------------------------------------------------

// client is used for every request; its timeout keeps a test from hanging on a dead server.
var client = &http.Client{Timeout: 30 * time.Second}

// signParams adds timestamp, api_key and the SHA-1 signature the SDKs compute.
func signParams(params url.Values) url.Values {
	params.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + params.Get(k)
	}
	sum := sha1.Sum([]byte(strings.Join(pairs, "&") + procSecret))
	params.Set("signature", hex.EncodeToString(sum[:]))
	params.Set("api_key", procKey)
	return params
}

// uploadBody builds a signed multipart upload of file under publicID.
func uploadBody(publicID string, file []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range signParams(url.Values{"public_id": {publicID}}) {
		w.WriteField(k, v[0])
	}
	fw, _ := w.CreateFormFile("file", "upload.bin")
	fw.Write(file)
	w.Close()
	return &buf, w.FormDataContentType()
}

// upload sends file as a new asset of resource type rt; it returns the status (0 when the
// request failed without an answer).
func upload(ctx context.Context, base, rt, publicID string, file []byte) (int, error) {
	body, contentType := uploadBody(publicID, file)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1_1/"+procCloud+"/"+rt+"/upload", body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	return send(req)
}

// destroy deletes an asset with the Upload API; ok is true only for {"result":"ok"}.
func destroy(ctx context.Context, base, rt, publicID string) (status int, ok bool, err error) {
	form := signParams(url.Values{"public_id": {publicID}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1_1/"+procCloud+"/"+rt+"/destroy",
		strings.NewReader(form.Encode()))
	if err != nil {
		return 0, false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer res.Body.Close()
	var out struct{ Result string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return res.StatusCode, false, err
	}
	return res.StatusCode, res.StatusCode == http.StatusOK && out.Result == "ok", nil
}

// fetch GETs path (delivery or, with admin, the Admin API) and returns status and body.
func fetch(ctx context.Context, base, path string, admin bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return 0, nil, err
	}
	if admin {
		req.SetBasicAuth(procKey, procSecret)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}

func send(req *http.Request) (int, error) {
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// --- content --------------------------------------------------------------------------------

func md5Of(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

// randomPNG is a small image with random pixels: every call gives other bytes.
func randomPNG(rnd *rand.Rand, w, h int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// randomBytes is a raw file of n random bytes.
func randomBytes(rnd *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.UintN(256))
	}
	return b
}

// --- the data directory, read directly ------------------------------------------------------

// rowsAndFiles reads a stopped (or killed) cloudlet's data directory without cloudlet's code: the files the
// database refers to and the files on disk (under files/), both relative to files/.
func rowsAndFiles(t *testing.T, dir string) (rows, files map[string]bool) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "cloudlet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Query("SELECT blob FROM assets UNION ALL SELECT blob FROM derived")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows = map[string]bool{}
	for r.Next() {
		var b string
		if err := r.Scan(&b); err != nil {
			t.Fatal(err)
		}
		rows[b] = true
	}
	files = map[string]bool{}
	root := filepath.Join(dir, "files")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	return rows, files
}

// assertRowsMatchFiles fails unless every row's file exists and every file has its row.
func assertRowsMatchFiles(t *testing.T, dir string) {
	t.Helper()
	rows, files := rowsAndFiles(t, dir)
	for b := range rows {
		if !files[b] {
			t.Errorf("row without a file: %s", b)
		}
	}
	for f := range files {
		if !rows[f] {
			t.Errorf("file without a row: %s", f)
		}
	}
}

// randomPause is a random duration in [min, max).
func randomPause(rnd *rand.Rand, min, max time.Duration) time.Duration {
	return min + time.Duration(rnd.Int64N(int64(max-min)))
}
