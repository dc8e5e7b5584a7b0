package store

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// backupAttempts bounds how often Backup takes a new snapshot because originals it referred to
// were deleted before they could be copied (each attempt keeps the files already copied).
const backupAttempts = 8

// BackupReport says what a backup holds.
type BackupReport struct {
	Originals int   // assets in the snapshot
	Derived   int   // derived variants kept (a variant whose file changed meanwhile is left out)
	Bytes     int64 // bytes of files copied
	Attempts  int   // snapshots taken (Backup only)
}

// Backup writes a consistent copy of the data directory dir into dest, which must not exist or
// be empty; dest is then a data directory of its own. It works while a cloudlet serves dir: the
// database is copied with VACUUM INTO (one read transaction, so one point in time), then exactly
// the files that copy refers to. Files are immutable once placed (each upload gets a file of
// its own), so a copied file is the one the snapshot means; an original deleted after the
// snapshot and before its copy makes Backup take a newer snapshot. The copy is built beside dest
// and renamed into place only when complete.
func Backup(ctx context.Context, dir, dest string) (BackupReport, error) {
	return backup(ctx, dir, dest, nil)
}

// backup is Backup with a hook that runs after each snapshot (tests change dir there).
func backup(ctx context.Context, dir, dest string, afterSnapshot func() error) (BackupReport, error) {
	var rep BackupReport
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err != nil {
		return rep, fmt.Errorf("no cloudlet database in %s: %w", dir, err)
	}
	staging, err := stagingDir(dest)
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(staging) // gone already when the backup is complete
	src, err := openDB(filepath.Join(dir, dbFileName), false)
	if err != nil {
		return rep, err
	}
	defer src.Close()
	snapshot := filepath.Join(staging, dbFileName)
	copied := map[string]bool{} // blobs already in staging, across attempts
	for rep.Attempts < backupAttempts {
		rep.Attempts++
		rep.Bytes = 0
		complete, err := backupAttempt(ctx, src, dir, staging, copied, afterSnapshot, &rep)
		if err != nil {
			return rep, err
		}
		if complete {
			return rep, moveIntoPlace(staging, dest)
		}
		if err := os.Remove(snapshot); err != nil {
			return rep, err
		}
	}
	return rep, fmt.Errorf("backup: originals kept being deleted between snapshot and copy (%d attempts)", rep.Attempts)
}

// backupAttempt snapshots the database into staging and copies the files it refers to. It
// reports false when an original of the snapshot was deleted before it could be copied: the
// files copied stay, and a newer snapshot then only needs the files written since.
func backupAttempt(ctx context.Context, src *sql.DB, dir, staging string, copied map[string]bool, afterSnapshot func() error, rep *BackupReport) (bool, error) {
	snapshot := filepath.Join(staging, dbFileName)
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", snapshot); err != nil {
		return false, fmt.Errorf("snapshot database: %w", err)
	}
	if afterSnapshot != nil {
		if err := afterSnapshot(); err != nil {
			return false, err
		}
	}
	snap, err := openDB(snapshot, true)
	if err != nil {
		return false, err
	}
	defer snap.Close()
	rows, err := blobRows(ctx, snap)
	if err != nil {
		return false, err
	}
	from, to := blobDir{root: dir}, blobDir{root: staging}
	wanted := map[string]bool{}
	var lostDerived []blobRow
	missed := 0
	rep.Originals, rep.Derived = 0, 0
	for _, r := range rows {
		wanted[r.blob] = true
		if copied[r.blob] {
			rep.Bytes += r.bytes
			rep.countKept(r)
			continue
		}
		err := copyBlob(from.path(r.blob), to, r)
		switch {
		case err == nil:
			copied[r.blob] = true
			rep.Bytes += r.bytes
			rep.countKept(r)
		case r.derivedID != "" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, errChanged)):
			// Regenerated or dropped since the snapshot: the restored server makes it again.
			lostDerived = append(lostDerived, r)
		case errors.Is(err, fs.ErrNotExist):
			// Deleted after the snapshot: copy the rest all the same, so that the newer
			// snapshot this one needs finds nearly everything copied already.
			missed++
		default:
			return false, fmt.Errorf("copy %s (%s): %w", r.blob, r.owner, err)
		}
	}
	if missed > 0 {
		return false, nil
	}
	if err := dropDerivedRows(ctx, snap, lostDerived); err != nil {
		return false, err
	}
	// Files copied for an earlier snapshot that this one no longer refers to.
	for name := range copied {
		if !wanted[name] {
			if err := to.remove(name); err != nil {
				return false, err
			}
			delete(copied, name)
		}
	}
	if _, err := snap.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return false, fmt.Errorf("checkpoint snapshot: %w", err)
	}
	return true, nil
}

func (rep *BackupReport) countKept(r blobRow) {
	if r.derivedID == "" {
		rep.Originals++
	} else {
		rep.Derived++
	}
}

// errChanged is a file whose bytes are not the ones its row records.
var errChanged = errors.New("file does not match its row")

// copyBlob copies the blob of row r from path into the blob directory to, durably, checking
// the bytes against the row's size and MD5 on the way.
func copyBlob(path string, to blobDir, r blobRow) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.CreateTemp(to.tmpDir(), "copy-*")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name()) // gone once placed
	h := md5.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != r.bytes || hex.EncodeToString(h.Sum(nil)) != r.etag {
		return fmt.Errorf("%w: %d bytes, MD5 %x; recorded %d bytes, MD5 %s", errChanged, n, h.Sum(nil), r.bytes, r.etag)
	}
	return to.place(out.Name(), r.blob)
}

// Restore copies the backup src (a directory written by Backup) into the data directory dir,
// which must not exist or be empty, after checking the backup with Fsck (every file's MD5
// included): a damaged backup is refused, not restored. The copy is built beside dir and
// renamed into place only when complete and checked.
func Restore(ctx context.Context, src, dir string) (BackupReport, error) {
	var rep BackupReport
	if _, err := os.Stat(filepath.Join(src, dbFileName)); err != nil {
		return rep, fmt.Errorf("%s is not a cloudlet backup: %w", src, err)
	}
	staging, err := stagingDir(dir)
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(staging)
	if err := copyFile(filepath.Join(src, dbFileName), filepath.Join(staging, dbFileName)); err != nil {
		return rep, fmt.Errorf("copy database: %w", err)
	}
	from, to := blobDir{root: src}, blobDir{root: staging}
	err = filepath.WalkDir(from.filesDir(), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(from.filesDir(), p)
		if err != nil {
			return err
		}
		dst := to.path(filepath.ToSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return err
		}
		return copyFile(p, dst)
	})
	if err != nil {
		return rep, fmt.Errorf("copy files: %w", err)
	}
	check, err := Fsck(ctx, staging, FsckOptions{Checksums: true})
	if err != nil {
		return rep, fmt.Errorf("check restored copy: %w", err)
	}
	if bad := check.Remaining(); len(bad) > 0 {
		return rep, fmt.Errorf("the backup is damaged (%d problems; run cloudlet fsck --data %s): %v", len(bad), src, bad[0])
	}
	rep.Originals, rep.Derived = check.Originals, check.Derived
	if err := os.Remove(filepath.Join(staging, lockFileName)); err != nil {
		return rep, err
	}
	return rep, moveIntoPlace(staging, dir)
}

// moveIntoPlace makes the finished staging directory durable and renames it to target (which
// stagingDir found missing or empty).
func moveIntoPlace(staging, target string) error {
	if err := syncTree(staging); err != nil {
		return err
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace empty %s: %w", target, err)
	}
	if err := os.Rename(staging, target); err != nil {
		return fmt.Errorf("move %s into place: %w", target, err)
	}
	return syncDir(filepath.Dir(target))
}

// stagingDir checks that target does not exist or is an empty directory, and makes the
// directory beside it where the new content is built (same filesystem, so it can be renamed).
func stagingDir(target string) (string, error) {
	entries, err := os.ReadDir(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", err
	case len(entries) > 0:
		return "", fmt.Errorf("%s is not empty: give a new or empty directory", target)
	}
	target = filepath.Clean(target)
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return "", err
	}
	staging, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+".partial-")
	if err != nil {
		return "", err
	}
	if err := (blobDir{root: staging}).init(); err != nil {
		os.RemoveAll(staging)
		return "", err
	}
	return staging, nil
}

// copyFile copies src to the new file dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncTree syncs every directory under root, so renames and new entries are durable.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return syncDir(p)
	})
}
