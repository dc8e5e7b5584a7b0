package store

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// queuedVariant saves a variant of a without committing its row.
func queuedVariant(t *testing.T, s *Store, a Asset, transformation string) Derived {
	t.Helper()
	d, err := s.SaveDerived(a, Derived{Transformation: transformation, Format: "jpg", ETag: "e"}, []byte(transformation))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.BlobPath(d.Blob)); err != nil {
		t.Fatalf("file of a queued variant: %v", err)
	}
	return d
}

// committedRows counts the derived rows in the database, asking the writer connection (which
// does not commit the queue first).
func committedRows(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.writer.QueryRow("SELECT count(*) FROM derived").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueuedDerivedRowsCommitTogetherBeforeAnyRead(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	s.derived.delay = time.Hour // only a read or a write commits them
	a := saveNamed(t, s, c, "pic")
	commits := 0
	s.afterBlobWrite = func() error { commits++; return nil } // once per commit of the queue
	for _, tr := range []string{"w_10", "w_20", "w_30"} {
		queuedVariant(t, s, a, tr)
	}
	if n := committedRows(t, s); n != 0 {
		t.Fatalf("%d rows committed before the delay", n)
	}
	before := s.Generation()
	list, err := s.DerivedOf(ctx, a)
	if err != nil || len(list) != 3 {
		t.Fatalf("a read after the saves sees %d variants (%v), want 3", len(list), err)
	}
	if commits != 1 {
		t.Fatalf("the queued rows took %d commits, want 1", commits)
	}
	// New variants change no delivery answer: what the HTTP layer remembers stays good.
	if s.Generation() != before {
		t.Fatalf("generation moved from %d to %d", before, s.Generation())
	}
	s.afterBlobWrite = nil

	// A write commits them before its own transaction: a delete finds the variant and its file.
	queuedVariant(t, s, a, "w_40")
	if _, n, err := s.DeleteAsset(ctx, a.AssetKey); err != nil || n != 4 {
		t.Fatalf("delete removed %d variants (%v), want 4", n, err)
	}
	if files := blobFiles(t, s); len(files) != 0 {
		t.Fatalf("files left after delete: %v", files)
	}
}

func TestQueuedDerivedRowsCommitAfterTheDelay(t *testing.T) {
	s, c := openTest(t)
	a := saveNamed(t, s, c, "pic")
	queuedVariant(t, s, a, "w_10")
	deadline := time.Now().Add(5 * time.Second)
	for committedRows(t, s) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the row did not commit within 5 s (delay %v)", derivedCommitDelay)
		}
		time.Sleep(derivedCommitDelay / 4)
	}
}

func TestQueuedDerivedRowsCommitOnClose(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, c := openTestIn(t, dir)
	s.derived.delay = time.Hour
	a := saveNamed(t, s, c, "pic")
	d := queuedVariant(t, s, a, "w_10")
	s.Close()
	s, err := Open(ctx, dir) // its start-up sweep would remove a file without a row
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.DerivedFile(ctx, a, "w_10", "jpg"); err != nil || got.Blob != d.Blob {
		t.Fatalf("variant after a restart: %+v %v", got, err)
	}
}

func TestFailedCommitOfQueuedDerivedRowsRemovesTheirFiles(t *testing.T) {
	s, c := openTest(t)
	ctx := context.Background()
	s.derived.delay = time.Hour
	a := saveNamed(t, s, c, "pic")
	d := queuedVariant(t, s, a, "w_10")
	s.afterBlobWrite = func() error { return errors.New("injected") }
	before := s.Generation()
	s.commitQueuedDerived()
	s.afterBlobWrite = nil
	// A remembered answer may be the file just removed.
	if s.Generation() == before {
		t.Fatal("generation did not move when the files of a failed commit went")
	}
	if _, err := os.Stat(s.BlobPath(d.Blob)); !os.IsNotExist(err) {
		t.Fatalf("file of a variant whose row failed to commit: %v", err)
	}
	if list, err := s.DerivedOf(ctx, a); err != nil || len(list) != 0 {
		t.Fatalf("variants after a failed commit: %v %v", list, err)
	}
	// The variant is made again when asked for.
	queuedVariant(t, s, a, "w_10")
	if _, err := s.DerivedFile(ctx, a, "w_10", "jpg"); err != nil {
		t.Fatalf("variant made again: %v", err)
	}
}
