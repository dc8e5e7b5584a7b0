package httpapi

import (
	"context"
	"errors"
	"testing"
	"time"
)

// running acquires sources of `pixels` until one must wait, and reports how many got in.
func running(t *testing.T, l *transformLimiter, pixels int64) (n int, releaseAll func()) {
	t.Helper()
	var releases []func()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		release, err := l.acquire(ctx, pixels)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
		if len(releases) > 100 {
			t.Fatal("the limiter never made a generation wait")
		}
	}
	return len(releases), func() {
		for _, r := range releases {
			r()
		}
	}
}

func TestTransformLimiterCountsMemory(t *testing.T) {
	const mib = 1 << 20
	l := newTransformLimiter(8, 512*mib, 100)
	for _, c := range []struct {
		name   string
		pixels int64
		want   int
	}{
		{"small sources fill the count", 1920 * 1280, 8},
		{"24 MP sources (96 MiB each)", 6000 * 4000, 5},
		{"50 MP sources (200 MiB each)", 50_000_000, 2},
		{"a source larger than the budget runs alone", 400_000_000, 1},
	} {
		n, releaseAll := running(t, l, c.pixels)
		releaseAll()
		if n != c.want {
			t.Errorf("%s: %d at once, want %d", c.name, n, c.want)
		}
	}
	// Everything was released: the whole budget is free again.
	if !l.budget.TryAcquire(512 * mib) {
		t.Fatal("budget not fully released")
	}
}

func TestTransformLimiterQueueBound(t *testing.T) {
	l := newTransformLimiter(1, 64, 0)
	release, err := l.acquire(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.acquire(context.Background(), 1); !errors.Is(err, errBusy) {
		t.Fatalf("no room in the queue: %v, want errBusy", err)
	}
	release()
	release, err = l.acquire(context.Background(), 1)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release()
}
