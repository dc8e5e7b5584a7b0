package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/singleflight"

	"cloudlet/store"
)

// Config is what the HTTP layer needs to know; main fills it from flags and the environment.
type Config struct {
	PublicURL         string        // base of the url/secure_url fields, e.g. http://127.0.0.1:8080
	MaxUploadBytes    int64         // largest accepted upload
	MaxSourcePixels   int64         // largest accepted image, width × height × pages
	AdminRateLimit    int           // Admin API calls per cloud per hour
	AllowPrivateFetch bool          // let remote uploads reach loopback/private addresses
	FetchTimeout      time.Duration // whole-request limit for a remote upload
	RemoteTypes       []RemoteType  // fetch and social delivery types allowed, with their origins

	MaxOutputPixels  int64         // largest derived image, width × height
	TransformTimeout time.Duration // time limit for generating one derived image
	MaxTransforms    int           // derived images generated at once
	TransformMemory  int64         // bytes the sources of images generated at once may take decoded; 0: DefaultTransformMemory
	TransformQueue   int           // requests that may wait for a generation slot

	QuietRequests bool // no log line per request (failures are logged either way)
}

// DefaultTransformMemory is the generation budget when the configuration sets none: eight 16 MP
// sources, or two of the largest accepted by default (50 MP).
const DefaultTransformMemory = 512 << 20

// Server is cloudlet's HTTP front: the Upload API, the Admin API and delivery.
type Server struct {
	cfg     Config
	store   *store.Store
	fetcher *remoteFetcher
	limiter *rateLimiter
	now     func() time.Time
	echo    *echo.Echo

	transforms  *transformLimiter
	generating  singleflight.Group // one generation per derived id at a time
	generations atomic.Int64       // derived images generated, for tests and logs
	usage       usageMeter         // delivery counts not yet written to the store (usage.go)
	deliveries  deliveryCache      // what repeat delivery URLs are answered with (delivery_cache.go)

	remote         remoteOrigins      // configured remote delivery types (remote_types.go)
	fetchingRemote singleflight.Group // one origin fetch per remote asset at a time
}

// New builds the server and its routes.
func New(cfg Config, st *store.Store) *Server {
	cfg.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	if cfg.TransformMemory == 0 {
		cfg.TransformMemory = DefaultTransformMemory
	}
	s := &Server{
		cfg:     cfg,
		store:   st,
		fetcher: newRemoteFetcher(cfg.AllowPrivateFetch, cfg.FetchTimeout, cfg.MaxUploadBytes),
		limiter: newRateLimiter(cfg.AdminRateLimit),
		now:     time.Now,

		transforms: newTransformLimiter(cfg.MaxTransforms, cfg.TransformMemory, cfg.TransformQueue),
		remote:     newRemoteOrigins(cfg.RemoteTypes),
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = handleError
	e.Use(s.logRequests, securityHeaders)

	e.Pre(decodeAPIPath)
	api := e.Group("/v1_1/:cloud")
	for _, prefix := range []string{"/:resource_type", ""} { // no resource type means auto
		api.POST(prefix+"/upload", s.upload)
	}
	api.POST("/:resource_type/destroy", s.destroy)
	api.POST("/:resource_type/rename", s.rename)
	api.POST("/:resource_type/tags", s.tagsCommand)
	api.POST("/:resource_type/context", s.contextCommand)
	api.POST("/:resource_type/explicit", s.explicit)
	s.archiveRoutes(api)

	admin := api.Group("", s.adminAuth, s.rateLimit)
	admin.GET("/ping", s.ping)
	s.resourceRoutes(admin)       // resources.go: listings, details, update, tags
	s.deleteRoutes(admin)         // resources_delete.go: bulk deletes, derived deletes
	s.transformationRoutes(admin) // transformations.go: named and used transformations
	s.usageRoutes(admin)          // usage.go: the usage report
	s.searchRoutes(admin)         // search.go: the Search API
	s.folderRoutes(admin)         // folders.go: folders
	s.presetRoutes(admin)         // upload_presets.go: upload presets

	e.GET("/:cloud/:resource_type/:type/*", s.deliver, s.countDelivery)
	e.HEAD("/:cloud/:resource_type/:type/*", s.deliver, s.countDelivery)
	s.echo = e
	return s
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// decodeAPIPath makes the API route on the decoded path. The Node SDK sends a multi-segment
// action such as "resources/search" as one encoded segment ("resources%2Fsearch"), and Cloudinary
// treats the two spellings alike; so route parameters are already decoded in API handlers.
// Delivery paths keep their raw form: there an encoded slash belongs to a public id.
func decodeAPIPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := c.Request().URL; strings.HasPrefix(u.Path, "/v1_1/") {
			u.RawPath = ""
		}
		return next(c)
	}
}

// logRequests answers a handler's error and writes one structured line per request (LogAttrs:
// no allocation per value), unless the server is quiet.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		if s.cfg.QuietRequests {
			return nil
		}
		req, res := c.Request(), c.Response()
		slog.LogAttrs(req.Context(), slog.LevelInfo, "request", slog.String("method", req.Method),
			slog.String("path", req.URL.Path), slog.Int("status", res.Status), slog.Int64("bytes", res.Size),
			slog.Int64("ms", time.Since(start).Milliseconds()), slog.String("remote", c.RealIP()))
		return nil
	}
}
