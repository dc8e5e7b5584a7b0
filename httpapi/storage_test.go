package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/labstack/echo/v4"

	"cloudlet/store"
)

// smallDisk mounts a tmpfs of size bytes (root only; the test skips elsewhere) and returns its
// path, unmounted when the test ends.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// readOnly makes dir read-only for every new open (a read-only bind mount over it) and returns
// the function that makes it writable again. Files already open stay as they were.
func readOnly(t *testing.T, dir string) (writable func()) {
	t.Helper()
	for _, args := range [][]string{{"--bind", dir, dir}, {"-o", "remount,bind,ro", dir}} {
		if out, err := exec.Command("mount", args...).CombinedOutput(); err != nil {
			t.Fatalf("mount %v: %v %s", args, err, out)
		}
	}
	return func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Fatalf("umount: %v %s", err, out)
		}
	}
}

// fill writes a file into dir until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// A full or read-only data directory answers 503 in Cloudinary's shape, stores nothing, keeps
// serving what it has, and works again once the condition clears.
func TestFullAndReadOnlyDataDirectory(t *testing.T) {
	disk := smallDisk(t, "4m")
	data := filepath.Join(disk, "data")
	ts := newTestServerAt(t, defaultTestConfig(), data)
	photo, png := testdata(t, "photo.jpg"), testdata(t, "alpha.png")
	ts.upload("image", url.Values{"public_id": {"kept"}}, "k.png", png)
	cached := "/demo/image/upload/w_50/kept.png"
	if r := ts.get(cached, nil); r.status != 200 {
		t.Fatalf("first derived: %d", r.status)
	}
	// Its row commits with others up to 20 ms later, or at the next read of the catalogue: read
	// now, so that it is stored before the disk fills (a batch that cannot commit drops its files).
	if r := ts.admin(http.MethodGet, "/resources/image/upload/kept"); r.status != 200 || !strings.Contains(string(r.body), `"w_50"`) {
		t.Fatalf("first derived not recorded: %d %s", r.status, r.body)
	}
	blobsBefore, _ := ts.storedFiles()

	refused := func(what, message string) {
		t.Helper()
		r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"public_id": {"victim"}}), "p.jpg", photo)
		if r.status != http.StatusServiceUnavailable || !strings.Contains(errMessage(r), message) || r.header.Get("Retry-After") == "" {
			t.Fatalf("%s: upload got %d %s %v", what, r.status, r.body, r.header)
		}
		if blobs, temps := ts.storedFiles(); blobs != blobsBefore || temps != 0 {
			t.Fatalf("%s: %d blobs (had %d), %d temp files", what, blobs, blobsBefore, temps)
		}
		if r := ts.admin(http.MethodGet, "/resources/image/upload/victim"); r.status != http.StatusNotFound {
			t.Fatalf("%s: a row was stored: %d", what, r.status)
		}
		if r := ts.get(cached, nil); r.status != 200 {
			t.Fatalf("%s: a stored derived image is not served: %d", what, r.status)
		}
		if r := ts.get("/demo/image/upload/w_60/kept.png", nil); r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: a new derived image: %d %s", what, r.status, r.body)
		}
		if r := ts.admin(http.MethodGet, "/ping"); r.status != 200 {
			t.Fatalf("%s: ping %d", what, r.status)
		}
	}
	succeeds := func(what string) {
		t.Helper()
		r := ts.postMultipart("/v1_1/demo/image/upload", sign(url.Values{"public_id": {"victim"}}), "p.jpg", photo)
		if r.status != 200 {
			t.Fatalf("%s: upload got %d %s", what, r.status, r.body)
		}
		ts.postForm("/v1_1/demo/image/destroy", sign(url.Values{"public_id": {"victim"}}), "")
	}

	filler := fill(t, disk)
	refused("disk full", "Storage is full")
	os.Remove(filler)
	succeeds("after space is freed")

	writable := readOnly(t, data)
	refused("read-only", "Storage is read-only")
	writable()
	succeeds("after remounting writable")
}

// Each storage condition is a 503 with Retry-After and Cloudinary's error shape, also where no
// tmpfs can be mounted to cause it for real; any other internal error stays a bare 500.
func TestStorageConditionAnswers(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("save: %w", store.ErrDatabaseBusy):                                     "Database is busy",
		fmt.Errorf("write upload: %w", &os.PathError{Op: "write", Err: syscall.ENOSPC}):   "Storage is full",
		fmt.Errorf("create temp file: %w", &os.PathError{Op: "open", Err: syscall.EROFS}): "Storage is read-only",
		errors.New("something else broke"):                                                "Internal error",
	} {
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/v1_1/demo/image/upload", nil), rec)
		handleError(err, c)
		status, retry := http.StatusServiceUnavailable, "5"
		if want == "Internal error" {
			status, retry = http.StatusInternalServerError, ""
		}
		if rec.Code != status || rec.Header().Get("Retry-After") != retry || !strings.Contains(rec.Body.String(), `{"error":{"message":"`+want) {
			t.Errorf("%v: %d %q %s", err, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
}
