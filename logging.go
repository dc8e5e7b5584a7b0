package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushInterval is how long an info line may wait in memory before it is written.
const logFlushInterval = 100 * time.Millisecond

// logBuffer collects log lines and writes them to w in batches: a busy server logs a line per
// request, and one write(2) per line would cost more than serving a cached image. Lines wait
// at most logFlushInterval (flushEvery), warnings and errors not at all (flushingHandler).
type logBuffer struct {
	mu  sync.Mutex
	buf *bufio.Writer
}

func newLogBuffer(w io.Writer) *logBuffer {
	return &logBuffer{buf: bufio.NewWriterSize(w, 64<<10)}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes out what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// flushEvery flushes the buffer every d until ctx ends, and once more then.
func (b *logBuffer) flushEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.Flush()
		case <-ctx.Done():
			b.Flush()
			return
		}
	}
}

// flushingHandler writes a record of level warning or above out at once, with every line
// buffered before it, so that nothing that matters waits and the order of lines is kept.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}

// startLogging makes the default logger write text lines to w through a logBuffer. The
// returned stop flushes what is left; call it before the process exits.
func startLogging(w io.Writer) (stop func()) {
	buf := newLogBuffer(w)
	slog.SetDefault(slog.New(flushingHandler{slog.NewTextHandler(buf, nil), buf}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf.flushEvery(ctx, logFlushInterval)
	}()
	return func() {
		cancel()
		<-done
	}
}
