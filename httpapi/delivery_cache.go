package httpapi

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// deliveryCacheMax bounds the remembered delivery URLs; a full cache starts over.
const deliveryCacheMax = 50_000

// Files up to inMemoryFileMax bytes are remembered with their bytes, up to inMemoryTotal bytes in
// all, so a repeat request for a thumbnail costs no open, stat or close.
const (
	inMemoryFileMax = 64 << 10
	inMemoryTotal   = 64 << 20
)

// deliveryCache remembers, per delivery URL answered with a stored file (an original or a
// derived image), the file and the headers of the answer, so a repeat request skips parsing the
// URL and three catalogue queries: the hot path of a media server. Entries hold for one store
// generation; any committed write to the catalogue drops them all. Its zero value is ready.
type deliveryCache struct {
	mu       sync.RWMutex
	gen      uint64
	entries  map[string]*storedAnswer
	inMemory int // bytes of the entries' bodies
}

// storedAnswer is a delivery answer that is a file as it is on disk.
type storedAnswer struct {
	path    string
	header  http.Header // Content-Type, ETag, Cache-Control…
	modTime time.Time
	body    []byte // the file's bytes when it is small (nil otherwise)
}

func (dc *deliveryCache) get(key string, gen uint64) *storedAnswer {
	dc.mu.RLock()
	defer dc.mu.RUnlock()
	if dc.gen != gen {
		return nil
	}
	return dc.entries[key]
}

func (dc *deliveryCache) put(key string, gen uint64, a *storedAnswer) {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if gen < dc.gen {
		return // read before a write that the cache has already seen
	}
	if gen > dc.gen || dc.entries == nil || len(dc.entries) >= deliveryCacheMax {
		dc.gen, dc.entries, dc.inMemory = gen, make(map[string]*storedAnswer), 0
	}
	if old := dc.entries[key]; old != nil {
		dc.inMemory -= len(old.body)
	}
	if dc.inMemory+len(a.body) > inMemoryTotal {
		a.body = nil
	}
	dc.inMemory += len(a.body)
	dc.entries[key] = a
}

// deliveryGenKey is where deliver keeps, for the request, the store generation it started in.
const deliveryGenKey = "cloudlet.deliveryGen"

// serveRemembered answers from the delivery cache when it knows the URL and the file is still
// there; it says whether it answered.
func (s *Server) serveRemembered(c echo.Context) bool {
	gen := s.store.Generation()
	a := s.deliveries.get(c.Request().URL.EscapedPath(), gen)
	var f *os.File
	if a != nil && a.body == nil {
		var err error
		if f, err = os.Open(a.path); err != nil {
			a = nil // removed since: the full path finds out what is there now
		} else {
			defer f.Close()
		}
	}
	if a == nil {
		c.Set(deliveryGenKey, gen) // for serveStored to remember the answer
		return false
	}
	h := c.Response().Header()
	for k, v := range a.header {
		h[k] = v
	}
	if a.body != nil {
		serveBytes(c, a.modTime, a.body)
	} else {
		http.ServeContent(sendfileResponse{c.Response()}, c.Request(), "", a.modTime, f)
	}
	return true
}

// serveStored answers with the stored file at path (sendfile, Range and conditional requests by
// http.ServeContent) and remembers the answer when a repeat of the URL may reuse it: a public
// delivery type (the others check a signature on every request), an answer that depends on no
// request header (no Vary) and no default image standing in for a missing one.
func (s *Server) serveStored(c echo.Context, path string, modTime time.Time) error {
	h := c.Response().Header()
	f, err := os.Open(path)
	if err != nil {
		for _, name := range []string{"ETag", "Cache-Control", "Content-Disposition"} {
			h.Del(name) // they described the file, not the error
		}
		if errors.Is(err, fs.ErrNotExist) {
			return errBlobGone()
		}
		return err
	}
	defer f.Close()
	// An answer from a generation that has passed (this request itself may have written, as a
	// first-time transform does) could never be served again: it is not remembered.
	gen, known := c.Get(deliveryGenKey).(uint64)
	if known && gen == s.store.Generation() && c.Param("type") == "upload" && h.Get("Vary") == "" && h.Get("X-Cld-Error") == "" {
		remembered := &storedAnswer{path: path, header: h.Clone(), modTime: modTime}
		if st, err := f.Stat(); err == nil && st.Size() <= inMemoryFileMax {
			body := make([]byte, st.Size())
			if _, err := f.ReadAt(body, 0); err == nil {
				remembered.body = body
			}
		}
		s.deliveries.put(c.Request().URL.EscapedPath(), gen, remembered)
	}
	http.ServeContent(sendfileResponse{c.Response()}, c.Request(), "", modTime, f)
	return nil
}
