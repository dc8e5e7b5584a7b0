package httpapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// usageRoutes registers the usage report: today's, or a given date's (dd-mm-yyyy as the SDKs
// put it in the path, or yyyy-mm-dd).
func (s *Server) usageRoutes(admin *echo.Group) {
	admin.GET("/usage", s.usageReport)
	admin.GET("/usage/:date", s.usageReport)
}

// usageWindowDays is the rolling period the report's bandwidth, requests and transformations
// cover, ending with the requested day.
const usageWindowDays = 30

// Delivery counts are kept in memory per cloud and written to the store now and then, so the
// hot path takes a mutex and adds two numbers. They are flushed by every usage report, when
// enough has accumulated, and by FlushUsage (at shutdown).
const (
	usageFlushRequests = 10_000
	usageFlushBytes    = 256 << 20
	usageFlushAge      = 30 * time.Second
)

// usageMeter accumulates delivery counts until they are flushed. Its zero value is ready.
type usageMeter struct {
	mu        sync.Mutex
	pending   map[usageKey]*usageCount
	requests  int64 // pending requests over all clouds
	bytes     int64 // pending bytes over all clouds
	lastFlush time.Time
	flushing  atomic.Bool // a background flush is running
	flushMu   sync.Mutex  // one flush writes at a time, so counts are never written twice
}

type usageKey struct{ cloud, day string }

type usageCount struct{ bandwidth, requests int64 }

// add counts one delivery request and its bytes, and says whether a flush is due.
func (m *usageMeter) add(cloud, day string, bytes int64, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending == nil {
		m.pending = map[usageKey]*usageCount{}
		m.lastFlush = now
	}
	k := usageKey{cloud, day}
	c := m.pending[k]
	if c == nil {
		c = &usageCount{}
		m.pending[k] = c
	}
	c.requests++
	c.bandwidth += bytes
	m.requests++
	m.bytes += bytes
	return m.requests >= usageFlushRequests || m.bytes >= usageFlushBytes || now.Sub(m.lastFlush) >= usageFlushAge
}

// take removes the pending counts.
func (m *usageMeter) take(now time.Time) []store.DeliveryUsage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]store.DeliveryUsage, 0, len(m.pending))
	for k, c := range m.pending {
		out = append(out, store.DeliveryUsage{Cloud: k.cloud, Day: k.day, Bandwidth: c.bandwidth, Requests: c.requests})
	}
	m.pending, m.requests, m.bytes, m.lastFlush = nil, 0, 0, now
	return out
}

// restore puts counts a failed flush could not write back, so they are not lost.
func (m *usageMeter) restore(counts []store.DeliveryUsage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending == nil {
		m.pending = map[usageKey]*usageCount{}
	}
	for _, u := range counts {
		k := usageKey{u.Cloud, u.Day}
		c := m.pending[k]
		if c == nil {
			c = &usageCount{}
			m.pending[k] = c
		}
		c.bandwidth += u.Bandwidth
		c.requests += u.Requests
		m.requests += u.Requests
		m.bytes += u.Bandwidth
	}
}

// FlushUsage writes the delivery counts kept in memory to the store. main calls it at shutdown,
// after the HTTP server stopped; usage reports call it themselves.
func (s *Server) FlushUsage(ctx context.Context) error {
	s.usage.flushMu.Lock()
	defer s.usage.flushMu.Unlock()
	counts := s.usage.take(s.now())
	if err := s.store.AddDeliveryUsage(ctx, counts); err != nil {
		s.usage.restore(counts)
		return err
	}
	return nil
}

// countDelivery counts a delivery request and the bytes its answer carried, once the handler
// ran: requests answered below 400, bytes of 2xx answers (206 included), per cloud and UTC day.
func (s *Server) countDelivery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			return err
		}
		res := c.Response()
		if res.Status >= http.StatusBadRequest {
			return nil
		}
		var bytes int64
		if res.Status >= 200 && res.Status < 300 {
			bytes = res.Size
		}
		now := s.now()
		if s.usage.add(c.Param("cloud"), now.UTC().Format(time.DateOnly), bytes, now) && s.usage.flushing.CompareAndSwap(false, true) {
			go func() {
				defer s.usage.flushing.Store(false)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := s.FlushUsage(ctx); err != nil {
					slog.Warn("flush usage", "err", err)
				}
			}()
		}
		return nil
	}
}

// usageAmountJSON is a measured quantity with its limit.
type usageAmountJSON struct {
	Usage        int64   `json:"usage"`
	CreditsUsage float64 `json:"credits_usage"`
	Limit        int64   `json:"limit"`
	UsedPercent  float64 `json:"used_percent"`
}

// objectsJSON is the objects quantity, which has no credits.
type objectsJSON struct {
	Usage       int64   `json:"usage"`
	Limit       int64   `json:"limit"`
	UsedPercent float64 `json:"used_percent"`
}

type mediaLimitsJSON struct {
	ImageMaxSizeBytes int64 `json:"image_max_size_bytes"`
	VideoMaxSizeBytes int64 `json:"video_max_size_bytes"`
	RawMaxSizeBytes   int64 `json:"raw_max_size_bytes"`
	ImageMaxPx        int64 `json:"image_max_px"`
	AssetMaxTotalPx   int64 `json:"asset_max_total_px"`
}

// creditsJSON is the credits quantity: nothing here costs credits.
type creditsJSON struct {
	Usage float64 `json:"usage"`
}

type usageJSON struct {
	Plan             string          `json:"plan"`
	LastUpdated      string          `json:"last_updated"`
	DateRequested    string          `json:"date_requested"`
	Transformations  usageAmountJSON `json:"transformations"`
	Objects          objectsJSON     `json:"objects"`
	Bandwidth        usageAmountJSON `json:"bandwidth"`
	Storage          usageAmountJSON `json:"storage"`
	Credits          creditsJSON     `json:"credits"`
	Requests         int64           `json:"requests"`
	Resources        int64           `json:"resources"`
	DerivedResources int64           `json:"derived_resources"`
	MediaLimits      mediaLimitsJSON `json:"media_limits"`
}

// usageReport is GET /usage, /usage/:date or /usage?date=. What is stored is reported as it is
// now; bandwidth, requests and transformations cover the 30 days ending with the date.
func (s *Server) usageReport(c echo.Context) error {
	p, err := s.adminParams(c)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if v := firstNonEmpty(c.Param("date"), p.get("date")); v != "" {
		if day, err = parseUsageDate(v); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	if err := s.FlushUsage(ctx); err != nil {
		return err
	}
	cloud := requestCloud(c)
	limits, err := s.store.UsageLimitsOf(ctx, cloud.ID)
	if err != nil {
		return err
	}
	u, err := s.store.UsageOf(ctx, cloud.ID, day.AddDate(0, 0, 1-usageWindowDays), day)
	if err != nil {
		return err
	}
	objects := u.Resources + u.DerivedFiles // Cloudinary counts originals and derived files
	out := usageJSON{
		Plan:             limits.Plan,
		LastUpdated:      now.Format(time.DateOnly),
		DateRequested:    day.Format(time.RFC3339),
		Transformations:  amount(u.Transformations, limits.Transformations),
		Objects:          objectsJSON{Usage: objects, Limit: limits.Objects, UsedPercent: percent(objects, limits.Objects)},
		Bandwidth:        amount(u.Bandwidth, limits.Bandwidth),
		Storage:          amount(u.StorageBytes, limits.Storage),
		Requests:         u.Requests,
		Resources:        u.Resources,
		DerivedResources: u.DerivedFiles,
		MediaLimits: mediaLimitsJSON{ImageMaxSizeBytes: s.cfg.MaxUploadBytes, VideoMaxSizeBytes: s.cfg.MaxUploadBytes,
			RawMaxSizeBytes: s.cfg.MaxUploadBytes, ImageMaxPx: s.cfg.MaxSourcePixels, AssetMaxTotalPx: s.cfg.MaxSourcePixels},
	}
	return c.JSON(http.StatusOK, out)
}

func amount(usage, limit int64) usageAmountJSON {
	return usageAmountJSON{Usage: usage, Limit: limit, UsedPercent: percent(usage, limit)}
}

// percent is usage as a percentage of limit, to two decimals.
func percent(usage, limit int64) float64 {
	if limit <= 0 {
		return 0
	}
	return math.Round(float64(usage)/float64(limit)*10000) / 100
}

// parseUsageDate reads a report date: dd-mm-yyyy (the SDKs' path form) or yyyy-mm-dd.
func parseUsageDate(v string) (time.Time, error) {
	for _, layout := range []string{"02-01-2006", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, badRequest("Invalid date - %s", v)
}
