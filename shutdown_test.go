package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// slowUpload is an upload whose body the test sends in two halves, so that it is in flight
// for as long as the test wants.
type slowUpload struct {
	rest   []byte
	pipe   *io.PipeWriter
	status chan int // the answer's status; 0 when the request failed
}

// startSlowUpload sends the headers and the first half of an upload of file, and returns once
// cloudlet has started receiving the file (its temp file exists).
func startSlowUpload(t *testing.T, p *cloudletProc, publicID string, file []byte) *slowUpload {
	t.Helper()
	body, contentType := uploadBody(publicID, file)
	all := body.Bytes()
	half := len(all) / 2
	r, w := io.Pipe()
	u := &slowUpload{rest: all[half:], pipe: w, status: make(chan int, 1)}
	req, _ := http.NewRequest(http.MethodPost, p.base+"/v1_1/"+procCloud+"/raw/upload", r)
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = int64(len(all))
	go func() {
		status, err := send(req)
		if err != nil {
			status = 0
		}
		u.status <- status
	}()
	if _, err := w.Write(all[:half]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the upload's temp file", func() bool {
		entries, _ := os.ReadDir(filepath.Join(p.dir, "tmp"))
		return len(entries) > 0
	})
	return u
}

// finish sends the rest of the body and returns the answer's status.
func (u *slowUpload) finish(t *testing.T) int {
	t.Helper()
	if _, err := u.pipe.Write(u.rest); err != nil {
		t.Fatalf("send the rest of the upload: %v", err)
	}
	u.pipe.Close()
	return <-u.status
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestGracefulShutdown stops cloudlet with SIGTERM or SIGINT while an upload is in flight: the
// server stops accepting connections, the upload completes and is kept, the WAL is
// checkpointed into the database, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			p := startCloudlet(t, dir)
			file := randomBytes(rand.New(rand.NewPCG(1, uint64(sig))), 256<<10)
			u := startSlowUpload(t, p, "in-flight.bin", file)

			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the listener to close", func() bool {
				c, err := net.DialTimeout("tcp", p.base[len("http://"):], time.Second)
				if err == nil {
					c.Close()
				}
				return err != nil
			})
			if status := u.finish(t); status != http.StatusOK {
				t.Fatalf("upload in flight at %v: status %d\n%s", sig, status, p.log.String())
			}
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10s after %v:\n%s", sig, p.log.String())
			}
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Fatalf("exit code %d after %v:\n%s", code, sig, p.log.String())
			}
			if fi, err := os.Stat(filepath.Join(dir, "cloudlet.db-wal")); err == nil && fi.Size() > 0 {
				t.Fatalf("WAL not checkpointed: %d bytes left", fi.Size())
			}
			assertRowsMatchFiles(t, dir)

			p = startCloudlet(t, dir)
			status, body, err := fetch(context.Background(), p.base, "/"+procCloud+"/raw/upload/in-flight.bin", false)
			if err != nil || status != http.StatusOK || md5Of(body) != md5Of(file) {
				t.Fatalf("after restart: status %d, err %v, bytes match %v", status, err, md5Of(body) == md5Of(file))
			}
		})
	}
}

// TestShutdownIsBounded stops cloudlet while a client stalls in the middle of an upload: the
// process waits --shutdown-timeout for it, then cuts it off, keeps nothing of it, and exits 0.
func TestShutdownIsBounded(t *testing.T) {
	dir := t.TempDir()
	p := startCloudlet(t, dir, "--shutdown-timeout", "1s")
	u := startSlowUpload(t, p, "stalled.bin", randomBytes(rand.New(rand.NewPCG(2, 2)), 64<<10))
	start := time.Now()
	code := p.signal(syscall.SIGTERM, 8*time.Second)
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit code %d:\n%s", code, p.log.String())
	}
	if elapsed < time.Second {
		t.Fatalf("exited after %v: did not wait for the request in flight", elapsed)
	}
	u.pipe.CloseWithError(io.ErrUnexpectedEOF) // the client gives up too: its request has no answer
	if status := <-u.status; status != 0 {
		t.Fatalf("the stalled upload got an answer: %d", status)
	}
	rows, _ := rowsAndFiles(t, dir)
	if len(rows) != 0 {
		t.Fatalf("a cut-off upload left rows: %v", rows)
	}
	if out, code := runCommand(t, "fsck", "--data", dir, "--repair"); code != 0 {
		t.Fatalf("fsck exit %d:\n%s", code, out)
	}
}
