package store

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Placing a blob never fails because another one, removed at that moment, prunes the
// directories they share: the fan-out directory and the one below it come and go while a blob
// is being placed in them.
func TestPlaceRacesPruning(t *testing.T) {
	b := blobDir{root: t.TempDir()}
	if err := b.init(); err != nil {
		t.Fatal(err)
	}
	const rounds = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				// Both writers share the fan-out directory "ab"; each round's version
				// directory is new, and removing the blob prunes it and, often, "ab" too.
				name := fmt.Sprintf("derived/ab/ab%d-%d/v", w, i)
				src := filepath.Join(b.tmpDir(), fmt.Sprintf("t%d-%d", w, i))
				if err := os.WriteFile(src, []byte("x"), 0o640); err != nil {
					errs <- err
					return
				}
				if err := b.place(src, name, rebuildable); err != nil {
					errs <- err
					continue
				}
				if err := b.remove(name); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
