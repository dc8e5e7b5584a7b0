package httpapi

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// sendfileResponse lets http.ServeContent send a file with sendfile(2). Echo's Response counts
// the status and bytes written (for the request log and the usage report) but has no ReadFrom,
// so io.Copy would read the file into a buffer and write it out; this passes ReadFrom on to the
// connection's writer, which sends an *os.File from the kernel (and, on a corked connection,
// takes a body in memory without a copy buffer), and counts the bytes.
type sendfileResponse struct{ *echo.Response }

// ReadFrom writes src as the body, committing the status first as Response.Write does.
func (w sendfileResponse) ReadFrom(src io.Reader) (int64, error) {
	if !w.Committed {
		if w.Status == 0 {
			w.Status = http.StatusOK
		}
		w.WriteHeader(w.Status)
	}
	rf, ok := w.Writer.(io.ReaderFrom)
	if !ok {
		return io.Copy(onlyWriter{w.Response}, src)
	}
	n, err := rf.ReadFrom(src)
	w.Size += n
	return n, err
}

// onlyWriter hides every method but Write, so io.Copy cannot come back to ReadFrom.
type onlyWriter struct{ io.Writer }

// serveBytes answers with a body that is whole in memory: http.ServeContent (Range,
// conditional requests, HEAD), sent to the connection in one write (writeCorked).
func serveBytes(c echo.Context, modTime time.Time, body []byte) {
	writeCorked(c.Response(), c.Request(), func() {
		http.ServeContent(sendfileResponse{c.Response()}, c.Request(), "", modTime, bytes.NewReader(body))
	})
}
