// Command bench is cloudlet's benchmark: it makes its own images, seeds a data directory,
// starts cloudlet (and, for comparison, Go's http.FileServer and nginx) on loopback, drives
// them with wrk, prints a table of results against the performance targets and writes them as
// JSON. Run it with `make bench`, which builds cloudlet and installs wrk and nginx first.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// config is what a run is told.
type config struct {
	cloudlet string        // the cloudlet binary to measure
	out      string        // where the JSON results go
	duration time.Duration // of each load phase
	catalog  int           // assets in the Admin API phase
	keep     bool          // keep the work directory (data, logs) after the run
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "fileserver" {
		if err := serveFiles(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "fileserver:", err)
			os.Exit(1)
		}
		return
	}
	var cfg config
	flag.StringVar(&cfg.cloudlet, "cloudlet", "bin/cloudlet", "cloudlet binary to benchmark")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "file to write the results to, as JSON")
	flag.DurationVar(&cfg.duration, "duration", 8*time.Second, "length of each load phase (whole seconds)")
	flag.IntVar(&cfg.catalog, "assets", 100_000, "assets in the store for the Admin API phase")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory (data directories, server logs)")
	flag.Parse()
	if cfg.duration < time.Second || cfg.catalog < 100 {
		fmt.Fprintln(os.Stderr, "bench: -duration must be at least 1s and -assets at least 100")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	bin, err := filepath.Abs(cfg.cloudlet)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("cloudlet binary: %w (build it first: make build)", err)
	}
	work, err := os.MkdirTemp("", "cloudlet-bench-")
	if err != nil {
		return err
	}
	// nginx's workers run as an unprivileged user when the harness is root: let them read.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	spreadSubdirectories(work)
	if cfg.keep {
		fmt.Println("work directory:", work)
	} else {
		defer os.RemoveAll(work)
	}
	b := &bench{cfg: cfg, bin: bin, work: work}
	res, err := b.run()
	if err != nil {
		return err
	}
	printTable(os.Stdout, res)
	return writeJSON(cfg.out, res)
}
