package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a server the harness started; stop ends it and waits for it.
type process struct {
	name string
	cmd  *exec.Cmd
	url  string // http://127.0.0.1:port
	// supervised: the started process runs the server as its child (cloudlet serve), and the
	// child is what is measured.
	supervised bool

	waitDone chan struct{} // closed once the process has exited
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startProcess runs name with args, its output in logFile, and waits until probePath on port
// answers (any status).
func startProcess(label, logFile string, port int, probePath string, env []string, name string, args ...string) (*process, error) {
	logOut, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer logOut.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logOut, logOut
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the harness
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", label, err)
	}
	p := &process{name: label, cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port)}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("%s exited at start; see %s", label, logFile)
		default:
		}
		if res, err := http.Get(p.url + probePath); err == nil {
			res.Body.Close()
			p.waitDone = exited
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not answer within a minute; see %s", label, logFile)
}

// stop sends SIGTERM, then SIGKILL after ten seconds, and waits for the process to end.
func (p *process) stop() {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.waitDone:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.waitDone
	}
}

// procDir is the /proc directory of the process serving: the started one, or its child.
func (p *process) procDir() (string, error) {
	pid := strconv.Itoa(p.cmd.Process.Pid)
	if !p.supervised {
		return filepath.Join("/proc", pid), nil
	}
	children, err := os.ReadFile(filepath.Join("/proc", pid, "task", pid, "children"))
	if err != nil {
		return "", err
	}
	child, _, _ := strings.Cut(strings.TrimSpace(string(children)), " ")
	if child == "" {
		return "", fmt.Errorf("%s: no server process under the supervisor", p.name)
	}
	return filepath.Join("/proc", child), nil
}

// memoryKiB reads the server's resident set now (VmRSS) and its peak so far (VmHWM).
func (p *process) memoryKiB() (rss, peak int64, err error) {
	dir, err := p.procDir()
	if err != nil {
		return 0, 0, err
	}
	f, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch name {
		case "VmRSS":
			rss = kb
		case "VmHWM":
			peak = kb
		}
	}
	if peak == 0 {
		return 0, 0, errors.New("no VmHWM in /proc status")
	}
	return rss, peak, sc.Err()
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's CPU times (100 on Linux).
const clockTicks = 100

// cpuTime is the CPU time the server has used so far (user and system, all threads).
func (p *process) cpuTime() (time.Duration, error) {
	dir, err := p.procDir()
	if err != nil {
		return 0, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) start at state, field 3.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
