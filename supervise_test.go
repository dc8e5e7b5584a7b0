package main

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// serverPID waits (up to 10s) for a server process under the supervisor other than not.
func serverPID(t *testing.T, p *cloudletProc, not int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if pid := p.pid(); pid != 0 && pid != not {
			return pid
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no server process under the supervisor:\n%s", p.log.String())
	return 0
}

func processGone(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return os.IsNotExist(err)
}

// TestCrashedServerIsRestarted kills the server process as a libvips crash (SIGABRT, the Go
// runtime's crash exit) and as the OOM killer (SIGKILL) would: the supervisor starts another
// on the same socket, a request sent right after the crash is answered (it waited in the
// backlog), nothing stored is lost, and SIGTERM still stops everything cleanly.
func TestCrashedServerIsRestarted(t *testing.T) {
	dir := t.TempDir()
	p := startCloudlet(t, dir)
	file := randomPNG(rand.New(rand.NewPCG(3, 3)), 64, 48)
	if status, err := upload(context.Background(), p.base, "image", "kept", file); status != http.StatusOK {
		t.Fatalf("upload: %d %v", status, err)
	}
	pid := serverPID(t, p, 0)
	for _, sig := range []syscall.Signal{syscall.SIGABRT, syscall.SIGKILL} {
		if err := syscall.Kill(pid, sig); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the crashed server to exit", func() bool { return processGone(pid) })
		status, body, err := fetch(context.Background(), p.base, "/"+procCloud+"/image/upload/w_20/kept.png", false)
		if err != nil || status != http.StatusOK || len(body) == 0 {
			t.Fatalf("request after %v: status %d, err %v\n%s", sig, status, err, p.log.String())
		}
		next := serverPID(t, p, pid)
		if next == pid {
			t.Fatalf("no new server process after %v", sig)
		}
		pid = next
	}
	if n := len(p.log.linesWith("the server process crashed")); n != 2 {
		t.Fatalf("%d crash reports in the log, want 2:\n%s", n, p.log.String())
	}
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, p.log.String())
	}
	waitFor(t, "the server to exit with its supervisor", func() bool { return processGone(pid) })
	assertRowsMatchFiles(t, dir)
}

// TestServerDiesWithItsSupervisor kills the supervisor outright: its server must not live on
// holding the data directory, and a new cloudlet can start on it at once.
func TestServerDiesWithItsSupervisor(t *testing.T) {
	dir := t.TempDir()
	p := startCloudlet(t, dir)
	pid := serverPID(t, p, 0)
	p.kill()
	waitFor(t, "the server to die with its supervisor", func() bool { return processGone(pid) })
	p = startCloudlet(t, dir)
	if status, _, err := fetch(context.Background(), p.base, "/v1_1/"+procCloud+"/ping", true); status != http.StatusOK {
		t.Fatalf("ping after restart: %d %v", status, err)
	}
}

// TestStopSignalledToBothProcesses is a stop as systemd makes it (KillMode=control-group):
// SIGTERM to the supervisor and to the server at once. The server must still finish the upload
// in flight: the supervisor asks it to stop through a pipe, not with a second signal.
func TestStopSignalledToBothProcesses(t *testing.T) {
	dir := t.TempDir()
	p := startCloudlet(t, dir)
	pid := serverPID(t, p, 0)
	file := randomBytes(rand.New(rand.NewPCG(4, 4)), 256<<10)
	u := startSlowUpload(t, p, "in-flight.bin", file)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if status := u.finish(t); status != http.StatusOK {
		t.Fatalf("upload in flight: status %d\n%s", status, p.log.String())
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s after SIGTERM:\n%s", p.log.String())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, p.log.String())
	}
	assertRowsMatchFiles(t, dir)
}
