package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked is returned when another process (a running cloudlet, an fsck) holds the data
// directory. Two writers on one directory would sweep each other's uploads in progress.
var ErrLocked = errors.New("store: data directory is in use by another cloudlet process")

// lockFileName is the file whose exclusive flock marks the data directory as held. The kernel
// drops the lock when its holder exits, however it exits, so a crash never leaves it stale.
const lockFileName = "cloudlet.lock"

// lockDir takes the exclusive lock on the data directory dir, or returns ErrLocked.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return f, nil
}
