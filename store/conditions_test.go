package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
)

// assertNotSaved checks that a failed save left no row and no blob behind.
func assertNotSaved(t *testing.T, s *Store, c Cloud, publicID string, blobsBefore int) {
	t.Helper()
	if _, err := s.Asset(context.Background(), newAsset(c, publicID).AssetKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed save left a row: %v", err)
	}
	if n := len(blobFiles(t, s)); n != blobsBefore {
		t.Fatalf("a failed save left %d blobs, had %d", n, blobsBefore)
	}
}

// A full database (SQLite's max_page_count stands in for the disk) refuses the row, keeps no
// blob, and takes the same save once there is room.
func TestSaveWhenDatabaseFull(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	if _, _, err := s.SaveAsset(ctx, newAsset(c, "before"), tempWith(t, s, "x"), true); err != nil {
		t.Fatal(err)
	}
	var pages int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	big := newAsset(c, "big")
	big.Attributes = map[string]string{"description": strings.Repeat("x", 64<<10)} // needs new pages
	_, _, err := s.SaveAsset(ctx, big, tempWith(t, s, "big"), true)
	if StorageCondition(err) != ErrStorageFull {
		t.Fatalf("save into a full database: %v (condition %v)", err, StorageCondition(err))
	}
	assertNotSaved(t, s, c, "big", 1)
	if _, err := s.writer.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveAsset(ctx, big, tempWith(t, s, "big"), true); err != nil {
		t.Fatalf("save once there is room: %v", err)
	}
}

// A write lock held elsewhere past the busy timeout makes a save fail as busy, leaving nothing;
// it succeeds once the lock is released.
func TestSaveWhenDatabaseBusy(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	other, err := sql.Open("sqlite", "file:"+s.Dir()+"/cloudlet.db")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.writer.ExecContext(ctx, "PRAGMA busy_timeout = 100"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.SaveAsset(ctx, newAsset(c, "doc"), tempWith(t, s, "x"), true)
	if StorageCondition(err) != ErrDatabaseBusy {
		t.Fatalf("save while another holds the lock: %v (condition %v)", err, StorageCondition(err))
	}
	assertNotSaved(t, s, c, "doc", 0)
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveAsset(ctx, newAsset(c, "doc"), tempWith(t, s, "x"), true); err != nil {
		t.Fatalf("save once the lock is released: %v", err)
	}
}

func TestStorageConditionOfOSErrors(t *testing.T) {
	for err, want := range map[error]error{
		fmt.Errorf("write: %w", &os.PathError{Op: "write", Path: "f", Err: syscall.ENOSPC}):          ErrStorageFull,
		fmt.Errorf("place: %w", &os.LinkError{Op: "rename", Old: "a", New: "b", Err: syscall.EROFS}): ErrStorageReadOnly,
		fmt.Errorf("quota: %w", syscall.EDQUOT):                                                      ErrStorageFull,
		fmt.Errorf("wrapped: %w", ErrDatabaseBusy):                                                   ErrDatabaseBusy,
		&os.PathError{Op: "open", Path: "f", Err: syscall.ENOENT}:                                    nil,
		errors.New("anything else"):                                                                  nil,
	} {
		if got := StorageCondition(err); got != want {
			t.Errorf("StorageCondition(%v) = %v, want %v", err, got, want)
		}
	}
}
