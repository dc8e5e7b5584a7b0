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
	"sort"
	"strings"
)

// DamageKind names one kind of inconsistency between the catalogue and the files.
type DamageKind string

// The kinds of damage Fsck finds. Originals are never deleted or altered by a repair: a
// missing or damaged original can only be reported (restore it from a backup or upload it again).
const (
	DamageDatabase        DamageKind = "database"         // SQLite integrity or foreign key failure: not repairable
	DamageMissingOriginal DamageKind = "missing-original" // an asset's file is gone: not repairable
	DamageCorruptOriginal DamageKind = "corrupt-original" // an asset's file has other bytes than recorded: not repairable
	DamageMissingDerived  DamageKind = "missing-derived"  // repair deletes the row; the variant is made again on demand
	DamageCorruptDerived  DamageKind = "corrupt-derived"  // repair deletes the row and the file
	DamageOrphanFile      DamageKind = "orphan-file"      // a file no row refers to: repair deletes it
	DamageTempFile        DamageKind = "temp-file"        // an upload in progress when cloudlet stopped: repair deletes it
)

// Repairable says whether Fsck can repair the damage without losing anything that was kept.
func (k DamageKind) Repairable() bool {
	switch k {
	case DamageMissingDerived, DamageCorruptDerived, DamageOrphanFile, DamageTempFile:
		return true
	}
	return false
}

// Damage is one problem Fsck found.
type Damage struct {
	Kind     DamageKind
	Path     string // the file concerned, relative to the data directory ("" for the database)
	Detail   string // what is wrong, and which asset it belongs to
	Repaired bool
}

// FsckOptions chooses what Fsck does beyond reporting.
type FsckOptions struct {
	Repair    bool // repair what can be repaired (see DamageKind.Repairable)
	Checksums bool // read every file and compare its MD5 with the recorded etag (slow)
}

// FsckReport is what Fsck checked and found.
type FsckReport struct {
	Originals int // asset rows checked
	Derived   int // derived rows checked
	Files     int // files found under files/
	Damage    []Damage
}

// Remaining is the damage still present: everything when nothing was repaired.
func (r FsckReport) Remaining() []Damage {
	var out []Damage
	for _, d := range r.Damage {
		if !d.Repaired {
			out = append(out, d)
		}
	}
	return out
}

// blobRow is one row that refers to a file: an asset's original or a derived variant.
type blobRow struct {
	derivedID string // "" for an original
	blob      string
	bytes     int64
	etag      string
	owner     string // cloud/resource_type/type/public_id, for the report
}

// Fsck checks the data directory dir, which no other process may be using: the SQLite
// database's integrity, that every row's file exists with the recorded size (and MD5 with
// Checksums), and that every file belongs to a row. With Repair it removes orphan and temp
// files and the rows of derived variants whose file is gone or damaged. It returns an error
// only when it could not check (no database, directory in use, I/O failure).
func Fsck(ctx context.Context, dir string, opt FsckOptions) (FsckReport, error) {
	var rep FsckReport
	if _, err := os.Stat(filepath.Join(dir, dbFileName)); err != nil {
		return rep, fmt.Errorf("no cloudlet database in %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return rep, err
	}
	defer lock.Close()
	db, err := openDB(filepath.Join(dir, dbFileName), true)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	problems, err := checkDatabase(ctx, db)
	if err != nil {
		return rep, err
	}
	for _, p := range problems {
		rep.Damage = append(rep.Damage, Damage{Kind: DamageDatabase, Detail: p})
	}
	rows, err := blobRows(ctx, db)
	if err != nil {
		return rep, err
	}
	blobs := blobDir{root: dir}
	byBlob := make(map[string]blobRow, len(rows))
	var staleDerived []blobRow
	for _, r := range rows {
		if r.derivedID == "" {
			rep.Originals++
		} else {
			rep.Derived++
		}
		byBlob[r.blob] = r
		kind, detail, err := checkBlob(blobs.path(r.blob), r, opt.Checksums)
		if err != nil {
			return rep, err
		}
		if kind == "" {
			continue
		}
		rep.Damage = append(rep.Damage, Damage{Kind: kind, Path: "files/" + r.blob, Detail: detail})
		if r.derivedID != "" {
			staleDerived = append(staleDerived, r)
		}
	}
	if opt.Repair && len(staleDerived) > 0 {
		if err := dropDerivedRows(ctx, db, staleDerived); err != nil {
			return rep, err
		}
		for i := range rep.Damage {
			if k := rep.Damage[i].Kind; k == DamageMissingDerived || k == DamageCorruptDerived {
				rep.Damage[i].Repaired = true
			}
		}
		for _, r := range staleDerived {
			delete(byBlob, r.blob)
			if err := blobs.remove(r.blob); err != nil {
				return rep, fmt.Errorf("remove damaged derived file: %w", err)
			}
		}
	}
	if err := checkFiles(blobs, byBlob, opt.Repair, &rep); err != nil {
		return rep, err
	}
	return rep, checkTemp(blobs, opt.Repair, &rep)
}

// checkDatabase runs SQLite's own checks and returns what they report beyond "ok".
func checkDatabase(ctx context.Context, db *sql.DB) ([]string, error) {
	var problems []string
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return []string{"integrity_check: " + err.Error()}, nil
	}
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return nil, err
		}
		if msg != "ok" {
			problems = append(problems, "integrity_check: "+msg)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		problems = append(problems, "integrity_check: "+err.Error())
	}
	fk, err := db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return append(problems, "foreign_key_check: "+err.Error()), nil
	}
	defer fk.Close()
	for fk.Next() {
		var table, parent string
		var rowid, fkid sql.NullInt64
		if err := fk.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return nil, err
		}
		problems = append(problems, fmt.Sprintf("foreign_key_check: %s row %d refers to a missing %s row", table, rowid.Int64, parent))
	}
	return problems, fk.Err()
}

// blobRows lists every row that refers to a file.
func blobRows(ctx context.Context, db *sql.DB) ([]blobRow, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT '', a.blob, a.bytes, a.etag, c.name || '/' || a.resource_type || '/' || a.type || '/' || a.public_id
		FROM assets a JOIN clouds c ON c.id = a.cloud_id
		UNION ALL
		SELECT d.id, d.blob, d.bytes, d.etag, c.name || '/' || a.resource_type || '/' || a.type || '/' || a.public_id || ' (' || d.transformation || '.' || d.format || ')'
		FROM derived d JOIN assets a ON a.id = d.asset JOIN clouds c ON c.id = a.cloud_id`)
	if err != nil {
		return nil, fmt.Errorf("list rows with files: %w", err)
	}
	defer rows.Close()
	var out []blobRow
	for rows.Next() {
		var r blobRow
		if err := rows.Scan(&r.derivedID, &r.blob, &r.bytes, &r.etag, &r.owner); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// checkBlob compares a row's file with the row: "" when it matches.
func checkBlob(path string, r blobRow, checksum bool) (DamageKind, string, error) {
	missing, corrupt := DamageMissingOriginal, DamageCorruptOriginal
	if r.derivedID != "" {
		missing, corrupt = DamageMissingDerived, DamageCorruptDerived
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return missing, r.owner + ": the file is gone", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("check %s: %w", path, err)
	}
	if fi.Size() != r.bytes {
		return corrupt, fmt.Sprintf("%s: %d bytes on disk, %d recorded", r.owner, fi.Size(), r.bytes), nil
	}
	if !checksum {
		return "", "", nil
	}
	sum, err := fileMD5(path)
	if err != nil {
		return "", "", fmt.Errorf("check %s: %w", path, err)
	}
	if sum != r.etag {
		return corrupt, fmt.Sprintf("%s: MD5 %s on disk, %s recorded", r.owner, sum, r.etag), nil
	}
	return "", "", nil
}

func fileMD5(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// dropDerivedRows deletes the rows of derived variants whose file is gone or damaged.
func dropDerivedRows(ctx context.Context, db *sql.DB, stale []blobRow) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, r := range stale {
		if _, err := tx.ExecContext(ctx, "DELETE FROM derived WHERE id = ? AND blob = ?", r.derivedID, r.blob); err != nil {
			tx.Rollback()
			return fmt.Errorf("delete derived %s: %w", r.derivedID, err)
		}
	}
	return tx.Commit()
}

// checkFiles reports (and with repair removes) the files under files/ that no row refers to.
func checkFiles(blobs blobDir, known map[string]blobRow, repair bool, rep *FsckReport) error {
	root := blobs.filesDir()
	var orphans []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == root {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		rep.Files++
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if _, ok := known[filepath.ToSlash(rel)]; !ok {
			orphans = append(orphans, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk files: %w", err)
	}
	for _, name := range orphans {
		d := Damage{Kind: DamageOrphanFile, Path: "files/" + name, Detail: "no row refers to it"}
		if repair {
			if err := blobs.remove(name); err != nil {
				return fmt.Errorf("remove orphan %s: %w", name, err)
			}
			d.Repaired = true
		}
		rep.Damage = append(rep.Damage, d)
	}
	return nil
}

// checkTemp reports (and with repair removes) what is left in tmp/.
func checkTemp(blobs blobDir, repair bool, rep *FsckReport) error {
	entries, err := os.ReadDir(blobs.tmpDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read tmp: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		d := Damage{Kind: DamageTempFile, Path: "tmp/" + name, Detail: "left by an upload in progress"}
		if repair {
			if err := os.RemoveAll(filepath.Join(blobs.tmpDir(), name)); err != nil {
				return fmt.Errorf("remove temp file: %w", err)
			}
			d.Repaired = true
		}
		rep.Damage = append(rep.Damage, d)
	}
	return nil
}

// String prints the damage on one line: kind, path, detail and whether it was repaired.
func (d Damage) String() string {
	parts := []string{string(d.Kind)}
	if d.Path != "" {
		parts = append(parts, d.Path)
	}
	s := strings.Join(parts, " ") + ": " + d.Detail
	switch {
	case d.Repaired:
		s += " (repaired)"
	case !d.Kind.Repairable():
		s += " (cannot be repaired)"
	}
	return s
}
