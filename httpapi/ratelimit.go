package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// rateLimiter counts Admin API calls per cloud in fixed hourly windows, as Cloudinary does.
type rateLimiter struct {
	limit int
	mu    sync.Mutex
	hour  time.Time     // start of the current window
	used  map[int64]int // calls per cloud id in the window
}

func newRateLimiter(limit int) *rateLimiter {
	return &rateLimiter{limit: limit, used: map[int64]int{}}
}

// take counts one call and returns the calls left and the window's end; ok is false when the
// cloud had none left.
func (l *rateLimiter) take(cloudID int64, now time.Time) (remaining int, reset time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hour := now.UTC().Truncate(time.Hour)
	if !hour.Equal(l.hour) {
		l.hour, l.used = hour, map[int64]int{}
	}
	reset = hour.Add(time.Hour)
	if l.used[cloudID] >= l.limit {
		return 0, reset, false
	}
	l.used[cloudID]++
	return l.limit - l.used[cloudID], reset, true
}

// rateLimit counts the call against its cloud's hourly allowance and sets Cloudinary's
// X-FeatureRateLimit-* headers on the response, including a refusal.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		remaining, reset, ok := s.limiter.take(requestCloud(c).ID, s.now())
		h := c.Response().Header()
		h.Set("X-FeatureRateLimit-Limit", strconv.Itoa(s.limiter.limit))
		h.Set("X-FeatureRateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("X-FeatureRateLimit-Reset", reset.Format(http.TimeFormat))
		if !ok {
			return errorf(420, "Rate Limit Exceeded")
		}
		return next(c)
	}
}
