package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// blobDirs orders the two things that change the directories under files/: place makes the
// ones a blob needs (shared), remove prunes the ones it leaves empty (exclusive). Unordered, a
// prune could take a directory from under a place between its mkdir and its rename.
var blobDirs sync.RWMutex

// blobDir holds the files of a data directory: finished blobs under files/, uploads in progress
// under tmp/ (the same filesystem, so a finished temp file is renamed into place).
type blobDir struct{ root string }

func (b blobDir) filesDir() string { return filepath.Join(b.root, "files") }
func (b blobDir) tmpDir() string   { return filepath.Join(b.root, "tmp") }

func (b blobDir) init() error {
	for _, d := range []string{b.filesDir(), b.tmpDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	return nil
}

// path is where the blob called name lives. Names are made of ids only.
func (b blobDir) path(name string) string {
	return filepath.Join(b.filesDir(), filepath.FromSlash(name))
}

// place moves the finished temp file src to the blob called name, for blobs nothing could make
// again (originals, restored files): it is fsynced before the rename and its directory after,
// so it is on disk before any row refers to it. Derived files, a cache of their original, are
// written by create instead, without either fsync: a file torn by a power failure is found by
// its size (see DerivedFile) and made again.
func (b blobDir) place(src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open temp blob: %w", err)
	}
	syncErr := f.Sync()
	f.Close()
	if syncErr != nil {
		return fmt.Errorf("sync blob: %w", syncErr)
	}
	dst := b.path(name)
	blobDirs.RLock()
	err = makingDir(dst, func() error { return rename(src, dst) })
	blobDirs.RUnlock()
	if err != nil {
		return fmt.Errorf("place blob: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// create writes body as the new blob called name, for blobs made again when lost (derived
// files): in place, with no temp file to rename, and no fsync. Until its row commits nothing
// reads the file; a crash before that leaves a file no row refers to, which SweepOrphans
// removes at the next start. A file already there (one a lost row left, or one found torn) is
// replaced whole, through a temp file: a reader may be serving it.
func (b blobDir) create(name string, body []byte) error {
	dst := b.path(name)
	blobDirs.RLock()
	defer blobDirs.RUnlock()
	var f *os.File
	err := makingDir(dst, func() (err error) {
		f, err = os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		return err
	})
	if errors.Is(err, fs.ErrExist) {
		return b.replace(dst, body)
	}
	if err != nil {
		return fmt.Errorf("create blob: %w", err)
	}
	if err := writeClose(f, body); err != nil {
		os.Remove(dst)
		return fmt.Errorf("write blob: %w", err)
	}
	return nil
}

// replace writes body over the file dst at once, through a temp file renamed over it.
func (b blobDir) replace(dst string, body []byte) error {
	f, err := os.CreateTemp(b.tmpDir(), "blob-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	if err := writeClose(f, body); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write blob: %w", err)
	}
	if err := rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("place blob: %w", err)
	}
	return nil
}

// makingDir runs op, which writes the file dst, and when dst's directory is missing (the blob's
// directory is new) makes it and runs op once more.
func makingDir(dst string, op func() error) error {
	err := op()
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o750); err == nil {
			err = op()
		}
	}
	return err
}

func writeClose(f *os.File, body []byte) error {
	_, err := f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// rename is os.Rename without its look at the destination first (which refuses to rename over a
// directory, which a blob name never is): on a first-time request's path that lookup of a name
// not there yet cost as much as the rename itself.
func rename(src, dst string) error {
	if err := syscall.Rename(src, dst); err != nil {
		return &os.LinkError{Op: "rename", Old: src, New: dst, Err: err}
	}
	return nil
}

// remove deletes a blob and the directories it leaves empty; a blob already gone is not an error.
func (b blobDir) remove(name string) error {
	p := b.path(name)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	blobDirs.Lock()
	defer blobDirs.Unlock()
	for dir := filepath.Dir(p); dir != b.filesDir() && len(dir) > len(b.filesDir()); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or gone): stop climbing
			break
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// CreateTemp makes a new file in the data directory's tmp/ for an upload in progress. The caller
// either hands its name to a Save call (which moves it into place) or removes it.
func (s *Store) CreateTemp() (*os.File, error) {
	f, err := os.CreateTemp(s.blobs.tmpDir(), "upload-*")
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	return f, nil
}

// BlobPath is the file path of a stored blob, for serving it.
func (s *Store) BlobPath(name string) string { return s.blobs.path(name) }

// SweepOrphans removes every temp file and every blob that no row refers to, and returns the
// names it removed. It runs at start-up, before any request, so nothing is in flight.
func (s *Store) SweepOrphans(ctx context.Context) ([]string, error) {
	if err := os.RemoveAll(s.blobs.tmpDir()); err != nil {
		return nil, fmt.Errorf("clear tmp: %w", err)
	}
	if err := os.MkdirAll(s.blobs.tmpDir(), 0o750); err != nil {
		return nil, err
	}
	known, err := s.referencedBlobs(ctx)
	if err != nil {
		return nil, err
	}
	var removed []string
	root := s.blobs.filesDir()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if _, ok := known[name]; ok {
			return nil
		}
		removed = append(removed, name)
		return s.blobs.remove(name)
	})
	if err != nil {
		return removed, fmt.Errorf("sweep blobs: %w", err)
	}
	return removed, nil
}

func (s *Store) referencedBlobs(ctx context.Context) (map[string]struct{}, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT blob FROM assets UNION ALL SELECT blob FROM derived")
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	defer rows.Close()
	known := map[string]struct{}{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		known[name] = struct{}{}
	}
	return known, rows.Err()
}
