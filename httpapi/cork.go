package httpapi

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
)

// CorkConnections makes srv's connections ones a handler can cork (see corkedConn): it
// returns ln with every accepted connection wrapped, for srv to serve, and sets
// srv.ConnContext so that handlers find the connection of their request.
func CorkConnections(srv *http.Server, ln net.Listener) net.Listener {
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if cc, ok := c.(*corkedConn); ok {
			return context.WithValue(ctx, corkedConnKey{}, cc)
		}
		return ctx
	}
	return corkingListener{ln}
}

type corkedConnKey struct{}

type corkingListener struct{ net.Listener }

func (l corkingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &corkedConn{Conn: c}, nil
}

// corkedConn is a connection whose writes can be held and sent as one, as Linux's TCP_CORK
// does in the kernel. net/http writes an answer's header and its body separately; each write
// is a segment the client wakes up for and, over loopback, receives inside the sender's
// system call. For a small image that is most of the cost of answering, so an answer that is
// whole in memory is written corked (writeCorked): one write(2).
type corkedConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	held   *bytes.Buffer // while corked: what was written, from corkBuffers
}

var corkBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

func (c *corkedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		defer c.mu.Unlock()
		return c.held.Write(p)
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *corkedConn) cork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		c.corked, c.held = true, corkBuffers.Get().(*bytes.Buffer)
	}
}

// uncork writes what was held, in one write, and lets later writes through.
func (c *corkedConn) uncork() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return nil
	}
	_, err := c.Conn.Write(c.held.Bytes())
	c.held.Reset()
	corkBuffers.Put(c.held)
	c.corked, c.held = false, nil
	return err
}

// ReadFrom keeps sendfile(2) for files, which net/http hands to the connection's ReadFrom;
// while corked, what is read is held like any write.
func (c *corkedConn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	if c.corked {
		defer c.mu.Unlock()
		return c.held.ReadFrom(r)
	}
	c.mu.Unlock()
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(onlyWriter{c.Conn}, r)
}

// CloseWrite half-closes as the connection underneath does (net/http uses it to end a
// connection after an error without losing the answer).
func (c *corkedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writeCorked runs write, which must write a whole answer, with the request's connection
// corked, and sends the answer in one write. Without a corkable connection (httptest, say) it
// just runs write.
func writeCorked(w http.ResponseWriter, r *http.Request, write func()) {
	cc, _ := r.Context().Value(corkedConnKey{}).(*corkedConn)
	if cc == nil {
		write()
		return
	}
	cc.cork()
	defer cc.uncork()
	write()
	http.NewResponseController(w).Flush() // out of net/http's buffers, into the held bytes
}
