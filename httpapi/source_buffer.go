package httpapi

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// sourceBuffers recycles the memory originals are read into for a transformation. An original
// is often megabytes; a fresh buffer per first-time request is garbage the collector must then
// chase, at thousands of requests a minute. Only the bytes are reused: libvips keeps no
// reference once Execute returns (its operation cache is off).
var sourceBuffers sync.Pool // of *[]byte

// readSource reads the file at path into a recycled buffer. The caller hands the buffer back
// with releaseSource once nothing uses the bytes.
func readSource(path string) (*[]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf, _ := sourceBuffers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	if int64(cap(*buf)) < st.Size() {
		*buf = make([]byte, st.Size())
	}
	*buf = (*buf)[:st.Size()]
	if _, err := io.ReadFull(f, *buf); err != nil {
		releaseSource(buf)
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf, nil
}

// releaseSource returns a buffer from readSource to the pool. Buffers of originals larger than
// maxPooledSource are left to the collector, so one huge original does not stay in memory.
func releaseSource(buf *[]byte) {
	if cap(*buf) <= maxPooledSource {
		sourceBuffers.Put(buf)
	}
}

const maxPooledSource = 16 << 20
