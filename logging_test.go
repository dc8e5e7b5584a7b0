package main

import (
	"log/slog"
	"strings"
	"testing"
)

// Info lines wait in memory; a warning is written at once, after the lines before it.
func TestLogBufferHoldsInfoAndWritesWarningsAtOnce(t *testing.T) {
	var out syncBuffer
	buf := newLogBuffer(&out)
	log := slog.New(flushingHandler{slog.NewTextHandler(buf, nil), buf}).With("server", "test")
	log.Info("first")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	log.Warn("second")
	got := out.String()
	first, second := strings.Index(got, "msg=first"), strings.Index(got, "msg=second")
	if first < 0 || second < first || !strings.Contains(got, "server=test") {
		t.Fatalf("after a warning, want both lines in order with their attributes: %q", got)
	}
}

// Nothing logged is lost when logging stops, however soon.
func TestStopLoggingWritesWhatIsLeft(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	var out syncBuffer
	stop := startLogging(&out)
	slog.Info("request", "path", "/x")
	stop()
	if !strings.Contains(out.String(), "msg=request path=/x") {
		t.Fatalf("after stop: %q", out.String())
	}
}
