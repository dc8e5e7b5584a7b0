package main

import (
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/h2non/bimg"
)

// engineResult is the image engine's own speed: bimg in this process, no HTTP, no disk.
type engineResult struct {
	Concurrency int     `json:"concurrency"`
	Ops         int64   `json:"ops"`
	OpsPerSec   float64 `json:"ops_per_sec"`
	P50MS       float64 `json:"p50_ms"`
	P99MS       float64 `json:"p99_ms"`
	CPUMSPerOp  float64 `json:"cpu_ms_per_op"` // CPU time per resize, all threads
}

// fitOptions is the benchmark transformation, w_300,c_fit at q80, as one bimg call: what
// cloudlet's executor does for it.
var fitOptions = bimg.Options{Width: 300, Quality: 80, StripMetadata: true}

// engineRun gathers the engine's measurements over one or more slices of time. It counts what
// wrk counts for the server: the resizes finished within each slice, over the slice's length.
// Resizes still running when a slice ends finish uncounted (wrk drops requests in flight when it
// stops); their CPU time and count go into the CPU per resize alone.
type engineRun struct {
	concurrency  int
	latencies    []time.Duration // of the resizes finished within their slice
	elapsed, cpu time.Duration
	allOps       int       // finished within their slice or after
	sliceRates   []float64 // resizes per second in each slice
}

// runEngine resizes src with fitOptions from concurrency goroutines for about d.
func runEngine(src []byte, concurrency int, d time.Duration) (engineResult, error) {
	run := engineRun{concurrency: concurrency}
	if err := run.slice(src, d); err != nil {
		return engineResult{}, err
	}
	return run.result(), nil
}

// slice resizes src with fitOptions from the run's goroutines for about d. The libvips
// operation cache is off, as in cloudlet (whose first-time transforms never repeat an input):
// the engine gets no help from resizing the same bytes again and again.
func (run *engineRun) slice(src []byte, d time.Duration) error {
	bimg.VipsCacheSetMax(0)
	bimg.VipsCacheSetMaxMem(0)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	before := len(run.latencies)
	start, cpuStart := time.Now(), selfCPUTime()
	deadline := start.Add(d)
	for range run.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			late := 0
			for time.Now().Before(deadline) {
				t := time.Now()
				if _, err := bimg.Resize(src, fitOptions); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				if done := time.Now(); done.After(deadline) {
					late++
				} else {
					mine = append(mine, done.Sub(t))
				}
			}
			mu.Lock()
			run.latencies = append(run.latencies, mine...)
			run.allOps += len(mine) + late
			mu.Unlock()
		}()
	}
	wg.Wait()
	run.sliceRates = append(run.sliceRates, float64(len(run.latencies)-before)/d.Seconds())
	run.elapsed += d
	run.cpu += selfCPUTime() - cpuStart
	return firstErr
}

func (run *engineRun) result() engineResult {
	lat := run.latencies
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return engineResult{
		Concurrency: run.concurrency,
		Ops:         int64(len(lat)),
		OpsPerSec:   float64(len(lat)) / run.elapsed.Seconds(),
		P50MS:       percentileMS(lat, 50),
		P99MS:       percentileMS(lat, 99),
		CPUMSPerOp:  float64(run.cpu.Microseconds()) / 1000 / float64(max(1, run.allOps)),
	}
}

// percentileMS is the p-th percentile of sorted durations, in milliseconds.
func percentileMS(sorted []time.Duration, p int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, len(sorted)*p/100)
	return float64(sorted[i].Microseconds()) / 1000
}

// selfCPUTime is the CPU time this process has used so far (user and system).
func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
