package gosdk

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudinary/cloudinary-go/v2"
	"github.com/cloudinary/cloudinary-go/v2/config"
	"github.com/cloudinary/cloudinary-go/v2/logger"
)

const (
	loopback     = "127.0.0.1"
	cloudName    = "compat-go"
	apiKey       = "385912746619384"
	apiSecret    = "go-suite-secret-Kw3"
	readyTimeout = 15 * time.Second
)

// srv is the cloudlet process shared by every test of the package; wire sees all its traffic.
var (
	srv  *cloudletProcess
	wire = &recordingTransport{base: http.DefaultTransport}
)

func TestMain(m *testing.M) {
	os.Exit(runWithCloudlet(m))
}

func runWithCloudlet(m *testing.M) int {
	bin := os.Getenv("CLOUDLET_BIN")
	if bin == "" || !filepath.IsAbs(bin) {
		fmt.Fprintln(os.Stderr, "CLOUDLET_BIN must be the absolute path of a built cloudlet binary "+
			"(cd <repo> && go build -o bin/cloudlet . && export CLOUDLET_BIN=$PWD/bin/cloudlet)")
		return 2
	}
	origin := startRemoteOrigin() // remote_test.go: the origin fetch URLs point at
	defer origin.Close()
	var err error
	srv, err = startCloudlet(bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting cloudlet:", err)
		return 1
	}
	defer srv.stop()
	return m.Run()
}

// --- the cloudlet process -------------------------------------------------------------------

type cloudletProcess struct {
	base string // http://127.0.0.1:PORT
	host string // 127.0.0.1:PORT
	dir  string
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startCloudlet(bin string) (*cloudletProcess, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("finding a free port: %w", err)
	}
	dir, err := os.MkdirTemp("", "cloudlet-compat-go-")
	if err != nil {
		return nil, err
	}
	p := &cloudletProcess{
		host: fmt.Sprintf("%s:%d", loopback, port),
		dir:  dir,
		log:  &lockedBuffer{},
		done: make(chan struct{}),
	}
	p.base = "http://" + p.host
	dataDir := filepath.Join(dir, "data")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		return nil, err
	}
	p.cmd = exec.Command(bin, "serve",
		"--addr", p.host,
		"--data", dataDir,
		"--public-url", p.base,
		"--cloud", fmt.Sprintf("cloudinary://%s:%s@%s", apiKey, apiSecret, cloudName),
		"--allow-private-fetch", "--remote-type", "fetch="+remoteOrigin.URL+"/media/")
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("running %s: %w", bin, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()

	client := &http.Client{Timeout: 2 * time.Second} // the ping URL is fixed loopback; keep it out of the exchange log
	deadline := time.Now().Add(readyTimeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			p.stop()
			return nil, fmt.Errorf("cloudlet exited before it was ready (%v):\n%s", p.cmd.ProcessState, p.log.tail(30))
		default:
		}
		req, _ := http.NewRequest(http.MethodGet, p.base+"/v1_1/"+cloudName+"/ping", nil)
		req.SetBasicAuth(apiKey, apiSecret)
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"ok"`)) {
				return p, nil
			}
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	return nil, fmt.Errorf("cloudlet not ready within %v (last ping: %s):\n%s", readyTimeout, last, p.log.tail(30))
}

func (p *cloudletProcess) stop() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) tail(lines int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// --- loopback-only transport that keeps the exchanges -----------------------------------------

type exchange struct {
	method     string
	url        string
	reqHeader  http.Header
	reqBody    []byte
	status     int
	respHeader http.Header
	respBody   []byte
}

// recordingTransport refuses any host but 127.0.0.1 and remembers recent requests and responses,
// so assertions can look at the wire (status codes, headers) the SDK hides, and a failing test can
// print exactly what was sent and received. The request is forwarded unchanged in form: an
// unknown-length body stays unknown-length (chunked), as the SDK sends it.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []exchange
}

const keptExchanges = 12

func (w *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Hostname() != loopback {
		return nil, fmt.Errorf("compat suite refused a connection to %s: only %s is allowed", req.URL.Host, loopback)
	}
	out := req.Clone(req.Context())
	var reqBody []byte
	if req.Body != nil {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		out.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	ex := exchange{method: req.Method, url: req.URL.String(), reqHeader: req.Header.Clone(), reqBody: reqBody}
	resp, err := w.base.RoundTrip(out)
	if err != nil {
		w.remember(ex)
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	ex.status, ex.respHeader, ex.respBody = resp.StatusCode, resp.Header.Clone(), body
	w.remember(ex)
	return resp, nil
}

func (w *recordingTransport) remember(ex exchange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = append(w.log, ex)
	if len(w.log) > keptExchanges {
		w.log = w.log[len(w.log)-keptExchanges:]
	}
}

// last returns the most recent exchange whose URL path ends with suffix.
func (w *recordingTransport) last(t *testing.T, method, pathSuffix string) exchange {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := len(w.log) - 1; i >= 0; i-- {
		ex := w.log[i]
		u := ex.url
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if ex.method == method && strings.HasSuffix(u, pathSuffix) {
			return ex
		}
	}
	t.Fatalf("no %s request to ...%s was recorded", method, pathSuffix)
	return exchange{}
}

func (w *recordingTransport) describe(n int) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	start := max(0, len(w.log)-n)
	var b strings.Builder
	for _, ex := range w.log[start:] {
		fmt.Fprintf(&b, "  > %s %s\n  > Content-Type: %q\n  > body: %s\n  < status: %d\n  < body: %s\n",
			ex.method, ex.url, ex.reqHeader.Get("Content-Type"), printable(ex.reqBody), ex.status, printable(ex.respBody))
	}
	return b.String()
}

var filePart = regexp.MustCompile(`(filename="[^"]*"\r\n(?:[^\r\n]+\r\n)*\r\n)((?s:.*?))(\r\n--)`)

func printable(b []byte) string {
	const limit = 1500
	b = filePart.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := filePart.FindSubmatch(m)
		return []byte(fmt.Sprintf("%s<%d bytes of file content>%s", sub[1], len(sub[2]), sub[3]))
	})
	s := []rune(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' || (r >= 0x20 && r < 0x7f) {
			return r
		}
		return '.'
	}, string(b)))
	if len(s) > limit {
		return fmt.Sprintf("%s... (%d chars)", string(s[:limit]), len(s))
	}
	return string(s)
}

// diagnoseOnFailure prints the last exchanges and the server log when t fails.
func diagnoseOnFailure(t *testing.T) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last HTTP exchanges:\n%s\ncloudlet log (tail):\n%s", wire.describe(3), srv.log.tail(15))
		}
	})
}

// --- SDK clients ------------------------------------------------------------------------------

// newSDK builds a client the way a user points cloudinary-go at cloudlet. The configuration is
// complete before NewFromConfiguration because Admin and Upload each keep their own copy of it.
func newSDK(t *testing.T, secret string, adjust func(*config.Configuration)) *cloudinary.Cloudinary {
	t.Helper()
	conf, err := config.NewFromParams(cloudName, apiKey, secret)
	if err != nil {
		t.Fatal(err)
	}
	conf.API.UploadPrefix = srv.base
	conf.API.Timeout = 20
	conf.URL.Secure = false
	conf.URL.CName = srv.host
	if adjust != nil {
		adjust(conf)
	}
	cld, err := cloudinary.NewFromConfiguration(*conf)
	if err != nil {
		t.Fatal(err)
	}
	cld.Logger.SetLevel(logger.NONE)
	cld.Admin.Client = http.Client{Transport: wire}
	cld.Upload.Client = http.Client{Transport: wire}
	return cld
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fetch GETs a delivery URL with a plain client (still loopback-only).
func fetch(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	return fetchWith(t, url, nil)
}

// fetchWith is fetch with extra request headers (Accept for f_auto, for instance).
func fetchWith(t *testing.T, url string, header http.Header) (int, http.Header, []byte) {
	t.Helper()
	client := &http.Client{Transport: wire, Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// --- fixtures ---------------------------------------------------------------------------------

// testdata returns the path of a fixture in the repository's testdata/ folder; go test runs in
// this package's directory, two levels below the repository root.
func testdata(t *testing.T, name string) (string, []byte) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing test fixture %s: %v", path, err)
	}
	return path, data
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

type dimensions struct{ width, height int }

func jpegSize(b []byte) (dimensions, error) {
	for i := 2; i+9 < len(b); {
		if b[i] != 0xff {
			i++
			continue
		}
		marker := b[i+1]
		switch {
		case marker == 0xff:
			i++
			continue
		case marker == 0xd8 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7):
			i += 2
			continue
		}
		isSOF := marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc
		if isSOF {
			return dimensions{int(binary.BigEndian.Uint16(b[i+7:])), int(binary.BigEndian.Uint16(b[i+5:]))}, nil
		}
		i += 2 + int(binary.BigEndian.Uint16(b[i+2:]))
	}
	return dimensions{}, errors.New("no SOF marker in JPEG")
}

func pngSize(b []byte) (dimensions, error) {
	if len(b) < 24 || string(b[12:16]) != "IHDR" {
		return dimensions{}, errors.New("not a PNG")
	}
	return dimensions{int(binary.BigEndian.Uint32(b[16:])), int(binary.BigEndian.Uint32(b[20:]))}, nil
}

// webpSize reads the canvas size from a WebP file's first chunk: lossy (VP8), lossless (VP8L)
// or extended (VP8X).
func webpSize(b []byte) (dimensions, error) {
	if len(b) < 30 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return dimensions{}, errors.New("not a WebP")
	}
	switch chunk := string(b[12:16]); chunk {
	case "VP8 ":
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return dimensions{}, errors.New("VP8 start code missing")
		}
		return dimensions{int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff)}, nil
	case "VP8L":
		if b[20] != 0x2f {
			return dimensions{}, errors.New("VP8L signature missing")
		}
		bits := binary.LittleEndian.Uint32(b[21:])
		return dimensions{int(bits&0x3fff) + 1, int((bits>>14)&0x3fff) + 1}, nil
	case "VP8X":
		u24 := func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 }
		return dimensions{u24(b[24:]) + 1, u24(b[27:]) + 1}, nil
	default:
		return dimensions{}, fmt.Errorf("unknown WebP chunk %q", chunk)
	}
}

// imageInfo sniffs the format from the magic bytes and reads the size from the header.
func imageInfo(b []byte) (format string, size dimensions, err error) {
	switch {
	case len(b) >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff:
		size, err = jpegSize(b)
		return "jpg", size, err
	case len(b) >= 8 && string(b[1:4]) == "PNG":
		size, err = pngSize(b)
		return "png", size, err
	case len(b) >= 12 && string(b[8:12]) == "WEBP":
		size, err = webpSize(b)
		return "webp", size, err
	}
	return "", dimensions{}, fmt.Errorf("not a JPEG, PNG or WebP (starts %x)", b[:min(len(b), 12)])
}
