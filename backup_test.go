package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestOnlineBackupAndRestore backs up a data directory while uploads and deletes run, restores
// the backup into a fresh directory, and checks that the copy passes fsck and that a cloudlet
// on it serves every asset it lists with the bytes uploaded — including every upload answered
// before the backup started and not deleted while it ran — and none deleted before it started.
func TestOnlineBackupAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cloudlet under load")
	}
	dir, backupDir, restored := t.TempDir(), filepath.Join(t.TempDir(), "backup"), filepath.Join(t.TempDir(), "data")
	p := startCloudlet(t, dir)
	book := newLedger()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uploadLoop(ctx, p.base, book, rand.New(rand.NewPCG(3, uint64(i))), fmt.Sprintf("backup/w%d", i), errs)
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); deliverLoop(ctx, p.base, book, rand.New(rand.NewPCG(3, 50)), errs) }()
	go func() { defer wg.Done(); deleteLoop(ctx, p.base, book, rand.New(rand.NewPCG(3, 60)), errs) }()

	waitFor(t, "uploads before the backup", func() bool {
		book.mu.Lock()
		defer book.mu.Unlock()
		return len(book.acked) >= 100 && len(book.deleted) >= 5
	})
	book.mu.Lock()
	before, deletedBefore := maps.Clone(book.acked), maps.Clone(book.deleted)
	book.mu.Unlock()
	started := time.Now()
	out, code := runCommand(t, "backup", "--data", dir, backupDir)
	if code != 0 {
		t.Fatalf("backup exit %d: %s", code, out)
	}
	t.Logf("%s in %v", strings.TrimSpace(out), time.Since(started).Round(time.Millisecond))
	// What the backup must hold: uploads answered before it started that no delete touched
	// before it ended.
	book.mu.Lock()
	uploadedDuring := len(book.acked) + len(book.deleted) - len(before) - len(deletedBefore)
	for id := range before {
		if _, still := book.acked[id]; !still || book.busy[id] {
			delete(before, id)
		}
	}
	book.mu.Unlock()
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() { // say why a request failed
		for _, line := range p.log.linesWith("request failed") {
			t.Log(line)
		}
	}
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if uploadedDuring == 0 {
		t.Fatal("nothing changed while the backup ran: the test proves nothing about an online backup")
	}

	if out, code := runCommand(t, "restore", "--data", dir, backupDir); code == 0 || !strings.Contains(out, "not empty") {
		t.Fatalf("restore over a data directory: exit %d: %s", code, out)
	}
	if out, code := runCommand(t, "restore", "--data", restored, backupDir); code != 0 {
		t.Fatalf("restore exit %d: %s", code, out)
	}
	if out, code := runCommand(t, "fsck", "--data", restored, "--checksums"); code != 0 {
		t.Fatalf("fsck of the restored directory: exit %d:\n%s", code, out)
	}

	p = startCloudlet(t, restored)
	uploaded := map[string]storedAsset{}
	for _, m := range []map[string]storedAsset{book.acked, book.deleted, book.unknown} {
		maps.Copy(uploaded, m)
	}
	listed := 0
	for _, rt := range []string{"image", "raw"} {
		for _, id := range listResources(t, p.base, rt) {
			listed++
			a, ok := uploaded[id]
			if !ok {
				t.Errorf("restored %s %s was never uploaded", rt, id)
				continue
			}
			status, body, err := fetch(context.Background(), p.base, a.deliveryPath(), false)
			if err != nil || status != http.StatusOK || md5Of(body) != a.md5 {
				t.Errorf("restored %s: status %d, err %v, bytes match %v", id, status, err, md5Of(body) == a.md5)
			}
			delete(before, id)
		}
	}
	for id := range before {
		t.Errorf("upload answered before the backup started is not in it: %s", id)
	}
	for id, a := range deletedBefore {
		if status, _, err := fetch(context.Background(), p.base, a.deliveryPath(), false); err != nil || status != http.StatusNotFound {
			t.Errorf("asset deleted before the backup started is served: %s: %d %v", id, status, err)
		}
	}
	t.Logf("%d assets restored and served; %d uploads and deletes happened during the backup", listed, uploadedDuring)
}

// listResources pages through the Admin API listing of resource type rt and returns public ids.
func listResources(t *testing.T, base, rt string) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for {
		q := url.Values{"max_results": {"500"}}
		if cursor != "" {
			q.Set("next_cursor", cursor)
		}
		status, body, err := fetch(context.Background(), base, "/v1_1/"+procCloud+"/resources/"+rt+"?"+q.Encode(), true)
		if err != nil || status != http.StatusOK {
			t.Fatalf("list %s: %d %v %s", rt, status, err, body)
		}
		var page struct {
			Resources []struct {
				PublicID string `json:"public_id"`
			}
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Resources {
			ids = append(ids, r.PublicID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

// TestFsckCommand checks the command's exit codes and output on damaged data directories.
func TestFsckCommand(t *testing.T) {
	dir := t.TempDir()
	p := startCloudlet(t, dir)
	file := randomBytes(rand.New(rand.NewPCG(4, 4)), 2000)
	if status, err := upload(context.Background(), p.base, "raw", "kept.bin", file); err != nil || status != http.StatusOK {
		t.Fatalf("upload: %d %v", status, err)
	}
	if out, code := runCommand(t, "fsck", "--data", dir); code != 2 || !strings.Contains(out, "in use") {
		t.Fatalf("fsck of a directory in use: exit %d: %s", code, out)
	}
	if code := p.signal(syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if out, code := runCommand(t, "fsck", "--data", dir); code != 0 || !strings.Contains(out, "checked 1 originals") {
		t.Fatalf("clean directory: exit %d: %s", code, out)
	}

	orphan := filepath.Join(dir, "files", "originals", "00", "00orphan")
	os.MkdirAll(filepath.Dir(orphan), 0o750)
	os.WriteFile(orphan, []byte("x"), 0o640)
	if out, code := runCommand(t, "fsck", "--data", dir); code != 1 || !strings.Contains(out, "orphan-file files/originals/00/00orphan") {
		t.Fatalf("orphan without --repair: exit %d: %s", code, out)
	}
	if out, code := runCommand(t, "fsck", "--data", dir, "--repair"); code != 0 || !strings.Contains(out, "(repaired)") {
		t.Fatalf("orphan with --repair: exit %d: %s", code, out)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("orphan still there: %v", err)
	}

	rows, _ := rowsAndFiles(t, dir)
	for blob := range rows {
		os.Remove(filepath.Join(dir, "files", blob))
	}
	if out, code := runCommand(t, "fsck", "--data", dir, "--repair"); code != 1 || !strings.Contains(out, "missing-original") ||
		!strings.Contains(out, "demo/raw/upload/kept.bin") {
		t.Fatalf("missing original with --repair: exit %d: %s", code, out)
	}
	if rows, _ := rowsAndFiles(t, dir); len(rows) != 1 {
		t.Fatalf("repair removed the row of a missing original: %v", rows)
	}
	if out, code := runCommand(t, "fsck", "--data", filepath.Join(dir, "nothing")); code != 2 {
		t.Fatalf("no data directory: exit %d: %s", code, out)
	}
}
