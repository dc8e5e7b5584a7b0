package store

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// Derived is a generated variant of an asset: one transformation in one output format.
type Derived struct {
	ID             string
	Transformation string // canonical form
	Format         string
	Blob           string
	Bytes          int64
	Width          int
	Height         int
	ETag           string
	CreatedAt      time.Time
	// Requested is the transformation as asked for (canonical, named references unexpanded);
	// saving the row records its use for the transformations listing. Written, not read back.
	Requested string
}

// DerivedID is the stable id of an asset's variant: the same request finds the same file.
func DerivedID(assetID, transformation, format string) string {
	sum := md5.Sum([]byte(assetID + "/" + transformation + "." + format))
	return hex.EncodeToString(sum[:])
}

// derivedBlobName names a variant's file after the version it was made from and its own id, in
// one of 256 directories that all versions share: the first variant of a version makes a file
// and no directory (a new directory is a second inode to allocate, on a request's path).
func derivedBlobName(versionID, id string) string {
	return "derived/" + versionID[:2] + "/" + versionID + "-" + id
}

const derivedColumns = "id, transformation, format, blob, bytes, width, height, etag, created_at"

func scanDerived(r rowScanner) (Derived, error) {
	var d Derived
	var created int64
	err := r.Scan(&d.ID, &d.Transformation, &d.Format, &d.Blob, &d.Bytes, &d.Width, &d.Height, &d.ETag, &created)
	d.CreatedAt = time.Unix(created, 0).UTC()
	return d, err
}

// DerivedFile returns the asset's variant for transformation and format, or ErrNotFound. A
// variant whose file is missing or not the size recorded (derived files are not fsynced: a
// power failure can leave the row and lose the bytes) is not found either, so it is made again.
//
// The file is looked at first: its name follows from the asset's version and the variant's id,
// and it is written before its row, so where there is no file the catalogue need not be asked.
// That is every first-time request, and the query is what costs (a reader's page cache starts
// cold after every commit, and a first-time request is a commit).
func (s *Store) DerivedFile(ctx context.Context, a Asset, transformation, format string) (Derived, error) {
	id := DerivedID(a.AssetID, transformation, format)
	blob := derivedBlobName(a.VersionID, id)
	st, err := os.Stat(s.blobs.path(blob))
	if err != nil {
		return Derived{}, ErrNotFound
	}
	d, err := scanDerived(s.reader.QueryRowContext(pointLookup(ctx),
		"SELECT "+derivedColumns+" FROM derived WHERE id = ? AND asset = ?", id, a.rowID))
	if errors.Is(err, sql.ErrNoRows) {
		return Derived{}, ErrNotFound
	}
	if err != nil {
		return Derived{}, fmt.Errorf("read derived: %w", err)
	}
	if d.Blob != blob || st.Size() != d.Bytes {
		return Derived{}, ErrNotFound
	}
	return d, nil
}

// SaveDerived stores body as a variant made from a (d's ID, Blob, Bytes and CreatedAt are filled
// in): its file now, its row within derivedCommitDelay, together with others (derived_queue.go).
// The row is kept only if a is still the same version then (an overwrite or delete meanwhile
// makes the variant stale); else the file is removed.
func (s *Store) SaveDerived(a Asset, d Derived, body []byte) (Derived, error) {
	d.ID = DerivedID(a.AssetID, d.Transformation, d.Format)
	d.Blob = derivedBlobName(a.VersionID, d.ID)
	d.Bytes = int64(len(body))
	d.CreatedAt = time.Now().UTC().Truncate(time.Second)
	if err := s.blobs.create(d.Blob, body); err != nil {
		return Derived{}, err
	}
	s.queueDerived(a, d)
	return d, nil
}

// DerivedOf lists an asset's variants in id order (stable, for keyset pages).
func (s *Store) DerivedOf(ctx context.Context, a Asset) ([]Derived, error) {
	rows, err := s.reader.QueryContext(ctx, "SELECT "+derivedColumns+
		" FROM derived WHERE asset = ? ORDER BY id", a.rowID)
	if err != nil {
		return nil, fmt.Errorf("list derived: %w", err)
	}
	defer rows.Close()
	out := []Derived{}
	for rows.Next() {
		d, err := scanDerived(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// dropDerived deletes an asset's derived rows and returns their blobs, for removal after commit.
func dropDerived(ctx context.Context, tx *sql.Tx, assetRow int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, "DELETE FROM derived WHERE asset = ? RETURNING blob", assetRow)
	if err != nil {
		return nil, fmt.Errorf("delete derived: %w", err)
	}
	defer rows.Close()
	var blobs []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		blobs = append(blobs, b)
	}
	return blobs, rows.Err()
}
