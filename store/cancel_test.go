package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestCancelledWritesLeaveTheWriterUsable cancels writes at random moments (as clients that hang
// up do) and checks that each either committed or left nothing, and that the next write works.
// A cancellation that reached SQLite used to leave the writer connection inside a transaction.
func TestCancelledWritesLeaveTheWriterUsable(t *testing.T) {
	s, c := openTest(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	saved := 0
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 150 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(3000))*time.Microsecond)
				_, _, err := s.SaveAsset(ctx, newAsset(c, fmt.Sprintf("g%d/%d", g, i)), tempWith(t, s, "body"), true)
				cancel()
				switch {
				case err == nil:
					mu.Lock()
					saved++
					mu.Unlock()
				case !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("save g%d/%d: %v", g, i, err)
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := s.SaveAsset(ctx, newAsset(c, "after"), tempWith(t, s, "x"), true); err != nil {
		t.Fatalf("a write after the cancelled ones: %v", err)
	}
	var rows int
	if err := s.reader.QueryRow("SELECT count(*) FROM assets").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if blobs := len(blobFiles(t, s)); rows != saved+1 || blobs != rows {
		t.Errorf("%d saves answered, %d rows, %d blobs", saved+1, rows, blobs)
	}
	t.Logf("%d of 1200 writes committed before their deadline", saved)
}
