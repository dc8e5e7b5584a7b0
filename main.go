// Command cloudlet is a self-hosted, Cloudinary-compatible media store: one binary serving the
// Upload API, the Admin API and delivery URLs over a local data directory.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cloudlet/httpapi"
	"cloudlet/store"
)

const usage = `usage: cloudlet serve [flags]
       cloudlet fsck [--data DIR] [--repair] [--checksums]
       cloudlet backup [--data DIR] DEST
       cloudlet restore [--data DIR] SRC

Every flag can also be set with the environment variable named beside it.
CLOUDINARY_URL (cloudinary://KEY:SECRET@NAME) adds or updates a cloud, as --cloud does.
Run a command with -h for its flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
	case "fsck":
		os.Exit(runFsck(os.Args[2:]))
	case "backup":
		os.Exit(runBackup(os.Args[2:]))
	case "restore":
		os.Exit(runRestore(os.Args[2:]))
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cfg, err := parseServeFlags(os.Args[2:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudlet:", err)
		os.Exit(2)
	}
	stopLogging := startLogging(os.Stderr)
	code := 0
	ln, stopAsked, err := inheritedServer()
	switch {
	case err != nil:
	case ln == nil:
		code, err = supervise(cfg)
	default:
		err = serve(cfg, ln, stopAsked)
	}
	if err != nil {
		slog.Error("cloudlet stopped", "err", err)
		code = 1
	}
	stopLogging()
	os.Exit(code)
}

// serveConfig is everything `cloudlet serve` is told.
type serveConfig struct {
	addr            string
	data            string
	shutdownTimeout time.Duration
	clouds          []store.Cloud
	http            httpapi.Config
}

// cloudList collects repeated --cloud flags.
type cloudList []store.Cloud

func (l *cloudList) String() string { return fmt.Sprint(len(*l), " clouds") }
func (l *cloudList) Set(v string) error {
	for _, u := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
		c, err := parseCloudinaryURL(u)
		if err != nil {
			return err
		}
		*l = append(*l, c)
	}
	return nil
}

// remoteTypeList collects repeated --remote-type flags. Fetch may be given several prefixes;
// each social type one template.
type remoteTypeList []httpapi.RemoteType

func (l *remoteTypeList) String() string { return fmt.Sprint(len(*l), " remote types") }
func (l *remoteTypeList) Set(v string) error {
	for _, spec := range strings.Fields(strings.ReplaceAll(v, ",", " ")) {
		rt, err := httpapi.ParseRemoteType(spec)
		if err != nil {
			return err
		}
		for _, prev := range *l {
			if prev.Type == rt.Type && rt.Type != "fetch" {
				return fmt.Errorf("remote type %s given twice", rt.Type)
			}
		}
		*l = append(*l, rt)
	}
	return nil
}

// envDefault registers the flag's CLOUDLET_* variable as its default.
func envDefault(fs *flag.FlagSet, name string) {
	env := "CLOUDLET_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	f := fs.Lookup(name)
	f.Usage += " [$" + env + "]"
	if v, ok := os.LookupEnv(env); ok {
		if err := f.Value.Set(v); err != nil {
			fmt.Fprintf(os.Stderr, "cloudlet: %s: %v\n", env, err)
			os.Exit(2)
		}
		f.DefValue = v
	}
}

func parseServeFlags(args []string) (serveConfig, error) {
	var cfg serveConfig
	var clouds cloudList
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.data, "data", "./data", "data directory (SQLite database and files)")
	fs.StringVar(&cfg.http.PublicURL, "public-url", "", "base URL of url/secure_url in responses (default http://ADDR)")
	fs.Var(&clouds, "cloud", "cloud to create or update, cloudinary://KEY:SECRET@NAME (repeatable)")
	fs.Int64Var(&cfg.http.MaxUploadBytes, "max-upload-bytes", 100<<20, "largest accepted upload, in bytes")
	fs.Int64Var(&cfg.http.MaxSourcePixels, "max-source-pixels", 50_000_000, "largest accepted image, width × height × pages")
	fs.BoolVar(&cfg.http.AllowPrivateFetch, "allow-private-fetch", false, "let remote uploads fetch from loopback and private addresses")
	fs.Var((*remoteTypeList)(&cfg.http.RemoteTypes), "remote-type", "fetch or social type to serve, TYPE=TEMPLATE: fetch=URL-PREFIX, facebook|twitter|twitter_name|gravatar=URL with {id} (repeatable)")
	fs.DurationVar(&cfg.http.FetchTimeout, "fetch-timeout", 30*time.Second, "time limit for fetching a remote upload")
	fs.IntVar(&cfg.http.AdminRateLimit, "admin-rate-limit", 5000, "Admin API calls per cloud per hour")
	fs.Int64Var(&cfg.http.MaxOutputPixels, "max-output-pixels", 50_000_000, "largest derived image, width × height")
	fs.DurationVar(&cfg.http.TransformTimeout, "transform-timeout", 30*time.Second, "time limit for generating one derived image")
	// Four per CPU: libvips hands each image between its threads and waits on them, and a CPU
	// with too few images idles in those waits (2 cores, first-time transforms at 8 connections:
	// 2 at once per CPU made 2-7 % fewer images a second than 4). Large sources are held back by
	// the memory budget instead.
	fs.IntVar(&cfg.http.MaxTransforms, "max-transforms", 4*runtime.GOMAXPROCS(0), "derived images generated at once")
	transformMiB := fs.Int64("transform-memory", httpapi.DefaultTransformMemory>>20,
		"MiB the sources of images generated at once may take decoded (4 bytes a pixel)")
	fs.IntVar(&cfg.http.TransformQueue, "transform-queue", 64, "requests that may wait for a generation slot before 503")
	logRequests := fs.Bool("log-requests", true, "log a line per request (failures are logged either way)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 20*time.Second, "on SIGTERM/SIGINT, time given to requests in flight before they are cut off")
	fs.VisitAll(func(f *flag.Flag) { envDefault(fs, f.Name) })
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	cfg.http.TransformMemory = *transformMiB << 20
	cfg.http.QuietRequests = !*logRequests
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if env := os.Getenv("CLOUDINARY_URL"); env != "" {
		c, err := parseCloudinaryURL(env)
		if err != nil {
			return cfg, fmt.Errorf("CLOUDINARY_URL: %w", err)
		}
		cfg.clouds = append(cfg.clouds, c)
	}
	cfg.clouds = append(cfg.clouds, clouds...)
	if cfg.http.PublicURL == "" {
		cfg.http.PublicURL = "http://" + reachableAddr(cfg.addr)
	}
	if cfg.http.MaxUploadBytes <= 0 || cfg.http.MaxSourcePixels <= 0 || cfg.http.AdminRateLimit <= 0 ||
		cfg.http.FetchTimeout <= 0 || cfg.http.MaxOutputPixels <= 0 || cfg.http.TransformTimeout <= 0 ||
		cfg.http.MaxTransforms <= 0 || cfg.http.TransformMemory <= 0 || cfg.http.TransformQueue < 0 || cfg.shutdownTimeout <= 0 {
		return cfg, errors.New("limits must be positive")
	}
	return cfg, nil
}

// reachableAddr turns a listen address into one a client can use (":8080" → "127.0.0.1:8080").
func reachableAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

var cloudName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// parseCloudinaryURL reads cloudinary://KEY:SECRET@NAME. Of the query string, only
// strict_transformations=true means something here (the SDKs' own settings are ignored).
func parseCloudinaryURL(s string) (store.Cloud, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "cloudinary" || u.User == nil {
		return store.Cloud{}, fmt.Errorf("%q is not cloudinary://KEY:SECRET@NAME", s)
	}
	secret, _ := u.User.Password()
	c := store.Cloud{Name: u.Host, APIKey: u.User.Username(), APISecret: secret,
		StrictTransformations: u.Query().Get("strict_transformations") == "true"}
	if !cloudName.MatchString(c.Name) || c.APIKey == "" || c.APISecret == "" {
		return store.Cloud{}, fmt.Errorf("%q needs a key, a secret and a cloud name of letters, digits, - and _", s)
	}
	return c, nil
}

// newDemoCloud makes the cloud of a first start: name demo, a random numeric key and secret.
func newDemoCloud() store.Cloud {
	key, err := rand.Int(rand.Reader, big.NewInt(900_000_000_000_000))
	if err != nil {
		panic(err)
	}
	secret := make([]byte, 20)
	if _, err := rand.Read(secret); err != nil {
		panic(err)
	}
	return store.Cloud{Name: "demo", APIKey: strconv.FormatInt(key.Int64()+100_000_000_000_000, 10),
		APISecret: base64.RawURLEncoding.EncodeToString(secret)[:27]}
}

// serve is the server process: the HTTP API on ln (the supervisor's socket) over the data
// directory, until SIGTERM or SIGINT, or until stopAsked is closed (the supervisor's stop).
func serve(cfg serveConfig, ln net.Listener, stopAsked <-chan struct{}) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openStore(ctx, cfg.data)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			slog.Error("close store", "err", err)
		}
	}()
	for _, c := range cfg.clouds {
		if _, err := st.PutCloud(ctx, c); err != nil {
			return err
		}
	}
	clouds, err := st.Clouds(ctx)
	if err != nil {
		return err
	}
	if len(clouds) == 0 {
		c, err := st.PutCloud(ctx, newDemoCloud())
		if err != nil {
			return err
		}
		clouds = append(clouds, c)
	}
	printSetup(clouds[0], cfg.http.PublicURL)
	api := httpapi.New(cfg.http, st)
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(httpapi.CorkConnections(srv, ln)) }()
	slog.Info("cloudlet listening", "addr", ln.Addr().String(), "data", cfg.data, "clouds", len(clouds))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	case <-stopAsked:
	}
	stop() // a second signal stops the process at once
	slog.Info("shutting down: finishing requests in flight", "timeout", cfg.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Cut off what is still running: an upload cut off never gets a row, and its temp
		// file is swept at the next start.
		slog.Warn("shutdown: requests still in flight were cut off", "err", err)
		srv.Close()
	}
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelFlush()
	if err := api.FlushUsage(flushCtx); err != nil {
		slog.Error("flush usage counters", "err", err)
	}
	slog.Info("stopped")
	return nil
}

// openStore opens the data directory. A directory still held is waited for a moment: the
// server of a supervisor that was just killed dies with it, but not in the same instant.
func openStore(ctx context.Context, dir string) (*store.Store, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, err := store.Open(ctx, dir)
		if !errors.Is(err, store.ErrLocked) || time.Now().After(deadline) {
			return st, err
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return nil, err
		}
	}
}

// printSetup tells the person who started cloudlet how to point an SDK at it.
func printSetup(c store.Cloud, publicURL string) {
	fmt.Printf(`cloudlet is serving cloud %[1]q at %[4]s

CLOUDINARY_URL=cloudinary://%[2]s:%[3]s@%[1]s?upload_prefix=%[4]s

Node:  process.env.CLOUDINARY_URL = "cloudinary://%[2]s:%[3]s@%[1]s?upload_prefix=%[4]s"; // before require
       const cloudinary = require("cloudinary").v2;
Go:    cld, _ := cloudinary.NewFromURL("cloudinary://%[2]s:%[3]s@%[1]s?upload_prefix=%[4]s")

`, c.Name, c.APIKey, c.APISecret, publicURL)
}
