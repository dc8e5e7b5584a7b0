package httpapi

import (
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A server logs a line per request unless it is quiet; a failure is logged either way.
func TestQuietRequestsLeavesOnlyFailuresInTheLog(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	for _, quiet := range []bool{false, true} {
		logFile, err := os.Create(filepath.Join(t.TempDir(), "log"))
		if err != nil {
			t.Fatal(err)
		}
		slog.SetDefault(slog.New(slog.NewTextHandler(logFile, nil)))
		cfg := defaultTestConfig()
		cfg.QuietRequests = quiet
		ts := newTestServer(t, cfg)
		if r := ts.admin(http.MethodGet, "/resources/image"); r.status != http.StatusOK {
			t.Fatalf("quiet=%v: listing: %d %s", quiet, r.status, r.body)
		}
		ts.store.Close() // the next listing fails inside the server
		if r := ts.admin(http.MethodGet, "/resources/image"); r.status != http.StatusInternalServerError {
			t.Fatalf("quiet=%v: listing over a closed store: %d %s", quiet, r.status, r.body)
		}
		ts.srv.Close() // waits for the handlers, and so for their log lines
		b, err := os.ReadFile(logFile.Name())
		if err != nil {
			t.Fatal(err)
		}
		logFile.Close()
		log := string(b)
		want := map[bool]int{false: 2, true: 0}[quiet]
		if got := strings.Count(log, "msg=request method=GET path=/v1_1/"+testCloud+"/resources/image"); got != want {
			t.Errorf("quiet=%v: %d request lines in the log, want %d:\n%s", quiet, got, want, log)
		}
		if !strings.Contains(log, `msg="request failed"`) {
			t.Errorf("quiet=%v: the failure is not in the log:\n%s", quiet, log)
		}
	}
}
