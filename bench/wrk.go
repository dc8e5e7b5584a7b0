package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

//go:embed wrk.lua
var wrkScript []byte

// load is one wrk run: what to request, how hard and for how long.
type load struct {
	method      string
	url         string // base URL and path; a %d in the path makes every request distinct
	first       int    // first index of a distinct path
	connections int
	threads     int // wrk's threads; 0: one per connection, at most 2 (one per core here)
	duration    time.Duration
	headers     []string // "Name: value"
	bodyFile    string   // request body, for POST
	contentType string
}

// loadResult is what wrk measured.
type loadResult struct {
	Requests     int64   `json:"requests"`
	DurationUS   int64   `json:"duration_us"`
	SocketErrors int64   `json:"socket_errors"`
	BadStatus    int64   `json:"bad_status"`
	P50US        int64   `json:"p50_us"`
	P99US        int64   `json:"p99_us"`
	MaxUS        int64   `json:"max_us"`
	RPS          float64 `json:"rps"`
	// CPUMSPerRequest is the server's CPU time per request (all its threads, not wrk's), when the
	// harness started the server: a figure other load on the machine barely moves.
	CPUMSPerRequest float64 `json:"cpu_ms_per_request,omitempty"`
}

// add is r and a further slice of the same load together: requests, time and CPU add up; the
// p50 is the slices' p50 weighted by their requests, the p99 and the maximum the largest.
func (r loadResult) add(s loadResult) loadResult {
	n := r.Requests + s.Requests
	if n == 0 {
		return r
	}
	weighted := func(a, b float64) float64 { return (a*float64(r.Requests) + b*float64(s.Requests)) / float64(n) }
	sum := loadResult{
		Requests: n, DurationUS: r.DurationUS + s.DurationUS,
		SocketErrors: r.SocketErrors + s.SocketErrors, BadStatus: r.BadStatus + s.BadStatus,
		P50US: int64(weighted(float64(r.P50US), float64(s.P50US))), P99US: max(r.P99US, s.P99US),
		MaxUS: max(r.MaxUS, s.MaxUS), CPUMSPerRequest: weighted(r.CPUMSPerRequest, s.CPUMSPerRequest),
	}
	sum.RPS = float64(n) / (float64(sum.DurationUS) / 1e6)
	return sum
}

// P50 and P99 are the latency percentiles in milliseconds.
func (r loadResult) P50() float64 { return float64(r.P50US) / 1000 }
func (r loadResult) P99() float64 { return float64(r.P99US) / 1000 }

// runWrkOn runs the load against server, a process of the harness, and adds its CPU time per
// request to the result.
func runWrkOn(server *process, work string, l load) (loadResult, error) {
	before, err := server.cpuTime()
	if err != nil {
		return loadResult{}, err
	}
	r, err := runWrk(work, l)
	if err != nil {
		return r, err
	}
	after, err := server.cpuTime()
	if err != nil {
		return r, err
	}
	r.CPUMSPerRequest = float64((after - before).Microseconds()) / 1000 / float64(r.Requests)
	return r, nil
}

// runWrk runs wrk with the benchmark's script and reads its JSON line. Any error status or
// socket error fails the measurement: a fast wrong answer is no result.
func runWrk(work string, l load) (loadResult, error) {
	script := filepath.Join(work, "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o644); err != nil {
		return loadResult{}, err
	}
	threads := l.threads
	if threads == 0 {
		threads = min(2, l.connections)
	}
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(l.connections),
		"-d", fmt.Sprintf("%ds", int(l.duration.Seconds())), "--timeout", "10s", "-s", script}
	for _, h := range l.headers {
		args = append(args, "-H", h)
	}
	base, path := splitURL(l.url)
	args = append(args, base, "--", l.method, path, strconv.Itoa(l.first), l.bodyFile, l.contentType, strconv.Itoa(threads))
	cmd := exec.Command("wrk", args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return loadResult{}, fmt.Errorf("wrk %s: %v: %s", l.url, err, errOut.String())
	}
	_, line, ok := strings.Cut(out.String(), "WRKJSON ")
	if !ok {
		return loadResult{}, fmt.Errorf("wrk %s printed no result: %s", l.url, out.String())
	}
	line, _, _ = strings.Cut(line, "\n")
	var r loadResult
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		return loadResult{}, fmt.Errorf("wrk result %q: %w", line, err)
	}
	if r.DurationUS > 0 {
		r.RPS = float64(r.Requests) / (float64(r.DurationUS) / 1e6)
	}
	if r.BadStatus > 0 || r.SocketErrors > 0 || r.Requests == 0 {
		return r, fmt.Errorf("wrk %s %s: %d requests, %d error statuses, %d socket errors",
			l.method, l.url, r.Requests, r.BadStatus, r.SocketErrors)
	}
	return r, nil
}

// splitURL splits http://host:port/path into the base wrk connects to and the path.
func splitURL(u string) (base, path string) {
	rest := strings.TrimPrefix(u, "http://")
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return u, "/"
	}
	return "http://" + rest[:i], rest[i:]
}
