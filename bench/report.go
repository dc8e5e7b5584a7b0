package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// results is everything one run measured; it is written as JSON.
type results struct {
	StartedAt        string  `json:"started_at"`
	CPUs             int     `json:"cpus"`
	LoadBefore       string  `json:"load_before"` // /proc/loadavg: how noisy the machine was
	LoadAfter        string  `json:"load_after"`
	PhaseSeconds     int     `json:"phase_seconds"`
	Assets           int     `json:"catalogue_assets"`
	SeedSeconds      float64 `json:"seed_seconds"`
	ServerPeakRSSMiB float64 `json:"server_peak_rss_mib"` // the main server, over every phase

	FirstTime struct {
		C1 loadResult `json:"c1"`
		C8 loadResult `json:"c8"`
	} `json:"first_time_transform"`
	Engine struct {
		C1 engineResult `json:"c1"`
		C8 engineResult `json:"c8"`
	} `json:"engine"`
	Cached struct {
		FileBytes    int        `json:"file_bytes"`
		Cloudlet     loadResult `json:"cloudlet"`
		GoFileServer loadResult `json:"go_fileserver"`
		Nginx        loadResult `json:"nginx"`
	} `json:"cached_delivery"`
	Upload struct {
		Bytes int        `json:"bytes"`
		Load  loadResult `json:"load"`
	} `json:"upload"`
	Admin struct {
		List   loadResult  `json:"list"`
		Tag    loadResult  `json:"by_tag"`
		Search *loadResult `json:"search_by_tag"` // null when the build has no Search API
	} `json:"admin"`
	PeakRSS peakRSSResult `json:"peak_rss_24mp"`

	// TransformCPUEfficiency is the engine's CPU time per resize over the server's per
	// first-time request at c8: the target's ratio in a form other load barely moves.
	TransformCPUEfficiency float64 `json:"transform_cpu_efficiency_c8"`
	// TransformRoundRatios is the server/engine ratio of each round at c8 on its own: how far
	// the machine's speed moved it within the run.
	TransformRoundRatios []float64 `json:"transform_round_ratios_c8"`

	Targets []target `json:"targets"`
}

type peakRSSResult struct {
	SourceBytes     int      `json:"source_bytes"`
	Transformations []string `json:"transformations"`
	Requests        int      `json:"requests"`
	PeakMiB         float64  `json:"peak_mib"`
}

// target is one performance goal and whether this run met it. Measured is nil when the run
// could not measure it (the Search API before it exists).
type target struct {
	Name     string   `json:"name"`
	Measured *float64 `json:"measured"`
	Goal     string   `json:"goal"`
	Pass     *bool    `json:"pass"`
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// evaluate fills Targets from the measurements.
func (r *results) evaluate() {
	r.TransformCPUEfficiency = ratio(r.Engine.C8.CPUMSPerOp, r.FirstTime.C8.CPUMSPerRequest)
	atLeast := func(name string, v, goal float64, unit string) target {
		pass := v >= goal
		return target{Name: name, Measured: &v, Goal: fmt.Sprintf(">= %g%s", goal, unit), Pass: &pass}
	}
	below := func(name string, v, goal float64, unit string) target {
		pass := v < goal
		return target{Name: name, Measured: &v, Goal: fmt.Sprintf("< %g%s", goal, unit), Pass: &pass}
	}
	r.Targets = []target{
		atLeast("first-time transform server/engine at c8", ratio(r.FirstTime.C8.RPS, r.Engine.C8.OpsPerSec), 0.9, ""),
		atLeast("cached delivery / Go http.FileServer", ratio(r.Cached.Cloudlet.RPS, r.Cached.GoFileServer.RPS), 0.9, ""),
		atLeast("cached delivery / nginx", ratio(r.Cached.Cloudlet.RPS, r.Cached.Nginx.RPS), 0.5, ""),
		below("admin list p99 (ms)", r.Admin.List.P99(), 10, " ms"),
		below("by-tag list p99 (ms)", r.Admin.Tag.P99(), 20, " ms"),
	}
	if r.Admin.Search != nil {
		r.Targets = append(r.Targets, below("search by tag p99 (ms)", r.Admin.Search.P99(), 20, " ms"))
	} else {
		r.Targets = append(r.Targets, target{Name: "search by tag p99 (ms)", Goal: "< 20 ms"})
	}
	r.Targets = append(r.Targets,
		atLeast("uploads per second at c4", r.Upload.Load.RPS, 50, "/s"),
		below("peak RSS, 24 MP transforms (MiB)", r.PeakRSS.PeakMiB, 600, " MiB"))
}

// printTable writes the measurements and the targets for a person.
func printTable(w io.Writer, r *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncloudlet benchmark, %s, %d CPUs, load %s before / %s after, %ds per phase\n\n",
		r.StartedAt, r.CPUs, r.LoadBefore, r.LoadAfter, r.PhaseSeconds)
	fmt.Fprintln(tw, "measurement\treq/s\tp50 ms\tp99 ms\tCPU ms/req\tnote")
	row := func(name string, l loadResult, note string) {
		cpu := "-"
		if l.CPUMSPerRequest > 0 {
			cpu = fmt.Sprintf("%.3f", l.CPUMSPerRequest)
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.2f\t%.2f\t%s\t%s\n", name, l.RPS, l.P50(), l.P99(), cpu, note)
	}
	row("first-time w_300,c_fit q80 1920x1280, c1", r.FirstTime.C1, "")
	row("first-time w_300,c_fit q80 1920x1280, c8", r.FirstTime.C8, "")
	for _, e := range []engineResult{r.Engine.C1, r.Engine.C8} {
		fmt.Fprintf(tw, "engine: bimg in process, %d goroutine(s)\t%.1f\t%.2f\t%.2f\t%.3f\t\n", e.Concurrency, e.OpsPerSec, e.P50MS, e.P99MS, e.CPUMSPerOp)
	}
	note := fmt.Sprintf("%d-byte file", r.Cached.FileBytes)
	row("cached derived delivery, cloudlet, c8", r.Cached.Cloudlet, note)
	row("same file, Go http.FileServer, c8", r.Cached.GoFileServer, note)
	row("same file, nginx (2 workers, sendfile), c8", r.Cached.Nginx, note)
	row("signed upload 1 MP JPEG with EXIF, c4", r.Upload.Load, fmt.Sprintf("%d-byte file", r.Upload.Bytes))
	assets := fmt.Sprintf("%d assets", r.Assets)
	row("Admin API resources/image page, c1", r.Admin.List, assets)
	row("Admin API resources/image/tags/:tag, c1", r.Admin.Tag, assets)
	if r.Admin.Search != nil {
		row("Search API tags:<tag>, c1", *r.Admin.Search, assets)
	} else {
		fmt.Fprintln(tw, "Search API tags:<tag>, c1\tn/a\tn/a\tn/a\t\tnot in this build")
	}
	fmt.Fprintf(tw, "peak RSS, 8 concurrent 24 MP transforms\t\t\t\t\t%.0f MiB\n", r.PeakRSS.PeakMiB)
	fmt.Fprintf(tw, "peak RSS, main server over all phases\t\t\t\t\t%.0f MiB\n", r.ServerPeakRSSMiB)
	fmt.Fprintf(tw, "\nfirst-time transform CPU efficiency at c8 (engine CPU/op ÷ server CPU/req): %s — "+
		"what the req/s ratio comes to when both keep the CPUs busy\n",
		threeDigits(r.TransformCPUEfficiency))
	fmt.Fprint(tw, "first-time transform server/engine at c8, round by round:")
	for _, v := range r.TransformRoundRatios {
		fmt.Fprint(tw, " ", threeDigits(v))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "\ntarget\tmeasured\tgoal\tresult\t\t")
	for _, t := range r.Targets {
		measured, verdict := "n/a", "n/a"
		if t.Measured != nil {
			measured = threeDigits(*t.Measured)
			verdict = "FAIL"
			if *t.Pass {
				verdict = "PASS"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\t\n", t.Name, measured, t.Goal, verdict)
	}
	tw.Flush()
}

// threeDigits shows v to three significant digits (whole numbers from 100 up): a ratio of
// 0.8966 shows as 0.897, not as a 0.90 that reads as meeting a goal of 0.9.
func threeDigits(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

// writeJSON writes the results to path, making its directory.
func writeJSON(path string, r *results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Println("\nresults written to", path)
	return nil
}
