package httpapi

import (
	"context"
	"sync/atomic"
)

// transformLimiter bounds image generation: at most len(slots) transforms run at once and at
// most maxWaiting requests queue for a slot; beyond that a request is refused at once (503)
// rather than holding memory while it waits.
type transformLimiter struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

func newTransformLimiter(concurrent, queue int) *transformLimiter {
	return &transformLimiter{slots: make(chan struct{}, concurrent), maxWaiting: int64(queue)}
}

// errBusy means the transform queue is full.
var errBusy = errorf(503, "Server is busy generating images, retry later")

// acquire waits for a slot; the caller must call release once done.
func (l *transformLimiter) acquire(ctx context.Context) (release func(), err error) {
	release = func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	if l.waiting.Add(1) > l.maxWaiting {
		l.waiting.Add(-1)
		return nil, errBusy
	}
	defer l.waiting.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
