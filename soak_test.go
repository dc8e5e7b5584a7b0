package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// soakSample is the process's footprint at one moment, read from /proc.
type soakSample struct {
	rssKB   int64
	fds     int
	threads int
}

func readSample(pid int) (soakSample, error) {
	var s soakSample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "VmRSS:":
			s.rssKB, _ = strconv.ParseInt(fields[1], 10, 64)
		case "Threads:":
			s.threads, _ = strconv.Atoi(fields[1])
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return s, err
	}
	s.fds = len(fds)
	return s, nil
}

// soakOp is one kind of request of the mix; it returns an error for any answer but the right one.
type soakOp struct {
	name   string
	weight int
	run    func(ctx context.Context, rnd *rand.Rand, n int64) error
}

// TestSoak sends a fixed rate of mixed uploads, deliveries (originals and derived), deletes and
// Admin API calls to one cloudlet, and fails on any failed request, on memory that keeps growing
// or on leaked file descriptors or threads. It runs CLOUDLET_SOAK long (a Go duration; 20s
// unless set: `make soak` runs it for 10 minutes).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cloudlet under load")
	}
	duration := 20 * time.Second
	if v := os.Getenv("CLOUDLET_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Second {
			t.Fatalf("CLOUDLET_SOAK=%q: want a duration of at least 10s", v)
		}
		duration = d
	}
	const rate = 40 // requests per second
	p := startCloudlet(t, t.TempDir(), "--admin-rate-limit", "1000000")
	book := newLedger()
	base := p.base
	uploadOne := func(ctx context.Context, rnd *rand.Rand, n int64, rt string) error {
		a := storedAsset{rt: rt, publicID: fmt.Sprintf("soak/%d", n)}
		var body []byte
		if rt == "image" {
			body = randomPNG(rnd, 48, 32)
		} else {
			a.publicID += ".bin"
			body = randomBytes(rnd, 512+rnd.IntN(32<<10))
		}
		a.md5 = md5Of(body)
		status, err := upload(ctx, base, rt, a.publicID, body)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("upload %s: %d %v", a.publicID, status, err)
		}
		book.record(a, true)
		return nil
	}
	get := func(ctx context.Context, path string, admin bool) error {
		status, _, err := fetch(ctx, base, path, admin)
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("GET %s: %d %v", path, status, err)
		}
		return nil
	}
	// getAsset GETs a path of asset a: 200 (with the uploaded bytes when wantMD5), or 404 when
	// a was deleted meanwhile.
	getAsset := func(ctx context.Context, a storedAsset, path string, admin bool, wantMD5 string) error {
		status, body, err := fetch(ctx, base, path, admin)
		switch {
		case err == nil && status == http.StatusNotFound && !book.isAcked(a.publicID):
		case err != nil || status != http.StatusOK || (wantMD5 != "" && md5Of(body) != wantMD5):
			return fmt.Errorf("GET %s: %d %v", path, status, err)
		}
		return nil
	}
	ops := []soakOp{
		{"upload image", 10, func(ctx context.Context, rnd *rand.Rand, n int64) error { return uploadOne(ctx, rnd, n, "image") }},
		{"upload raw", 5, func(ctx context.Context, rnd *rand.Rand, n int64) error { return uploadOne(ctx, rnd, n, "raw") }},
		{"deliver original", 25, func(ctx context.Context, rnd *rand.Rand, _ int64) error {
			a, ok := book.pick(rnd, false)
			if !ok {
				return nil
			}
			return getAsset(ctx, a, a.deliveryPath(), false, a.md5)
		}},
		{"deliver derived", 25, func(ctx context.Context, rnd *rand.Rand, _ int64) error {
			a, ok := book.pick(rnd, false)
			if !ok || a.rt != "image" {
				return nil
			}
			path := fmt.Sprintf("/%s/image/upload/c_fill,w_%d,h_16/%s.jpg", procCloud, 8+rnd.IntN(4)*8, a.publicID)
			return getAsset(ctx, a, path, false, "")
		}},
		{"destroy", 15, func(ctx context.Context, rnd *rand.Rand, n int64) error {
			if book.size() < 50 {
				return uploadOne(ctx, rnd, n, "image")
			}
			a, ok := book.pick(rnd, true)
			if !ok {
				return nil
			}
			status, done, err := destroy(ctx, base, a.rt, a.publicID)
			book.deleteDone(a, err == nil, done)
			if !done {
				return fmt.Errorf("destroy %s: %d %v", a.publicID, status, err)
			}
			return nil
		}},
		{"list resources", 8, func(ctx context.Context, rnd *rand.Rand, _ int64) error {
			return get(ctx, "/v1_1/"+procCloud+"/resources/image?max_results=50&tags=true", true)
		}},
		{"resource details", 8, func(ctx context.Context, rnd *rand.Rand, _ int64) error {
			a, ok := book.pick(rnd, false)
			if !ok {
				return nil
			}
			return getAsset(ctx, a, "/v1_1/"+procCloud+"/resources/"+a.rt+"/upload/"+a.publicID, true, "")
		}},
		{"usage", 4, func(ctx context.Context, _ *rand.Rand, _ int64) error {
			return get(ctx, "/v1_1/"+procCloud+"/usage", true)
		}},
	}
	total := 0
	for _, op := range ops {
		total += op.weight
	}

	var (
		sent, failed atomic.Int64
		errMu        sync.Mutex
		firstErrs    []string
		wg           sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	work := make(chan int64, 4*rate)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(5, uint64(w)))
			for n := range work {
				pick := rnd.IntN(total)
				op := ops[0]
				for _, o := range ops {
					if pick -= o.weight; pick < 0 {
						op = o
						break
					}
				}
				if err := op.run(context.Background(), rnd, n); err != nil {
					failed.Add(1)
					errMu.Lock()
					if len(firstErrs) < 10 {
						firstErrs = append(firstErrs, op.name+": "+err.Error())
					}
					errMu.Unlock()
				}
			}
		}()
	}

	var samples []soakSample
	tick := time.NewTicker(time.Second / rate)
	sampleEvery := time.NewTicker(max(duration/60, 250*time.Millisecond))
	behind, start := 0, time.Now()
loop:
	for n := int64(0); ; {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			// Catch up on ticks the ticker dropped, so the rate holds on a busy machine.
			for due := int64(time.Since(start).Seconds() * rate); n < due; n++ {
				select {
				case work <- n:
					sent.Add(1)
				default:
					behind++ // the server is too slow for the rate: counted, and reported below
				}
			}
		case <-sampleEvery.C:
			s, err := readSample(p.pid())
			if err != nil {
				time.Sleep(time.Second) // for a crashed server's last words and the supervisor's
				t.Fatalf("cloudlet gone: %v\n%s", err, p.log.String())
			}
			samples = append(samples, s)
		}
	}
	tick.Stop()
	sampleEvery.Stop()
	close(work)
	wg.Wait()

	t.Logf("%d requests in %v (%d ticks dropped: server behind), %d failed; %d samples", sent.Load(), duration, behind, failed.Load(), len(samples))
	if failed.Load() > 0 {
		t.Errorf("%d requests failed, first ones:\n%s\nserver errors:\n%s", failed.Load(), strings.Join(firstErrs, "\n"),
			strings.Join(p.log.linesWith(" ERROR "), "\n"))
	}
	if behind > int(sent.Load())/10 {
		t.Errorf("the server kept up with only %d of %d requests", sent.Load(), int(sent.Load())+behind)
	}
	checkNoGrowth(t, samples)
	if code := p.signal(os.Interrupt, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGINT", code)
	}
	if out, code := runCommand(t, "fsck", "--data", p.dir, "--checksums"); code != 0 {
		t.Fatalf("fsck after the soak: exit %d:\n%s", code, out)
	}
}

// checkNoGrowth compares the last third of the samples with the middle third (the first third
// is warm-up: caches filling, connection pools opening): memory may not keep growing, and the
// typical (median) number of file descriptors and threads may not climb. Medians, not peaks:
// requests in flight open descriptors for a moment, a leak keeps them.
func checkNoGrowth(t *testing.T, samples []soakSample) {
	t.Helper()
	if len(samples) < 9 {
		t.Fatalf("only %d samples", len(samples))
	}
	third := len(samples) / 3
	middle, last := samples[third:2*third], samples[2*third:]
	meanRSS := func(ss []soakSample) int64 {
		var sum int64
		for _, s := range ss {
			sum += s.rssKB
		}
		return sum / int64(len(ss))
	}
	median := func(ss []soakSample, f func(soakSample) int) int {
		vs := make([]int, len(ss))
		for i, s := range ss {
			vs[i] = f(s)
		}
		slices.Sort(vs)
		return vs[len(vs)/2]
	}
	fds := func(s soakSample) int { return s.fds }
	threads := func(s soakSample) int { return s.threads }
	mRSS, lRSS := meanRSS(middle), meanRSS(last)
	mFDs, lFDs, mThreads, lThreads := median(middle, fds), median(last, fds), median(middle, threads), median(last, threads)
	t.Logf("middle → last third: RSS mean %d → %d KB, fds median %d → %d, threads median %d → %d",
		mRSS, lRSS, mFDs, lFDs, mThreads, lThreads)
	if lRSS > mRSS+mRSS/5+16<<10 {
		t.Errorf("memory keeps growing: mean RSS %d KB in the middle third, %d KB in the last", mRSS, lRSS)
	}
	if lFDs > mFDs+6 {
		t.Errorf("file descriptors leak: median %d in the middle third, %d in the last", mFDs, lFDs)
	}
	if lThreads > mThreads+8 {
		t.Errorf("threads keep growing: median %d in the middle third, %d in the last", mThreads, lThreads)
	}
}
