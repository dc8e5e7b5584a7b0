package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// AssetKey names an asset the way Cloudinary does.
type AssetKey struct {
	CloudID      int64
	ResourceType string
	Type         string
	PublicID     string
}

// Asset is one stored original with what is known about it.
type Asset struct {
	AssetKey
	AssetID          string
	Format           string
	Version          int64
	VersionID        string
	Blob             string
	Bytes            int64
	Width            int
	Height           int
	Pages            int
	HasAlpha         bool
	ETag             string
	OriginalFilename string
	Folder           string
	AssetFolder      string
	DisplayName      string
	AccessMode       string
	Attributes       map[string]string // other descriptive upload parameters, by Cloudinary name
	EXIF             map[string]string
	Tags             []string
	Context          map[string]string
	CreatedAt        time.Time
	UpdatedAt        time.Time

	rowID int64
}

// SaveResult says what a Save did.
type SaveResult int

const (
	Created SaveResult = iota
	Overwritten
	Existing // overwrite was off and an asset already had the key: nothing changed
)

const assetColumns = `id, cloud_id, asset_id, resource_type, type, public_id, format, version,
	version_id, blob, bytes, width, height, pages, etag, original_filename, folder, asset_folder,
	display_name, access_mode, attributes, exif, created_at, updated_at, has_alpha`

// deliveryColumns are assetColumns without what delivery never reads, the attributes and the
// EXIF (kilobytes of JSON for a camera photo, decoded on every read), selected as empty objects.
var deliveryColumns = strings.Replace(assetColumns, "attributes, exif", "'{}', '{}'", 1)

type rowScanner interface{ Scan(...any) error }

func scanAsset(r rowScanner) (Asset, error) {
	var a Asset
	var attrs, exif string
	var created, updated int64
	err := r.Scan(&a.rowID, &a.CloudID, &a.AssetID, &a.ResourceType, &a.Type, &a.PublicID, &a.Format,
		&a.Version, &a.VersionID, &a.Blob, &a.Bytes, &a.Width, &a.Height, &a.Pages, &a.ETag,
		&a.OriginalFilename, &a.Folder, &a.AssetFolder, &a.DisplayName, &a.AccessMode, &attrs, &exif,
		&created, &updated, &a.HasAlpha)
	if err != nil {
		return Asset{}, err
	}
	a.CreatedAt, a.UpdatedAt = time.Unix(created, 0).UTC(), time.Unix(updated, 0).UTC()
	if err := json.Unmarshal([]byte(attrs), &a.Attributes); err != nil {
		return Asset{}, fmt.Errorf("asset %s attributes: %w", a.AssetID, err)
	}
	if err := json.Unmarshal([]byte(exif), &a.EXIF); err != nil {
		return Asset{}, fmt.Errorf("asset %s exif: %w", a.AssetID, err)
	}
	return a, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func getAsset(ctx context.Context, q querier, k AssetKey) (Asset, error) {
	a, err := getAssetRow(ctx, q, k, assetColumns)
	if err != nil {
		return Asset{}, err
	}
	return a, loadLabels(ctx, q, &a)
}

// getAssetRow reads the asset's row, columns of it (assetColumns, or deliveryColumns): all but
// its tags and context.
func getAssetRow(ctx context.Context, q querier, k AssetKey, columns string) (Asset, error) {
	a, err := scanAsset(q.QueryRowContext(ctx, "SELECT "+columns+` FROM assets
		WHERE cloud_id = ? AND resource_type = ? AND type = ? AND public_id = ?`,
		k.CloudID, k.ResourceType, k.Type, k.PublicID))
	if errors.Is(err, sql.ErrNoRows) {
		return Asset{}, ErrNotFound
	}
	if err != nil {
		return Asset{}, fmt.Errorf("read asset %s: %w", k.PublicID, err)
	}
	return a, nil
}

// loadLabels fills the asset's tags and context.
func loadLabels(ctx context.Context, q querier, a *Asset) error {
	rows, err := q.QueryContext(ctx, "SELECT tag FROM asset_tags WHERE asset = ? ORDER BY tag", a.rowID)
	if err != nil {
		return fmt.Errorf("read tags: %w", err)
	}
	a.Tags = []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		a.Tags = append(a.Tags, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, "SELECT key, value FROM asset_context WHERE asset = ?", a.rowID)
	if err != nil {
		return fmt.Errorf("read context: %w", err)
	}
	defer rows.Close()
	a.Context = map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		a.Context[k] = v
	}
	return rows.Err()
}

// Asset returns the asset with key k, or ErrNotFound.
func (s *Store) Asset(ctx context.Context, k AssetKey) (Asset, error) {
	return getAsset(ctx, s.reader, k)
}

// AssetForDelivery returns the asset with key k as delivery needs it, in one query: without
// its tags and context (nil), attributes and EXIF (empty). ErrNotFound when there is none.
func (s *Store) AssetForDelivery(ctx context.Context, k AssetKey) (Asset, error) {
	return getAssetRow(pointLookup(ctx), s.reader.DB, k, deliveryColumns) // no variant rows read
}

// SaveAsset stores a new upload: the temp file src (from CreateTemp, closed) becomes the asset's
// blob, then the row commits. With overwrite off and an asset already under the key, nothing
// changes and the existing asset is returned with Existing. The fields of a that Save owns
// (AssetID, Version, VersionID, Blob, CreatedAt, UpdatedAt) are filled in on return.
func (s *Store) SaveAsset(ctx context.Context, a Asset, src string, overwrite bool) (Asset, SaveResult, error) {
	a.AssetID = NewAssetID()
	a.VersionID = randomHex(16)
	a.Blob = originalBlobName(a.VersionID)
	placed := a.Blob
	if err := s.blobs.place(src, placed); err != nil {
		return Asset{}, 0, err
	}
	result, replaced, err := s.commitAsset(ctx, &a, overwrite)
	if err != nil || result == Existing {
		s.removeBlob(placed)
	}
	if err != nil {
		return Asset{}, 0, err
	}
	if result == Existing {
		return a, Existing, nil
	}
	for _, name := range replaced {
		s.removeBlob(name)
	}
	return a, result, nil
}

// commitAsset inserts or overwrites the row for a (whose blob is already in place) and returns
// the blobs an overwrite replaced: the old original and its derived files, whose rows it deletes.
// When the key exists and overwrite is off, a becomes the existing asset.
func (s *Store) commitAsset(ctx context.Context, a *Asset, overwrite bool) (SaveResult, []string, error) {
	result, replaced := Created, []string(nil)
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := time.Now().UTC().Truncate(time.Second)
		a.Version, a.CreatedAt, a.UpdatedAt = now.Unix(), now, now
		old, err := getAsset(ctx, tx, a.AssetKey)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case !overwrite:
			*a, result = old, Existing
			return nil
		default:
			if replaced, err = dropDerived(ctx, tx, old.rowID); err != nil {
				return err
			}
			result, replaced = Overwritten, append(replaced, old.Blob)
			// The asset keeps its identity; its version moves on even within one second.
			a.AssetID, a.CreatedAt, a.rowID = old.AssetID, old.CreatedAt, old.rowID
			if a.Version <= old.Version {
				a.Version = old.Version + 1
			}
		}
		if err := writeAssetRow(ctx, tx, a, result == Overwritten); err != nil {
			return err
		}
		if err := replaceLabels(ctx, tx, a.rowID, a.Tags, a.Context); err != nil {
			return err
		}
		if s.afterBlobWrite != nil {
			return s.afterBlobWrite()
		}
		return nil
	})
	return result, replaced, err
}

func writeAssetRow(ctx context.Context, tx *sql.Tx, a *Asset, update bool) error {
	attrs, err := json.Marshal(nonNil(a.Attributes))
	if err != nil {
		return err
	}
	exif, err := json.Marshal(nonNil(a.EXIF))
	if err != nil {
		return err
	}
	if a.AccessMode == "" {
		a.AccessMode = "public"
	}
	args := []any{a.CloudID, a.AssetID, a.ResourceType, a.Type, a.PublicID, a.Format, a.Version,
		a.VersionID, a.Blob, a.Bytes, a.Width, a.Height, a.Pages, a.ETag, a.OriginalFilename, a.Folder,
		a.AssetFolder, a.DisplayName, a.AccessMode, string(attrs), string(exif), a.CreatedAt.Unix(),
		a.UpdatedAt.Unix(), a.HasAlpha}
	if err := recordFolders(ctx, tx, a.CloudID, a.Folder, a.AssetFolder); err != nil {
		return err
	}
	if update {
		_, err = tx.ExecContext(ctx, `UPDATE assets SET cloud_id = ?, asset_id = ?, resource_type = ?,
			type = ?, public_id = ?, format = ?, version = ?, version_id = ?, blob = ?, bytes = ?,
			width = ?, height = ?, pages = ?, etag = ?, original_filename = ?, folder = ?,
			asset_folder = ?, display_name = ?, access_mode = ?, attributes = ?, exif = ?,
			created_at = ?, updated_at = ?, has_alpha = ? WHERE id = ?`, append(args, a.rowID)...)
		if err != nil {
			return fmt.Errorf("overwrite asset %s: %w", a.PublicID, err)
		}
		return nil
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO assets (cloud_id, asset_id, resource_type, type,
		public_id, format, version, version_id, blob, bytes, width, height, pages, etag,
		original_filename, folder, asset_folder, display_name, access_mode, attributes, exif,
		created_at, updated_at, has_alpha) VALUES (`+placeholders(len(args))+`) RETURNING id`, args...).Scan(&a.rowID)
	if err != nil {
		return fmt.Errorf("insert asset %s: %w", a.PublicID, err)
	}
	return nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func replaceLabels(ctx context.Context, tx *sql.Tx, rowID int64, tags []string, context map[string]string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ?", rowID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ?", rowID); err != nil {
		return err
	}
	if err := addTags(ctx, tx, rowID, tags); err != nil {
		return err
	}
	return mergeContext(ctx, tx, rowID, context)
}

func addTags(ctx context.Context, tx *sql.Tx, rowID int64, tags []string) error {
	for _, t := range tags {
		if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO asset_tags (asset, tag) VALUES (?, ?)", rowID, t); err != nil {
			return fmt.Errorf("add tag: %w", err)
		}
	}
	return nil
}

// mergeContext sets each key; an empty value removes the key, as Cloudinary's context add does.
func mergeContext(ctx context.Context, tx *sql.Tx, rowID int64, context map[string]string) error {
	keys := make([]string, 0, len(context))
	for k := range context {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var err error
		if v := context[k]; v == "" {
			_, err = tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ? AND key = ?", rowID, k)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO asset_context (asset, key, value) VALUES (?, ?, ?)
				ON CONFLICT (asset, key) DO UPDATE SET value = excluded.value`, rowID, k, v)
		}
		if err != nil {
			return fmt.Errorf("set context %s: %w", k, err)
		}
	}
	return nil
}

// removeBlob deletes a file no row refers to any more. A failure only leaves an orphan, which the
// next start-up sweep removes, so it is logged and not returned.
func (s *Store) removeBlob(name string) {
	if err := s.blobs.remove(name); err != nil {
		slog.Warn("remove blob", "blob", name, "err", err)
	}
}

// DeleteAsset removes the asset's row (and its derived rows), then its files, and returns what
// was deleted with the number of derived files removed.
func (s *Store) DeleteAsset(ctx context.Context, k AssetKey) (Asset, int, error) {
	var a Asset
	var blobs []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if a, err = getAsset(ctx, tx, k); err != nil {
			return err
		}
		if blobs, err = dropDerived(ctx, tx, a.rowID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM assets WHERE id = ?", a.rowID)
		return err
	})
	if err != nil {
		return Asset{}, 0, err
	}
	for _, name := range append(blobs, a.Blob) {
		s.removeBlob(name)
	}
	return a, len(blobs), nil
}

// RenameAsset gives the asset at from the type toType and the public id toPublicID. When another
// asset holds the target key, ErrExists unless overwrite, which deletes that asset first.
func (s *Store) RenameAsset(ctx context.Context, from AssetKey, toType, toPublicID, toFolder string, overwrite bool) (Asset, error) {
	var a Asset
	var replaced []string
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if a, err = getAsset(ctx, tx, from); err != nil {
			return err
		}
		to := AssetKey{CloudID: from.CloudID, ResourceType: from.ResourceType, Type: toType, PublicID: toPublicID}
		if to == from {
			return nil
		}
		target, err := getAsset(ctx, tx, to)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case !overwrite:
			return ErrExists
		default:
			if replaced, err = dropDerived(ctx, tx, target.rowID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM assets WHERE id = ?", target.rowID); err != nil {
				return err
			}
			replaced = append(replaced, target.Blob)
		}
		a.AssetKey, a.Folder, a.UpdatedAt = to, toFolder, time.Now().UTC().Truncate(time.Second)
		if err := recordFolders(ctx, tx, a.CloudID, a.Folder); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE assets SET type = ?, public_id = ?, folder = ?, updated_at = ? WHERE id = ?",
			a.Type, a.PublicID, a.Folder, a.UpdatedAt.Unix(), a.rowID)
		return err
	})
	if err != nil {
		return Asset{}, err
	}
	for _, name := range replaced {
		s.removeBlob(name)
	}
	return a, nil
}
