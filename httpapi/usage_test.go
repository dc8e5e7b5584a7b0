package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"cloudlet/store"
)

// usageNumbers picks the report's numbers a test compares.
func usageNumbers(t *testing.T, r response) map[string]float64 {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("usage: %d %s", r.status, r.body)
	}
	out := map[string]float64{}
	for _, k := range []string{"requests", "resources", "derived_resources"} {
		out[k] = r.json[k].(float64)
	}
	for _, group := range []string{"transformations", "objects", "bandwidth", "storage"} {
		g := r.json[group].(map[string]any)
		out[group] = g["usage"].(float64)
		out[group+".limit"] = g["limit"].(float64)
		out[group+".used_percent"] = g["used_percent"].(float64)
	}
	return out
}

func TestUsageReport(t *testing.T) {
	ts := newTestServer(t, defaultTestConfig())
	ctx := context.Background()
	photo := testdata(t, "photo.jpg")
	ts.upload("image", url.Values{"public_id": {"pic"}}, "p.jpg", photo)

	r := ts.admin(http.MethodGet, "/usage")
	u := usageNumbers(t, r)
	today := time.Now().UTC().Format(time.DateOnly)
	if r.json["plan"] != "Free" || r.json["last_updated"] != today || r.json["date_requested"] != today+"T00:00:00Z" {
		t.Fatalf("report header: %s", r.body)
	}
	if u["objects"] != 1 || u["resources"] != 1 || u["storage"] != float64(len(photo)) || u["derived_resources"] != 0 ||
		u["bandwidth"] != 0 || u["requests"] != 0 || u["transformations"] != 0 {
		t.Fatalf("after upload: %v", u)
	}
	if u["objects.limit"] != float64(store.DefaultUsageLimits.Objects) || u["storage.limit"] != float64(store.DefaultUsageLimits.Storage) {
		t.Fatalf("default limits: %v", u)
	}
	limits := r.json["media_limits"].(map[string]any)
	if limits["image_max_size_bytes"] != float64(defaultTestConfig().MaxUploadBytes) || limits["image_max_px"] != float64(defaultTestConfig().MaxSourcePixels) {
		t.Fatalf("media_limits: %v", limits)
	}

	// Deliveries: bytes actually sent count, for originals and derived images; a 304 is a request
	// without bytes, a range only its bytes, a 404 nothing.
	original := ts.get("/demo/image/upload/v1/pic.jpg", nil)
	derived := ts.get("/demo/image/upload/c_scale,w_50/pic.jpg", nil)
	again := ts.get("/demo/image/upload/c_scale,w_50/pic.jpg", nil)
	notModified := ts.get("/demo/image/upload/pic.jpg", http.Header{"If-None-Match": {original.header.Get("ETag")}})
	ranged := ts.get("/demo/image/upload/pic.jpg", http.Header{"Range": {"bytes=0-99"}})
	missing := ts.get("/demo/image/upload/nope.jpg", nil)
	for _, tt := range []struct {
		r      response
		status int
	}{{original, 200}, {derived, 200}, {again, 200}, {notModified, 304}, {ranged, 206}, {missing, 404}} {
		if tt.r.status != tt.status {
			t.Fatalf("delivery: %d, want %d", tt.r.status, tt.status)
		}
	}
	sent := len(original.body) + len(derived.body) + len(again.body) + len(ranged.body)
	if len(ranged.body) != 100 {
		t.Fatalf("range body %d", len(ranged.body))
	}

	u = usageNumbers(t, ts.admin(http.MethodGet, "/usage"))
	if u["bandwidth"] != float64(sent) || u["requests"] != 5 || u["transformations"] != 1 || u["derived_resources"] != 1 ||
		u["storage"] != float64(len(photo)+len(derived.body)) || u["objects"] != 2 { // the original and its derived file
		t.Fatalf("after deliveries (sent %d): %v", sent, u)
	}

	// Another cloud's deliveries are its own.
	other, err := ts.store.PutCloud(ctx, store.Cloud{Name: "other", APIKey: "k2", APISecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := ts.store.CreateTemp()
	f.WriteString("hello")
	f.Close()
	if _, _, err := ts.store.SaveAsset(ctx, store.Asset{AssetKey: store.AssetKey{CloudID: other.ID, ResourceType: "raw",
		Type: "upload", PublicID: "note.txt"}, Format: "txt", Bytes: 5, ETag: "e"}, f.Name(), false); err != nil {
		t.Fatal(err)
	}
	if r := ts.get("/other/raw/upload/note.txt", nil); r.status != 200 || string(r.body) != "hello" {
		t.Fatalf("other cloud delivery: %d", r.status)
	}
	if err := ts.api.FlushUsage(ctx); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC()
	theirs, err := ts.store.UsageOf(ctx, other.ID, day, day)
	if err != nil || theirs.Bandwidth != 5 || theirs.Requests != 1 || theirs.Resources != 1 {
		t.Fatalf("other cloud usage: %+v %v", theirs, err)
	}
	if again := usageNumbers(t, ts.admin(http.MethodGet, "/usage")); again["bandwidth"] != u["bandwidth"] || again["requests"] != u["requests"] {
		t.Fatalf("demo usage moved with another cloud's deliveries: %v", again)
	}

	// Dated reports: the SDK path form dd-mm-yyyy and ?date=yyyy-mm-dd cover the 30 days
	// ending that day.
	for _, tt := range []struct {
		path      string
		bandwidth float64
		requested string
	}{
		{"/usage/" + day.Format("02-01-2006"), float64(sent), day.Format(time.DateOnly)},
		{"/usage?date=" + day.Format(time.DateOnly), float64(sent), day.Format(time.DateOnly)},
		{"/usage?date=" + day.AddDate(0, 0, 29).Format(time.DateOnly), float64(sent), day.AddDate(0, 0, 29).Format(time.DateOnly)},
		{"/usage?date=" + day.AddDate(0, 0, 30).Format(time.DateOnly), 0, day.AddDate(0, 0, 30).Format(time.DateOnly)},
		{"/usage/" + day.AddDate(0, 0, -1).Format("02-01-2006"), 0, day.AddDate(0, 0, -1).Format(time.DateOnly)},
	} {
		r := ts.admin(http.MethodGet, tt.path)
		if got := usageNumbers(t, r); got["bandwidth"] != tt.bandwidth || r.json["date_requested"] != tt.requested+"T00:00:00Z" {
			t.Fatalf("%s: bandwidth %v, date_requested %v", tt.path, got["bandwidth"], r.json["date_requested"])
		}
	}
	expectStatus(t, "bad date", ts.admin(http.MethodGet, "/usage/yesterday"), http.StatusBadRequest)

	// Limits are per cloud; used_percent follows them.
	demo, _ := ts.store.CloudByName(ctx, testCloud)
	if err := ts.store.SetUsageLimits(ctx, demo.ID, store.UsageLimits{Plan: "Tiny", Objects: 4, Storage: int64(len(photo)) * 10,
		Bandwidth: int64(sent) * 4, Transformations: 8}); err != nil {
		t.Fatal(err)
	}
	r = ts.admin(http.MethodGet, "/usage")
	u = usageNumbers(t, r)
	if r.json["plan"] != "Tiny" || u["objects.used_percent"] != 50 || u["bandwidth.used_percent"] != 25 || u["transformations.used_percent"] != 12.5 {
		t.Fatalf("with limits: %s", r.body)
	}
}

func TestUsageMeterFlushesWhenDue(t *testing.T) {
	var m usageMeter
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if m.add("demo", "2026-01-02", 10, start) {
		t.Fatal("a first request should not be due for a flush")
	}
	if !m.add("demo", "2026-01-02", 10, start.Add(usageFlushAge)) {
		t.Fatal("old counts should be due for a flush")
	}
	if !m.add("demo", "2026-01-02", usageFlushBytes, start) {
		t.Fatal("many bytes should be due for a flush")
	}
	got := m.take(start)
	want := store.DeliveryUsage{Cloud: "demo", Day: "2026-01-02", Bandwidth: 20 + usageFlushBytes, Requests: 3}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("take: %+v", got)
	}
	if left := m.take(start); len(left) != 0 {
		t.Fatalf("counts taken twice: %+v", left)
	}
	m.restore(got)
	if again := m.take(start); len(again) != 1 || again[0] != want {
		t.Fatalf("restored: %+v", again)
	}
}
