package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	fitTransformation = "c_fit,q_80,w_300"
	searchTag         = "tag-7"
)

// transformSources is how the first-time phases share their assets (one original, many public
// ids), so that every request really runs the engine: c1 takes indexes [0, c8), c8 [c8, warm),
// and warm, the last, starts libvips. Each phase gets more than it can transform in its time
// on a fast machine (the engine makes about 100 a second per core).
func (b *bench) transformSources() (c8, warm int) {
	secs := int(b.cfg.duration.Seconds())
	c8 = 200 * secs
	return c8, c8 + 300*runtime.NumCPU()*secs
}

// bench runs the phases in order over one work directory.
type bench struct {
	cfg  config
	bin  string
	work string

	photo    []byte // 1920x1280 source of the transform phases
	cloudlet *process
}

func (b *bench) run() (*results, error) {
	res := &results{StartedAt: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(),
		LoadBefore: loadAverage(), PhaseSeconds: int(b.cfg.duration.Seconds()), Assets: b.cfg.catalog}
	var err error
	step("making images")
	if b.photo, err = photoJPEG(1920, 1280, 1); err != nil {
		return nil, err
	}
	thumb, err := photoJPEG(64, 48, 2)
	if err != nil {
		return nil, err
	}
	data, err := newDataDir(b.work, "data")
	if err != nil {
		return nil, err
	}
	_, warm := b.transformSources()
	step(fmt.Sprintf("seeding %d catalogue assets and %d transform sources", b.cfg.catalog, warm+1))
	t := time.Now()
	err = seed(data,
		seedSet{prefix: "ft", count: warm + 1, file: b.photo, width: 1920, height: 1280},
		seedSet{prefix: "cat", count: b.cfg.catalog, file: thumb, width: 64, height: 48, spreadCreated: true,
			tags: func(i int) []string { return []string{"tag-" + strconv.Itoa(i%100), "catalogue"} }})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	res.SeedSeconds = time.Since(t).Seconds()
	if b.cloudlet, err = startCloudlet(b.bin, data, b.work, "cloudlet"); err != nil {
		return nil, err
	}
	defer b.cloudlet.stop()

	for _, phase := range []func(*results) error{b.firstTime, b.cached, b.upload, b.admin} {
		if err := phase(res); err != nil {
			return nil, err
		}
	}
	if _, peak, err := b.cloudlet.memoryKiB(); err == nil {
		res.ServerPeakRSSMiB = float64(peak) / 1024
	}
	b.cloudlet.stop()
	if err := b.peakRSS(res); err != nil {
		return nil, err
	}
	res.LoadAfter = loadAverage()
	res.evaluate()
	return res, nil
}

func step(what string) { fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), what) }

// transformRounds is how many turns the server and the engine take at concurrency 8: taking
// turns, a change in the machine's speed during the run (other tenants of a VM) falls on both
// alike rather than on whichever ran at the time.
const transformRounds = 4

// firstTime measures w_300,c_fit q80 from the 1920x1280 source, every request a new derived
// image, and the same resize by the engine in this process while the server idles: one after
// the other at concurrency 1, in turns at concurrency 8.
func (b *bench) firstTime(res *results) error {
	path := "/bench/image/upload/" + fitTransformation + "/ft/%d.jpg"
	firstC8, warm := b.transformSources()
	if err := getOK(b.cloudlet.url + fmt.Sprintf(path, warm)); err != nil { // libvips started
		return err
	}
	// One wrk thread: a few hundred requests a second keep it far from busy, and a second
	// thread only adds wake-ups on the two cores the server and the engine are measured on.
	server := func(first, conns int, d time.Duration) (loadResult, error) {
		return runWrkOn(b.cloudlet, b.work, load{method: "GET", url: b.cloudlet.url + path, first: first,
			connections: conns, threads: 1, duration: d})
	}
	step("first-time transforms, 1 connection")
	r, err := server(0, 1, b.cfg.duration)
	if err != nil {
		return err
	}
	if int(r.Requests)+1 > firstC8 {
		return fmt.Errorf("first-time phase made %d requests: more than its %d distinct sources", r.Requests, firstC8)
	}
	res.FirstTime.C1 = r
	step("engine (bimg in process), 1 goroutine")
	if res.Engine.C1, err = runEngine(b.photo, 1, b.cfg.duration); err != nil {
		return fmt.Errorf("engine: %w", err)
	}

	slice := max(time.Second, (b.cfg.duration / transformRounds).Truncate(time.Second))
	const settle = 300 * time.Millisecond
	engine := engineRun{concurrency: 8}
	var serverRates []float64 // the server's req/s in each round
	next := firstC8
	for round := range transformRounds {
		step(fmt.Sprintf("first-time transforms and the engine in turns, 8 at once: round %d of %d", round+1, transformRounds))
		for turn := range 2 {
			if (round+turn)%2 == 1 {
				if err := engine.slice(b.photo, slice); err != nil {
					return fmt.Errorf("engine: %w", err)
				}
				continue
			}
			r, err := server(next, 8, slice)
			if err != nil {
				return err
			}
			next += int(r.Requests) + 8 // each connection may have had one more in flight
			time.Sleep(settle)          // those run on: not into the engine's turn
			if next > warm {
				return fmt.Errorf("first-time phase ran out of its %d distinct sources", warm-firstC8)
			}
			res.FirstTime.C8 = res.FirstTime.C8.add(r)
			serverRates = append(serverRates, r.RPS)
		}
	}
	res.Engine.C8 = engine.result()
	for i, rate := range serverRates {
		res.TransformRoundRatios = append(res.TransformRoundRatios, ratio(rate, engine.sliceRates[i]))
	}
	return nil
}

// cached measures delivery of a stored derived image against static file servers serving the
// same bytes from the same kind of disk.
func (b *bench) cached(res *results) error {
	derivedURL := b.cloudlet.url + "/bench/image/upload/" + fitTransformation + "/ft/0.jpg"
	body, err := getBody(derivedURL)
	if err != nil {
		return err
	}
	static := filepath.Join(b.work, "static")
	if err := os.MkdirAll(static, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(static, "derived.jpg"), body, 0o644); err != nil {
		return err
	}
	res.Cached.FileBytes = len(body)
	fs, err := startFileServer(static, b.work)
	if err != nil {
		return err
	}
	defer fs.stop()
	ngx, err := startNginx(static, b.work)
	if err != nil {
		return err
	}
	defer ngx.stop()
	for _, p := range []struct {
		name, url string
		server    *process
		dst       *loadResult
	}{
		{"cloudlet", derivedURL, b.cloudlet, &res.Cached.Cloudlet},
		{"Go http.FileServer", fs.url + "/derived.jpg", fs, &res.Cached.GoFileServer},
		{"nginx", ngx.url + "/derived.jpg", nil, &res.Cached.Nginx}, // its workers are other processes
	} {
		got, err := getBody(p.url)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, body) {
			return fmt.Errorf("%s serves other bytes than cloudlet's derived file", p.name)
		}
		step("cached delivery, 8 connections: " + p.name)
		l := load{method: "GET", url: p.url, connections: 8, duration: b.cfg.duration}
		if p.server != nil {
			*p.dst, err = runWrkOn(p.server, b.work, l)
		} else {
			*p.dst, err = runWrk(b.work, l)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// upload measures signed uploads of a 1 MP JPEG with EXIF, four at a time, after checking that
// one such upload has its EXIF read.
func (b *bench) upload(res *results) error {
	img, err := photoJPEG(1224, 816, 3)
	if err != nil {
		return err
	}
	img = withEXIF(img)
	timestamp := strconv.FormatInt(time.Now().Unix(), 10)
	params := "tags=bench-upload&timestamp=" + timestamp
	sum := sha1.Sum([]byte(params + benchCloud.APISecret))
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, f := range [][2]string{{"api_key", benchCloud.APIKey}, {"timestamp", timestamp},
		{"tags", "bench-upload"}, {"signature", hex.EncodeToString(sum[:])}} {
		mw.WriteField(f[0], f[1])
	}
	fw, err := mw.CreateFormFile("file", "photo.jpg")
	if err != nil {
		return err
	}
	fw.Write(img)
	mw.Close()
	bodyFile := filepath.Join(b.work, "upload.body")
	if err := os.WriteFile(bodyFile, form.Bytes(), 0o644); err != nil {
		return err
	}
	url := b.cloudlet.url + "/v1_1/bench/image/upload"
	if err := b.checkUploadEXIF(url, form.Bytes(), mw.FormDataContentType()); err != nil {
		return err
	}
	step("uploads, 4 connections")
	res.Upload.Bytes = len(img)
	res.Upload.Load, err = runWrkOn(b.cloudlet, b.work, load{method: "POST", url: url, connections: 4, duration: b.cfg.duration,
		bodyFile: bodyFile, contentType: mw.FormDataContentType()})
	return err
}

// checkUploadEXIF uploads once and reads the asset back with its EXIF.
func (b *bench) checkUploadEXIF(url string, body []byte, contentType string) error {
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var up struct {
		PublicID string `json:"public_id"`
	}
	if err := decodeOK(resp, &up); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	req, _ := http.NewRequest("GET", b.cloudlet.url+"/v1_1/bench/resources/image/upload/"+up.PublicID+"?exif=true", nil)
	req.Header.Set("Authorization", basicAuth())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var details struct {
		EXIF map[string]string `json:"exif"`
	}
	if err := decodeOK(resp, &details); err != nil {
		return fmt.Errorf("uploaded asset details: %w", err)
	}
	if details.EXIF["Make"] != "cloudlet-bench" {
		return fmt.Errorf("upload kept no EXIF Make: %v", details.EXIF)
	}
	return nil
}

// admin measures Admin API pages over the seeded catalogue: the newest images, the images with
// a tag, and the Search API by tag when this build has it.
func (b *bench) admin(res *results) error {
	auth := []string{"Authorization: " + basicAuth()}
	api := b.cloudlet.url + "/v1_1/bench/resources"
	for _, p := range []struct {
		name, url string
		dst       *loadResult
	}{
		{"Admin API list", api + "/image?max_results=10", &res.Admin.List},
		{"Admin API by tag", api + "/image/tags/" + searchTag + "?max_results=10", &res.Admin.Tag},
	} {
		step(p.name + ", 1 connection")
		r, err := runWrkOn(b.cloudlet, b.work, load{method: "GET", url: p.url, connections: 1, duration: b.cfg.duration, headers: auth})
		if err != nil {
			return err
		}
		*p.dst = r
	}
	searchBody := filepath.Join(b.work, "search.json")
	if err := os.WriteFile(searchBody, []byte(`{"expression":"tags:`+searchTag+`","max_results":10}`), 0o644); err != nil {
		return err
	}
	req, _ := http.NewRequest("POST", api+"/search", strings.NewReader(`{"expression":"tags:`+searchTag+`"}`))
	req.Header.Set("Authorization", basicAuth())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		step(fmt.Sprintf("Search API: not in this build (%d)", resp.StatusCode))
		return nil
	default:
		return fmt.Errorf("Search API: %s", resp.Status)
	}
	step("Search API by tag, 1 connection")
	r, err := runWrkOn(b.cloudlet, b.work, load{method: "POST", url: api + "/search", connections: 1, duration: b.cfg.duration,
		headers: auth, bodyFile: searchBody, contentType: "application/json"})
	if err != nil {
		return err
	}
	res.Admin.Search = &r
	return nil
}

// peakRSS runs a fresh server over 24 MP originals and reads its peak resident set after eight
// concurrent first-time transforms at two output sizes.
func (b *bench) peakRSS(res *results) error {
	step("making a 24 MP image")
	big, err := photoJPEG(6000, 4000, 4)
	if err != nil {
		return err
	}
	data, err := newDataDir(b.work, "data-24mp")
	if err != nil {
		return err
	}
	if err := seed(data, seedSet{prefix: "big", count: 16, file: big, width: 6000, height: 4000}); err != nil {
		return err
	}
	srv, err := startCloudlet(b.bin, data, b.work, "cloudlet-24mp")
	if err != nil {
		return err
	}
	defer srv.stop()
	step("peak RSS: 8 concurrent transforms of a 24 MP JPEG, twice")
	transforms := []string{"c_fit,q_80,w_300", "c_fit,q_80,w_2000"}
	for round, tr := range transforms {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- getOK(fmt.Sprintf("%s/bench/image/upload/%s/big/%d.jpg", srv.url, tr, round*8+i))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
	}
	_, peak, err := srv.memoryKiB()
	if err != nil {
		return err
	}
	res.PeakRSS = peakRSSResult{SourceBytes: len(big), Transformations: transforms, Requests: 16, PeakMiB: float64(peak) / 1024}
	return nil
}

func basicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(benchCloud.APIKey+":"+benchCloud.APISecret))
}

func getBody(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return body, nil
}

func getOK(url string) error {
	_, err := getBody(url)
	return err
}

// decodeOK reads a 200 answer's JSON into v.
func decodeOK(resp *http.Response, v any) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

// loadAverage is /proc/loadavg's first three fields: how busy the machine was.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
