package httpapi

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// transformLimiter bounds image generation by count and by memory. Each generation reserves
// what its source takes decoded (bytesPerPixel for every pixel of every page), and never less
// than an equal share of the budget: small images run up to `concurrent` at once, large ones
// fewer (a 50 MP PNG, which libvips cannot shrink while decoding, holds 200 MB), and one larger
// than the whole budget runs alone. At most maxWaiting requests queue; beyond that a request is
// refused at once (503) rather than holding memory while it waits.
type transformLimiter struct {
	budget       *semaphore.Weighted
	total, share int64
	waiting      atomic.Int64
	maxWaiting   int64
}

// bytesPerPixel is a decoded 8-bit RGBA pixel: the working set the budget counts.
const bytesPerPixel = 4

func newTransformLimiter(concurrent int, memory int64, queue int) *transformLimiter {
	return &transformLimiter{budget: semaphore.NewWeighted(memory), total: memory,
		share: max(memory/int64(concurrent), 1), maxWaiting: int64(queue)}
}

// errBusy means the transform queue is full.
var errBusy = errorf(503, "Server is busy generating images, retry later")

// cost is what a generation from a source of `pixels` (width × height × pages) reserves.
func (l *transformLimiter) cost(pixels int64) int64 {
	return min(max(pixels*bytesPerPixel, l.share), l.total)
}

// imagePixels is width × height × pages, a count of pages below 1 being one.
func imagePixels(width, height, pages int) int64 {
	return int64(width) * int64(height) * int64(max(pages, 1))
}

// acquire waits until the budget has room for a source of `pixels`; the caller must call
// release once done.
func (l *transformLimiter) acquire(ctx context.Context, pixels int64) (release func(), err error) {
	n := l.cost(pixels)
	release = func() { l.budget.Release(n) }
	if l.budget.TryAcquire(n) {
		return release, nil
	}
	if l.waiting.Add(1) > l.maxWaiting {
		l.waiting.Add(-1)
		return nil, errBusy
	}
	defer l.waiting.Add(-1)
	if err := l.budget.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return release, nil
}
