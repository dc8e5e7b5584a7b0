package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

// `cloudlet serve` runs as two processes. The first (the supervisor) opens the listening socket
// and runs the second, the server, handing it the socket. When the server dies of a crash
// (libvips 8.14 can corrupt its heap under concurrent transforms, see README), the supervisor
// starts another on the same socket: connections that arrive meanwhile wait in the socket's
// backlog instead of being refused, and only the requests in flight are lost. What was
// answered is on disk either way (a crash is a SIGKILL to the store; see crash_test.go).

// servingEnv marks the server process: the listening socket is its file descriptor 3, and
// file descriptor 4 the read end of a pipe the supervisor closes to ask it to stop. A pipe
// rather than a signal: under systemd a stop signals every process of the service, and the
// server taking a second SIGTERM from its supervisor would stop at once instead of finishing
// its requests.
const servingEnv = "CLOUDLET_SERVING_FD"

// inheritedServer is what the supervisor handed over: the socket, and a channel closed when
// the supervisor asks the server to stop. ln is nil when this process is the supervisor.
func inheritedServer() (ln net.Listener, stopAsked <-chan struct{}, err error) {
	if os.Getenv(servingEnv) != "3" {
		return nil, nil, nil
	}
	sock := os.NewFile(3, "cloudlet-listener")
	defer sock.Close()
	if ln, err = net.FileListener(sock); err != nil {
		return nil, nil, fmt.Errorf("inherited listener: %w", err)
	}
	asked := make(chan struct{})
	go func() {
		pipe := os.NewFile(4, "cloudlet-stop")
		io.Copy(io.Discard, pipe) // returns at the end of the pipe: the supervisor closed it
		pipe.Close()
		close(asked)
	}()
	return ln, asked, nil
}

// Restarts after a crash wait restartDelay, doubling (to at most maxRestartDelay) while the
// server keeps crashing within crashLoopWindow of its start.
const (
	restartDelay    = 100 * time.Millisecond
	maxRestartDelay = 10 * time.Second
	crashLoopWindow = 30 * time.Second
)

// supervise listens on cfg.addr and keeps a server process running on that socket until it
// stops by itself or, on SIGTERM/SIGINT, is asked to stop; it returns the server's exit code.
func supervise(cfg serveConfig) (int, error) {
	// The server is told to die with the supervisor (Pdeathsig), which the kernel ties to the
	// thread that started it: that thread must stay, so the goroutine keeps it.
	runtime.LockOSThread()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	sock, err := ln.(*net.TCPListener).File()
	if err != nil {
		return 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Stopping, the supervisor lets go of the socket: once the server closes its own copy,
	// new connections are refused rather than left waiting in the backlog.
	stopping := func() {
		stop()
		ln.Close()
		sock.Close()
	}
	delay := restartDelay
	for {
		started := time.Now()
		state, err := runServer(ctx, stopping, self, sock)
		if err != nil {
			return 0, err
		}
		if ctx.Err() != nil || !crashed(state) {
			return exitCode(state), nil
		}
		if time.Since(started) > crashLoopWindow {
			delay = restartDelay
		}
		slog.Error("the server process crashed; starting another on the same socket",
			"state", state.String(), "ran", time.Since(started).Round(time.Millisecond), "restart_in", delay)
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return 0, nil
		}
		delay = min(2*delay, maxRestartDelay)
	}
}

// runServer runs one server process on sock until it exits. On a signal to the supervisor it
// calls stopping and closes the server's stop pipe (the server then finishes its requests in
// flight); a second signal, no longer handled, ends the supervisor and with it the server at
// once.
func runServer(ctx context.Context, stopping func(), self string, sock *os.File) (*os.ProcessState, error) {
	stopRead, stopWrite, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer stopWrite.Close()
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), servingEnv+"=3")
	cmd.ExtraFiles = []*os.File{sock, stopRead}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Its own process group: a terminal's Ctrl-C reaches the supervisor only.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	err = cmd.Start()
	stopRead.Close()
	if err != nil {
		return nil, fmt.Errorf("start the server process: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-ctx.Done():
		stopping()
		stopWrite.Close()
		<-exited
	}
	return cmd.ProcessState, nil
}

// crashed reports whether the server died rather than stopped: killed by a signal (the OOM
// killer's SIGKILL) or ended by the Go runtime's crash exit (code 2: a fatal signal in libvips,
// a panic). Code 1 is a clean stop on an error (the data directory in use, a bad database),
// which restarting would not mend.
func crashed(state *os.ProcessState) bool {
	var ws syscall.WaitStatus
	if s, ok := state.Sys().(syscall.WaitStatus); ok {
		ws = s
	}
	return ws.Signaled() || state.ExitCode() == 2
}

// exitCode is the server's exit code, 1 when a signal ended it.
func exitCode(state *os.ProcessState) int {
	if code := state.ExitCode(); code >= 0 {
		return code
	}
	return 1
}
