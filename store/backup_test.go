package store

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func md5Hex(body string) string {
	sum := md5.Sum([]byte(body))
	return hex.EncodeToString(sum[:])
}

// saveBody stores an asset whose file holds body and returns it.
func saveBody(t *testing.T, s *Store, c Cloud, publicID, body string) Asset {
	t.Helper()
	a, _, err := s.SaveAsset(context.Background(), withBody(newAsset(c, publicID), body), tempWith(t, s, body), true)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// assetBodies opens dir and returns each asset's public id with the content of its file.
func assetBodies(t *testing.T, dir string) map[string]string {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.reader.Query("SELECT public_id, blob FROM assets")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, blob string
		if err := rows.Scan(&id, &blob); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(s.BlobPath(blob))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		out[id] = string(b)
	}
	return out
}

func TestBackupIsAConsistentDataDirectory(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t) // stays open: the backup is taken online
	a := saveBody(t, s, c, "one", "first body")
	saveBody(t, s, c, "two", "second body")
	if _, err := s.SaveDerived(a, withDerivedBody(Derived{Transformation: "w_10", Format: "png"}, "v"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	s.commitQueuedDerived() // the backup reads the database file, where queued rows are not yet
	dest := filepath.Join(t.TempDir(), "backup")
	rep, err := Backup(ctx, s.Dir(), dest)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Originals != 2 || rep.Derived != 1 || rep.Attempts != 1 {
		t.Fatalf("report = %+v", rep)
	}
	check, err := Fsck(ctx, dest, FsckOptions{Checksums: true})
	if err != nil || len(check.Damage) != 0 || check.Files != 3 {
		t.Fatalf("fsck of backup: %v %+v", err, check)
	}
	if got := assetBodies(t, dest); got["one"] != "first body" || got["two"] != "second body" || len(got) != 2 {
		t.Fatalf("backup holds %v", got)
	}
	if _, err := Backup(ctx, s.Dir(), dest); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("backup over a non-empty directory: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".backup.partial-*"))
	if len(leftovers) != 0 {
		t.Fatalf("staging directories left behind: %v", leftovers)
	}
}

// An original deleted or replaced between the snapshot and its copy makes the backup take a
// newer snapshot, so that no row of the backup lacks its file.
func TestBackupRetriesWhenOriginalsChangeAfterTheSnapshot(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	gone := saveBody(t, s, c, "gone", "deleted during the backup")
	saveBody(t, s, c, "replaced", "old bytes")
	saveBody(t, s, c, "stays", "unchanged")
	snapshots := 0
	hook := func() error {
		snapshots++
		if snapshots > 1 {
			return nil
		}
		if _, _, err := s.DeleteAsset(ctx, gone.AssetKey); err != nil {
			return err
		}
		saveBody(t, s, c, "replaced", "new bytes")
		return nil
	}
	dest := filepath.Join(t.TempDir(), "backup")
	rep, err := backup(ctx, s.Dir(), dest, hook)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Attempts != 2 || rep.Originals != 2 {
		t.Fatalf("report = %+v, want a second snapshot with 2 originals", rep)
	}
	check, err := Fsck(ctx, dest, FsckOptions{Checksums: true})
	if err != nil || len(check.Damage) != 0 {
		t.Fatalf("fsck of backup: %v %+v", err, check.Damage)
	}
	got := assetBodies(t, dest)
	if len(got) != 2 || got["replaced"] != "new bytes" || got["stays"] != "unchanged" {
		t.Fatalf("backup holds %v", got)
	}
}

func TestRestore(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	saveBody(t, s, c, "one", "first body")
	backupDir := filepath.Join(t.TempDir(), "backup")
	if _, err := Backup(ctx, s.Dir(), backupDir); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, backupDir, s.Dir()); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore over a data directory in use: %v", err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	rep, err := Restore(ctx, backupDir, target)
	if err != nil || rep.Originals != 1 {
		t.Fatalf("restore: %+v %v", rep, err)
	}
	if got := assetBodies(t, target); got["one"] != "first body" {
		t.Fatalf("restored %v", got)
	}
}

func TestRestoreRefusesADamagedBackup(t *testing.T) {
	ctx := context.Background()
	s, c := openTest(t)
	a := saveBody(t, s, c, "one", "first body")
	backupDir := filepath.Join(t.TempDir(), "backup")
	if _, err := Backup(ctx, s.Dir(), backupDir); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(backupDir, "files", a.Blob), "first BODY") // same size, other bytes
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := Restore(ctx, backupDir, target); err == nil || !strings.Contains(err.Error(), "corrupt-original") {
		t.Fatalf("restore of a damaged backup: %v", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a refused restore left %s behind: %v", target, err)
	}
}
