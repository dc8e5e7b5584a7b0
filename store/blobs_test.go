package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Placing or creating a blob never fails because another one, removed at that moment, prunes
// the directories they share: the fan-out directory and the one below it come and go while a
// blob is being written in them.
func TestBlobWritesRacePruning(t *testing.T) {
	b := blobDir{root: t.TempDir()}
	if err := b.init(); err != nil {
		t.Fatal(err)
	}
	const rounds = 400
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
				if err := writeBlob(b, name, i%4 == 0); err != nil {
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

// writeBlob writes a one-byte blob called name, placed from a temp file (as an original is)
// or created in place (as a derived file is).
func writeBlob(b blobDir, name string, placed bool) error {
	if !placed {
		return b.create(name, []byte("x"))
	}
	src := filepath.Join(b.tmpDir(), strings.ReplaceAll(name, "/", "-"))
	if err := os.WriteFile(src, []byte("x"), 0o640); err != nil {
		return err
	}
	return b.place(src, name)
}
