package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// storedAsset is an upload the test sent: where it is delivered and the MD5 of its bytes.
type storedAsset struct {
	rt, publicID, md5 string
}

// deliveryPath is the URL path of the asset's original.
func (a storedAsset) deliveryPath() string {
	if a.rt == "image" {
		return "/" + procCloud + "/image/upload/" + a.publicID + ".png"
	}
	return "/" + procCloud + "/raw/upload/" + a.publicID
}

// ledger is what the clients were told: uploads and deletes answered 200 must survive any crash;
// requests cut off by the crash may have happened or not.
type ledger struct {
	mu      sync.Mutex
	acked   map[string]storedAsset // answered 200: present, byte for byte
	fresh   map[string]bool        // acked since the last restart (checked in full at each restart)
	deleted map[string]storedAsset // destroy answered "ok": gone
	unknown map[string]storedAsset // cut off by the crash: present and identical, or gone
	busy    map[string]bool        // being deleted right now
	cutOff  int                    // requests whose answer the crashes cut off
}

func newLedger() *ledger {
	return &ledger{acked: map[string]storedAsset{}, fresh: map[string]bool{}, deleted: map[string]storedAsset{},
		unknown: map[string]storedAsset{}, busy: map[string]bool{}}
}

func (l *ledger) record(a storedAsset, answered bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if answered {
		l.acked[a.publicID], l.fresh[a.publicID] = a, true
	} else {
		l.unknown[a.publicID] = a
		l.cutOff++
	}
}

// pick returns a random acknowledged asset, marked busy when forDelete.
func (l *ledger) pick(rnd *rand.Rand, forDelete bool) (storedAsset, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.acked)
	if n == 0 {
		return storedAsset{}, false
	}
	i := rnd.IntN(n)
	for id, a := range l.acked { // map order is random enough; i skips further
		if i--; i >= 0 || l.busy[id] {
			continue
		}
		if forDelete {
			l.busy[id] = true
		}
		return a, true
	}
	return storedAsset{}, false
}

func (l *ledger) deleteDone(a storedAsset, answered, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.busy, a.publicID)
	switch {
	case ok:
		delete(l.acked, a.publicID)
		delete(l.fresh, a.publicID)
		l.deleted[a.publicID] = a
	case !answered:
		delete(l.acked, a.publicID)
		delete(l.fresh, a.publicID)
		l.unknown[a.publicID] = a
		l.cutOff++
	}
}

func (l *ledger) isAcked(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.acked[id]
	return ok && !l.busy[id]
}

// envInt reads a positive integer knob of the long runs (make soak).
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// TestCrashSafety kills cloudlet with SIGKILL at random moments under concurrent uploads,
// deliveries and deletes, and checks after each restart that every upload answered 200 is
// there byte for byte, every delete answered "ok" is gone, and no row lacks its file.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills cloudlet repeatedly")
	}
	kills := envInt(t, "CLOUDLET_CRASH_KILLS", 5)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d kills", seed, kills)
	rnd := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()
	book := newLedger()
	for round := 0; round < kills; round++ {
		p := startCloudlet(t, dir)
		verifyLedger(t, p.base, book, rnd, false)
		if t.Failed() {
			t.Fatalf("after kill %d:\n%s", round, p.log.String())
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(worker int) {
				defer wg.Done()
				uploadLoop(ctx, p.base, book, rand.New(rand.NewPCG(seed, uint64(round*100+worker+2))),
					fmt.Sprintf("crash/r%d-w%d", round, worker), errs)
			}(i)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			deliverLoop(ctx, p.base, book, rand.New(rand.NewPCG(seed, uint64(round*100+50))), errs)
		}()
		go func() {
			defer wg.Done()
			deleteLoop(ctx, p.base, book, rand.New(rand.NewPCG(seed, uint64(round*100+60))), errs)
		}()
		time.Sleep(randomPause(rnd, 700*time.Millisecond, 2500*time.Millisecond))
		p.kill()
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
		// Right after the crash, before the start-up sweep: files without rows are allowed
		// (written, not yet committed), rows without files are not.
		rows, files := rowsAndFiles(t, dir)
		for b := range rows {
			if !files[b] {
				t.Errorf("after kill %d: row without a file: %s", round, b)
			}
		}
		if out, code := runCommand(t, "fsck", "--data", dir); code > 1 ||
			strings.Contains(out, "missing-") || strings.Contains(out, "corrupt-") || strings.Contains(out, "database") {
			t.Errorf("after kill %d: fsck exit %d:\n%s", round, code, out)
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	p := startCloudlet(t, dir)
	verifyLedger(t, p.base, book, rnd, true)
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, p.log.String())
	}
	assertRowsMatchFiles(t, dir)
	if out, code := runCommand(t, "fsck", "--data", dir, "--checksums"); code != 0 {
		t.Fatalf("fsck exit %d:\n%s", code, out)
	}
	t.Logf("%d uploads kept, %d deletes kept, %d requests cut off by kills", len(book.acked), len(book.deleted), book.cutOff)
	if len(book.acked) == 0 || len(book.deleted) == 0 {
		t.Fatalf("the load did nothing: %d uploads, %d deletes", len(book.acked), len(book.deleted))
	}
}

// uploadLoop uploads new assets, alternately small images and raw files, until ctx ends.
func uploadLoop(ctx context.Context, base string, book *ledger, rnd *rand.Rand, prefix string, errs chan<- error) {
	for n := 0; ctx.Err() == nil; n++ {
		a := storedAsset{rt: "raw", publicID: fmt.Sprintf("%s-%d.bin", prefix, n)}
		var body []byte
		if n%2 == 0 {
			a.rt, a.publicID, body = "image", fmt.Sprintf("%s-%d", prefix, n), randomPNG(rnd, 24, 16)
		} else {
			body = randomBytes(rnd, 1024+rnd.IntN(64<<10))
		}
		a.md5 = md5Of(body)
		status, err := upload(ctx, base, a.rt, a.publicID, body)
		if err == nil && status != http.StatusOK {
			errs <- fmt.Errorf("upload %s: status %d", a.publicID, status)
			return
		}
		book.record(a, err == nil)
	}
}

// deliverLoop fetches acknowledged originals and derived images (which writes derived files).
func deliverLoop(ctx context.Context, base string, book *ledger, rnd *rand.Rand, errs chan<- error) {
	for ctx.Err() == nil {
		a, ok := book.pick(rnd, false)
		if !ok {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		path := a.deliveryPath()
		derived := a.rt == "image" && rnd.IntN(2) == 0
		if derived {
			path = fmt.Sprintf("/%s/image/upload/w_%d/%s.png", procCloud, 4+rnd.IntN(8), a.publicID)
		}
		status, body, err := fetch(ctx, base, path, false)
		switch {
		case err != nil:
			return // the server is gone
		case status == http.StatusNotFound && !book.isAcked(a.publicID):
			// deleted meanwhile
		case status != http.StatusOK:
			errs <- fmt.Errorf("GET %s: status %d", path, status)
			return
		case !derived && md5Of(body) != a.md5:
			errs <- fmt.Errorf("GET %s: other bytes than uploaded", path)
			return
		}
	}
}

// deleteLoop destroys acknowledged assets, slower than they are uploaded.
func deleteLoop(ctx context.Context, base string, book *ledger, rnd *rand.Rand, errs chan<- error) {
	for ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
		a, ok := book.pick(rnd, true)
		if !ok {
			continue
		}
		status, done, err := destroy(ctx, base, a.rt, a.publicID)
		book.deleteDone(a, err == nil, done)
		if err == nil && !done {
			errs <- fmt.Errorf("destroy %s: status %d, not ok", a.publicID, status)
			return
		}
	}
}

// verifyLedger checks the restarted server against the ledger: the uploads acknowledged since
// the last restart and a sample of older ones (all of them when full), every delete, and every
// request whose outcome the crash hid, which it then settles.
func verifyLedger(t *testing.T, base string, book *ledger, rnd *rand.Rand, full bool) {
	t.Helper()
	ctx := context.Background()
	book.mu.Lock()
	defer book.mu.Unlock()
	sampled := 0
	for id, a := range book.acked {
		if !full && !book.fresh[id] {
			if sampled >= 200 || rnd.IntN(4) != 0 {
				continue
			}
			sampled++
		}
		status, body, err := fetch(ctx, base, a.deliveryPath(), false)
		if err != nil || status != http.StatusOK || md5Of(body) != a.md5 {
			t.Errorf("acknowledged upload %s: status %d, err %v, bytes match %v", id, status, err, md5Of(body) == a.md5)
		}
	}
	clear(book.fresh)
	for id, a := range book.deleted {
		if status, _, err := fetch(ctx, base, a.deliveryPath(), false); err != nil || status != http.StatusNotFound {
			t.Errorf("acknowledged delete %s: status %d, err %v", id, status, err)
		}
	}
	for id, a := range book.unknown {
		status, body, err := fetch(ctx, base, a.deliveryPath(), false)
		switch {
		case err == nil && status == http.StatusNotFound:
		case err == nil && status == http.StatusOK && md5Of(body) == a.md5:
			book.acked[id] = a // committed after all: from now on it must stay
		default:
			t.Errorf("upload or delete cut off by the crash, %s: status %d, err %v", id, status, err)
		}
		delete(book.unknown, id)
	}
}

// size is the number of acknowledged assets.
func (l *ledger) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}
