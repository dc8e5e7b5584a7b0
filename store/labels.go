package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TagCommand is one of the Upload API's tags commands.
type TagCommand string

const (
	TagAdd       TagCommand = "add"
	TagRemove    TagCommand = "remove"
	TagReplace   TagCommand = "replace"
	TagRemoveAll TagCommand = "remove_all"
)

// ContextCommand is one of the Upload API's context commands.
type ContextCommand string

const (
	ContextAdd       ContextCommand = "add"
	ContextRemoveAll ContextCommand = "remove_all"
)

// UpdateTags applies cmd with tags to each named asset of one resource type and type, in one
// transaction, and returns the public ids it found (unknown ones are skipped, as Cloudinary does).
func (s *Store) UpdateTags(ctx context.Context, scope AssetKey, publicIDs []string, cmd TagCommand, tags []string) ([]string, error) {
	return s.eachAsset(ctx, scope, publicIDs, func(tx *sql.Tx, rowID int64) error {
		switch cmd {
		case TagAdd:
			return addTags(ctx, tx, rowID, tags)
		case TagRemove:
			for _, t := range tags {
				if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ? AND tag = ?", rowID, t); err != nil {
					return err
				}
			}
			return nil
		case TagReplace, TagRemoveAll:
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ?", rowID); err != nil {
				return err
			}
			if cmd == TagReplace {
				return addTags(ctx, tx, rowID, tags)
			}
			return nil
		}
		return fmt.Errorf("unknown tag command %q", cmd)
	})
}

// UpdateContext applies cmd to each named asset and returns the public ids it found. add merges
// (an empty value removes that key); remove_all clears the context.
func (s *Store) UpdateContext(ctx context.Context, scope AssetKey, publicIDs []string, cmd ContextCommand, pairs map[string]string) ([]string, error) {
	return s.eachAsset(ctx, scope, publicIDs, func(tx *sql.Tx, rowID int64) error {
		switch cmd {
		case ContextAdd:
			return mergeContext(ctx, tx, rowID, pairs)
		case ContextRemoveAll:
			_, err := tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ?", rowID)
			return err
		}
		return fmt.Errorf("unknown context command %q", cmd)
	})
}

// AssetUpdate changes an asset's descriptive fields; a nil field is left as it is.
type AssetUpdate struct {
	Tags        []string          // replaces the tags
	Context     map[string]string // replaces the context
	DisplayName *string
	AssetFolder *string
	Attributes  map[string]string // merged into the attributes; an empty value removes one
}

// UpdateAsset applies u to the asset and returns it updated.
func (s *Store) UpdateAsset(ctx context.Context, k AssetKey, u AssetUpdate) (Asset, error) {
	var a Asset
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if a, err = getAsset(ctx, tx, k); err != nil {
			return err
		}
		if u.Tags != nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_tags WHERE asset = ?", a.rowID); err != nil {
				return err
			}
			if err := addTags(ctx, tx, a.rowID, u.Tags); err != nil {
				return err
			}
		}
		if u.Context != nil {
			if _, err := tx.ExecContext(ctx, "DELETE FROM asset_context WHERE asset = ?", a.rowID); err != nil {
				return err
			}
			if err := mergeContext(ctx, tx, a.rowID, u.Context); err != nil {
				return err
			}
		}
		if u.DisplayName != nil {
			a.DisplayName = *u.DisplayName
		}
		if u.AssetFolder != nil {
			a.AssetFolder = *u.AssetFolder
			if err := recordFolders(ctx, tx, a.CloudID, a.AssetFolder); err != nil {
				return err
			}
		}
		for name, v := range u.Attributes {
			if a.Attributes == nil {
				a.Attributes = map[string]string{}
			}
			if v == "" {
				delete(a.Attributes, name)
			} else {
				a.Attributes[name] = v
			}
		}
		attrs, err := json.Marshal(nonNil(a.Attributes))
		if err != nil {
			return err
		}
		a.UpdatedAt = time.Now().UTC().Truncate(time.Second)
		if _, err := tx.ExecContext(ctx, `UPDATE assets SET display_name = ?, asset_folder = ?, attributes = ?,
			updated_at = ? WHERE id = ?`, a.DisplayName, a.AssetFolder, string(attrs), a.UpdatedAt.Unix(), a.rowID); err != nil {
			return fmt.Errorf("update asset: %w", err)
		}
		return loadLabels(ctx, tx, &a)
	})
	return a, err
}

// eachAsset runs fn in one transaction for every public id that names an asset in scope (scope's
// PublicID is ignored) and returns those public ids.
func (s *Store) eachAsset(ctx context.Context, scope AssetKey, publicIDs []string, fn func(*sql.Tx, int64) error) ([]string, error) {
	found := []string{}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range publicIDs {
			var rowID int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM assets WHERE cloud_id = ? AND resource_type = ?
				AND type = ? AND public_id = ?`, scope.CloudID, scope.ResourceType, scope.Type, id).Scan(&rowID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if err := fn(tx, rowID); err != nil {
				return err
			}
			found = append(found, id)
		}
		return nil
	})
	return found, err
}
