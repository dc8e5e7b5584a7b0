package httpapi

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
)

// countingListener counts, over all its connections, the writes and the ReadFrom calls (the
// sendfile path) that reach them.
type countingListener struct {
	net.Listener
	writes, readFroms atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c countingConn) Write(p []byte) (int, error) {
	c.l.writes.Add(1)
	return c.Conn.Write(p)
}

func (c countingConn) ReadFrom(r io.Reader) (int64, error) {
	c.l.readFroms.Add(1)
	return c.Conn.(io.ReaderFrom).ReadFrom(r)
}

// An answer whole in memory reaches the connection in one write, header and body together,
// whatever http.ServeContent makes of the request (full, Range, HEAD, 304); a file too large to
// be remembered still goes out through ReadFrom (sendfile).
func TestInMemoryAnswersAreOneWrite(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	photo := testdata(t, "photo.jpg")
	ts.upload("image", url.Values{"public_id": {"p"}}, "photo.jpg", photo)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	srv := &http.Server{Handler: ts.api}
	go srv.Serve(CorkConnections(srv, counted))
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String() + "/" + testCloud + "/image/upload/"

	get := func(method, path string, header http.Header) (*http.Response, []byte, int64, int64) {
		t.Helper()
		w0, r0 := counted.writes.Load(), counted.readFroms.Load()
		req, _ := http.NewRequest(method, base+path, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		return res, body, counted.writes.Load() - w0, counted.readFroms.Load() - r0
	}

	_, thumb, _, _ := get("GET", "w_40/p.jpg", nil) // first time: made and stored
	get("GET", "w_40/p.jpg", nil)                   // read from its file, and remembered with its bytes
	if len(thumb) == 0 || len(thumb) > inMemoryFileMax {
		t.Fatalf("thumbnail of %d bytes: want a small one", len(thumb))
	}
	for _, c := range []struct {
		name      string
		method    string
		header    http.Header
		status    int
		wantBody  []byte
		wantCount int64
	}{
		{"whole", "GET", nil, 200, thumb, 1},
		{"again on the same connection", "GET", nil, 200, thumb, 1},
		{"range", "GET", http.Header{"Range": {"bytes=2-9"}}, 206, thumb[2:10], 1},
		{"head", "HEAD", nil, 200, nil, 1},
	} {
		res, body, writes, readFroms := get(c.method, "w_40/p.jpg", c.header)
		if res.StatusCode != c.status || !bytes.Equal(body, c.wantBody) {
			t.Errorf("%s: %d with %d bytes, want %d with %d", c.name, res.StatusCode, len(body), c.status, len(c.wantBody))
		}
		if writes != c.wantCount || readFroms != 0 {
			t.Errorf("%s: %d writes and %d ReadFrom calls on the connection, want one write", c.name, writes, readFroms)
		}
	}
	res, _, writes, _ := get("GET", "w_40/p.jpg", http.Header{"If-None-Match": {`"` + md5hex(thumb) + `"`}})
	if res.StatusCode != http.StatusNotModified || writes != 1 {
		t.Errorf("conditional: %d in %d writes, want 304 in one", res.StatusCode, writes)
	}

	get("GET", "p.jpg", nil) // remembered without its bytes: larger than inMemoryFileMax
	res, body, _, readFroms := get("GET", "p.jpg", nil)
	if res.StatusCode != 200 || !bytes.Equal(body, photo) || readFroms != 1 {
		t.Errorf("original: %d, %d bytes, %d ReadFrom calls; want 200, the upload, sent by ReadFrom", res.StatusCode, len(body), readFroms)
	}
}
